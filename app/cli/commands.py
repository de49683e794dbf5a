"""One function per ``photoseek`` command.

Reading commands (``search``, ``status``, ``failures``, ``folders list``,
``models list``) open a ``LibraryReader`` and never write, so they run beside
a writer (``photoseek watch`` or the app); writing commands open the one
writer, ``Library``.  Qt is imported only by ``photoseek gui``.
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from indexer import paths
from indexer.cancel import CancelToken
from indexer.errors import IndexerError, UsageError
from indexer.status import LibraryStatus

if TYPE_CHECKING:  # annotations only: `photoseek --version` need not import numpy, Pillow, ONNX Runtime
    from indexer.library import Library
    from indexer.library_reader import LibraryReader

from app.cli.duplicates import cmd_cleanups, cmd_duplicates, cmd_undo
from app.cli.people import cmd_people
from app.cli.reading import check_search_args, keep_fast_text_layout, run_search, write_hits, write_status
from app.cli.terminal import download_bar, print_json, progress_bar, shown
from app.cli.warm_client import answer_from_running

logger = logging.getLogger("app.cli")


def _open(args: argparse.Namespace) -> Library:
    """The library's one writer (created if needed)."""
    from indexer.library import Library

    return Library.open(args.library, model=getattr(args, "model", None))


def _library_dir(args: argparse.Namespace) -> Path:
    return (args.library or paths.default_library_dir()).expanduser().absolute()


def _library_exists(args: argparse.Namespace) -> bool:
    from indexer.library_files import CATALOG_FILE

    return (_library_dir(args) / CATALOG_FILE).exists()


def _open_reader(args: argparse.Namespace) -> LibraryReader:
    """A reader (never writes; runs beside a writer). A missing library is an error."""
    from indexer.library_reader import LibraryReader

    return LibraryReader.open(args.library, model=getattr(args, "model", None))



def cmd_index(args) -> int:
    with _open(args) as lib:
        if args.model:
            lib.use_model(args.model)
        started = time.monotonic()
        cancel = CancelToken()
        _cancel_on_sigterm(cancel)
        if not args.paths and not lib.catalog.folders():
            raise UsageError("the library has no folders yet: photoseek index FOLDER")
        # Ctrl+C: entry.py prints RESUME_HINT
        last = progress_bar(lib.index(args.paths, cancel=cancel, read_text=not args.no_ocr))
        status = lib.status()
        elapsed = time.monotonic() - started
        done = last.done if last else 0  # photos read this run: embedded or failed
        sys.stderr.write(
            f"{_indexed(done, last.failed if last else 0)} in {elapsed:.1f} s "
            f"({done / elapsed if elapsed else 0:.1f}/s); "
            f"library: {status.photos} photos, {status.indexed} indexed, "
            f"{status.pending} pending, {status.failed} failed{_text_read(lib.last_text_read)}\n"
        )
        if cancel.cancelled:
            sys.stderr.write(f"{RESUME_HINT}\n")
            return 1
    return 0


def cmd_watch(args) -> int:
    from app.cli.warm_server import serve_library
    from app.cli.watch_lines import WatchLines, start_line
    from indexer.watcher import watch

    def write(line: str) -> None:
        sys.stderr.write(f"{shown(line)}\n")
        sys.stderr.flush()

    with _open(args) as lib:
        if args.model:
            lib.use_model(args.model)
        cancel = CancelToken()
        _cancel_on_sigterm(cancel)
        write(start_line(len(lib.catalog.folders()), str(lib.path)))
        lines = WatchLines(write, lambda: lib.last_scan)
        server = serve_library(lib)  # `photoseek search|status` on this library ask this process first
        try:
            for p in watch(lib, cancel, polling=args.polling):
                if p.phase.name == "watching" and p.message:
                    logger.info("%s", p.message)
                lines.feed(p)
        except KeyboardInterrupt:
            cancel.cancel()
        finally:
            if server is not None:
                server.stop()
        sys.stderr.write("stopped watching\n")
    return 0


RESUME_HINT = "stopped early (everything indexed so far is kept); run `photoseek index` again to resume"


def _indexed(done: int, failed: int) -> str:
    """``indexed N photo(s)``, where N counts only the photos embedded, plus ``, F failed`` when some failed."""
    text = f"indexed {done - failed} photo(s)"
    return f"{text}, {failed} failed (see `photoseek failures`)" if failed else text


def _text_read(read: int) -> str:
    """``; read the text in N photo(s)`` when this run read any (OCR)."""
    return f"; read the text in {read} photo(s)" if read else ""


def _cancel_on_sigterm(cancel: CancelToken) -> None:
    def handler(signum, frame):  # noqa: ARG001
        cancel.cancel()

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:
        pass  # not the main thread


def cmd_search(args) -> int:
    check_search_args(args)
    warm = answer_from_running(args)
    if warm is not None:  # the app or `photoseek watch` answered, warm
        return warm
    with _open_reader(args) as reader:
        hits = run_search(reader, args, sys.stderr)
        write_hits(hits, args, sys.stdout, sys.stderr)
        sys.stdout.flush()
        keep_fast_text_layout(reader, args)  # once per model: the next cold search loads its text tower faster
    return 0


def cmd_status(args) -> int:
    read_only = False
    warm = answer_from_running(args)  # first: before anything heavy is imported
    if warm is not None:
        return warm
    if _library_exists(args):
        with _open_reader(args) as reader:
            status = reader.status()
            read_only = reader.read_only
    else:  # nothing indexed yet: report an empty library without creating one
        status = LibraryStatus(library=str(_library_dir(args)))
    write_status(status, read_only, args, sys.stdout)
    return 0


