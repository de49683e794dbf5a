"""The ``photoseek`` command: a thin adapter over the core (docs/cli.md is its contract).

Reading commands (``search``, ``status``, ``failures``, ``folders list``,
``models list``) open a ``LibraryReader`` and never write; writing commands
open the one writer, ``Library``.  Qt is imported only by ``photoseek gui``.

Exit codes: 0 success; 2 usage error; 1 any other failure, with one clear line
on stderr (a traceback only with ``--verbose``).
"""

from __future__ import annotations

import argparse
import json
import logging
import logging.handlers
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from indexer import __version__, paths
from indexer.cancel import CancelToken
from indexer.errors import IndexerError, UsageError
from indexer.status import LibraryStatus

if TYPE_CHECKING:  # annotations only: `photoseek --version` need not import numpy, Pillow, ONNX Runtime
    from indexer.library import Library
    from indexer.library_reader import LibraryReader
    from indexer.pipeline import Progress

logger = logging.getLogger("app.cli")


# -- argument parsing ----------------------------------------------------------


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (use YYYY-MM-DD): {text!r}") from None


def _weight(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 (only the photo) and 1 (only the words)")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="photoseek",
        description="Find your photos by text, image, sketch, or a photo plus words. Runs locally.",
    )
    parser.add_argument("--library", type=Path, help="library directory (default: $PHOTOSEEK_LIBRARY or the data dir)")
    parser.add_argument("--verbose", "-v", action="store_true", help="log details; show tracebacks on errors")
    parser.add_argument("--version", action="version", version=f"photoseek {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("gui", help="open the desktop app (the default)")

    p = sub.add_parser("index", help="add folders (if new) and index them now")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="folders to add (default: every library folder)")
    p.add_argument("--model", help="model name or bundle directory (becomes the library's model)")

    p = sub.add_parser("watch", help="index all folders, then follow changes until interrupted")
    p.add_argument("--model", help="model name or bundle directory")
    p.add_argument("--polling", action="store_true", help="poll instead of native file events (network shares)")

    p = sub.add_parser("search", help="search the library")
    p.add_argument("text", nargs="?", default="", metavar="TEXT")
    p.add_argument("--image", type=Path, help="find photos like this image (with TEXT: image + edit)")
    p.add_argument("--sketch", type=Path, help="find photos that look like this drawing")
    p.add_argument("--not", dest="negatives", action="append", default=[], metavar="TEXT", help="words to avoid")
    p.add_argument("--weight", type=_weight, help="image + edit: 0 = only the photo, 1 = only the words")
    p.add_argument("--recipe", choices=("weighted_sum", "harris"), help="image + edit fusion recipe")
    p.add_argument("--folder", type=Path, help="only photos inside this folder")
    p.add_argument("--after", type=_date, help="taken on or after this date (YYYY-MM-DD)")
    p.add_argument("--before", type=_date, help="taken before this date (YYYY-MM-DD)")
    p.add_argument("--limit", type=_positive, default=20, help="number of results (default 20)")
    p.add_argument("--include-self", action="store_true", help="image query: keep the query photo in the results")
    p.add_argument("--model", help="model name or bundle directory")
    p.add_argument("--json", action="store_true", help="print a JSON array of {path, score, rank}")

    p = sub.add_parser("status", help="counts of photos, indexed, pending and failed")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("failures", help="files that could not be indexed, with reasons")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("folders", help="list, add or remove watched folders")
    fsub = p.add_subparsers(dest="folders_command", metavar="ACTION", required=True)
    fl = fsub.add_parser("list")
    fl.add_argument("--json", action="store_true")
    fsub.add_parser("add").add_argument("path", type=Path)
    fsub.add_parser("remove").add_argument("path", type=Path)

    p = sub.add_parser("models", help="list, download, import, use, quantize or export models")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    ml = msub.add_parser("list")
    ml.add_argument("--json", action="store_true")
    msub.add_parser("download").add_argument("name")
    mi = msub.add_parser("import")
    mi.add_argument("dir", type=Path)
    mi.add_argument("--name", help="install under this name (default: the directory's name)")
    mi.add_argument("--force", action="store_true", help="replace an installed model of the same name")
    msub.add_parser("use").add_argument("name")
    mq = msub.add_parser("quantize", help="write an int8 copy of a model's visual tower")
    mq.add_argument("name")
    mq.add_argument("--force", action="store_true", help="replace an existing int8 copy")
    me = msub.add_parser("export", help="export an open_clip model (needs photoseek[export])")
    me.add_argument("arch")
    me.add_argument("--pretrained", help="open_clip pretrained tag (omit for random weights)")
    me.add_argument("out", type=Path)

    sub.add_parser("rebuild", help="rebuild the vector index from the stored vectors")
    return parser


