"""The catalog's models, stored vectors and their change log: ``VectorTables(catalog)``.

Every change to the vectors of a model bumps that model's *checkpoint* and is
logged (``embeddings.seq`` for additions, ``vector_tombstones`` for removals),
so a vector index stamped with an older checkpoint can be caught up instead
of rebuilt.  The log's head (``checkpoint``, ``bump_checkpoint``) and what a
photo's removal does to its vectors belong to the catalog's core; the rest of
the SQL on these tables is here.  Reading works through any catalog; writing
(``self: VectorTables[Catalog]``) only through the writer's.

Vectors are stored by *vector space*: the key ``models.name`` (``embeddings.model``).
A space is the pair (``label``: the bundle's name, ``fingerprint``: the hash of its
weights and preprocessing), so a different model under the same name never
shares vectors with the old one: the first space of a name takes the name as
its key, a later one ``NAME@<first 12 hex digits of its fingerprint>``
(``vector_space``).  Spaces registered before fingerprints have none; the
first bundle of the same name and size that makes the same vectors adopts
them (the writer checks a few).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import numpy as np

from indexer.catalog import Catalog, PhotoMeta, PhotoRow
from indexer.catalog_reading import C, CatalogPart, chunks
from indexer.errors import ModelError

KEEP_TOMBSTONES = 20_000  # removals kept in the log for readers holding an older vector index


class VectorSpace(NamedTuple):
    """Where a bundle's vectors are stored: its key, and how the key was found."""

    key: str
    registered: bool  # a space registered with this label and fingerprint
    legacy: bool  # a space of this name and size registered before fingerprints (presumed the same model)


