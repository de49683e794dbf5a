"""``VectorStore``: one model's HNSW index, a derived cache of the catalog's stored vectors.

The file ``<model>.hnsw`` sits next to a stamp ``<model>.hnsw.json`` naming the
catalog checkpoint it matches, and the file's size and CRC-32.  Both are written
atomically (temp file, fsync, rename; stamp last).  On open, a stamp older than
the catalog is caught up from the catalog's change log; a missing, unreadable,
damaged (size or checksum differs) or mismatched file is rebuilt from the stored
vectors, so a damaged file is never loaded: hnswlib trusts every byte it reads.
Labels are photo ids; space is inner product on L2-normalised vectors, so
``score = 1 - distance`` is the cosine similarity (searchers still rescore their
final candidates from the stored vectors: the catalog is the truth).

The checksum costs one extra pass over the file at each load and save: CRC-32
runs at about 1 GB/s on one core (zlib; as fast as SHA-256 with CPU support and
faster without it), against about 0.6 GB/s for hnswlib's own load, so a 1M-photo
index (2.2 GB) takes about 2 s more to load than without it.

Who may do what:

* Every method runs under the store's one lock, so a search always sees a
  consistent index (never half of a batch, never a resize in progress).
* Only the writer (``Library``) changes a *shared* store: ``add``/``remove``
  (the pipeline and scans), ``catch_up``, ``rebuild``, ``save``.
* A store opened with ``writable=False`` never writes a file: ``save`` refuses.
  A reader in another process keeps such a private copy and catches it up in
  memory from the catalog it reads.
* Readers see a store as a ``SearchIndex`` (``search`` and its size, no
  method that changes it) and a registry as ``SearchIndexes``: a reader
  cannot add, remove, rebuild or save by type.  A reader in another process
  searches a private registry (``VectorStores(writable=False).search_index``);
  a reader in the writer's process only takes the stores the writer loaded
  and keeps current (``writer_stores.py``), and never opens, catches up or
  saves a writable store.
"""

from __future__ import annotations

import errno
import io
import json
import logging
import os
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import hnswlib
import numpy as np

from indexer.catalog_reading import CatalogReading
from indexer.clip.vector_tables import VectorTables
from indexer.errors import LibraryError, LibraryUnsafe
from indexer.private_files import create_new, private_subfolder, write_new

logger = logging.getLogger(__name__)

STAMP_VERSION = 2  # 2: the stamp holds the file's CRC-32 (a version-1 stamp is rebuilt once)
M = 16
EF_CONSTRUCTION = 200
# 512, not 96: on CLIP-like vectors, off-manifold (text) queries need it for recall@10 >= 0.98 at 1M
# (measured: 0.874 at 96, 0.937 at 192, 0.981 at 384, 0.986 at 512; p95 2.5 ms). See docs/performance.md.
EF_SEARCH = 512
GROW_STEP = 10_000

_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_SCORES = np.zeros(0, dtype=np.float32)


def _new_hnsw(dim: int, capacity: int) -> Any:
    index = hnswlib.Index(space="ip", dim=dim)
    index.init_index(max_elements=max(capacity, 16), ef_construction=EF_CONSTRUCTION, M=M)
    index.set_ef(EF_SEARCH)
    return index


