"""Reconcile what is on disk with the catalog: ``reconcile`` and its ``ScanResult``.

Change detection: (size, mtime_ns) is the fast path; a quick content hash
(size + first 1 MiB + last 64 KiB) recognises moved, renamed and copied files so
their vectors are reused without decoding.  A photo not found is deleted unless
the caller's ``keep`` (a ``FolderGuard`` judging it, in a library scan) keeps it.

The walk and its exclusions are in ``folder_walk.py``; which missing photos are
positively gone, and the mount table, in ``folder_guard.py``.  Their public names
are importable from here too.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from indexer.catalog import Catalog, PhotoRow, encode_path
from indexer.folder_guard import (
    SMALL_LOSS_MIN,
    SMALL_LOSS_SHARE,
    UNKNOWN,
    FolderGuard,
    Identity,
    MountTable,
    decode_devices,
    encode_devices,
)
from indexer.folder_walk import (
    HEAD_BYTES,
    IMAGE_EXTENSIONS,
    TAIL_BYTES,
    Excluder,
    FileEntry,
    is_image_name,
    quick_hash,
    stat_entry,
    walk,
)

__all__ = [
    "HEAD_BYTES",
    "IMAGE_EXTENSIONS",
    "SMALL_LOSS_MIN",
    "SMALL_LOSS_SHARE",
    "TAIL_BYTES",
    "UNKNOWN",
    "Excluder",
    "FileEntry",
    "FolderGuard",
    "Identity",
    "MountTable",
    "ScanResult",
    "decode_devices",
    "encode_devices",
    "is_image_name",
    "quick_hash",
    "reconcile",
    "stat_entry",
    "walk",
]


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
    kept: int = 0  # photos not found but kept: they could not be confirmed gone (unmounted? unreadable?)
    removed_ids: list[int] = field(default_factory=list)  # photos whose vectors must leave the index
    reused_ids: list[int] = field(default_factory=list)  # photos given stored vectors without decoding
    offline_folders: list[Path] = field(default_factory=list)

    def merge(self, other: ScanResult) -> None:
        for name in ("seen", "new", "changed", "moved", "copied", "deleted", "unchanged", "kept"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.removed_ids += other.removed_ids
        self.reused_ids += other.reused_ids
        self.offline_folders += other.offline_folders


def reconcile(
    catalog: Catalog, seen: dict[bytes, FileEntry], known: dict[bytes, PhotoRow],
    keep: Callable[[list[PhotoRow]], Collection[int]] | None = None,
    found: Callable[[Mapping[int, FileEntry]], None] | None = None,
) -> ScanResult:
    """Bring the catalog rows ``known`` in line with the files ``seen`` (same scope), in one transaction.

    A known photo not seen (and not moved) is deleted unless ``keep`` (given those rows)
    returns its id: without ``keep``, every one is deleted.  ``found`` (if given) is then
    handed every file seen by its photo's id, in the same transaction (to record what the
    walk found beside the photos: their companions).
    """
    result = ScanResult(seen=len(seen))
    new: list[FileEntry] = []
    by_id: dict[int, FileEntry] = {}
    with catalog.transaction():
        for key, entry in seen.items():
            row = known.get(key)
            if row is None:
                new.append(entry)
                continue
            by_id[row.id] = entry
            if row.size == entry.size and row.mtime_ns == entry.mtime_ns and row.folder_id == entry.folder_id:
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
                by_id[row.id] = entry
                result.moved += 1
                continue
            photo_id = catalog.insert_photo(entry.path, entry.folder_id, entry.size, entry.mtime_ns, digest)
            by_id[photo_id] = entry
            twin = _indexed_twin(catalog, digest, photo_id) if digest else None
            if twin is not None and catalog.copy_vectors(twin, photo_id):
                result.copied += 1
                result.reused_ids.append(photo_id)
            else:
                result.new += 1
        if gone:
            kept = set(keep(list(gone.values()))) if keep is not None else set()
            ids = [row.id for row in gone.values() if row.id not in kept]
            if ids:
                catalog.delete_photos(ids)
            result.deleted += len(ids)
            result.kept += len(gone) - len(ids)
            result.removed_ids += ids
        if found is not None:
            found(by_id)
    return result


def _indexed_twin(catalog: Catalog, digest: str, exclude_id: int) -> int | None:
    for row in catalog.photos_by_hash(digest):
        if row.id != exclude_id and row.status == "ok":
            return row.id
    return None
