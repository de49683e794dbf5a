"""``photoseek duplicates``, ``photoseek cleanups`` and ``photoseek undo`` (docs/cli.md).

Listing duplicates only reads (a ``LibraryReader``, beside any writer);
``--trash`` and ``undo`` open the library's writer.  Nothing is moved to the
trash without a yes: ``--yes``, or an answer typed at the terminal.  Without a
terminal to ask and without ``--yes`` the command refuses (a usage error,
exit status 2) and moves nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from app.cli.terminal import print_json, shown
from indexer.cancel import CancelToken
from indexer.errors import UsageError

if TYPE_CHECKING:
    from indexer.duplicates.groups import DuplicateGroup


def megabytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def run_groups(gen: Generator[Any, None, list[DuplicateGroup]]) -> list[DuplicateGroup]:
    """Drain a duplicate search, drawing a bar on stderr when it is a terminal; returns the groups."""
    bar = None
    try:
        while True:
            try:
                p = next(gen)
            except StopIteration as stop:
                return list(stop.value)
            if sys.stderr.isatty() and p.total > 5_000:
                if bar is None:
                    from tqdm import tqdm

                    bar = tqdm(total=p.total, unit="photo", desc="comparing", file=sys.stderr, dynamic_ncols=True)
                bar.n = p.done
                bar.refresh()
    finally:
        if bar is not None:
            bar.close()


def print_groups(groups: list[DuplicateGroup], out=None) -> None:
    """The groups as text: the photo kept and why, then the others (to the trash, or why not)."""
    out = out or sys.stdout
    for n, group in enumerate(groups, 1):
        out.write(f"group {n}: {group.kind}, {len(group.photos)} photos, similarity {group.similarity:.2f}\n")
        suggested = {p.id for p in group.suggested}
        for i, p in enumerate(group.photos):
            size = f"{p.width or '?'}x{p.height or '?'}, {megabytes(p.bytes)}"
            taken = f", taken {p.taken_at}" if p.taken_at else ""
            offline = " (offline)" if not p.online else ""
            if i == 0:
                mark = f"keep   ({shown(group.reason)})"
            elif p.id in suggested:
                mark = "trash "
            else:
                mark = "leave " + ("(the photo kept is offline)" if group.keeper_offline else "(offline)")
            out.write(f"  {mark}  {shown(p.path)}  [{size}{taken}]{offline}\n")


def cmd_duplicates(args) -> int:
    if args.yes and not args.trash:
        raise UsageError("--yes only confirms --trash")
    if not args.trash:
        from indexer.library_reader import LibraryReader

        with LibraryReader.open(args.library) as reader:
            groups = run_groups(reader.duplicates(kind=args.kind, folder=_folder(args)))
            waiting = reader.unfingerprinted()
        _show(args, groups, waiting)
        return 0
    from indexer.library import Library

    with Library.open(args.library) as lib:
        reader = lib.reader()
        groups = run_groups(reader.duplicates(kind=args.kind, folder=_folder(args), cancel=CancelToken()))
        _show(args, groups, reader.unfingerprinted(), text_out=sys.stderr if args.json else sys.stdout)
        plan = [(g.keep.path, [p.id for p in g.suggested]) for g in groups if g.suggested]
        count = sum(len(ids) for _, ids in plan)
        size = sum(p.bytes for g in groups for p in g.suggested)
        if not count:
            sys.stderr.write("nothing to move to the trash\n")
            return 0
        question = f"move {count} photo(s) ({megabytes(size)}) to the trash?"
        if not args.yes:
            if not sys.stdin.isatty():
                raise UsageError(f"not moving anything: {question[:-1]} needs a yes; no terminal to ask, "
                                 "so add --yes to confirm")
            sys.stderr.write(f"{question[0].upper()}{question[1:]} [y/N] ")
            sys.stderr.flush()
            answer = sys.stdin.readline().strip().lower()
            if answer not in ("y", "yes"):
                sys.stderr.write("nothing moved\n")
                return 1
        report = lib.trash_photos(plan)
    sys.stderr.write(f"moved {len(report.trashed)} photo(s) ({megabytes(report.bytes)}) to the trash")
    sys.stderr.write(f"; undo with `photoseek undo {report.action_id}`\n" if report.action_id else "\n")
    if report.already_gone:
        sys.stderr.write(f"{len(report.already_gone)} photo(s) were already gone (trashed elsewhere): forgotten\n")
    for path, why in report.skipped:
        sys.stderr.write(f"left {shown(path)}: {shown(why)}\n")
    return 1 if report.skipped and not report.trashed else 0


def _folder(args):
    return args.folder.expanduser().absolute() if args.folder else None


def _show(args, groups: list[DuplicateGroup], waiting: int, text_out=None) -> None:
    if args.json:
        print_json([g.to_json() for g in groups])
    else:
        print_groups(groups, text_out)
    if not args.json or args.trash:
        trash = sum(len(g.suggested) for g in groups)
        size = sum(p.bytes for g in groups for p in g.suggested)
        sys.stderr.write(f"{len(groups)} group(s); {trash} photo(s) ({megabytes(size)}) suggested for the trash\n")
    if waiting:
        sys.stderr.write(f"{waiting} photo(s) are not fingerprinted yet (photoseek index does it): "
                         "their duplicates are not all shown\n")


def cmd_cleanups(args) -> int:
    from indexer.library_reader import LibraryReader

    with LibraryReader.open(args.library) as reader:
        actions = reader.cleanups()
    if args.json:
        print_json([{"id": a.id, "at": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(a.at)), "undone": a.undone,
                     "bytes": a.bytes, "photos": [{"path": str(i.path), "restored": i.restored,
                                                   "kept": None if i.kept is None else str(i.kept)}
                                                  for i in a.items]} for a in actions])
        return 0
    for a in actions:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(a.at))
        state = "undone" if a.undone else "undo: photoseek undo " + str(a.id)
        sys.stdout.write(f"{a.id}: {when}  {len(a.items)} photo(s) to the trash, {megabytes(a.bytes)}  ({state})\n")
    if not actions:
        sys.stderr.write("no clean-ups yet\n")
    return 0


def cmd_undo(args) -> int:
    from indexer.library import Library

    with Library.open(args.library) as lib:
        report = lib.undo_cleanup(args.id)
        if report.restored:
            for _ in lib.sync(report.restored):
                pass
    sys.stderr.write(f"restored {len(report.restored)} photo(s) from the trash\n")
    for path, why in report.skipped:
        sys.stderr.write(f"not restored {shown(path)}: {shown(why)}\n")
    return 0 if report.restored or not report.skipped else 1