class VectorTables(CatalogPart[C]):
    """The ``models``, ``embeddings``, ``vector_tombstones`` and ``model_files`` tables."""

    def register_model(self: VectorTables[Catalog], name: str, source: str, dim: int) -> None:
        with self.catalog.transaction():
            self.conn.execute(
                "INSERT INTO models(name, source, dim, checkpoint, added_at) VALUES (?, ?, ?, 0, ?) "
                "ON CONFLICT(name) DO UPDATE SET source=excluded.source",
                (name, source, dim, time.time()),
            )

    def vector_space(self, label: str, fingerprint: str, dim: int, *, adopt: bool = True) -> VectorSpace:
        """The key of the vectors of a bundle named ``label`` whose files have ``fingerprint`` (reads only).

        Not registered yet: the key it would get -- ``label`` when no space has that key yet, or
        when the one that has it predates fingerprints, has the same size and ``adopt`` is true;
        otherwise ``label@<12 hex digits>``.
        """
        fingerprinted = self._has_fingerprints()
        if fingerprinted:
            row = self.conn.execute(
                "SELECT name FROM models WHERE label=? AND fingerprint=?", (label, fingerprint)
            ).fetchone()
            if row is not None:
                return VectorSpace(str(row[0]), True, False)
        column = "fingerprint" if fingerprinted else "NULL"
        row = self.conn.execute(f"SELECT dim, {column} FROM models WHERE name=?", (label,)).fetchone()
        if row is None:
            return VectorSpace(label, False, False)
        if adopt and row[1] is None and int(row[0]) == dim:
            return VectorSpace(label, False, True)
        for key in (f"{label}@{fingerprint[:12]}", f"{label}@{fingerprint}"):
            if self.conn.execute("SELECT 1 FROM models WHERE name=?", (key,)).fetchone() is None:
                return VectorSpace(key, False, False)
        raise ModelError(f"the library has no free key for the vectors of model {label} ({fingerprint[:12]})")

    def register_vector_space(
        self: VectorTables[Catalog], label: str, fingerprint: str, dim: int, source: str, stamp: str, *,
        adopt: bool = True,
    ) -> str:
        """Register the vector space of a bundle (see ``vector_space``; ``adopt=False`` declines a space from
        before fingerprints) and remember that files with ``stamp`` have ``fingerprint``.  Returns its key."""
        with self.catalog.transaction():
            space = self.vector_space(label, fingerprint, dim, adopt=adopt)
            if space.registered or space.legacy:
                self.conn.execute(
                    "UPDATE models SET source=?, label=?, fingerprint=? WHERE name=?",
                    (source, label, fingerprint, space.key),
                )
            else:
                self.conn.execute(
                    "INSERT INTO models(name, source, dim, checkpoint, added_at, label, fingerprint) "
                    "VALUES (?, ?, ?, 0, ?, ?, ?)",
                    (space.key, source, dim, time.time(), label, fingerprint),
                )
            self.conn.execute(
                "INSERT OR REPLACE INTO model_files(stamp, fingerprint, checked_at) VALUES (?, ?, ?)",
                (stamp, fingerprint, time.time()),
            )
        return space.key

    def fingerprint_of_files(self, stamp: str) -> str | None:
        """The fingerprint recorded for bundle files with ``stamp`` (see ``models.fingerprint.files_stamp``)."""
        try:
            row = self.conn.execute("SELECT fingerprint FROM model_files WHERE stamp=?", (stamp,)).fetchone()
        except sqlite3.OperationalError:  # a catalog from before fingerprints, not yet migrated by a writer
            return None
        return str(row[0]) if row else None

    def model_label(self, key: str) -> str | None:
        """The name of the bundle that made the vectors stored under ``key``."""
        if not self._has_fingerprints():
            return key if self.model_source(key) is not None else None
        row = self.conn.execute("SELECT COALESCE(label, name) FROM models WHERE name=?", (key,)).fetchone()
        return str(row[0]) if row else None

    def drop_vectors(self: VectorTables[Catalog], key: str) -> int:
        """Forget every vector stored under ``key`` (its space is kept, so its key is never reused for
        another).  Vector indexes of ``key`` that are behind rebuild (to nothing).  Returns how many."""
        with self.catalog.transaction():
            count = self.vector_count(key)
            self.conn.execute("DELETE FROM embeddings WHERE model=?", (key,))
            self.conn.execute("DELETE FROM video_frames WHERE model=?", (key,))  # the frames of its videos
            self.conn.execute("DELETE FROM vector_tombstones WHERE model=?", (key,))
            seq = self.catalog.bump_checkpoint(key)
            self.catalog.set_meta(f"tombstones_pruned:{key}", str(seq))
        return count

    def _has_fingerprints(self) -> bool:
        return any(r[1] == "fingerprint" for r in self.conn.execute("PRAGMA table_info(models)"))

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

    def record_indexed(self: VectorTables[Catalog], photo_id: int, model: str, vector: np.ndarray,
                       meta: PhotoMeta) -> None:
        """Store one photo's vector and metadata (call inside a transaction)."""
        seq = self.catalog.bump_checkpoint(model)
        self.conn.execute(
            "INSERT OR REPLACE INTO embeddings(photo_id, model, seq, vector) VALUES (?, ?, ?, ?)",
            (photo_id, model, seq, np.ascontiguousarray(vector, dtype=np.float32).tobytes()),
        )
        self.conn.execute(
            "UPDATE photos SET width=?, height=?, taken_at=?, camera=?, lat=?, lon=?, status='ok', "
            "error=NULL, updated_at=? WHERE id=?",
            (meta.width, meta.height, meta.taken_at, meta.camera, meta.lat, meta.lon, time.time(), photo_id),
        )

    def pending_photos(self, model: str, limit: int | None = None) -> list[PhotoRow]:
        """Photos that are readable so far but have no vector for ``model``, oldest first."""
        sql = (
            "WHERE status='ok' AND folder_id IN (SELECT id FROM folders WHERE online=1) "
            "AND id NOT IN (SELECT photo_id FROM embeddings WHERE model=?) ORDER BY id"
        )
        params: tuple[object, ...] = (model,)
        if limit is not None:
            sql += " LIMIT ?"
            params = (model, limit)
        return self.catalog.photo_rows(sql, params)

    def vectors(self, model: str, ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Stored vectors of ``ids`` for ``model`` -> (ids found, (n, d) float32)."""
        found: list[int] = []
        blobs: list[bytes] = []
        for chunk in chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            for pid, blob in self.conn.execute(
                f"SELECT photo_id, vector FROM embeddings WHERE model=? AND photo_id IN ({marks})",
                (model, *chunk),
            ):
                found.append(pid)
                blobs.append(blob)
        return stack_vectors(found, blobs)

    def iter_vectors(
        self, model: str, *, after_seq: int = 0, batch: int = 20000
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
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
            yield stack_vectors([r[0] for r in rows], [r[1] for r in rows])

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
        """Up to ``n`` stored vectors of ``model``, chosen at random (for query statistics).

        The ``n`` photos whose ids come first in a multiplicative-hash order (Knuth's constant; the
        seed shifts it): spread evenly over the library, the same for the same seed, and found by
        SQLite on its index alone -- listing 100,000 ids into Python to draw from took 0.1-0.16 s of
        every cold search; this takes 0.02 s."""
        ids = [
            r[0] for r in self.conn.execute(
                "SELECT photo_id FROM embeddings WHERE model=? ORDER BY (photo_id * 2654435761 + ?) % 4294967296 "
                "LIMIT ?", (model, seed * 40503, n),
            )
        ]
        if not ids:
            return np.zeros((0, 0), dtype=np.float32)
        return self.vectors(model, sorted(ids))[1]

    def vector_count(self, model: str) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM embeddings WHERE model=?", (model,)).fetchone()[0])

    def prune_tombstones(
        self: VectorTables[Catalog], model: str, upto_seq: int, *, keep: int = KEEP_TOMBSTONES
    ) -> None:
        """Forget removals up to ``upto_seq``, except the newest ``keep`` (a reader that loaded an older
        HNSW file catches up from them).  The highest pruned seq is recorded: a reader whose index is
        older than that cannot catch up and must rebuild (``tombstones_pruned_upto``)."""
        row = self.conn.execute(
            "SELECT seq FROM vector_tombstones WHERE model=? ORDER BY seq DESC LIMIT 1 OFFSET ?", (model, keep)
        ).fetchone()
        if row is None:
            return
        cutoff = min(upto_seq, int(row[0]))
        with self.catalog.transaction():
            self.conn.execute("DELETE FROM vector_tombstones WHERE model=? AND seq<=?", (model, cutoff))
            if cutoff > self.tombstones_pruned_upto(model):
                self.catalog.set_meta(f"tombstones_pruned:{model}", str(cutoff))

    def tombstones_pruned_upto(self, model: str) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (f"tombstones_pruned:{model}",)).fetchone()
        return int(row[0]) if row else 0


def stack_vectors(ids: list[int], blobs: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
    vecs = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), -1)
    return np.asarray(ids, dtype=np.int64), vecs

