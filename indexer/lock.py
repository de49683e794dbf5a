"""One writer per library: a lock file holding the owner's pid.

On POSIX the file is also ``flock``-ed, so a crashed owner's lock is released
by the kernel; elsewhere a lock whose pid is no longer alive is taken over.

The lock is opened relative to the checked library folder without following a
link (``private_files.open_in_folder``), mode 0600: a link or hard link planted
in its place is refused (``LibraryUnsafe``) before anything is written, so
taking the lock can never empty another file.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from indexer.errors import LibraryError, LibraryLocked
from indexer.private_files import open_in_folder

logger = logging.getLogger(__name__)

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


class LibraryLock:
    """The writer's lock of one library: the file ``path`` (``<library>/lock``)."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock (``LibraryLocked`` while a live process holds it; ``LibraryUnsafe`` for a lock
        file that is a link, not this user's, or a folder open to others)."""
        try:
            fd = open_in_folder(self.path, os.O_RDWR | os.O_CREAT)
        except OSError as exc:
            raise LibraryError(f"cannot create the lock file {self.path}: {exc.strerror}") from exc
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                pid = self._read_pid(fd)
                os.close(fd)
                raise LibraryLocked(self.path.parent, pid) from None
        else:
            pid = self._read_pid(fd)
            if pid and pid != os.getpid() and _pid_alive(pid):
                os.close(fd)
                raise LibraryLocked(self.path.parent, pid)
        old = self._read_pid(fd)
        if old and old != os.getpid():
            logger.info("taking over the stale lock of pid %d on %s", old, self.path)
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()}\n".encode())
        os.fsync(fd)
        self._fd = fd

    @staticmethod
    def _read_pid(fd: int) -> int:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            return int(os.read(fd, 32).decode().strip() or 0)
        except ValueError:
            return 0

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
        except OSError:
            pass
        os.close(self._fd)  # closing releases the flock
        self._fd = None
