"""Answer ``photoseek search`` and ``status`` for the library this process has open, warm.

The process that holds a library's writer (the desktop app, ``photoseek
watch``) calls ``serve_library(library)``: a ``ChannelServer`` then listens on
the library's local channel (``indexer.local_channel``) and answers each
request with a ``LibraryReader`` that shares the writer's model sessions and
vector index, on the channel's own thread (never the GUI thread).

A request carries the command's argument list, parsed here by the same parser
and turned into a query by the same function as a cold search
(``reading.run_search``); the answer is what the command would print and
its exit code, written by the same functions (``write_hits``,
``write_status``).  The two paths cannot drift apart.
"""

from __future__ import annotations

import argparse
import io
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli.parser import build_parser
from app.cli.reading import run_search, write_hits, write_status
from app.cli.warm_client import WARM_COMMANDS
from app.escaping import shown
from indexer import __version__, local_channel
from indexer.errors import IndexerError, UsageError

if TYPE_CHECKING:
    from indexer.library import Library
    from indexer.library_reader import LibraryReader

logger = logging.getLogger(__name__)

MAX_ARGS = 1000  # arguments in one request


def serve_library(library: Library) -> local_channel.ChannelServer | None:
    """Start answering commands for ``library`` (None when this platform or folder cannot: commands work cold)."""
    if not local_channel.supported():
        return None
    reader = library.reader()
    server = local_channel.ChannelServer(library.path, lambda request: answer(reader, request),
                                         on_stop=reader.close_thread)
    try:
        server.start()
    except OSError as exc:  # a read-only folder, a path too long for a socket
        logger.warning("commands cannot ask this process (they work cold): %s", exc)
        return None
    return server


def answer(reader: LibraryReader, request: dict[str, Any]) -> dict[str, Any]:
    """What the command in ``request`` prints, and its exit code, answered with ``reader``."""
    if request.get("version") != __version__:
        return {"refused": "another version of Photoseek"}
    args = _parse(request)
    if args is None or args.command not in WARM_COMMANDS or getattr(args, "model", None):
        return {"refused": "not a command this process answers"}
    out, err = io.StringIO(), io.StringIO()
    try:
        if args.command == "search":
            write_hits(run_search(reader, args, err), args, out, err)
        else:
            write_status(reader.status(), reader.read_only, args, out)
    except UsageError as exc:
        return {"stdout": out.getvalue(), "stderr": f"photoseek: error: {shown(exc)}\n", "exit": 2}
    except IndexerError as exc:
        return {"stdout": out.getvalue(), "stderr": f"photoseek: error: {shown(exc)}\n", "exit": 1}
    return {"stdout": out.getvalue(), "stderr": err.getvalue(), "exit": 0}


def _parse(request: dict[str, Any]) -> argparse.Namespace | None:
    """The request's arguments, parsed as the command parsed them, with relative paths made absolute
    against the caller's working directory.  None when they are malformed."""
    argv, cwd = request.get("argv"), request.get("cwd")
    if not isinstance(argv, list) or len(argv) > MAX_ARGS or not all(isinstance(a, str) for a in argv):
        return None
    if not isinstance(cwd, str) or not Path(cwd).is_absolute():
        return None
    try:
        args = build_parser().parse_args(argv)
    except SystemExit:  # cannot happen for a caller of the same version, which parsed them already
        return None
    for name, value in vars(args).items():
        if isinstance(value, Path) and not value.expanduser().is_absolute():
            setattr(args, name, Path(cwd) / value)
        elif isinstance(value, list) and any(isinstance(v, Path) for v in value):
            setattr(args, name, [Path(cwd) / v if isinstance(v, Path) and not v.is_absolute() else v for v in value])
    return args
