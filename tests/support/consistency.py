"""Consistency checks of a library directory (crash tests, disk-full tests, the soak script).

``check_library(path, model)`` opens the library the way the app does (no repair
prompt, a stale lock taken over), then verifies the invariants a library keeps
at rest, whatever moment a crash or a full disk interrupted its writer: the
catalog passes SQLite's integrity and foreign-key checks, no photo is indexed
without a vector, no vector belongs to a missing or failed photo, every indexed
photo has its thumbnail, the model checkpoint covers every change, and the HNSW
index (loaded from disk and caught up, or rebuilt) holds exactly the catalog's
vectors.  Raises ``AssertionError`` naming what is wrong; returns a summary for
reports.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.clip.vector_store import VectorStore
from indexer.clip.vector_tables import VectorTables
from indexer.library import Library
from indexer.library_files import CATALOG_FILE


@dataclass(frozen=True)
class LibraryState:
    photos: int
    indexed: int
    failed: int
    pending: int
    hnsw_on_disk: str  # "missing" | "stale" | "current": what the HNSW file held before opening
    vectors: dict[bytes, np.ndarray]  # path -> stored vector of the model


def snapshot(library: Path, dest: Path) -> Path:
    """Copy a library directory (not in use) so checking it cannot change what the next run finds."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(library, dest, symlinks=True)
    return dest


def library_files(library: Path, *, with_log: bool = True) -> dict[str, tuple[int, int]]:
    """Every file under ``library`` that holds its data: relative path -> (size, mtime_ns).

    For proving that readers change nothing.  Left out: SQLite's shared-memory index
    ``catalog.sqlite-shm`` (every connection to a WAL database, read-only ones included, marks
    what it reads in it; it holds no data) and an *empty* ``catalog.sqlite-wal`` (SQLite creates
    one, empty, when a connection opens a WAL database that has none); a write to the catalog
    shows as a WAL with content.  ``with_log=False`` also leaves out ``photoseek.log``, which
    every `photoseek` command appends its log lines to.
    """
    out = {}
    for path in library.rglob("*"):
        if not path.is_file() or path.name == "catalog.sqlite-shm" or (path.name == "photoseek.log" and not with_log):
            continue
        st = path.stat()
        if path.name == "catalog.sqlite-wal" and st.st_size == 0:
            continue
        out[str(path.relative_to(library))] = (st.st_size, st.st_mtime_ns)
    return out


def _ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path / CATALOG_FILE}?mode=ro", uri=True)


def check_library(path: Path, model: str, *, dim: int | None = None) -> LibraryState:
    """Assert every invariant of a library at rest; see the module doc.  Opens it writable (as the app would)."""
    hnsw_state = "missing"
    if (path / CATALOG_FILE).exists():
        conn = _ro(path)
        try:
            row = conn.execute("SELECT checkpoint, dim FROM models WHERE name=?", (model,)).fetchone()
        except sqlite3.OperationalError:
            row = None  # killed before the schema was created
        finally:
            conn.close()
        if row is not None:
            on_disk = VectorStore.load(path / "vectors", model, int(row[1]))
            if on_disk is not None:
                assert on_disk.checkpoint <= row[0], (
                    f"HNSW file claims checkpoint {on_disk.checkpoint} > catalog {row[0]}"
                )
                hnsw_state = "current" if on_disk.checkpoint == row[0] else "stale"
    with Library.open(path) as lib:  # raises if it cannot open without help
        conn = lib.catalog.conn
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        bad = conn.execute(
            "SELECT COUNT(*) FROM embeddings e LEFT JOIN photos p ON p.id = e.photo_id "
            "WHERE p.id IS NULL OR p.status != 'ok'"
        ).fetchone()[0]
        assert bad == 0, f"{bad} vector(s) without a readable photo"
        row = conn.execute("SELECT dim, checkpoint FROM models WHERE name=?", (model,)).fetchone()
        rows = conn.execute(
            "SELECT p.id, p.path, e.vector, e.seq FROM embeddings e JOIN photos p ON p.id = e.photo_id "
            "WHERE e.model=? ORDER BY p.id",
            (model,),
        ).fetchall()
        vectors: dict[bytes, np.ndarray] = {}
        if rows:
            assert row is not None, "vectors of an unregistered model"
            model_dim, checkpoint = row
            assert dim is None or model_dim == dim
            assert max(r[3] for r in rows) <= checkpoint, "a vector newer than its model's checkpoint"
            for pid, p, blob, _ in rows:
                vec = np.frombuffer(blob, dtype=np.float32)
                assert vec.shape == (model_dim,), f"photo {pid}: vector of {vec.size} floats"
                assert abs(float(np.linalg.norm(vec)) - 1.0) < 1e-3, f"photo {pid}: vector not normalised"
                assert lib.thumbnails.path(pid).is_file(), f"photo {pid} indexed without a thumbnail"
                vectors[bytes(p)] = vec
        photos, failed = conn.execute("SELECT COUNT(*), COALESCE(SUM(status='failed'), 0) FROM photos").fetchone()
        ids = [r[0] for r in rows]
        if row is not None:
            store = lib.store(lib.encoder(_model_ref(lib, model)))
            live = store.labels()
            assert live == set(ids), (
                f"HNSW holds {len(live)} vectors, catalog {len(ids)}: "
                f"extra {sorted(live - set(ids))[:5]}, missing {sorted(set(ids) - live)[:5]}"
            )
            assert len(store) == len(ids)
            if ids:
                stored = np.stack([np.frombuffer(r[2], dtype=np.float32) for r in rows])
                got = np.asarray(store._index.get_items(ids), dtype=np.float32)
                assert np.allclose(got, stored, atol=1e-5), "HNSW vectors differ from the catalog's"
        status = lib.status()
        assert status.photos == photos and status.failed == failed
    return LibraryState(photos, len(ids), failed, photos - failed - len(ids), hnsw_state, vectors)


def _model_ref(lib: Library, model: str) -> str:
    source = VectorTables(lib.catalog).model_source(model)
    return source if source and os.path.isdir(source) else model
