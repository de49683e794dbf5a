"""Walk photo folders and reconcile what is on disk with the catalog.

Change detection: (size, mtime_ns) is the fast path; a quick content hash
(size + first 1 MiB + last 64 KiB) recognises moved, renamed and copied files so
their vectors are reused without decoding.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import Catalog, FolderRow, PhotoRow, encode_path

logger = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".heic", ".heif"}
)
HEAD_BYTES = 1 << 20
TAIL_BYTES = 64 << 10


@dataclass(frozen=True)
class FileEntry:
    path: Path
    folder_id: int
    size: int
    mtime_ns: int


@dataclass
class ScanResult:
    """What a reconciliation changed; ``removed`` and ``reused`` matter to the vector index."""

    seen: int = 0
    new: int = 0
    changed: int = 0
    moved: int = 0
    copied: int = 0
    deleted: int = 0
    unchanged: int = 0
    removed_ids: list[int] = field(default_factory=list)  # photos whose vectors must leave the index
    reused_ids: list[int] = field(default_factory=list)  # photos given stored vectors without decoding
    offline_folders: list[Path] = field(default_factory=list)

    def merge(self, other: ScanResult) -> None:
        for name in ("seen", "new", "changed", "moved", "copied", "deleted", "unchanged"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.removed_ids += other.removed_ids
        self.reused_ids += other.reused_ids
        self.offline_folders += other.offline_folders


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


class Excluder:
    """Decides which directories the walk skips: hidden ones and the user's exclusions."""

    def __init__(self, excluded: Iterable[str] = ()):
        self.paths = {encode_path(Path(e).expanduser()) for e in excluded if os.path.isabs(os.path.expanduser(e))}
        self.names = {e for e in excluded if not os.path.isabs(os.path.expanduser(e))}

    def skip_dir(self, path: Path) -> bool:
        name = path.name
        return name.startswith(".") or name in self.names or encode_path(path) in self.paths


def walk(folder: FolderRow, excluder: Excluder) -> Iterator[FileEntry]:
    """Every image file under ``folder``; follows symlinks once, never loops, never yields a file twice."""
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()
    linked: list[tuple[Path, os.stat_result]] = []  # symlinked files: yielded last, unless the real file is here too
    linked_dirs: list[Path] = []  # symlinked directories: walked after the real tree, so real paths win
    stack = [folder.path]
    while stack or linked_dirs:
        directory = stack.pop() if stack else linked_dirs.pop(0)
        try:
            st = os.stat(directory)
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            logger.info("skipping %s: already visited (symlink loop?)", directory)
            continue
        seen_dirs.add(key)
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: (e.is_symlink(), e.name))
        except OSError as exc:
            logger.warning("cannot list %s: %s", directory, exc)
            continue
        for entry in entries:
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                continue
            if is_dir:
                if not excluder.skip_dir(path):
                    (linked_dirs if entry.is_symlink() else stack).append(path)
                continue
            if entry.name.startswith(".") or not is_image_name(entry.name):
                continue
            try:
                fst = entry.stat(follow_symlinks=True)
            except OSError:
                continue  # dangling symlink or vanished file
            if not stat.S_ISREG(fst.st_mode):
                continue
            if entry.is_symlink():
                linked.append((path, fst))
                continue
            fkey = (fst.st_dev, fst.st_ino)
            if fkey in seen_files:
                continue  # a hard link to a file already found
            seen_files.add(fkey)
            yield FileEntry(path, folder.id, fst.st_size, fst.st_mtime_ns)
    for path, fst in linked:
        fkey = (fst.st_dev, fst.st_ino)
        if fkey not in seen_files:
            seen_files.add(fkey)
            yield FileEntry(path, folder.id, fst.st_size, fst.st_mtime_ns)


def stat_entry(path: Path, folder_id: int) -> FileEntry | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or not is_image_name(path.name):
        return None
    return FileEntry(path, folder_id, st.st_size, st.st_mtime_ns)


def reconcile(catalog: Catalog, seen: dict[bytes, FileEntry], known: dict[bytes, PhotoRow]) -> ScanResult:
    """Bring the catalog rows ``known`` in line with the files ``seen`` (same scope), in one transaction."""
    result = ScanResult(seen=len(seen))
    new: list[FileEntry] = []
    with catalog.transaction():
        for key, entry in seen.items():
            row = known.get(key)
            if row is None:
                new.append(entry)
            elif row.size == entry.size and row.mtime_ns == entry.mtime_ns and row.folder_id == entry.folder_id:
                result.unchanged += 1
            else:
                catalog.mark_changed(row.id, entry.size, entry.mtime_ns, quick_hash(entry.path, entry.size))
                result.changed += 1
                result.removed_ids.append(row.id)
        gone = {key: row for key, row in known.items() if key not in seen}
        gone_by_hash: dict[str, list[PhotoRow]] = {}
        for row in gone.values():
            if row.quick_hash:
                gone_by_hash.setdefault(row.quick_hash, []).append(row)
        for entry in new:
            digest = quick_hash(entry.path, entry.size)
            candidates = gone_by_hash.get(digest or "", [])
            if candidates:
                row = candidates.pop()
                del gone[encode_path(row.path)]
                catalog.move_photo(row.id, entry.path, entry.folder_id, entry.size, entry.mtime_ns)
                result.moved += 1
                continue
            photo_id = catalog.insert_photo(entry.path, entry.folder_id, entry.size, entry.mtime_ns, digest)
            twin = _indexed_twin(catalog, digest, photo_id) if digest else None
            if twin is not None and catalog.copy_vectors(twin, photo_id):
                result.copied += 1
                result.reused_ids.append(photo_id)
            else:
                result.new += 1
        if gone:
            ids = [row.id for row in gone.values()]
            catalog.delete_photos(ids)
            result.deleted += len(ids)
            result.removed_ids += ids
    return result


def _indexed_twin(catalog: Catalog, digest: str, exclude_id: int) -> int | None:
    for row in catalog.photos_by_hash(digest):
        if row.id != exclude_id and row.status == "ok":
            return row.id
    return None
