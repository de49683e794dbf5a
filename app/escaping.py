"""Text for a terminal or a log file: names from the disk made safe to print.

Used by the command line and by the desktop app's logging; imports neither Qt
nor anything heavy.
"""

from __future__ import annotations

import logging
import re

# What must not reach a terminal as is: C0 and C1 control characters (ESC starts the sequences that
# retitle a terminal or move the cursor, CR and BS overwrite what was printed, BEL rings), Unicode
# line and paragraph separators, the bidirectional overrides that show "gpj.exe" as "exe.jpg",
# and lone surrogates (the bytes of a file name that are not valid UTF-8).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    c = match.group()
    if c in _NAMED:
        return _NAMED[c]
    code = ord(c)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: object) -> str:
    """``text`` (a path, a name, a message) made safe for a terminal, on one line.

    Control characters, bidirectional overrides and undecodable bytes are shown as
    ``\\xNN``/``\\uNNNN`` escapes (``\\n``, ``\\r``, ``\\t`` for the usual ones), so a file
    name can neither drive the terminal nor overwrite or fake a line.  JSON output is
    exact instead (``print_json``).
    """
    return _UNSAFE.sub(_escape, str(text))


class EscapingFormatter(logging.Formatter):
    """A log formatter whose messages go through ``shown`` (tracebacks keep their line breaks)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return shown(super().formatMessage(record))

    def formatException(self, ei) -> str:  # noqa: ANN001 - logging's exc_info tuple
        return "\n".join(shown(line) for line in super().formatException(ei).split("\n"))

    def formatStack(self, stack_info: str) -> str:
        return "\n".join(shown(line) for line in super().formatStack(stack_info).split("\n"))
