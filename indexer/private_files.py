"""Private folders and files: the library's, which only its own user may read or change.

A library holds private text (the words read in photos, their places, their
thumbnails), so everything Photoseek creates in it is for its user alone:
folders ``0700`` and files ``0600`` (a stricter umask still applies, since
the modes pass through it).  And a library is a folder another user might
have prepared, so nothing in it is trusted blindly:

- the library folder must belong to this user and be writable by no one
  else (``check_folder``); a folder it is created in must belong to this
  user or to root and, if others may write to it, have the sticky bit
  (``create_library_folder``), so nobody can swap it for one of theirs;
- a file is opened without following a link (``O_NOFOLLOW``), relative to a
  descriptor of the folder checked just before (``open_file``), and only a
  plain file of this user with one name is used -- so a planted link or hard
  link can neither empty nor append to a file elsewhere (``~/.profile``);
- a temporary file is created anew (``O_EXCL``), never opened where one lies;
- a subfolder (``thumbnails``, ``vectors``) is used only when it is a real
  folder of this user, never a link (``private_subfolder``).

Anything refused raises ``LibraryUnsafe``, whose message names the folder or
file, what is wrong and what to do.  Where the platform lacks ``O_NOFOLLOW``,
folder descriptors or uids (Windows), the checks it cannot make are skipped.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from indexer.errors import LibraryUnsafe

FOLDER_MODE = 0o700
FILE_MODE = 0o600
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO planted in the file's place must not hang the open
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_WRITABLE_BY_OTHERS = stat.S_IWGRP | stat.S_IWOTH


def _uid() -> int | None:
    """This process's effective uid; None where the platform has none (Windows)."""
    return os.geteuid() if hasattr(os, "geteuid") else None


def _dir_fds() -> bool:
    return os.open in os.supports_dir_fd and bool(_DIRECTORY)


def check_folder(st: os.stat_result, path: Path, what: str = "library folder") -> None:
    """Raise ``LibraryUnsafe`` unless the folder ``path`` (whose stat is ``st``) is this user's and
    writable by no one else."""
    uid = _uid()
    if uid is None:
        return
    if st.st_uid != uid:
        raise LibraryUnsafe(
            f"the {what} {path} belongs to another user (uid {st.st_uid}), who could read or replace "
            f"its files: refused. Use a folder of your own (photoseek --library DIR)"
        )
    if st.st_mode & _WRITABLE_BY_OTHERS:
        raise LibraryUnsafe(
            f"the {what} {path} may be written by other users (mode {stat.S_IMODE(st.st_mode):o}), who could "
            f"replace its files: refused. Make it private (chmod 700 '{path}') or use another folder"
        )


def check_parent(st: os.stat_result, path: Path, what: str = "library folder") -> None:
    """Raise ``LibraryUnsafe`` unless a folder can safely hold a new folder of this user: it belongs to
    this user or root, and if others may write to it, its sticky bit keeps them from our entries."""
    uid = _uid()
    if uid is None:
        return
    if st.st_uid not in (uid, 0):
        raise LibraryUnsafe(
            f"cannot create the {what} in {path}: that folder belongs to another user (uid {st.st_uid}), "
            f"who could replace it. Use a folder of your own (photoseek --library DIR)"
        )
    if st.st_mode & _WRITABLE_BY_OTHERS and not st.st_mode & stat.S_ISVTX:
        raise LibraryUnsafe(
            f"cannot create the {what} in {path}: other users may write to that folder "
            f"(mode {stat.S_IMODE(st.st_mode):o}, no sticky bit) and could replace it. "
            f"Use a folder of your own (photoseek --library DIR)"
        )


def create_library_folder(path: Path) -> None:
    """Create the library folder ``path`` (and missing parents) with mode 0700, after checking the folder
    it is created in (``check_parent``), and check what is then there (``check_folder``: a folder another
    user made meanwhile is refused).  Nothing is done for a folder that exists."""
    missing: list[Path] = []
    probe = path
    while not os.path.lexists(probe):
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    if not missing:
        return
    try:
        st = os.stat(probe)
    except OSError:
        st = None  # let mkdir say what is wrong
    if st is not None and stat.S_ISDIR(st.st_mode):
        check_parent(st, probe.resolve())
    for folder in reversed(missing):
        try:
            os.mkdir(folder, FOLDER_MODE)
        except FileExistsError:
            pass
    check_folder(os.stat(path), path)