# -- helpers -------------------------------------------------------------------


def _configure_logging(verbose: bool, library: Path | None) -> None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    # Decoder warnings (Pillow's "Corrupt EXIF data", one per odd file) go to the log file, not the terminal.
    logging.captureWarnings(True)
    if not verbose:
        console.addFilter(lambda record: record.name != "py.warnings")
    root.addHandler(console)
    if library is not None and library.is_dir():
        try:
            fh = logging.handlers.RotatingFileHandler(
                library / "photoseek.log", maxBytes=2 << 20, backupCount=3, encoding="utf-8",
                errors="backslashreplace",  # file names that are not valid UTF-8
            )
        except OSError:
            return
        fh.setLevel(logging.INFO)
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(fh)


def _progress_bar(progress: Iterator[Progress]) -> Progress | None:
    """Drain a progress generator, drawing a bar on stderr when it is a terminal."""
    bar = None
    last: Progress | None = None
    tty = sys.stderr.isatty()
    try:
        for p in progress:
            last = p
            if not tty or p.phase.value != "indexing" or not p.total:
                continue
            if bar is None:
                from tqdm import tqdm

                bar = tqdm(total=p.total, unit="photo", file=sys.stderr, dynamic_ncols=True)
            bar.n = p.done
            bar.set_postfix_str(f"{p.failed} failed" if p.failed else "", refresh=False)
            bar.refresh()
    finally:
        if bar is not None:
            bar.close()
    return last


def _download_bar(name: str):
    if not sys.stderr.isatty():
        return None, None
    from tqdm import tqdm

    bar = tqdm(unit="B", unit_scale=True, unit_divisor=1024, desc=name, file=sys.stderr)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return bar, update


def _open(args: argparse.Namespace) -> Library:
    """The library's one writer (created if needed)."""
    from indexer.library import Library

    return Library.open(args.library, model=getattr(args, "model", None))


def _library_dir(args: argparse.Namespace) -> Path:
    return (args.library or paths.default_library_dir()).expanduser().absolute()


def _library_exists(args: argparse.Namespace) -> bool:
    from indexer.library_reader import CATALOG_FILE

    return (_library_dir(args) / CATALOG_FILE).exists()


def _open_reader(args: argparse.Namespace) -> LibraryReader:
    """A reader (never writes; runs beside a writer). A missing library is an error."""
    from indexer.library_reader import LibraryReader

    return LibraryReader.open(args.library, model=getattr(args, "model", None))


def _print_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=True, indent=None) + "\n")


def _shown(path: Path | str) -> str:
    """A path for a terminal: undecodable bytes shown as escapes, newlines made visible."""
    text = str(path).encode("utf-8", "backslashreplace").decode("utf-8")
    return text.replace("\n", "\\n")


# -- commands ------------------------------------------------------------------


def cmd_index(args) -> int:
    with _open(args) as lib:
        if args.model:
            lib.use_model(args.model)
        started = time.monotonic()
        cancel = CancelToken()
        _cancel_on_sigterm(cancel)
        if not args.paths and not lib.catalog.folders():
            raise UsageError("the library has no folders yet: photoseek index FOLDER")
        last = _progress_bar(lib.index(args.paths, cancel=cancel))
        status = lib.status()
        elapsed = time.monotonic() - started
        done = last.done if last else 0
        sys.stderr.write(
            f"indexed {done} photo(s) in {elapsed:.1f} s ({done / elapsed if elapsed else 0:.1f}/s); "
            f"library: {status.photos} photos, {status.indexed} indexed, "
            f"{status.pending} pending, {status.failed} failed\n"
        )
        if cancel.cancelled:
            sys.stderr.write("stopped early; run `photoseek index` again to resume\n")
            return 1
    return 0