def cmd_failures(args) -> int:
    with _open_reader(args) as reader:
        failures = reader.failures()
    if args.json:
        print_json([f.to_json() for f in failures])
    else:
        for f in failures:
            stage = "reading text: " if f.stage == "ocr" else ""
            sys.stdout.write(f"{shown(f.path)}: {stage}{shown(f.reason)}\n")
    return 0


def cmd_folders(args) -> int:
    if args.folders_command == "list":
        with _open_reader(args) as reader:
            folders = reader.folders()
        if getattr(args, "json", False):
            print_json([f.to_json() for f in folders])
        else:
            for f in folders:
                state = "" if f.online else "  (offline)"
                sys.stdout.write(f"{shown(f.path)}  {f.photos} photos, {f.indexed} indexed, {f.failed} failed{state}\n")
        return 0
    with _open(args) as lib:
        if args.folders_command == "add":
            row = lib.add_folder(args.path)
            sys.stderr.write(f"added {shown(row.path)}; run `photoseek index` or `photoseek watch` to index it\n")
        else:
            removed = lib.remove_folder(args.path)
            sys.stderr.write(f"removed {shown(args.path)} ({removed} photos forgotten; files untouched)\n")
    return 0


def cmd_models(args) -> int:
    from indexer.models import registry

    models_dir = paths.models_dir()
    action = args.models_command
    if action == "list":
        installed = {b.name: b for b in registry.installed_models(models_dir)}
        broken = registry.broken_models(models_dir)
        current = None
        if _library_exists(args):
            try:
                with _open_reader(args) as reader:
                    current = reader.configured_model()
            except IndexerError:
                current = None
        from app.cli.model_names import description

        rows = []
        for name, known in registry.KNOWN_MODELS.items():
            rows.append({"name": name, "installed": name in installed, "known": True,
                         "default": name == registry.DEFAULT_MODEL, "description": known.description})
        for name in installed:
            if name not in registry.KNOWN_MODELS:
                rows.append({"name": name, "installed": True, "known": False, "default": False, "description": ""})
        for row in rows:
            row["current"] = row["name"] == current
            bundle = installed.get(str(row["name"]))
            row["description"], row["test"] = description(
                str(row["description"]), bundle.path if bundle is not None else None)
        if args.json:
            print_json(rows + [{"name": b.name, "installed": False, "broken": b.error} for b in broken])
            return 0
        for row in rows:
            mark = "*" if row["current"] else " "
            state = "installed" if row["installed"] else "available"
            default = " (default)" if row["default"] else ""
            sys.stdout.write(f"{mark} {shown(row['name']):<34} {state:<9}{default}  {shown(row['description'])}\n")
        for b in broken:
            sys.stdout.write(f"! {shown(b.name):<34} broken: {shown(b.error)}\n")
        sys.stdout.write(f"models directory: {shown(models_dir)}\n")
        return 0
    if action == "download":
        from app.cli.model_names import check_downloadable
        from indexer.models.hub import download_model

        check_downloadable(args.name, models_dir)
        bar, update = download_bar(args.name)
        try:
            bundle = download_model(args.name, models_dir, progress=update)
        finally:
            if bar is not None:
                bar.close()
        sys.stderr.write(f"installed {shown(bundle.name)} in {shown(bundle.path)}\n")
        return 0
    if action == "import":
        bundle = registry.import_bundle(args.dir, models_dir, name=args.name, force=args.force)
        sys.stderr.write(f"installed {shown(bundle.name)} in {shown(bundle.path)}\n")
        return 0
    if action == "use":
        with _open(args) as lib:
            bundle = lib.use_model(args.name)
            st = lib.status()
        sys.stderr.write(
            f"the library now uses {shown(bundle.name)}; {st.pending} photo(s) will be embedded by the next "
            "`photoseek index` or `watch` (the previous model answers searches until then)\n"
        )
        return 0
    if action == "quantize":
        from indexer.models.quantize import quantize_visual

        bundle = quantize_visual(registry.resolve_model(args.name, models_dir), models_dir, force=args.force)
        sys.stderr.write(f"installed {shown(bundle.name)} in {shown(bundle.path)}\n")
        return 0
    if action == "export":
        try:
            from indexer.models.export import export_pretrained
        except ImportError as exc:
            raise UsageError(f"exporting needs the export extra: pip install 'photoseek[export]' ({exc})") from exc
        out = export_pretrained(args.arch, args.pretrained, args.out)
        sys.stderr.write(
            f"exported {shown(args.arch)} to {shown(out)}; install it with `photoseek models import {shown(out)}`\n"
        )
        return 0
    raise UsageError(f"unknown models action {action}")


def cmd_rebuild(args) -> int:
    with _open(args) as lib:
        started = time.monotonic()
        n = lib.rebuild()
    sys.stderr.write(f"rebuilt the vector index: {n} vectors in {time.monotonic() - started:.1f} s\n")
    return 0


def cmd_gui(args) -> int:
    from app.display import display_problem

    problem = display_problem()
    if problem is not None:     # before Qt, which aborts the process without a display
        raise IndexerError(f"the desktop app cannot start: {problem}")
    try:
        from app.main import run
    except ImportError as exc:  # Qt missing or broken on this system
        raise IndexerError(f"the desktop app cannot start: {exc}") from exc
    from app.cli.warm_server import serve_library

    return run(args.library, serve=serve_library)


COMMANDS = {
    "index": cmd_index,
    "watch": cmd_watch,
    "search": cmd_search,
    "status": cmd_status,
    "failures": cmd_failures,
    "folders": cmd_folders,
    "models": cmd_models,
    "rebuild": cmd_rebuild,
    "gui": cmd_gui,
    "duplicates": cmd_duplicates,
    "cleanups": cmd_cleanups,
    "undo": cmd_undo,
    "people": cmd_people,
}
