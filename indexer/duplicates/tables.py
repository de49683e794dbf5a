"""The part of the catalog for duplicate finding: fingerprints, and the log of clean-ups with their undo.

``DuplicateTables(catalog)`` holds every SQL statement about the tables
``photo_fingerprints``, ``cleanup_actions`` and ``cleanup_items`` (schema in
``catalog_schema._migration_duplicates``).  Writes happen only through the
writer's catalog (inside its transactions); a reader's read-only catalog may
use the reading methods, and a catalog from before these tables (a reader of
a library not yet migrated) reads as having no fingerprints and no clean-ups.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from indexer.catalog import Catalog, PhotoRow, decode_path, encode_path, prefix_bounds
from indexer.catalog_reading import C, CatalogPart
from indexer.duplicates.photo_hash import FINGERPRINT_VERSION, SAME_WHOLE_PICTURE, Fingerprint, signed64, unsigned64

TRASH = "trash"


@dataclass(frozen=True)
class CandidateRow:
    """What duplicate finding knows of one photo."""

    id: int
    path: Path
    online: bool
    size: int  # bytes
    mtime_ns: int
    quick_hash: str | None
    width: int | None
    height: int | None
    taken_at: str | None
    has_exif: bool  # a date taken or a camera was read from its EXIF
    shape: int | None  # the fingerprint (None: not fingerprinted yet, or it could not be)
    colour: bytes | None
    crops: bytes | None = None  # its crop windows (None: not taken, as by fingerprint version 1)


@dataclass(frozen=True)
class CleanupItem:
    path: Path
    trashed_to: Path | None  # where the platform's trash put it (None: the platform does not say)
    bytes: int
    kept: Path | None  # the photo kept in its place
    restored: bool


@dataclass(frozen=True)
class CleanupAction:
    id: int
    kind: str
    at: float  # seconds since the epoch
    undone: bool
    items: tuple[CleanupItem, ...]

    @property
    def bytes(self) -> int:
        return sum(i.bytes for i in self.items)


class DuplicateTables(CatalogPart[C]):
    """The duplicate tables of one catalog connection (see the module doc).  Reading works through any
    catalog; writing (``self: DuplicateTables[Catalog]``) only through the writer's."""

    def available(self) -> bool:
        """Whether the catalog has these tables (a reader may open a library not yet migrated)."""
        row = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='photo_fingerprints'"
        ).fetchone()
        return row is not None

    # -- fingerprints --------------------------------------------------------

    def record_fingerprints(
        self: DuplicateTables[Catalog], items: Iterable[tuple[PhotoRow, Fingerprint | None]]
    ) -> None:
        """Store fingerprints of photos as they are in ``PhotoRow`` (None: this photo cannot be fingerprinted).
        Call inside a transaction."""
        self.conn.executemany(
            "INSERT OR REPLACE INTO photo_fingerprints(photo_id, version, size, mtime_ns, shape, colour, crops) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (row.id, FINGERPRINT_VERSION, row.size, row.mtime_ns,
                 *((None, None, None) if fp is None else (signed64(fp.shape), fp.colour, fp.crops or None)))
                for row, fp in items
            ],
        )

    _CURRENT = "f.photo_id = p.id AND f.version = ? AND f.size = p.size AND f.mtime_ns = p.mtime_ns"
    # what duplicate finding compares: a fingerprint of the file as it is, whose whole picture is this version's
    _USABLE = ("f.photo_id = p.id AND f.version IN (" + ", ".join(map(str, SAME_WHOLE_PICTURE)) + ") "
               "AND f.size = p.size AND f.mtime_ns = p.mtime_ns")

    def _has_crops(self) -> bool:
        """Whether ``photo_fingerprints`` has its ``crops`` column (a reader may open a catalog before it)."""
        return any(r[1] == "crops" for r in self.conn.execute("PRAGMA table_info(photo_fingerprints)"))

    def _missing_sql(self) -> str:
        return (
            "FROM photos p WHERE p.status='ok' AND p.folder_id IN (SELECT id FROM folders WHERE online=1) "
            "AND p.id IN (SELECT photo_id FROM embeddings) "
            f"AND NOT EXISTS (SELECT 1 FROM photo_fingerprints f WHERE {self._CURRENT})"
        )

    def missing_fingerprints(self, limit: int, after_id: int = 0) -> list[PhotoRow]:
        """Indexed photos of online folders without a fingerprint of this version, by id, after ``after_id``."""
        rows = self.conn.execute(
            "SELECT p.id, p.path, p.folder_id, p.size, p.mtime_ns, p.quick_hash, p.status, p.error "
            + self._missing_sql() + " AND p.id > ? ORDER BY p.id LIMIT ?",
            (FINGERPRINT_VERSION, after_id, limit),
        ).fetchall()
        return [PhotoRow(r[0], decode_path(r[1]), r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows]

    def count_missing_fingerprints(self) -> int:
        if not self.available():
            return 0
        return int(self.conn.execute("SELECT COUNT(*) " + self._missing_sql(), (FINGERPRINT_VERSION,)).fetchone()[0])

    def candidates(self, folder: Path | None = None) -> list[CandidateRow]:
        """Every readable photo (under ``folder`` if given) with what duplicate finding compares (its
        fingerprint only if taken from the file as the catalog knows it: a changed file has none until
        it is indexed again)."""
        where, params = "WHERE p.status='ok'", list[object]()
        if folder is not None:
            lo, hi = prefix_bounds(folder)
            where += " AND p.path >= ? AND p.path < ?"
            params += [lo, hi]
        if self.available():
            print_cols = "f.shape, f.colour, " + ("f.crops" if self._has_crops() else "NULL")
            join = "LEFT JOIN photo_fingerprints f ON " + self._USABLE
        else:  # a library not yet migrated: nothing fingerprinted
            print_cols, join = "NULL, NULL, NULL", ""
        sql = (
            "SELECT p.id, p.path, d.online, p.size, p.mtime_ns, p.quick_hash, p.width, p.height, p.taken_at, "
            f"p.camera, {print_cols} FROM photos p JOIN folders d ON d.id = p.folder_id "
            f"{join} {where} ORDER BY p.id"
        )
        return [
            CandidateRow(
                r[0], decode_path(r[1]), bool(r[2]), r[3], r[4], r[5], r[6], r[7], r[8],
                r[8] is not None or r[9] is not None,
                None if r[10] is None else unsigned64(r[10]), None if r[11] is None else bytes(r[11]),
                None if r[12] is None else bytes(r[12]),
            )
            for r in self.conn.execute(sql, params)
        ]

    # -- clean-ups -----------------------------------------------------------

    def log_cleanup(self: DuplicateTables[Catalog], items: Sequence[tuple[Path, Path | None, int, Path | None]]) -> int:
        """Record one clean-up: (path, place in the trash, bytes, photo kept) per file.  Returns its id."""
        cur = self.conn.execute("INSERT INTO cleanup_actions(kind, at) VALUES (?, ?)", (TRASH, time.time()))
        action = cur.lastrowid
        assert action is not None
        self.conn.executemany(
            "INSERT INTO cleanup_items(action_id, path, trashed_to, bytes, kept) VALUES (?, ?, ?, ?, ?)",
            [
                (action, encode_path(path), None if to is None else encode_path(to), size,
                 None if kept is None else encode_path(kept))
                for path, to, size, kept in items
            ],
        )
        return action

    def cleanups(self, limit: int = 20, *, action_id: int | None = None) -> list[CleanupAction]:
        """The latest clean-ups, newest first (or only clean-up ``action_id``)."""
        if not self.available():
            return []
        where, params = ("WHERE id=?", (action_id, limit)) if action_id is not None else ("", (limit,))
        actions = self.conn.execute(
            f"SELECT id, kind, at, undone_at FROM cleanup_actions {where} ORDER BY id DESC LIMIT ?", params
        ).fetchall()
        out = []
        for aid, kind, at, undone in actions:
            items = tuple(
                CleanupItem(decode_path(r[0]), None if r[1] is None else decode_path(r[1]), r[2],
                            None if r[3] is None else decode_path(r[3]), r[4] is not None)
                for r in self.conn.execute(
                    "SELECT path, trashed_to, bytes, kept, restored_at FROM cleanup_items WHERE action_id=? "
                    "ORDER BY rowid", (aid,)
                )
            )
            out.append(CleanupAction(aid, kind, at, undone is not None, items))
        return out

    def cleanup(self, action_id: int) -> CleanupAction | None:
        found = self.cleanups(1, action_id=action_id)
        return found[0] if found else None

    def mark_restored(self: DuplicateTables[Catalog], action_id: int, paths: Iterable[Path]) -> None:
        """Files of a clean-up that are back where they were.  Call inside a transaction."""
        now = time.time()
        self.conn.executemany(
            "UPDATE cleanup_items SET restored_at=? WHERE action_id=? AND path=?",
            [(now, action_id, encode_path(p)) for p in paths],
        )

    def mark_undone(self: DuplicateTables[Catalog], action_id: int) -> None:
        self.conn.execute("UPDATE cleanup_actions SET undone_at=? WHERE id=?", (time.time(), action_id))
