"""``photoseek``'s entry point: parse, check the folders it will write, run the command, report errors.

Exit codes: 0 success; 2 usage error; 1 any other failure, with one clear line
on stderr (a traceback only with ``--verbose``).
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from indexer import paths
from indexer.errors import IndexerError, UsageError

if TYPE_CHECKING:  # annotations only: `photoseek --version` need not import numpy, Pillow, ONNX Runtime
    pass

from app.cli.commands import COMMANDS, RESUME_HINT
from app.cli.parser import build_parser
from app.cli.terminal import configure_logging, shown

logger = logging.getLogger("app.cli")


def _folders_written(args, command: str) -> tuple[bool, bool]:
    """(library, models): which of the user's folders ``command`` writes to."""
    if command in ("index", "watch", "rebuild", "undo"):
        return True, False
    if command == "duplicates":
        return bool(args.trash), False
    if command == "folders":
        return args.folders_command != "list", False
    if command == "models":
        action = args.models_command
        return action == "use", action in ("download", "import", "quantize")
    return False, False  # search, status, failures, list: read only; gui checks for itself


def _check_writable(args, command: str) -> list[str]:
    """Problems that would stop ``command`` writing its library or models folder.

    An existing library is checked by opening it: a read-only one is reported as
    read-only (it can still be searched), not as a folder to replace.
    """
    library, models = _folders_written(args, command)
    if library:
        from indexer.library_files import CATALOG_FILE

        if (Path(args.library or paths.default_library_dir()).expanduser() / CATALOG_FILE).exists():
            library = False
    if not (library or models):
        return []
    return paths.writable_problems(args.library, library=library, models=models)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # what a running Photoseek is asked to answer
    command = args.command or "gui"
    if command != "gui":
        lib_dir = (args.library or paths.default_library_dir()).expanduser()
        writes_library, _ = _folders_written(args, command)
        # Only a command that writes the library logs into it: a reader leaves every file as it was.
        configure_logging(args.verbose, lib_dir if writes_library else None)
        problems = _check_writable(args, command)
        if problems:
            for problem in problems:
                sys.stderr.write(f"photoseek: error: {shown(problem)}\n")
            return 1
    try:
        return COMMANDS[command](args)
    except UsageError as exc:
        sys.stderr.write(f"photoseek: error: {shown(exc)}\n")
        return 2
    except IndexerError as exc:
        if args.verbose:
            logger.exception("failed")
        sys.stderr.write(f"photoseek: error: {shown(exc)}\n")
        return 1
    except KeyboardInterrupt:  # Ctrl+C: what was committed is kept
        sys.stderr.write(f"{RESUME_HINT if command == 'index' else 'interrupted'}\n")
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that turns surprises into one line
        logger.debug("unexpected error", exc_info=True)
        if args.verbose:
            import traceback

            for line in traceback.format_exc().splitlines():  # escaped: the message may hold a file name
                sys.stderr.write(shown(line) + "\n")
        if _disk_full(exc):
            sys.stderr.write(
                f"photoseek: error: the disk is full ({shown(exc)}); free some space and run the command again "
                "(everything indexed so far is kept)\n"
            )
            return 1
        sys.stderr.write(f"photoseek: error: {type(exc).__name__}: {shown(exc)}\n")
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