class SearchIndex(Protocol):
    """What a reader may do with one model's vector index: search it."""

    @property
    def model(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def __len__(self) -> int: ...

    def search(
        self, query: np.ndarray, k: int, *, filter: Callable[[int], bool] | None = None
    ) -> tuple[np.ndarray, np.ndarray]: ...


class SearchIndexes(Protocol):
    """A reader's view of a library's vector indexes (a private ``VectorStores``, or ``SharedIndexes``)."""

    def search_index(self, model: str, dim: int, catalog: CatalogReading) -> SearchIndex: ...


class VectorStore:
    """The HNSW index of one model, with its stamp, growth, catch-up and rebuild, under one lock."""

    def __init__(self, dim: int, *, model: str, directory: Path | None = None, writable: bool = True,
                 capacity: int = GROW_STEP):
        self.dim = dim
        self.model = model
        self.directory = directory
        self.writable = writable
        self._lock = threading.RLock()
        self._index = _new_hnsw(dim, capacity)
        self._live = 0
        self._checkpoint = 0
        self._saved_checkpoint = -1  # the checkpoint of the file on disk; -1: none written by this store

    # -- opening -------------------------------------------------------------

    @classmethod
    def open(cls, directory: Path, model: str, dim: int, catalog: CatalogReading, *, writable: bool) -> VectorStore:
        """The model's index as of ``catalog``: loaded and caught up, or rebuilt from the stored vectors.

        Nothing is written here; the writer saves (``save``) when ``unsaved`` says so.
        """
        store = cls.load(directory, model, dim, writable=writable)
        if store is None:
            store = cls(dim, model=model, directory=directory, writable=writable)
            store.rebuild(catalog)
        else:
            store.catch_up(catalog)
        return store

    @staticmethod
    def paths(directory: Path, model: str) -> tuple[Path, Path]:
        safe = model.replace(os.sep, "_").replace("/", "_")
        return directory / f"{safe}.hnsw", directory / f"{safe}.hnsw.json"

    @classmethod
    def load(cls, directory: Path, model: str, dim: int, *, writable: bool = True) -> VectorStore | None:
        """The saved index, or None when it is missing, damaged or for other vectors."""
        index_path, stamp_path = cls.paths(directory, model)
        try:
            stamp = json.loads(stamp_path.read_text())
            if stamp.get("version") != STAMP_VERSION or stamp.get("model") != model or stamp.get("dim") != dim:
                logger.info("vector index %s: stamp does not match, rebuilding", index_path)
                return None
            with open(index_path, "rb") as f:
                checked = os.fstat(f.fileno())
                if checked.st_size != stamp.get("bytes"):
                    logger.warning("vector index %s: size differs from its stamp (truncated?), rebuilding",
                                   index_path)
                    return None
                if _crc32(f) != stamp.get("crc32"):
                    logger.warning("vector index %s is damaged (its checksum differs from its stamp), rebuilding",
                                   index_path)
                    return None
            store = cls(dim, model=model, directory=directory, writable=writable, capacity=16)
            index = hnswlib.Index(space="ip", dim=dim)
            index.load_index(str(index_path), max_elements=int(stamp["capacity"]), allow_replace_deleted=False)
            if _identity(os.stat(index_path)) != _identity(checked):
                # The writer replaced the file between the check and the load: what was loaded is unchecked.
                logger.info("vector index %s changed while it was loaded, rebuilding", index_path)
                return None
            index.set_ef(EF_SEARCH)
            store._index = index
            store._checkpoint = store._saved_checkpoint = int(stamp["checkpoint"])
            store._live = int(stamp["live"])
            return store
        except FileNotFoundError:
            logger.info("vector index for %s not found, building it from the catalog", model)
            return None
        except (OSError, ValueError, KeyError, TypeError, RuntimeError, json.JSONDecodeError) as exc:
            logger.warning("vector index %s unreadable (%s), rebuilding", index_path, exc)
            return None

    # -- keeping up with the catalog ----------------------------------------

    @property
    def checkpoint(self) -> int:
        """The catalog checkpoint of ``model`` this index matches."""
        with self._lock:
            return self._checkpoint

    def catch_up(self, catalog: CatalogReading) -> None:
        """Apply the catalog's changes since this index's checkpoint (or rebuild when that is impossible)."""
        with self._lock:
            current = catalog.checkpoint(self.model)
            if current == self._checkpoint:
                return
            tables = VectorTables(catalog)
            if current < self._checkpoint or self._checkpoint < tables.tombstones_pruned_upto(self.model):
                # newer than the catalog, or too old to catch up (removals since then were pruned)
                logger.warning("vector index of %s does not match the catalog's log; rebuilding", self.model)
                self.rebuild(catalog)
                return
            removed = tables.tombstones_after(self.model, self._checkpoint)
            self._remove(removed)
            added = 0
            for ids, vecs in tables.iter_vectors(self.model, after_seq=self._checkpoint):
                self._add(ids, vecs)
                added += len(ids)
            logger.info("caught up the vector index of %s: +%d -%d", self.model, added, len(removed))
            self._checkpoint = current

    def rebuild(self, catalog: CatalogReading) -> None:
        """Rebuild from the catalog's stored vectors (in memory; the writer saves)."""
        started = time.monotonic()
        with self._lock:
            tables = VectorTables(catalog)
            checkpoint = catalog.checkpoint(self.model)
            count = tables.vector_count(self.model)
            self._index = _new_hnsw(self.dim, max(count + 1000, 1000))
            self._live = 0
            for ids, vecs in tables.iter_vectors(self.model):
                self._add(ids, vecs)
            self._checkpoint = checkpoint
            logger.info("built the vector index of %s: %d vectors in %.1f s",
                        self.model, count, time.monotonic() - started)

    @property
    def unsaved(self) -> bool:
        """Whether the file on disk is behind this index."""
        with self._lock:
            return self._checkpoint != self._saved_checkpoint

    # -- updates (the writer) --------------------------------------------------

    def add(self, ids: np.ndarray, vectors: np.ndarray, *, checkpoint: int) -> None:
        """Add or replace vectors committed to the catalog at ``checkpoint``."""
        with self._lock:
            self._add(ids, vectors)
            self._checkpoint = max(self._checkpoint, checkpoint)

    def remove(self, ids: list[int], *, checkpoint: int) -> None:
        with self._lock:
            self._remove(ids)
            self._checkpoint = max(self._checkpoint, checkpoint)

    def _add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        ids = np.asarray(ids, dtype=np.int64)
        revived = sum(1 for label in ids.tolist() if not self._is_live(label))
        needed = self._index.get_current_count() + len(ids)
        if needed > self._index.get_max_elements():
            self._index.resize_index(max(self._index.get_max_elements() + GROW_STEP, int(needed * 1.25)))
        # Bulk loads (rebuilds, catch-ups) use every core; small pipeline batches stay on one thread.
        threads = -1 if len(ids) >= 1000 else 1
        self._index.add_items(np.ascontiguousarray(vectors, dtype=np.float32), ids, num_threads=threads)
        self._live += revived

    def _remove(self, ids: list[int]) -> None:
        for label in ids:
            if self._is_live(int(label)):
                self._index.mark_deleted(int(label))
                self._live -= 1

    def _is_live(self, label: int) -> bool:
        try:
            self._index.get_items([label])
            return True
        except RuntimeError:
            return False

    def save(self) -> None:
        """Write index then stamp, each atomically, so a crash never pairs a stamp with the wrong file."""
        if not self.writable or self.directory is None:
            raise LibraryError(f"the vector index of {self.model} is read-only")
        directory = self.directory
        try:
            private_subfolder(directory)  # 0700, and never a link planted in its place
        except OSError as exc:
            if exc.errno not in (errno.ELOOP, errno.EPERM):
                raise
            raise LibraryUnsafe(f"cannot save the vector index in {directory}: {exc.strerror}. "
                                f"Remove it (it is rebuilt from the catalog) and try again") from exc
        index_path, stamp_path = self.paths(directory, self.model)
        with self._lock:
            tmp = index_path.with_suffix(".hnsw.tmp")
            os.close(create_new(tmp))  # 0600, created anew: hnswlib then writes into this very file
            self._index.save_index(str(tmp))
            _fsync(tmp)
            with open(tmp, "rb") as f:
                crc = _crc32(f)
            stamp = {
                "version": STAMP_VERSION,
                "model": self.model,
                "dim": self.dim,
                "checkpoint": self._checkpoint,
                "capacity": self._index.get_max_elements(),
                "live": self._live,
                "bytes": tmp.stat().st_size,
                "crc32": crc,
                "M": M,
                "ef_construction": EF_CONSTRUCTION,
            }
            # Remove the old stamp first: a crash between the two renames leaves no stamp (rebuild), never a lie.
            stamp_path.unlink(missing_ok=True)
            os.replace(tmp, index_path)
            _write_atomic(stamp_path, json.dumps(stamp).encode())
            self._saved_checkpoint = self._checkpoint

    # -- queries -----------------------------------------------------------

    def __len__(self) -> int:
        with self._lock:
            return self._live

    def labels(self) -> set[int]:
        """Every live photo id (for consistency checks)."""
        with self._lock:
            ids = self._index.get_ids_list()
            return {int(i) for i in ids if self._is_live(int(i))}

    def search(
        self, query: np.ndarray, k: int, *, filter: Callable[[int], bool] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (ids, cosine scores) for one query vector, best first."""
        with self._lock:
            k = min(k, self._live)
            if k <= 0:
                return _EMPTY_IDS, _EMPTY_SCORES
            ef = max(EF_SEARCH, k)
            q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
            try:
                while True:
                    self._index.set_ef(ef)
                    try:
                        labels, dists = self._index.knn_query(q, k=k, num_threads=1, filter=filter)
                        break
                    except RuntimeError:
                        # Fewer than k reachable (tight filter or many deletions): widen, then give up on k.
                        if ef >= 4 * max(self._live, 1):
                            k -= max(1, k // 4)
                            if k <= 0:
                                return _EMPTY_IDS, _EMPTY_SCORES
                        else:
                            ef *= 4
            finally:
                self._index.set_ef(EF_SEARCH)
            return labels[0].astype(np.int64), (1.0 - dists[0]).astype(np.float32)


def _crc32(f: io.BufferedReader) -> int:
    """The CRC-32 of the rest of an open binary file (read in large chunks: about 1 GB/s)."""
    buffer = bytearray(4 << 20)
    view = memoryview(buffer)
    crc = 0
    while True:
        n = f.readinto(buffer)
        if not n:
            return crc
        crc = zlib.crc32(view[:n], crc)


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    """What tells one file apart from its replacement (a rename gives a new inode and mtime)."""
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    write_new(tmp, data)  # 0600, never through a link
    os.replace(tmp, path)


class VectorStores:
    """The vector stores of one library, by model, each opened on first use.

    The writer's registry (``WriterStores``) is shared with the readers of the
    same process; a reader in another process has a private, read-only one.
    """

    def __init__(self, directory: Path, *, writable: bool):
        self.directory = directory
        self.writable = writable
        self._lock = threading.Lock()
        self._stores: dict[str, VectorStore] = {}

    def get(self, model: str, dim: int, catalog: CatalogReading) -> VectorStore:
        """The store of ``model``, opened (loaded and caught up, or built in memory) if it is not yet."""
        with self._lock:
            store = self._stores.get(model)
            if store is None:
                store = VectorStore.open(self.directory, model, dim, catalog, writable=self.writable)
                self._stores[model] = store
            return store

    def search_index(self, model: str, dim: int, catalog: CatalogReading) -> SearchIndex:
        """The store of ``model`` for a reader with a private registry: opened if needed and caught up in
        memory from ``catalog`` (it follows the writer of another process).  A writer's registry refuses:
        its readers search what the writer loaded (``WriterStores.shared``)."""
        if self.writable:
            raise LibraryError("a reader never opens or catches up a writable vector index")
        store = self.get(model, dim, catalog)
        store.catch_up(catalog)
        return store

    def loaded(self) -> list[VectorStore]:
        with self._lock:
            return list(self._stores.values())
