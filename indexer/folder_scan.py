"""``FolderScan``: one scan of a library's folders, reconciling the catalog with the disk.

A scan covers every folder (``whole_library``) or only some changed paths
(``changed_paths``, e.g. from the file watcher).  Each folder is walked with a
``FolderGuard``, so a photo not found is dropped only when it is positively gone;
a folder that is missing, became empty, or is on another disk than its photos were
found on goes offline and keeps every photo.  The devices each folder's photos were
found on are recorded for the next scan.

Each still's companions (a RAW beside it, a Live Photo's movie: ``media/pairing.py``),
found by the walk, are recorded with it (``MediaTables.record_companions``); a changed
file has the files paired with it looked at again, so a companion that arrives, leaves
or is renamed updates its still, and a still that leaves frees its companions.

A scan changes only the catalog (no decoding): the ``Library`` then brings its vector
stores and thumbnails in line with the ``ScanResult``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from pathlib import Path

from indexer.cancel import CancelToken
from indexer.catalog import Catalog, FolderRow, PhotoRow, encode_path
from indexer.folder_guard import FolderGuard, MountTable, encode_devices
from indexer.folder_walk import Excluder, FileEntry, stat_entry, walk
from indexer.media.pairing import FolderListings, paired_with
from indexer.media.tables import MediaTables
from indexer.scanner import ScanResult, reconcile

logger = logging.getLogger(__name__)


class FolderScan:
    """One scan of the folders of ``catalog``, skipping what ``excluder`` skips (mounts read once)."""

    def __init__(self, catalog: Catalog, excluder: Excluder):
        self.catalog = catalog
        self.excluder = excluder
        self.mounts = MountTable()

    def whole_library(self, cancel: CancelToken) -> ScanResult:
        """Reconcile every folder with the disk."""
        total = ScanResult()
        for folder in self.catalog.folders():
            cancel.raise_if_cancelled()
            total.merge(self.whole_folder(folder))
        return total

    def whole_folder(self, folder: FolderRow) -> ScanResult:
        """Reconcile one whole folder with the disk.

        The folder goes offline, keeping every photo, when it is missing, when it became empty,
        or when it is on another disk than its photos were found on with none of them there (an
        unmounted share is an empty directory, or one on the disk below).  A photo not found is
        dropped only when it is positively gone (``FolderGuard``).
        """
        excluder = self.excluder
        if not folder.path.is_dir():
            return self._offline(folder, "missing or unplugged")
        known = self.catalog.photos_in_folder(folder.id)
        size = len(known)
        guard = FolderGuard(
            folder.path, self.catalog.folder_devices(folder.id), excluder, self.mounts, folder_size=lambda: size
        )
        seen = {encode_path(e.path): e for e in walk(folder, excluder, guard)}
        if known and not seen and not all(excluder.excluded_below(folder.path, r.path) for r in known.values()):
            return self._offline(folder, "it became empty (an unmounted share?)")
        if not guard.settle(seen, known):
            return self._offline(folder, "it is on another disk than its photos were found on (unmounted?)")
        if not folder.online:
            logger.info("folder %s is back online", folder.path)
            self.catalog.set_folder_online(folder.id, True)
        result = reconcile(self.catalog, seen, known, guard.judge, self._record_companions)
        result.kept += guard.withheld
        self._record_devices(folder, guard, whole=True)
        return result

    def changed_paths(self, changed: list[Path]) -> ScanResult:
        """Reconcile only ``changed`` paths (files or directories).

        A path that is a folder's root (deleted, re-created, remounted), or any path of an
        offline folder, has the whole folder reconciled, which can take it offline or bring it
        back.  Paths in the library's own folder, the models folder or excluded folders are
        ignored.
        """
        excluder = self.excluder
        folders = self.catalog.folders()
        total = ScanResult()
        whole: dict[int, FolderRow] = {}
        parts: dict[int, list[Path]] = {}
        for path in changed:
            folder = next((f for f in folders if f.path == path or f.path in path.parents), None)
            if folder is None:
                continue
            if path == folder.path or not folder.online:
                whole[folder.id] = folder
            elif not excluder.excluded_below(folder.path, path):
                parts.setdefault(folder.id, []).append(path)
        seen: dict[bytes, FileEntry] = {}
        known = {}
        guards: dict[int, FolderGuard] = {}
        listings = FolderListings()  # each folder listed once, however many of its files changed
        for folder in folders:
            if folder.id in whole or folder.id not in parts:
                continue
            guard = FolderGuard(
                folder.path, self.catalog.folder_devices(folder.id), excluder, self.mounts,
                folder_size=functools.partial(self._folder_size, folder.id),
            )
            f_seen: dict[bytes, FileEntry] = {}
            f_known = {}
            files: list[Path] = []
            for path in parts[folder.id]:
                f_known.update(self.catalog.photos_under(path))
                if path.is_dir():
                    row = self.catalog.photo_by_path(path)
                    if row is not None:
                        f_known[encode_path(path)] = row
                    sub = FolderRow(folder.id, path, True)
                    f_seen.update({encode_path(e.path): e for e in walk(sub, excluder, guard, root=folder.path)})
                else:  # the file, and those whose standing changes with it (its still, its companions)
                    files += [path, *(p for p in paired_with(path, excluder.pairing, listings)
                                      if not excluder.excluded_below(folder.path, p))]
            for path in dict.fromkeys(files):
                row = self.catalog.photo_by_path(path)
                if row is not None:
                    f_known[encode_path(path)] = row
                entry = stat_entry(path, folder.id, excluder.pairing, listings)
                if entry is not None:
                    f_seen[encode_path(path)] = entry
            if not guard.settle(f_seen, f_known, whole=False):  # the folder's root is on another disk: check it all
                whole[folder.id] = folder
                continue
            guards[folder.id] = guard
            seen.update(f_seen)
            known.update(f_known)
        for folder in whole.values():
            total.merge(self.whole_folder(folder))

        def keep(rows: list[PhotoRow]) -> set[int]:
            by_folder: dict[int, list[PhotoRow]] = {}
            for row in rows:
                by_folder.setdefault(row.folder_id, []).append(row)
            kept: set[int] = set()
            for fid, some in by_folder.items():
                if fid in guards:
                    kept |= guards[fid].judge(some)
            return kept

        if seen or known:
            total.merge(reconcile(self.catalog, seen, known, keep, self._record_companions))
        total.kept += sum(g.withheld for g in guards.values())
        for folder in folders:
            if folder.id in guards:
                self._record_devices(folder, guards[folder.id], whole=False)
        return total

    def _record_companions(self, found: Mapping[int, FileEntry]) -> None:
        """Record the companions the walk found beside each photo seen (none: forget those stored)."""
        MediaTables(self.catalog).record_companions({pid: e.companions for pid, e in found.items()})

    def _folder_size(self, folder_id: int) -> int:
        return self.catalog.folder_counts(None).get(folder_id, {}).get("photos", 0)

    def _offline(self, folder: FolderRow, why: str) -> ScanResult:
        if folder.online:
            logger.warning("folder %s is offline (%s); keeping its photos", folder.path, why)
            self.catalog.set_folder_online(folder.id, False)
        return ScanResult(offline_folders=[folder.path])

    def _record_devices(self, folder: FolderRow, guard: FolderGuard, *, whole: bool) -> None:
        """Remember where the folder's photos are (a partial scan only adds to a whole scan's record)."""
        if guard.recorded is None and not whole:
            return
        records = guard.to_record(whole=whole)
        if records != guard.recorded:
            self.catalog.set_folder_devices(folder.id, encode_devices(records))
