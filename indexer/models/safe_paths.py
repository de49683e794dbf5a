"""Checks on file names and paths that come from outside Photoseek.

A model bundle is someone else's data: the names of a hub repository's files,
the external-data locations inside an ONNX graph, the directory a user points
``models import`` at.  None of them may make Photoseek write or read outside
the folder they belong to, on any platform, or put control characters on a
terminal.  These functions say what is wrong with such a name or path (a short
phrase a message can quote), or ``None`` when it is safe:

- ``name_problem``: one path component Photoseek creates (a model's directory,
  a downloaded file): no separators, no ``:``, no control characters, nothing
  Windows would read as a device, a drive or a stream, or silently rename;
- ``relative_path_problem``: a ``/``-separated relative path made of such
  components (no absolute paths, no ``..``);
- ``unprintable``: the first control or format character in a text, if any;
- ``regular_file_problem``: whether ``root/rel`` is a plain file reached
  without following a symbolic link (nor a Windows junction);
- ``open_regular``: open a file for reading only if it is a plain file that
  is not a symbolic link, without blocking on a FIFO or a device.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from pathlib import Path
from typing import BinaryIO

#: the longest file name most filesystems accept, in bytes (UTF-8)
MAX_NAME_BYTES = 255

_WINDOWS_FORBIDDEN = {
    "\\": "a backslash",
    "/": "a slash",
    ":": "a colon",
    "<": "'<'",
    ">": "'>'",
    '"': "a double quote",
    "|": "'|'",
    "?": "'?'",
    "*": "'*'",
}
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{prefix}{n}" for prefix in ("COM", "LPT") for n in [*"0123456789", "\u00b9", "\u00b2", "\u00b3"]]
)
# Cc: C0/C1 controls (ESC, BEL, CR, ...); Cf: format characters (bidi overrides that reorder what is shown);
# Zl/Zp: line and paragraph separators; Cs: lone surrogates (undecodable bytes of a file name).
_UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def unprintable(text: str) -> str | None:
    """The first control, format or separator character in ``text`` (as ``repr`` shows it), or None."""
    for char in text:
        if unicodedata.category(char) in _UNPRINTABLE_CATEGORIES:
            return repr(char)[1:-1]
    return None


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a file or directory name Photoseek creates, or None if it can."""
    if not name:
        return "is empty"
    if name in (".", ".."):
        return "refers to a folder, not a name"
    char = unprintable(name)
    if char is not None:
        return f"holds the control character {char}"
    for bad, label in _WINDOWS_FORBIDDEN.items():
        if bad in name:
            return f"holds {label}"
    if name != name.rstrip(". "):
        return "ends with a dot or a space"
    if name.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_DEVICES:
        return "is a device name on Windows"
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        return f"is longer than {MAX_NAME_BYTES} bytes"
    return None


def relative_path_problem(path: str) -> str | None:
    """Why the ``/``-separated ``path`` cannot name a file inside a folder, or None if it can.

    Refused: absolute paths, drive letters, backslashes, ``.`` and ``..``
    components, empty components, and every component ``name_problem``
    refuses.
    """
    if not path:
        return "is empty"
    if path.startswith("/"):
        return "is an absolute path"
    for part in path.split("/"):
        problem = name_problem(part)
        if problem is not None:
            return problem if part == path else f"has a component that {problem}"
    return None


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _is_link(st: os.stat_result) -> bool:
    reparse = getattr(st, "st_file_attributes", 0) & stat.FILE_ATTRIBUTE_REPARSE_POINT
    return stat.S_ISLNK(st.st_mode) or bool(reparse)


def regular_file_problem(root: Path, rel: str) -> str | None:
    """Why ``root/rel`` is not a regular file reached without links, or None if it is.

    Every component below ``root`` is looked at without following it: a
    symbolic link (or Windows junction) anywhere on the way is refused, as is
    a final component that is a directory, pipe, device or socket.  ``root``
    itself may be a link: the user chose it.
    """
    current = Path(root)
    parts = rel.split("/")
    for i, part in enumerate(parts):
        current = current / part
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            return "is missing"
        except OSError as exc:
            return f"cannot be read ({exc.strerror or exc})"
        if _is_link(st):
            return "is a symbolic link" if i == len(parts) - 1 else f"is inside {'/'.join(parts[: i + 1])}, a link"
        if i < len(parts) - 1:
            if not stat.S_ISDIR(st.st_mode):
                return "is missing"
        elif not stat.S_ISREG(st.st_mode):
            return f"is {_kind(st.st_mode)}, not a file"
    return None


def entry_problem(st: os.stat_result) -> str | None:
    """For an ``lstat`` result inside a bundle: None for a plain file or directory, else what it is."""
    if _is_link(st):
        return "is a symbolic link"
    if stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode):
        return None
    return f"is {_kind(st.st_mode)}"


def open_regular(path: Path) -> BinaryIO:
    """Open ``path`` for reading if it is a regular file and not a symbolic link, else ``OSError``.

    The check is made on the opened file (no race with a swap), and opening
    never blocks on a named pipe or a device.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    if not hasattr(os, "O_NOFOLLOW") and _is_link(os.lstat(path)):
        raise OSError(f"{path} is a symbolic link")
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"{path} is {_kind(st.st_mode)}, not a file")
        if getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)  # reads of a regular file then behave as usual
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
