"""The SQLite catalog: folders, photos, stored vectors, and a change log.

The stored vectors are the source of truth; the HNSW files are derived caches
(see ``vectors.py``).  Every change to the vectors of a model bumps that
model's *checkpoint* and is logged (``embeddings.seq`` for additions,
``vector_tombstones`` for removals), so an HNSW file stamped with an older
checkpoint can be caught up instead of rebuilt.

One ``Catalog`` per thread: a connection is never shared across threads.
Paths are stored as the bytes of ``os.fsencode(path)`` so that any file name a
disk can hold (invalid UTF-8 included) round-trips exactly.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sqlite_utils

from .errors import CatalogCorrupt, LibraryError

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
PAGE_SIZE = 16384

KEEP_TOMBSTONES = 20_000  # removals kept in the log for readers holding an older HNSW file

OK = "ok"
FAILED = "failed"


def encode_path(path: str | os.PathLike[str]) -> bytes:
    return os.fsencode(os.fspath(path))


def decode_path(blob: bytes) -> Path:
    return Path(os.fsdecode(bytes(blob)))


def prefix_bounds(folder: Path) -> tuple[bytes, bytes]:
    """Byte range [lo, hi) holding every path strictly inside ``folder``."""
    prefix = encode_path(folder).rstrip(b"/" + os.sep.encode()) + os.sep.encode()
    return prefix, prefix[:-1] + bytes([prefix[-1] + 1])


@dataclass(frozen=True)
class PhotoRow:
    id: int
    path: Path
    folder_id: int
    size: int
    mtime_ns: int
    quick_hash: str | None
    status: str
    error: str | None


@dataclass(frozen=True)
class FolderRow:
    id: int
    path: Path
    online: bool


@dataclass(frozen=True)
class PhotoMeta:
    """What one decode of a photo tells the catalog."""

    width: int
    height: int
    taken_at: str | None  # ISO 8601, from EXIF, else None
    camera: str | None
    lat: float | None
    lon: float | None


def _run_script(db: sqlite_utils.Database, script: str) -> None:
    """Run DDL statements one by one: ``executescript`` would commit the migration's transaction."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _migration_1(db: sqlite_utils.Database) -> None:
    _run_script(
        db,
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE folders (
            id INTEGER PRIMARY KEY,
            path BLOB NOT NULL UNIQUE,
            added_at REAL NOT NULL,
            online INTEGER NOT NULL DEFAULT 1
        );
        CREATE TABLE photos (
            id INTEGER PRIMARY KEY,
            path BLOB NOT NULL UNIQUE,
            folder_id INTEGER NOT NULL REFERENCES folders(id),
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            quick_hash TEXT,
            width INTEGER,
            height INTEGER,
            taken_at TEXT,
            camera TEXT,
            lat REAL,
            lon REAL,
            status TEXT NOT NULL DEFAULT 'ok',
            error TEXT,
            updated_at REAL NOT NULL
        );
        CREATE INDEX photos_folder ON photos(folder_id);
        CREATE INDEX photos_hash ON photos(quick_hash);
        CREATE INDEX photos_taken ON photos(taken_at);
        CREATE TABLE models (
            name TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            dim INTEGER NOT NULL,
            checkpoint INTEGER NOT NULL DEFAULT 0,
            added_at REAL NOT NULL
        );
        CREATE TABLE embeddings (
            photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
            model TEXT NOT NULL REFERENCES models(name),
            seq INTEGER NOT NULL,
            vector BLOB NOT NULL,
            PRIMARY KEY (model, photo_id)
        ) WITHOUT ROWID;
        CREATE INDEX embeddings_seq ON embeddings(model, seq);
        CREATE TABLE vector_tombstones (
            model TEXT NOT NULL,
            photo_id INTEGER NOT NULL,
            seq INTEGER NOT NULL
        );
        CREATE INDEX tombstones_seq ON vector_tombstones(model, seq);
        """
    )


MIGRATIONS = {1: _migration_1}


class Catalog:
    """One connection to a library's catalog.  Not thread-safe by design."""

    def __init__(self, path: Path, *, readonly: bool = False):
        self.path = path
        self.readonly = readonly
        try:
            if readonly:
                uri = f"file:{path}?mode=ro"
                conn = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=True, isolation_level=None)
            else:
                conn = sqlite3.connect(str(path), timeout=30, check_same_thread=True, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 30000")
            if not readonly:
                if conn.execute("PRAGMA page_count").fetchone()[0] == 0:
                    # A new catalog: 16 KiB pages hold a 2 KiB vector without an overflow page each
                    # (5.1 -> 2.8 KB per photo, measured by tests/benchmarks/bench_memory.py).
                    conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            raise CatalogCorrupt(_corrupt_message(path, str(exc))) from exc
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self._depth = 0  # open transactions: 0 none, 1 BEGIN, >1 savepoints inside it

    # -- lifecycle ---------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    def check_integrity(self) -> None:
        """Fail with ``CatalogCorrupt`` unless SQLite's quick check passes."""
        try:
            rows = self.conn.execute("PRAGMA quick_check").fetchall()
        except sqlite3.DatabaseError as exc:
            raise CatalogCorrupt(_corrupt_message(self.path, str(exc))) from exc
        problems = [r[0] for r in rows if r[0] != "ok"]
        if problems:
            raise CatalogCorrupt(_corrupt_message(self.path, problems[0]))

    def migrate(self) -> None:
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise LibraryError(
                f"library {self.path.parent} was written by a newer Photoseek "
                f"(schema {version}, this version knows {SCHEMA_VERSION}); upgrade Photoseek"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            logger.info("migrating catalog %s to schema %d", self.path, target)
            with self.transaction():
                MIGRATIONS[target](self.db)
                self._set_meta("schema_version", str(target))

    def schema_version(self) -> int:
        try:
            if "meta" not in self.db.table_names():
                return 0
            row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise CatalogCorrupt(_corrupt_message(self.path, str(exc))) from exc
        return int(row[0]) if row else 0

    def _set_meta(self, key: str, value: str) -> None:
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
            for row in self._photo_rows("WHERE folder_id=?", (folder_id,))
        }

    def photos_under(self, folder: Path) -> dict[bytes, PhotoRow]:
        lo, hi = prefix_bounds(folder)
        return {encode_path(r.path): r for r in self._photo_rows("WHERE path >= ? AND path < ?", (lo, hi))}

    def photo_by_path(self, path: Path) -> PhotoRow | None:
        rows = self._photo_rows("WHERE path=?", (encode_path(path),))
        return rows[0] if rows else None

    def photos_by_hash(self, quick_hash: str) -> list[PhotoRow]:
        return self._photo_rows("WHERE quick_hash=?", (quick_hash,))

    def photos_by_id(self, ids: Sequence[int]) -> dict[int, PhotoRow]:
        out: dict[int, PhotoRow] = {}
        for chunk in _chunks(list(ids), 900):
            marks = ",".join("?" * len(chunk))
            for row in self._photo_rows(f"WHERE id IN ({marks})", tuple(chunk)):
                out[row.id] = row
        return out

    def _photo_rows(self, where: str, params: tuple) -> list[PhotoRow]:
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
        return int(cur.lastrowid)

    def move_photo(self, photo_id: int, new_path: Path, folder_id: int, size: int, mtime_ns: int) -> None:
        self.conn.execute(
            "UPDATE photos SET path=?, folder_id=?, size=?, mtime_ns=?, updated_at=? WHERE id=?",
            (encode_path(new_path), folder_id, size, mtime_ns, time.time(), photo_id),
        )

    def mark_changed(self, photo_id: int, size: int, mtime_ns: int, quick_hash: str | None) -> None:
        """The file's content changed: forget its vectors and any failure."""
        self._delete_vectors([photo_id])
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
            seq = self._bump_checkpoint(model)
            self.conn.execute(
                "INSERT OR REPLACE INTO embeddings(photo_id, model, seq, vector) VALUES (?, ?, ?, ?)",
                (to_id, model, seq, blob),
            )
        return [r[0] for r in rows]

    def delete_photos(self, ids: Sequence[int]) -> None:
        """Forget photos and their vectors (logged as removals for the vector indexes)."""
        with self.transaction():
            self._delete_vectors(ids)
            for chunk in _chunks(list(ids), 900):
                marks = ",".join("?" * len(chunk))
                self.conn.execute(f"DELETE FROM photos WHERE id IN ({marks})", tuple(chunk))

    def _delete_vectors(self, ids: Sequence[int]) -> None:
        for chunk in _chunks(list(ids), 900):
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT model, photo_id FROM embeddings WHERE photo_id IN ({marks})", tuple(chunk)
            ).fetchall()
            for model, photo_id in rows:
                seq = self._bump_checkpoint(model)
                self.conn.execute(
                    "INSERT INTO vector_tombstones(model, photo_id, seq) VALUES (?, ?, ?)", (model, photo_id, seq)
                )
            self.conn.execute(f"DELETE FROM embeddings WHERE photo_id IN ({marks})", tuple(chunk))

    def record_indexed(self, photo_id: int, model: str, vector: np.ndarray, meta: PhotoMeta) -> None:
        """Store one photo's vector and metadata (call inside a transaction)."""
        seq = self._bump_checkpoint(model)
        self.conn.execute(
            "INSERT OR REPLACE INTO embeddings(photo_id, model, seq, vector) VALUES (?, ?, ?, ?)",
            (photo_id, model, seq, np.ascontiguousarray(vector, dtype=np.float32).tobytes()),
        )
        self.conn.execute(
            "UPDATE photos SET width=?, height=?, taken_at=?, camera=?, lat=?, lon=?, status='ok', "
            "error=NULL, updated_at=? WHERE id=?",
            (meta.width, meta.height, meta.taken_at, meta.camera, meta.lat, meta.lon, time.time(), photo_id),
        )

    def record_failure(self, photo_id: int, reason: str) -> None:
        self.conn.execute(
            "UPDATE photos SET status='failed', error=?, updated_at=? WHERE id=?", (reason, time.time(), photo_id)
        )

    def pending_photos(self, model: str, limit: int | None = None) -> list[PhotoRow]:
        """Photos that are readable so far but have no vector for ``model``, oldest first."""
        sql = (
            "WHERE status='ok' AND folder_id IN (SELECT id FROM folders WHERE online=1) "
            "AND id NOT IN (SELECT photo_id FROM embeddings WHERE model=?) ORDER BY id"
        )
        params: tuple = (model,)
        if limit is not None:
            sql += " LIMIT ?"
            params = (model, limit)
        return self._photo_rows(sql, params)

    def failures(self) -> list[PhotoRow]:
        return self._photo_rows("WHERE status='failed' ORDER BY path", ())

    def counts(self, model: str | None) -> dict[str, int]:
        photos, failed = self.conn.execute("SELECT COUNT(*), COALESCE(SUM(status='failed'), 0) FROM photos").fetchone()
        indexed = 0
        if model:
            indexed = self.conn.execute(
                "SELECT COUNT(*) FROM embeddings e JOIN photos p ON p.id = e.photo_id "
                "WHERE e.model=? AND p.status='ok'",
                (model,),
            ).fetchone()[0]
        return {"photos": photos, "indexed": indexed, "failed": failed, "pending": photos - failed - indexed}

    # -- models and vectors ------------------------------------------------

    def register_model(self, name: str, source: str, dim: int) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO models(name, source, dim, checkpoint, added_at) VALUES (?, ?, ?, 0, ?) "
                "ON CONFLICT(name) DO UPDATE SET source=excluded.source",
                (name, source, dim, time.time()),
            )

    def model_sources(self) -> list[tuple[str, str]]:
        """(name, source) of every model that ever wrote vectors here, newest first."""
        return [(r[0], r[1]) for r in self.conn.execute("SELECT name, source FROM models ORDER BY added_at DESC")]

    def model_source(self, name: str) -> str | None:
        row = self.conn.execute("SELECT source FROM models WHERE name=?", (name,)).fetchone()
        return str(row[0]) if row else None

    def model_dim(self, name: str) -> int | None:
        row = self.conn.execute("SELECT dim FROM models WHERE name=?", (name,)).fetchone()
        return int(row[0]) if row else None

    def models_with_vectors(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT model, COUNT(*) FROM embeddings GROUP BY model").fetchall())

    def checkpoint(self, model: str) -> int:
        row = self.conn.execute("SELECT checkpoint FROM models WHERE name=?", (model,)).fetchone()
        return int(row[0]) if row else 0

    def _bump_checkpoint(self, model: str) -> int:
        self.conn.execute("UPDATE models SET checkpoint = checkpoint + 1 WHERE name=?", (model,))
        return self.checkpoint(model)

    def vectors(self, model: str, ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Stored vectors of ``ids`` for ``model`` -> (ids found, (n, d) float32)."""
        found: list[int] = []
        blobs: list[bytes] = []
        for chunk in _chunks(list(ids), 900):
            marks = ",".join("?" * len(chunk))
            for pid, blob in self.conn.execute(
                f"SELECT photo_id, vector FROM embeddings WHERE model=? AND photo_id IN ({marks})",
                (model, *chunk),
            ):
                found.append(pid)
                blobs.append(blob)
        return _stack(found, blobs)

    def iter_vectors(self, model: str, *, after_seq: int = 0, batch: int = 20000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """All vectors of ``model`` written after ``after_seq``, in chunks of (ids, vectors)."""
        last_id = -1
        while True:
            rows = self.conn.execute(
                "SELECT photo_id, vector FROM embeddings WHERE model=? AND seq>? AND photo_id>? "
                "ORDER BY photo_id LIMIT ?",
                (model, after_seq, last_id, batch),
            ).fetchall()
            if not rows:
                return
            last_id = rows[-1][0]
            yield _stack([r[0] for r in rows], [r[1] for r in rows])

    def tombstones_after(self, model: str, seq: int) -> list[int]:
        """Photo ids whose vector was removed after ``seq`` and not written again since."""
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT DISTINCT t.photo_id FROM vector_tombstones t WHERE t.model=? AND t.seq>? "
                "AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.model=t.model AND e.photo_id=t.photo_id)",
                (model, seq),
            )
        ]

    def vector_ids(self, model: str) -> list[int]:
        return [
            r[0] for r in self.conn.execute("SELECT photo_id FROM embeddings WHERE model=? ORDER BY photo_id", (model,))
        ]

    def sample_vectors(self, model: str, n: int, seed: int = 0) -> np.ndarray:
        """Up to ``n`` stored vectors of ``model``, chosen at random (for query statistics)."""
        ids = self.vector_ids(model)
        if not ids:
            return np.zeros((0, 0), dtype=np.float32)
        rng = np.random.default_rng(seed)
        chosen = rng.choice(len(ids), size=min(n, len(ids)), replace=False)
        return self.vectors(model, [ids[i] for i in sorted(chosen)])[1]

    def vector_count(self, model: str) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM embeddings WHERE model=?", (model,)).fetchone()[0]

    def prune_tombstones(self, model: str, upto_seq: int, *, keep: int = KEEP_TOMBSTONES) -> None:
        """Forget removals up to ``upto_seq``, except the newest ``keep`` (a reader that loaded an older
        HNSW file catches up from them).  The highest pruned seq is recorded: a reader whose index is
        older than that cannot catch up and must rebuild (``tombstones_pruned_upto``)."""
        row = self.conn.execute(
            "SELECT seq FROM vector_tombstones WHERE model=? ORDER BY seq DESC LIMIT 1 OFFSET ?", (model, keep)
        ).fetchone()
        if row is None:
            return
        cutoff = min(upto_seq, int(row[0]))
        with self.transaction():
            self.conn.execute("DELETE FROM vector_tombstones WHERE model=? AND seq<=?", (model, cutoff))
            if cutoff > self.tombstones_pruned_upto(model):
                self._set_meta(f"tombstones_pruned:{model}", str(cutoff))

    def tombstones_pruned_upto(self, model: str) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (f"tombstones_pruned:{model}",)).fetchone()
        return int(row[0]) if row else 0

    # -- search support ----------------------------------------------------

    def filtered_ids(
        self, *, folder: Path | None, after: str | None, before: str | None, online_only: bool = True
    ) -> list[int]:
        """Ids of photos passing the filters (dates as ISO strings, ``before`` exclusive)."""
        where, params = self._filter_sql(folder=folder, after=after, before=before, online_only=online_only)
        return [r[0] for r in self.conn.execute(f"SELECT p.id FROM photos p {where}", params)]

    def _filter_sql(
        self, *, folder: Path | None, after: str | None, before: str | None, online_only: bool
    ) -> tuple[str, tuple]:
        clauses: list[str] = []
        params: list[object] = []
        if folder is not None:
            lo, hi = prefix_bounds(folder)
            clauses.append("p.path >= ? AND p.path < ?")
            params += [lo, hi]
        date_expr = "COALESCE(p.taken_at, strftime('%Y-%m-%dT%H:%M:%S', p.mtime_ns / 1e9, 'unixepoch', 'localtime'))"
        if after:
            clauses.append(f"{date_expr} >= ?")
            params.append(after)
        if before:
            clauses.append(f"{date_expr} < ?")
            params.append(before)
        if online_only:
            clauses.append("p.folder_id IN (SELECT id FROM folders WHERE online=1)")
        return ("WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)

    def hit_rows(self, ids: Sequence[int]) -> dict[int, tuple]:
        """(path, width, height, taken_at, camera, mtime_ns, folder online) for result display."""
        out: dict[int, tuple] = {}
        for chunk in _chunks(list(ids), 900):
            marks = ",".join("?" * len(chunk))
            for r in self.conn.execute(
                "SELECT p.id, p.path, p.width, p.height, p.taken_at, p.camera, p.mtime_ns, f.online "
                f"FROM photos p JOIN folders f ON f.id = p.folder_id WHERE p.id IN ({marks})",
                tuple(chunk),
            ):
                out[r[0]] = (decode_path(r[1]), *r[2:])
        return out


def _stack(ids: list[int], blobs: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
    vecs = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), -1)
    return np.asarray(ids, dtype=np.int64), vecs


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _corrupt_message(path: Path, detail: str) -> str:
    return (
        f"the catalog {path} is damaged ({detail}). Your photos are untouched. To recover, move the "
        f"library folder aside and index your folders again (photoseek --library NEW index FOLDER...)"
    )