def cmd_watch(args) -> int:
    from indexer.watcher import watch

    with _open(args) as lib:
        if args.model:
            lib.use_model(args.model)
        cancel = CancelToken()
        _cancel_on_sigterm(cancel)
        try:
            for p in watch(lib, cancel, polling=args.polling):
                if p.phase.value == "watching" and p.message:
                    logger.info("%s", p.message)
                elif p.phase.value == "done" and p.done:
                    sys.stderr.write(f"indexed {p.done} photo(s)\n")
                    sys.stderr.flush()
        except KeyboardInterrupt:
            cancel.cancel()
        sys.stderr.write("stopped watching\n")
    return 0


def _cancel_on_sigterm(cancel: CancelToken) -> None:
    def handler(signum, frame):  # noqa: ARG001
        cancel.cancel()

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:
        pass  # not the main thread


def cmd_search(args) -> int:
    from indexer.search import Query

    if not (args.text.strip() or args.image or args.sketch):
        raise UsageError("search needs TEXT, --image or --sketch")
    if args.image and args.sketch:
        raise UsageError("use --image or --sketch, not both")
    query = Query(
        text=args.text,
        image=args.image,
        sketch=args.sketch,
        negatives=args.negatives,
        weight=args.weight,
        recipe=args.recipe,
        folder=args.folder,
        after=args.after,
        before=args.before,
        limit=args.limit,
        exclude_self=not args.include_self,
    )
    with _open_reader(args) as reader:
        hits = reader.search(query)
    if args.json:
        _print_json([h.to_json() for h in hits])
    else:
        for h in hits:
            sys.stdout.write(f"{h.rank:>3}  {h.score:.4f}  {_shown(h.path)}\n")
        if not hits:
            sys.stderr.write("no results\n")
    return 0


def cmd_status(args) -> int:
    if _library_exists(args):
        with _open_reader(args) as reader:
            status = reader.status()
    else:  # nothing indexed yet: report an empty library without creating one
        status = LibraryStatus(library=str(_library_dir(args)))
    if args.json:
        _print_json(status.to_json())
    else:
        for key in ("photos", "indexed", "pending", "failed", "folders", "model"):
            sys.stdout.write(f"{key:>8}: {getattr(status, key)}\n")
        for folder in status.offline_folders:
            sys.stdout.write(f" offline: {_shown(folder)}\n")
    return 0


def cmd_failures(args) -> int:
    with _open_reader(args) as reader:
        failures = reader.failures()
    if args.json:
        _print_json([f.to_json() for f in failures])
    else:
        for f in failures:
            sys.stdout.write(f"{_shown(f.path)}: {f.reason}\n")
    return 0


def cmd_folders(args) -> int:
    if args.folders_command == "list":
        with _open_reader(args) as reader:
            folders = reader.folders()
        if getattr(args, "json", False):
            _print_json([f.to_json() for f in folders])
        else:
            for f in folders:
                state = "" if f.online else "  (offline)"
                sys.stdout.write(f"{_shown(f.path)}  {f.photos} photos, {f.indexed} indexed, {f.failed} failed{state}\n")
        return 0
    with _open(args) as lib:
        if args.folders_command == "add":
            row = lib.add_folder(args.path)
            sys.stderr.write(f"added {_shown(row.path)}; run `photoseek index` or `photoseek watch` to index it\n")
        else:
            removed = lib.remove_folder(args.path)
            sys.stderr.write(f"removed {_shown(args.path)} ({removed} photos forgotten; files untouched)\n")
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
        rows = []
        for name, known in registry.KNOWN_MODELS.items():
            rows.append({"name": name, "installed": name in installed, "known": True,
                         "default": name == registry.DEFAULT_MODEL, "description": known.description})
        for name in installed:
            if name not in registry.KNOWN_MODELS:
                rows.append({"name": name, "installed": True, "known": False, "default": False, "description": ""})
        for row in rows:
            row["current"] = row["name"] == current
        if args.json:
            _print_json(rows + [{"name": b.name, "installed": False, "broken": b.error} for b in broken])
            return 0
        for row in rows:
            mark = "*" if row["current"] else " "
            state = "installed" if row["installed"] else "available"
            default = " (default)" if row["default"] else ""
            sys.stdout.write(f"{mark} {row['name']:<34} {state:<9}{default}  {row['description']}\n")
        for b in broken:
            sys.stdout.write(f"! {b.name:<34} broken: {b.error}\n")
        sys.stdout.write(f"models directory: {models_dir}\n")
        return 0
    if action == "download":
        from indexer.models.hub import download_model

        bar, update = _download_bar(args.name)
        try:
            bundle = download_model(args.name, models_dir, progress=update)
        finally:
            if bar is not None:
                bar.close()
        sys.stderr.write(f"installed {bundle.name} in {bundle.path}\n")
        return 0
    if action == "import":
        bundle = registry.import_bundle(args.dir, models_dir, name=args.name, force=args.force)
        sys.stderr.write(f"installed {bundle.name} in {bundle.path}\n")
        return 0
    if action == "use":
        with _open(args) as lib:
            bundle = lib.use_model(args.name)
            st = lib.status()
        sys.stderr.write(
            f"the library now uses {bundle.name}; {st.pending} photo(s) will be embedded by the next "
            "`photoseek index` or `watch` (the previous model answers searches until then)\n"
        )
        return 0
    if action == "quantize":
        from indexer.models.quantize import quantize_visual

        bundle = quantize_visual(registry.resolve_model(args.name, models_dir), models_dir, force=args.force)
        sys.stderr.write(f"installed {bundle.name} in {bundle.path}\n")
        return 0
    if action == "export":
        try:
            from indexer.models.export import export_pretrained
        except ImportError as exc:
            raise UsageError(f"exporting needs the export extra: pip install 'photoseek[export]' ({exc})") from exc
        out = export_pretrained(args.arch, args.pretrained, args.out)
        sys.stderr.write(f"exported {args.arch} to {out}; install it with `photoseek models import {out}`\n")
        return 0
    raise UsageError(f"unknown models action {action}")