def secure_library_folder(path: Path, *, holds_library: bool) -> None:
    """Check the existing library folder ``path`` (``check_folder``).  When it ``holds_library`` (a library
    made by an older Photoseek was 0755) or is empty (made for a new one), also take away what others may
    read: it becomes 0700.  A folder of other things the user chose (their home) keeps its mode."""
    st = os.stat(path)
    check_folder(st, path)
    if _uid() is None or not stat.S_IMODE(st.st_mode) & 0o077 or not (holds_library or _is_empty(path)):
        return
    try:
        os.chmod(path, stat.S_IMODE(st.st_mode) & FOLDER_MODE)
    except OSError:
        pass  # a read-only disk: nothing is written there either


def _is_empty(folder: Path) -> bool:
    """Whether ``folder`` holds nothing; False when it cannot be listed."""
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is None
    except OSError:
        return False


def open_folder(path: Path, what: str = "library folder") -> int:
    """A descriptor of the folder ``path``, checked with ``check_folder`` (-1 where the platform
    cannot open folders: then files are opened by path)."""
    if not _dir_fds():
        return -1
    fd = os.open(path, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        check_folder(os.fstat(fd), path, what)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_file(folder_fd: int, path: Path, flags: int) -> int:
    """Open the file ``path`` (in the folder open as ``folder_fd``, or -1) without following a link,
    creating it 0600 when ``flags`` has ``O_CREAT``; only a plain file of this user with no other name
    is kept open.  A file of this user open to others is made 0600."""
    flags |= _NOFOLLOW | _CLOEXEC | _NONBLOCK
    try:
        if folder_fd >= 0:
            fd = os.open(path.name, flags, FILE_MODE, dir_fd=folder_fd)
        else:
            fd = os.open(path, flags, FILE_MODE)
    except OSError as exc:
        if exc.errno == errno.ELOOP or (exc.errno == errno.EMLINK and _NOFOLLOW):  # EMLINK: BSDs
            raise LibraryUnsafe(f"{path} is a link, not a file: refused (it could lead to any file of yours). "
                                f"Remove it and try again") from exc
        raise
    try:
        _check_file(fd, path)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _check_file(fd: int, path: Path) -> None:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise LibraryUnsafe(f"{path} is not a plain file: refused. Remove it and try again")
    uid = _uid()
    if uid is None:
        return
    if st.st_uid != uid:
        raise LibraryUnsafe(f"{path} belongs to another user (uid {st.st_uid}): refused. Remove it and try again")
    if st.st_nlink > 1:
        raise LibraryUnsafe(f"{path} has another name (a hard link): refused, since writing it would change "
                            f"another file. Remove it and try again")
    if stat.S_IMODE(st.st_mode) & 0o077:
        os.fchmod(fd, stat.S_IMODE(st.st_mode) & FILE_MODE)


def open_in_folder(path: Path, flags: int, what: str = "library folder") -> int:
    """``open_file`` in the checked folder ``path.parent`` (``open_folder``)."""
    folder_fd = open_folder(path.parent, what)
    try:
        return open_file(folder_fd, path, flags)
    finally:
        if folder_fd >= 0:
            os.close(folder_fd)


def create_new(path: Path) -> int:
    """Create the file ``path`` anew, 0600, for writing (a temporary file: one left there by an
    interrupted write, or anything planted in its place, is removed first; a link is never followed)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC | getattr(os, "O_BINARY", 0)
    try:
        return os.open(path, flags, FILE_MODE)
    except FileExistsError:
        os.unlink(path)  # a leftover (or a link: unlink removes the link, not what it points to)
        return os.open(path, flags, FILE_MODE)


def write_new(path: Path, data: bytes) -> None:
    """Write ``data`` to a new 0600 file ``path`` (``create_new``) and flush it to disk."""
    fd = create_new(path)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def private_subfolder(path: Path) -> None:
    """Make sure ``path`` is a real folder of this user (created 0700 when missing, made 0700 when open
    to others); raise ``OSError`` (``ELOOP``) for a link or anything else in its place."""
    try:
        os.mkdir(path, FOLDER_MODE)
        return
    except FileExistsError:
        pass
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        kind = "a link" if stat.S_ISLNK(st.st_mode) else "not a folder"
        raise OSError(errno.ELOOP, f"it is {kind}, so it is not used", str(path))
    uid = _uid()
    if uid is None:
        return
    if st.st_uid != uid:
        raise OSError(errno.EPERM, f"it belongs to another user (uid {st.st_uid}), so it is not used", str(path))
    if stat.S_IMODE(st.st_mode) & 0o077:
        os.chmod(path, stat.S_IMODE(st.st_mode) & FOLDER_MODE)
