"""Cleaning up duplicates safely: to the system trash, logged in the catalog, undoable.

``trash_duplicates(catalog, plan)`` (run by the writer, ``Library.trash_photos``)
takes, per group, the photo kept and the photos to move to the trash.  For
each group the kept file must still be where the catalog says (a keeper on an
offline folder, or gone, protects its whole group).  Each photo to trash must
be in an online folder and unchanged since it was indexed (same size and
modification time); it then goes to the trash (``send2trash``, never deleted
for good).  A photo whose file is already gone (moved to the trash outside
Photoseek) is simply forgotten.  Everything moved is logged as one clean-up,
and the photos leave the catalog in the same transaction, so they are gone
from results at once.

``undo_cleanup(catalog, action_id=None)`` puts the files of a clean-up (the
latest by default) back where they were, when the platform's trash says where
they went (freedesktop: Linux and the BSDs), without ever overwriting a file;
the writer then rescans those paths, so they come back into the library.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from indexer.catalog import Catalog
from indexer.catalog_reading import CatalogReading
from indexer.duplicates.tables import CleanupAction, DuplicateTables
from indexer.duplicates.trash import move_to_trash, restore
from indexer.errors import TrashError, UsageError

logger = logging.getLogger(__name__)


@dataclass
class CleanupReport:
    """What a clean-up did."""

    action_id: int | None = None  # None: nothing was moved, nothing logged
    trashed: list[Path] = field(default_factory=list)
    bytes: int = 0
    already_gone: list[Path] = field(default_factory=list)  # missing before we came: forgotten
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # left alone, and why
    removed_ids: list[int] = field(default_factory=list)  # photos that left the catalog


@dataclass
class UndoReport:
    action_id: int | None = None
    restored: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def trash_duplicates(catalog: Catalog, plan: Sequence[tuple[Path, Sequence[int]]]) -> CleanupReport:
    """Move the photos of ``plan`` ((photo kept, [photo ids to trash]) per group) to the trash."""
    report = CleanupReport()
    folders = {f.id: f for f in catalog.folders()}
    logged: list[tuple[Path, Path | None, int, Path | None]] = []
    for kept, ids in plan:
        rows = catalog.photos_by_id(list(ids))
        keeper = catalog.photo_by_path(kept)
        problem = None
        if keeper is None:
            problem = f"the photo to keep, {kept}, is not in the library"
        elif not folders[keeper.folder_id].online:
            problem = f"the photo to keep, {kept}, is on an offline folder"
        elif not kept.is_file():
            problem = f"the photo to keep, {kept}, is missing"
        if problem is not None:
            report.skipped += [(r.path, problem) for r in rows.values()]
            continue
        assert keeper is not None
        for pid in ids:
            row = rows.get(pid)
            if row is None or row.id == keeper.id:
                continue
            if not folders[row.folder_id].online:
                report.skipped.append((row.path, "its folder is offline"))
                continue
            try:
                st = os.stat(row.path)
            except FileNotFoundError:
                if row.path.parent.is_dir():  # the folder is there, the file is not: positively gone
                    report.already_gone.append(row.path)
                    report.removed_ids.append(row.id)
                else:
                    report.skipped.append((row.path, "its folder cannot be reached"))
                continue
            except OSError as exc:
                report.skipped.append((row.path, f"cannot be read: {exc.strerror}"))
                continue
            if (st.st_size, st.st_mtime_ns) != (row.size, row.mtime_ns):
                report.skipped.append((row.path, "it changed since it was indexed"))
                continue
            try:
                where = move_to_trash(row.path)
            except TrashError as exc:
                report.skipped.append((row.path, str(exc)))
                continue
            logger.info("moved %s to the trash (%s)", row.path, where or "the system trash")
            logged.append((row.path, where, row.size, kept))
            report.trashed.append(row.path)
            report.bytes += row.size
            report.removed_ids.append(row.id)
    with catalog.transaction():
        if logged:
            report.action_id = DuplicateTables(catalog).log_cleanup(logged)
        catalog.delete_photos(report.removed_ids)
    return report


def undo_cleanup(catalog: Catalog, action_id: int | None = None) -> UndoReport:
    """Put back the files of clean-up ``action_id`` (default: the latest not undone)."""
    tables = DuplicateTables(catalog)
    action = _find(tables, action_id)
    report = UndoReport(action.id)
    restored: list[Path] = []
    for item in action.items:
        if item.restored:
            continue
        if item.trashed_to is None:
            report.skipped.append((item.path, "restore it from the system trash (this system does not say where "
                                              "it went)"))
            continue
        try:
            restore(item.trashed_to, item.path)
        except TrashError as exc:
            report.skipped.append((item.path, str(exc)))
            continue
        restored.append(item.path)
    with catalog.transaction():
        tables.mark_restored(action.id, restored)
        tables.mark_undone(action.id)
    report.restored = restored
    return report


def _find(tables: DuplicateTables[CatalogReading], action_id: int | None) -> CleanupAction:
    if action_id is not None:
        action = tables.cleanup(action_id)
        if action is None:
            raise UsageError(f"there is no clean-up number {action_id}")
        return action
    for action in tables.cleanups():
        if not action.undone:
            return action
    raise UsageError("there is no clean-up to undo")
