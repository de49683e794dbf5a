"""The SQLite catalog's shared core: the connection, transactions, migrations, folders and photos.

The stored vectors are the source of truth; the HNSW files are derived caches
(``clip.vector_store``) that follow the catalog's change log: every change to
a model's vectors bumps its *checkpoint* (``bump_checkpoint``), and a removal
is logged as a tombstone.  What a photo's life (a file changed, copied as an
identical twin, forgotten) does to the rows derived from it -- its vectors
and their log, its video frames, the text read in it -- happens here, so that
no caller can forget a part.

One ``Catalog`` per thread: a connection is never shared across threads.  A
read-only one (``readonly=True``, SQLite ``mode=ro``) refuses every write; on a
read-only disk, where SQLite cannot create the files a WAL reader needs, it
opens the catalog as immutable instead (``immutable`` is then True).

A catalog is created only where no file exists, complete or not at all (built
under a temporary name, then linked into place).  Any file already there is
checked before anything is written to it: an empty file, a file that is not
SQLite, or another program's SQLite database is reported (``CatalogCorrupt``,
``LibraryError``) and left exactly as it was.

Each part of the library keeps its own SQL in its own tables class, a wrapper
over a catalog (``CatalogPart``): ``VectorTables(catalog)`` in ``clip``,
``PlaceTables(catalog)`` in ``places``, ``PhotoTextTables(catalog)`` in
``text``, ``MediaTables(catalog)`` in ``media``, ``DuplicateTables(catalog)``
in ``duplicates``, ``BrowseQueries(catalog)`` in ``catalog_browse``.  The
schema is in ``catalog_schema``, the row types in ``catalog_rows``, the
opening, recognising and creating of the file in ``catalog_file``, what a
reader may call in ``catalog_reading``.  ``transaction()`` nests (savepoints
inside).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from indexer.catalog_file import connect, connect_readonly, corrupt_message, identify
from indexer.catalog_file import create as create_file
from indexer.catalog_reading import chunks
from indexer.catalog_rows import FolderRow, PhotoMeta, PhotoRow, decode_path, encode_path, prefix_bounds
from indexer.catalog_schema import CORE_SCHEMA, SCHEMA_VERSION
from indexer.errors import CatalogCorrupt, LibraryError
from indexer.slice_schema import SliceSchema

if TYPE_CHECKING:
    import sqlite_utils

__all__ = [
    "Catalog", "FolderRow", "PhotoMeta", "PhotoRow", "SCHEMA_VERSION", "decode_path", "encode_path", "prefix_bounds",
]

logger = logging.getLogger(__name__)

OK = "ok"
FAILED = "failed"


class Catalog:
    """One connection to a library's catalog.  Not thread-safe by design."""

    def __init__(self, path: Path, *, readonly: bool = False, create: bool = True):
        """Open the catalog at ``path`` (for writing unless ``readonly``).

        ``create``: make a new, empty catalog when no file exists at ``path`` (never for a
        read-only one).  Raises ``CatalogCorrupt`` for an empty, truncated or non-SQLite file
        and ``LibraryError`` for a missing catalog or another program's database, in every
        case before anything is written to it.
        """
        self.path = path
        self.readonly = readonly
        self.immutable = False  # opened as immutable: a read-only catalog on a read-only disk
        if not os.path.lexists(path):
            if readonly or not create:
                raise LibraryError(f"the catalog {path} is missing (was the library folder moved or unmounted?)")
            create_file(path, _initialise)  # ``create`` here is the argument
        elif not os.access(path, os.R_OK):
            raise LibraryError(f"cannot read the catalog {path}: permission denied")
        conn: sqlite3.Connection | None = None
        try:
            if readonly:
                conn, self.immutable = connect_readonly(path)
            else:
                conn = connect(path, "mode=rw")  # never creates a file
            identify(conn, path)  # before anything is written to it
            if not readonly:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            if conn is not None:
                conn.close()
            raise CatalogCorrupt(corrupt_message(path, str(exc))) from exc
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        self._adopt(conn)

    def _adopt(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._db: sqlite_utils.Database | None = None
        self._depth = 0  # open transactions: 0 none, 1 BEGIN, >1 savepoints inside it
        self._counts_memo: dict[str | None, tuple[tuple[int, int], dict[str, int]]] = {}

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite_utils' view of the connection, for migrations: imported on first use, so that a reader,
        which never migrates, does not pay for importing it (60 ms of a cold search)."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn)
        return self._db

    # -- lifecycle ---------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    def check_integrity(self) -> None:
        """Fail with ``CatalogCorrupt`` unless SQLite's quick check passes."""
        try:
            rows = self.conn.execute("PRAGMA quick_check").fetchall()
        except sqlite3.DatabaseError as exc:
            raise CatalogCorrupt(corrupt_message(self.path, str(exc))) from exc
        problems = [r[0] for r in rows if r[0] != "ok"]
        if problems:
            raise CatalogCorrupt(corrupt_message(self.path, problems[0]))

    def known_schema_version(self) -> int:
        """The version of the core's tables; a ``LibraryError`` when a newer Photoseek wrote them."""
        return self.known_slice_version(CORE_SCHEMA)

    def migrate(self, slices: Sequence[SliceSchema] = ()) -> None:
        """Bring the core's tables, then each slice's, up to this version (each migration one transaction)."""
        for schema in (CORE_SCHEMA, *slices):
            for target in range(self.known_slice_version(schema) + 1, schema.version + 1):
                logger.info("migrating catalog %s: %s tables to version %d", self.path, schema.name, target)
                with self.transaction():
                    schema.migrations[target - 1](self.db)
                    self.set_meta(schema.meta_key, str(target))

    def known_slice_version(self, schema: SliceSchema) -> int:
        """The version of a slice's tables (0: none yet); a ``LibraryError`` when a newer Photoseek wrote them."""
        version = self._meta_version(schema.meta_key)
        if version > schema.version:
            raise LibraryError(
                f"library {self.path.parent} was written by a newer Photoseek ({schema.name} tables version "
                f"{version}, this version knows {schema.version}); upgrade Photoseek"
            )
        return version

    def schema_version(self) -> int:
        return self._meta_version(CORE_SCHEMA.meta_key)

    def _meta_version(self, key: str) -> int:
        try:
            if self.conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone() is None:
                return 0
            row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        except sqlite3.DatabaseError as exc:
            raise CatalogCorrupt(corrupt_message(self.path, str(exc))) from exc
        return int(row[0]) if row else 0

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """``with catalog.transaction(): ...`` commits once at the outermost level, or rolls back on error.

        Transactions nest: an inner one is a savepoint, so a failure inside it rolls back only its
        own changes and the outer transaction still commits (or rolls back) as a whole.
        """
        if self.readonly:
            raise LibraryError("the catalog is open read-only")
        depth = self._depth
        if depth == 0:
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            self.conn.execute(f"SAVEPOINT sp{depth}")
        self._depth = depth + 1
        try:
            yield
        except BaseException:
            self._depth = depth
            if depth == 0:
                self.conn.execute("ROLLBACK")
            else:
                self.conn.execute(f"ROLLBACK TO sp{depth}")
                self.conn.execute(f"RELEASE sp{depth}")
            raise
        self._depth = depth
        if depth == 0:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute(f"RELEASE sp{depth}")

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    # -- folders -----------------------------------------------------------

    def add_folder(self, path: Path) -> FolderRow:
        blob = encode_path(path)
        with self.transaction():
            self.conn.execute(
                "INSERT OR IGNORE INTO folders(path, added_at, online) VALUES (?, ?, 1)",
                (blob, time.time()),
            )
        row = self.conn.execute("SELECT id, path, online FROM folders WHERE path=?", (blob,)).fetchone()
        return FolderRow(row[0], decode_path(row[1]), bool(row[2]))

    def remove_folder(self, folder_id: int) -> list[int]:
        """Forget a folder and its photos; returns the removed photo ids."""
        ids = [r[0] for r in self.conn.execute("SELECT id FROM photos WHERE folder_id=?", (folder_id,))]
        with self.transaction():
            self.delete_photos(ids)
            self.conn.execute("DELETE FROM folders WHERE id=?", (folder_id,))
        return ids

    def merge_folder(self, child_id: int, parent_id: int) -> None:
        """A new parent folder takes over a watched subfolder's photos (keeping their vectors)."""
        with self.transaction():
            self.conn.execute("UPDATE photos SET folder_id=? WHERE folder_id=?", (parent_id, child_id))
            self.conn.execute("DELETE FROM folders WHERE id=?", (child_id,))

    def folders(self) -> list[FolderRow]:
        rows = self.conn.execute("SELECT id, path, online FROM folders ORDER BY path").fetchall()
        return [FolderRow(r[0], decode_path(r[1]), bool(r[2])) for r in rows]

    def set_folder_online(self, folder_id: int, online: bool) -> None:
        with self.transaction():
            self.conn.execute("UPDATE folders SET online=? WHERE id=?", (int(online), folder_id))

    def folder_devices(self, folder_id: int) -> str | None:
        """Where the folder's photos were last found (the scanner's JSON), or None if not yet known."""
        row = self.conn.execute("SELECT devices FROM folders WHERE id=?", (folder_id,)).fetchone()
        return str(row[0]) if row and row[0] is not None else None

    def set_folder_devices(self, folder_id: int, devices: str | None) -> None:
        with self.transaction():
            self.conn.execute("UPDATE folders SET devices=? WHERE id=?", (devices, folder_id))

    def folder_counts(self, model: str | None) -> dict[int, dict[str, int]]:
        counts: dict[int, dict[str, int]] = {}
        for fid, total, failed in self.conn.execute(
            "SELECT folder_id, COUNT(*), SUM(status='failed') FROM photos GROUP BY folder_id"
        ):
            counts[fid] = {"photos": total, "failed": failed or 0, "indexed": 0}
        if model:
            for fid, n in self.conn.execute(
                "SELECT p.folder_id, COUNT(*) FROM embeddings e JOIN photos p ON p.id = e.photo_id "
                "WHERE e.model=? GROUP BY p.folder_id",
                (model,),
            ):
                counts.setdefault(fid, {"photos": 0, "failed": 0, "indexed": 0})["indexed"] = n
        return counts

    # -- photos ------------------------------------------------------------

    def photos_in_folder(self, folder_id: int) -> dict[bytes, PhotoRow]:
        return {
            encode_path(row.path): row
            for row in self.photo_rows("WHERE folder_id=?", (folder_id,))
        }

    def photos_under(self, folder: Path) -> dict[bytes, PhotoRow]:
        lo, hi = prefix_bounds(folder)
        return {encode_path(r.path): r for r in self.photo_rows("WHERE path >= ? AND path < ?", (lo, hi))}

    def photo_by_path(self, path: Path) -> PhotoRow | None:
        rows = self.photo_rows("WHERE path=?", (encode_path(path),))
        return rows[0] if rows else None

    def photos_by_hash(self, quick_hash: str) -> list[PhotoRow]:
        return self.photo_rows("WHERE quick_hash=?", (quick_hash,))

    def photos_by_id(self, ids: Sequence[int]) -> dict[int, PhotoRow]:
        out: dict[int, PhotoRow] = {}
        for chunk in chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            for row in self.photo_rows(f"WHERE id IN ({marks})", tuple(chunk)):
                out[row.id] = row
        return out

    def photo_rows(self, where: str, params: tuple[object, ...]) -> list[PhotoRow]:
        """The photos of ``SELECT ... FROM photos {where}`` (a WHERE clause, or more, with its parameters)."""
        sql = f"SELECT id, path, folder_id, size, mtime_ns, quick_hash, status, error FROM photos {where}"
        return [
            PhotoRow(r[0], decode_path(r[1]), r[2], r[3], r[4], r[5], r[6], r[7])
            for r in self.conn.execute(sql, params)
        ]

    def insert_photo(self, path: Path, folder_id: int, size: int, mtime_ns: int, quick_hash: str | None) -> int:
        cur = self.conn.execute(
            "INSERT INTO photos(path, folder_id, size, mtime_ns, quick_hash, status, updated_at) "
            "VALUES (?, ?, ?, ?, ?, 'ok', ?)",
            (encode_path(path), folder_id, size, mtime_ns, quick_hash, time.time()),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def move_photo(self, photo_id: int, new_path: Path, folder_id: int, size: int, mtime_ns: int) -> None:
        self.conn.execute(
            "UPDATE photos SET path=?, folder_id=?, size=?, mtime_ns=?, updated_at=? WHERE id=?",
            (encode_path(new_path), folder_id, size, mtime_ns, time.time(), photo_id),
        )

    def mark_changed(self, photo_id: int, size: int, mtime_ns: int, quick_hash: str | None) -> None:
        """The file's content changed: forget its vectors, the text read from it and any failure."""
        self._delete_vectors([photo_id])
        with self.transaction():  # the text read from it (read again by the text stage)
            self.conn.execute("DELETE FROM photo_text_lines WHERE photo_id=?", (photo_id,))
            self.conn.execute("DELETE FROM photo_text WHERE photo_id=?", (photo_id,))
        self.conn.execute(
            "UPDATE photos SET size=?, mtime_ns=?, quick_hash=?, status='ok', error=NULL, updated_at=? WHERE id=?",
            (size, mtime_ns, quick_hash, time.time(), photo_id),
        )

    def copy_vectors(self, from_id: int, to_id: int) -> list[str]:
        """Give ``to_id`` the vectors of ``from_id`` (an identical file). Returns the models."""
        rows = self.conn.execute("SELECT model, vector FROM embeddings WHERE photo_id=?", (from_id,)).fetchall()
        meta = self.conn.execute(
            "SELECT width, height, taken_at, camera, lat, lon FROM photos WHERE id=?", (from_id,)
        ).fetchone()
        if meta:
            self.conn.execute(
                "UPDATE photos SET width=?, height=?, taken_at=?, camera=?, lat=?, lon=? WHERE id=?",
                (*meta, to_id),
            )
        for model, blob in rows:
            seq = self.bump_checkpoint(model)
            self.conn.execute(
                "INSERT OR REPLACE INTO embeddings(photo_id, model, seq, vector) VALUES (?, ?, ?, ?)",
                (to_id, model, seq, blob),
            )
        self.conn.execute(
            "INSERT OR REPLACE INTO videos(photo_id, duration) SELECT ?, duration FROM videos WHERE photo_id=?",
            (to_id, from_id),
        )
        self.conn.execute(
            "INSERT OR REPLACE INTO video_frames(photo_id, model, frame, time, vector) "
            "SELECT ?, model, frame, time, vector FROM video_frames WHERE photo_id=?",
            (to_id, from_id),
        )
        return [r[0] for r in rows]

    def delete_photos(self, ids: Sequence[int]) -> None:
        """Forget photos and their vectors (logged as removals for the vector indexes)."""
        with self.transaction():
            self._delete_vectors(ids)
            for chunk in chunks(list(ids)):
                marks = ",".join("?" * len(chunk))
                self.conn.execute(f"DELETE FROM photos WHERE id IN ({marks})", tuple(chunk))

    def _delete_vectors(self, ids: Sequence[int]) -> None:
        for chunk in chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT model, photo_id FROM embeddings WHERE photo_id IN ({marks})", tuple(chunk)
            ).fetchall()
            for model, photo_id in rows:
                seq = self.bump_checkpoint(model)
                self.conn.execute(
                    "INSERT INTO vector_tombstones(model, photo_id, seq) VALUES (?, ?, ?)", (model, photo_id, seq)
                )
            self.conn.execute(f"DELETE FROM embeddings WHERE photo_id IN ({marks})", tuple(chunk))
            self.conn.execute(f"DELETE FROM video_frames WHERE photo_id IN ({marks})", tuple(chunk))

    def record_failure(self, photo_id: int, reason: str) -> None:
        self.conn.execute(
            "UPDATE photos SET status='failed', error=?, updated_at=? WHERE id=?", (reason, time.time(), photo_id)
        )

    def failures(self) -> list[PhotoRow]:
        return self.photo_rows("WHERE status='failed' ORDER BY path", ())

    def retry_failures(self, paths: Sequence[Path]) -> int:
        """Make these unreadable photos pending again (the next sync reads them); returns how many."""
        count = 0
        for chunk in chunks([encode_path(Path(p)) for p in paths]):
            marks = ",".join("?" * len(chunk))
            count += self.conn.execute(
                f"UPDATE photos SET status='ok', error=NULL WHERE status='failed' AND path IN ({marks})", tuple(chunk)
            ).rowcount
        return count

    def checkpoint(self, model: str) -> int:
        """The head of ``model``'s vector change log (0 for a model never registered)."""
        row = self.conn.execute("SELECT checkpoint FROM models WHERE name=?", (model,)).fetchone()
        return int(row[0]) if row else 0

    def bump_checkpoint(self, model: str) -> int:
        """Log a change to ``model``'s vectors (inside a transaction): its new checkpoint."""
        self.conn.execute("UPDATE models SET checkpoint = checkpoint + 1 WHERE name=?", (model,))
        return self.checkpoint(model)

    def change_stamp(self) -> tuple[int, int]:
        """Changes as this connection sees them: a new value whenever a commit of another connection (SQLite's
        ``data_version``) or a write of this one (``total_changes``) happened since the last call."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0]), self.conn.total_changes

    def counts(self, model: str | None) -> dict[str, int]:
        """Photos, and of them indexed (with a vector of ``model``'s space), failed and pending.

        Counting 100,000 photos against their vectors takes 25-75 ms, and a search asks several times
        (which model serves it, its status): the counts are kept until the catalog changes."""
        stamp = self.change_stamp()
        memo = self._counts_memo.get(model)
        if memo is not None and memo[0] == stamp:
            return dict(memo[1])
        counts = self._count(model)
        self._counts_memo[model] = (stamp, counts)
        return dict(counts)

    def _count(self, model: str | None) -> dict[str, int]:
        photos, failed = self.conn.execute("SELECT COUNT(*), COALESCE(SUM(status='failed'), 0) FROM photos").fetchone()
        indexed = 0
        if model:
            indexed = self.conn.execute(
                "SELECT COUNT(*) FROM embeddings e JOIN photos p ON p.id = e.photo_id "
                "WHERE e.model=? AND p.status='ok'",
                (model,),
            ).fetchone()[0]
        return {"photos": photos, "indexed": indexed, "failed": failed, "pending": photos - failed - indexed}


def _initialise(conn: sqlite3.Connection, path: Path) -> None:
    """Write the schema into a new, empty database (``create_file`` then links it into place)."""
    new = Catalog.__new__(Catalog)
    new.path, new.readonly, new.immutable = path, False, False
    new._adopt(conn)
    new.migrate()

