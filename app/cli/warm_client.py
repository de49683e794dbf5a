"""Ask a running Photoseek (the app or ``photoseek watch``) to answer a reading command, warm.

``search`` and ``status`` call ``answer_from_running(args)`` first: it sends the
command's own argument list over the library's local channel
(``indexer.local_channel``); the server parses it with the same parser and
answers with what the command prints and its exit code.  Any new flag or
output field therefore travels without changes here.  When nobody answers,
the answer cannot be trusted, or the server dies mid-query, it returns None
and the command works cold, by itself.

Imports nothing heavy (no numpy, Pillow or ONNX Runtime): a warm answer must
not pay for them.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

from indexer import __version__, local_channel
from indexer.paths import default_library_dir

logger = logging.getLogger(__name__)

ANSWER_TIMEOUT_S = 120.0  # a running Photoseek may be busy; past this the command works cold
WARM_COMMANDS = ("search", "status")


def answer_from_running(args: argparse.Namespace) -> int | None:
    """Print a running Photoseek's answer to this command and return its exit code; None: work cold."""
    request = warm_request(args)
    if request is None:
        return None
    library = (args.library or default_library_dir()).expanduser().absolute()
    try:
        answer = local_channel.ask(library, request, timeout=ANSWER_TIMEOUT_S)
    except local_channel.ChannelUnavailable as exc:
        logger.debug("no warm answer (%s): working cold", exc)
        return None
    printed = _printed(answer)
    if printed is None:
        logger.debug("a malformed warm answer: working cold")
        return None
    stdout, stderr, code = printed
    logger.debug("answered by the Photoseek running on %s", library)
    sys.stdout.write(stdout)
    sys.stderr.write(stderr)
    return code


def warm_request(args: argparse.Namespace) -> dict[str, Any] | None:
    """The request that asks for this command, or None when it must run here."""
    argv = getattr(args, "argv", None)
    if args.command not in WARM_COMMANDS or argv is None or not local_channel.supported():
        return None
    if getattr(args, "model", None):  # another model than the library's: resolved here, with this environment
        return None
    return {"argv": list(argv), "cwd": os.getcwd(), "version": __version__}


def _printed(answer: dict[str, Any]) -> tuple[str, str, int] | None:
    stdout, stderr, code = answer.get("stdout"), answer.get("stderr"), answer.get("exit")
    if not isinstance(stdout, str) or not isinstance(stderr, str) or type(code) is not int or code not in (0, 1, 2):
        return None
    return stdout, stderr, code