def cmd_rebuild(args) -> int:
    with _open(args) as lib:
        started = time.monotonic()
        n = lib.rebuild()
    sys.stderr.write(f"rebuilt the vector index: {n} vectors in {time.monotonic() - started:.1f} s\n")
    return 0


def cmd_gui(args) -> int:
    try:
        from app.main import run
    except ImportError as exc:  # Qt missing or broken on this system
        raise IndexerError(f"the desktop app cannot start: {exc}") from exc
    return run(args.library)


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
}


def _folders_written(args, command: str) -> tuple[bool, bool]:
    """(library, models): which of the user's folders ``command`` writes to."""
    if command in ("index", "watch", "rebuild"):
        return True, False
    if command == "folders":
        return args.folders_command != "list", False
    if command == "models":
        action = args.models_command
        return action == "use", action in ("download", "import", "quantize")
    return False, False  # search, status, failures, list: read only; gui checks for itself


def _check_writable(args, command: str) -> list[str]:
    """Problems that would stop ``command`` writing its library or models folder."""
    library, models = _folders_written(args, command)
    if not (library or models):
        return []
    return paths.writable_problems(args.library, library=library, models=models)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command or "gui"
    if command != "gui":
        lib_dir = (args.library or paths.default_library_dir()).expanduser()
        _configure_logging(args.verbose, lib_dir)
        problems = _check_writable(args, command)
        if problems:
            for problem in problems:
                sys.stderr.write(f"photoseek: error: {problem}\n")
            return 1
    try:
        return COMMANDS[command](args)
    except UsageError as exc:
        sys.stderr.write(f"photoseek: error: {exc}\n")
        return 2
    except IndexerError as exc:
        if args.verbose:
            logger.exception("failed")
        sys.stderr.write(f"photoseek: error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that turns surprises into one line
        logger.debug("unexpected error", exc_info=True)
        if args.verbose:
            import traceback

            traceback.print_exc()
        if _disk_full(exc):
            sys.stderr.write(
                f"photoseek: error: the disk is full ({exc}); free some space and run the command again "
                "(everything indexed so far is kept)\n"
            )
            return 1
        sys.stderr.write(f"photoseek: error: {type(exc).__name__}: {exc}\n")
        return 1


def _disk_full(exc: BaseException) -> bool:
    """ENOSPC from a file write, or SQLite's SQLITE_FULL ("database or disk is full")."""
    import errno
    import sqlite3

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return True
    return isinstance(exc, sqlite3.OperationalError) and (
        getattr(exc, "sqlite_errorcode", None) == 13 or "disk is full" in str(exc)
    )


if __name__ == "__main__":
    sys.exit(main())
