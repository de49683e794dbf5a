"""Walk a photo folder: which image files it holds, which directories to skip, and how to
recognise a file's content cheaply.

``walk`` lists every image file under a folder once (symlinks followed once, no loops, hard
links and symlinked copies yielded once) and tells a ``FolderGuard`` (``folder_guard.py``),
if given, of every directory it lists.  ``Excluder`` decides which directories are skipped:
hidden ones, the user's exclusions, the library's own folder and the models folder however
they are reached, and links into another folder of the library.  ``quick_hash`` (size +
first 1 MiB + last 64 KiB) lets a reconciliation (``scanner.py``) recognise moved, renamed
and copied files without decoding them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from indexer.catalog import FolderRow, encode_path
from indexer.media.kinds import MEDIA_EXTENSIONS
from indexer.media.pairing import FolderListings, Pairing, companion_files, companions_by_still, is_companion

logger = logging.getLogger(__name__)

IMAGE_EXTENSIONS = MEDIA_EXTENSIONS  # photos, RAW files and videos (media/kinds.py)
HEAD_BYTES = 1 << 20
TAIL_BYTES = 64 << 10


@dataclass(frozen=True)
class FileEntry:
    path: Path
    folder_id: int
    size: int
    mtime_ns: int
    companions: tuple[tuple[Path, str], ...] = ()  # a still's companions beside it: (path, "raw" | "motion")


def is_image_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def quick_hash(path: Path, size: int) -> str | None:
    """Hash of size + first 1 MiB + last 64 KiB; None if the file cannot be read."""
    h = hashlib.blake2b(digest_size=16)
    h.update(size.to_bytes(8, "little"))
    try:
        with open(path, "rb") as f:
            h.update(f.read(HEAD_BYTES))
            if size > HEAD_BYTES:
                f.seek(max(HEAD_BYTES, size - TAIL_BYTES))
                h.update(f.read(TAIL_BYTES))
    except OSError as exc:
        logger.debug("cannot hash %s: %s", path, exc)
        return None
    return h.hexdigest()


_SEP = os.sep.encode()


def real_path(path: Path | str) -> bytes:
    """The real path of ``path`` (links resolved), as bytes."""
    return encode_path(os.path.realpath(path))


def inside_prefix(path: Path | str | bytes) -> bytes:
    """The byte prefix of every path strictly inside the directory ``path``."""
    blob = path if isinstance(path, bytes) else encode_path(path)
    return blob.rstrip(_SEP) + _SEP


def _dir_key(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None


class Excluder:
    """Decides which directories the walk skips.

    Hidden ones and the user's exclusions (absolute paths or folder names); always the
    ``always`` folders (the library's own folder and the models folder), however they are
    reached: by path, through a symlink or a bind mount; and, inside one of the library's
    folders (``roots``), a symlink or bind mount that leads into another of them, whose
    photos that folder already holds.
    """

    def __init__(self, excluded: Iterable[str] = (), *, always: Iterable[Path] = (), roots: Iterable[Path] = (),
                 pairing: Pairing | None = None):
        self.pairing = pairing or Pairing()  # files that go with a still are not photos of their own
        excluded = list(excluded)
        self.paths = {encode_path(Path(e).expanduser()) for e in excluded if os.path.isabs(os.path.expanduser(e))}
        self.names = {e for e in excluded if not os.path.isabs(os.path.expanduser(e))}
        roots = [Path(r) for r in roots]
        self._always_keys: set[tuple[int, int]] = set()
        self._root_keys: set[tuple[int, int]] = set()
        self._own: set[bytes] = set()  # the always folders, by every path they are known under
        self._always_real: list[bytes] = []  # their real paths, each ending with a separator
        self._roots_real: list[tuple[bytes, Path]] = []  # (real path + separator, root) of the folders
        for folder in always:
            folder = Path(folder).expanduser().absolute()
            key = _dir_key(folder)
            if key is None:
                continue
            self._always_keys.add(key)
            real = real_path(folder)
            self._own |= {encode_path(folder), real}
            self._always_real.append(inside_prefix(real))
        for root in roots:
            key = _dir_key(root)
            if key is None:
                continue
            self._root_keys.add(key)
            real = inside_prefix(real_path(root))
            self._roots_real.append((real, root))
            for own in self._always_real:  # an always folder inside a root that is reached through a symlink
                if own.startswith(real):
                    self._own.add(inside_prefix(root) + own[len(real):].rstrip(_SEP))
        # An always folder that holds a folder of the library is no reason to skip that folder.
        inside = [inside_prefix(r) for r in roots] + [real for real, _ in self._roots_real]
        self._own = {o for o in self._own if not any(r.startswith(inside_prefix(o)) for r in inside)}
        self._always_real = [o for o in self._always_real if not any(r.startswith(o) for r in inside)]

    def skip_dir(self, path: Path) -> bool:
        name = path.name
        if name.startswith(".") or name in self.names:
            return True
        blob = encode_path(path)
        return blob in self.paths or blob in self._own

    def skip_key(self, key: tuple[int, int], *, start: bool) -> bool:
        """Skip the directory with this (device, inode): an always folder, or (below the walk's
        start) another folder's root reached through a symlink or bind mount."""
        return key in self._always_keys or (not start and key in self._root_keys)

    def foreign(self, path: Path, root: Path) -> bool:
        """``path`` (a symlink found in ``root``) leads into an always folder or another folder."""
        real = inside_prefix(real_path(path))
        if any(real.startswith(own) for own in self._always_real):
            return True
        return any(real.startswith(other) and other_root != root for other, other_root in self._roots_real)

    def is_own(self, path: Path) -> bool:
        """``path`` is an always folder or inside one, by the path it was named with (cheap: no I/O)."""
        if not self._own:
            return False
        blob = encode_path(path)
        return any(blob == own or blob.startswith(inside_prefix(own)) for own in self._own)

    def excluded_below(self, root: Path, path: Path) -> bool:
        """``path`` (inside ``root``) is, or is inside, a directory the walk skips, or is hidden."""
        if path.name.startswith(".") or self.is_own(path):
            return True
        if path != root and path.is_dir() and self.skip_dir(path):
            return True
        return any(self.skip_dir(p) for p in path.parents if root in p.parents)


class DirectoryListener(Protocol):
    """What hears of every directory ``walk`` lists (a ``FolderGuard``): its path, its device, the
    device of the directory it was found in (None for the walk's start), and whether it was
    reached through a symlink."""

    def visit_dir(self, path: Path, dev: int, parent_dev: int | None, linked: bool) -> None: ...


def walk(
    folder: FolderRow, excluder: Excluder, guard: DirectoryListener | None = None, *, root: Path | None = None
) -> Iterator[FileEntry]:
    """Every image file under ``folder``; follows symlinks once, never loops, never yields a file twice.

    ``guard`` (if given) hears of every directory listed, with its device.  ``root``: the
    library folder that ``folder`` is part of (default: ``folder`` itself).
    """
    root = folder.path if root is None else root
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()
    linked: list[tuple[FileEntry, os.stat_result]] = []  # symlinked files: last, unless the real file is here too
    # (directory, device of the directory it was found in; None for the start)
    stack: list[tuple[Path, int | None]] = [(folder.path, None)]
    linked_dirs: list[tuple[Path, int | None]] = []  # symlinked directories: walked after the real tree
    while stack or linked_dirs:
        is_link = not stack
        directory, parent_dev = stack.pop() if stack else linked_dirs.pop(0)
        try:
            st = os.stat(directory)
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            logger.info("skipping %s: already visited (symlink loop?)", directory)
            continue
        seen_dirs.add(key)
        if excluder.skip_key(key, start=parent_dev is None) or (is_link and excluder.foreign(directory, root)):
            logger.debug("skipping %s: the library's own folder, or another folder of the library", directory)
            continue
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: (e.is_symlink(), e.name))
        except OSError as exc:
            logger.warning("cannot list %s: %s", directory, exc)
            continue
        if guard is not None:
            guard.visit_dir(directory, st.st_dev, parent_dev, is_link)
        paired = companions_by_still((e.name for e in entries), excluder.pairing)
        companions = {name for found in paired.values() for name, _role in found}
        for entry in entries:
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                continue
            if is_dir:
                if not excluder.skip_dir(path):
                    (linked_dirs if entry.is_symlink() else stack).append((path, st.st_dev))
                continue
            if entry.name.startswith(".") or not is_image_name(entry.name) or entry.name in companions:
                continue
            try:
                fst = entry.stat(follow_symlinks=True)
            except OSError:
                continue  # dangling symlink or vanished file
            if not stat.S_ISREG(fst.st_mode):
                continue
            found = tuple((directory / name, role) for name, role in paired.get(entry.name, ()))
            file = FileEntry(path, folder.id, fst.st_size, fst.st_mtime_ns, found)
            if entry.is_symlink():
                linked.append((file, fst))
                continue
            fkey = (fst.st_dev, fst.st_ino)
            if fkey in seen_files:
                continue  # a hard link to a file already found
            seen_files.add(fkey)
            yield file
    for file, fst in linked:
        fkey = (fst.st_dev, fst.st_ino)
        if fkey not in seen_files and not excluder.foreign(file.path, root):
            seen_files.add(fkey)
            yield file


def stat_entry(
    path: Path, folder_id: int, pairing: Pairing | None = None, listings: FolderListings | None = None
) -> FileEntry | None:
    """The entry of the file ``path``, with its companions, if it is a photo of its own (``pairing``: the
    companions rules; ``listings``: the scan's folder listings)."""
    pairing = pairing or Pairing()
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or not is_image_name(path.name) or is_companion(path, pairing, listings):
        return None
    return FileEntry(path, folder_id, st.st_size, st.st_mtime_ns, companion_files(path, pairing, listings))
