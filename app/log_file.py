"""The log files (the library's ``photoseek.log``, the app's ``photoseek-gui.log``), opened safely.

``PrivateLogFile`` is a ``RotatingFileHandler`` whose file is opened the way
every file of a library is (``indexer.private_files``): relative to its
folder, checked to be this user's and writable by no one else, without
following a link, and created 0600.  A link planted in the log's place (to
``~/.profile``, say) or a folder of another user is never written through:
the handler then writes nothing (and says nothing, since it is the log) --
the command itself goes on, and refuses the library if it writes to it.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from indexer.errors import LibraryError
from indexer.private_files import open_in_folder

MAX_BYTES = 2 << 20
BACKUPS = 3


class PrivateLogFile(logging.handlers.RotatingFileHandler):
    """A rotating log file at ``path`` (2 MB, 3 old files), opened at its first record and never
    through a link; records that cannot be written safely are dropped."""

    def __init__(self, path: Path, *, what: str = "library folder"):
        self._what = what
        super().__init__(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8",
                         delay=True,  # created at the first record: a library refused on opening is left untouched
                         errors="backslashreplace")  # file names that are not valid UTF-8

    def _open(self):  # type: ignore[override]
        fd = open_in_folder(Path(self.baseFilename), os.O_WRONLY | os.O_APPEND | os.O_CREAT, self._what)
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)

    def emit(self, record: logging.LogRecord) -> None:
        if self.stream is None:
            try:
                self.stream = self._open()
            except (OSError, LibraryError):
                return  # no folder yet, or one (or a file) not to be trusted: nothing is written
        super().emit(record)

    def check(self) -> None:
        """Open the file now; ``OSError`` or ``LibraryError`` when it cannot be, safely."""
        if self.stream is None:
            self.stream = self._open()
