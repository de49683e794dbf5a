"""``Library``: the facade that ties catalog, vectors, models, scanning and search together.

A library is a directory::

    catalog.sqlite      folders, photos, stored vectors (the source of truth)
    vectors/            one HNSW file per model (+ stamp): a derived cache
    thumbnails/         one JPEG per photo id
    settings.toml       model, providers, threads, exclusions
    photoseek.log       log file (written by the entry points)
    lock                pid of the process that has it open for writing

Thread model: a ``Library`` may be used from several threads at once (the GUI's
index worker and search worker): each thread gets its own SQLite connection;
the vector indexes are shared behind their own locks; only one thread at a time
should run ``index``/``watch`` (the writer).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import paths
from .cancel import CancelToken
from .catalog import Catalog, FolderRow, encode_path
from .config import Settings
from .errors import LibraryError, ModelError, ModelNotFound, UsageError
from .gallery_stats import GalleryStatsCache
from .lock import LibraryLock
from .models.bundle import ModelBundle
from .models.encoder import Encoder
from .models.registry import installed_models, resolve_model
from .pipeline import EmbeddingPipeline, Progress
from .scanner import Excluder, FileEntry, ScanResult, reconcile, stat_entry, walk
from .search import Hit, Query, Searcher
from .thumbnails import ThumbnailStore
from .vectors import VectorIndex

logger = logging.getLogger(__name__)

CATALOG_FILE = "catalog.sqlite"
VECTOR_SAVE_INTERVAL_S = 60.0
FULL_CHECK_MAX_BYTES = 256 << 20


@dataclass(frozen=True)
class FolderInfo:
    path: Path
    online: bool
    photos: int
    indexed: int
    failed: int


@dataclass(frozen=True)
class Failure:
    path: Path
    reason: str

    def to_json(self) -> dict:
        return {"path": str(self.path), "reason": self.reason}


class Library:
    """An open photo library.  Use ``Library.open(path)``; close it (or use ``with``)."""

    def __init__(self, path: Path, *, readonly: bool, model: str | None = None):
        self.path = path
        self.readonly = readonly
        self._model_override = model
        self._local = threading.local()
        self._catalogs: list[Catalog] = []
        self._catalogs_lock = threading.Lock()
        self._lock = LibraryLock(path / "lock")
        self._encoders: dict[str, Encoder] = {}
        self._vectors: dict[str, VectorIndex] = {}
        self._state_lock = threading.RLock()
        self._stats: dict[str, GalleryStatsCache] = {}
        self._bundles: dict[str, tuple[ModelBundle, int | None]] = {}
        self.settings = Settings.load(path) if path.exists() else Settings()
        self.thumbnails = ThumbnailStore(path / "thumbnails")
        self.last_decoded = 0  # photos decoded by the last index run (tests, summaries)

    # -- opening and closing -------------------------------------------------

    @classmethod
    def open(cls, path: Path | str | None = None, *, readonly: bool = False, model: str | None = None) -> Library:
        """Open (creating when writable) the library at ``path`` (default: ``$PHOTOSEEK_LIBRARY`` or the data dir).

        ``model`` overrides the library's model for this session (a name or a bundle directory).
        Read-only opens take no lock and can run beside a writer (a search beside ``watch``).
        """
        path = Path(path).expanduser() if path else paths.default_library_dir()
        path = path.absolute()
        if path.exists() and not path.is_dir():
            raise LibraryError(f"{path} is not a directory")
        if readonly and not (path / CATALOG_FILE).exists():
            raise LibraryError(f"no Photoseek library at {path}: add a folder first (photoseek index FOLDER)")
        if not readonly:
            try:
                path.mkdir(parents=True, exist_ok=True)
                probe = path / ".write-test"
                probe.write_bytes(b"")
                probe.unlink()
            except OSError as exc:
                raise LibraryError(f"cannot write to the library folder {path}: {exc.strerror}") from exc
        self = cls(path, readonly=readonly, model=model)
        if not readonly:
            self._lock.acquire()
        try:
            catalog = self.catalog
            size = (path / CATALOG_FILE).stat().st_size if (path / CATALOG_FILE).exists() else 0
            if size <= FULL_CHECK_MAX_BYTES:
                catalog.check_integrity()
            if not readonly:
                catalog.migrate()
            elif catalog.schema_version() == 0:
                raise LibraryError(f"no Photoseek library at {path}")
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Save the vector indexes, close connections, release the lock."""
        if not self.readonly:
            for model in list(self._vectors):
                try:
                    self._save_vectors(model)
                except OSError as exc:
                    logger.warning("could not save the vector index of %s: %s", model, exc)
        for encoder in self._encoders.values():
            encoder.close()
        self._encoders.clear()
        with self._catalogs_lock:
            for catalog in self._catalogs:
                try:
                    catalog.close()
                except Exception:  # noqa: BLE001 - closing from another thread; the connection dies with it
                    pass
            self._catalogs.clear()
        self._local = threading.local()
        self._lock.release()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def catalog(self) -> Catalog:
        """This thread's connection to the catalog."""
        catalog = getattr(self._local, "catalog", None)
        if catalog is None:
            catalog = Catalog(self.path / CATALOG_FILE, readonly=self.readonly)
            self._local.catalog = catalog
            with self._catalogs_lock:
                self._catalogs.append(catalog)
        return catalog

    def _require_writable(self) -> None:
        if self.readonly:
            raise LibraryError("the library is open read-only")

    def save_settings(self) -> None:
        self._require_writable()
        self.settings.save(self.path)

    # -- folders -------------------------------------------------------------

    def add_folder(self, folder: Path | str) -> FolderRow:
        self._require_writable()
        folder = Path(folder).expanduser().absolute()
        if not folder.is_dir():
            raise UsageError(f"{folder} is not a folder")
        for existing in self.catalog.folders():
            if folder == existing.path:
                return existing
            if existing.path in folder.parents:
                raise UsageError(f"{folder} is already watched as part of {existing.path}")
        row = self.catalog.add_folder(folder)
        # A new parent folder takes over the photos of watched subfolders (keeping their vectors).
        for existing in self.catalog.folders():
            if folder in existing.path.parents:
                with self.catalog.transaction():
                    self.catalog.conn.execute(
                        "UPDATE photos SET folder_id=? WHERE folder_id=?", (row.id, existing.id)
                    )
                    self.catalog.conn.execute("DELETE FROM folders WHERE id=?", (existing.id,))
        return row

    def remove_folder(self, folder: Path | str) -> int:
        """Forget a folder and its photos (the files are untouched). Returns photos removed."""
        self._require_writable()
        folder = Path(folder).expanduser().absolute()
        for row in self.catalog.folders():
            if row.path == folder:
                ids = self.catalog.remove_folder(row.id)
                self._sync_vectors()
                self.thumbnails.remove(ids)
                return len(ids)
        raise UsageError(f"{folder} is not one of the library's folders")

    def folders(self) -> list[FolderInfo]:
        model = self._serving_model_name()
        counts = self.catalog.folder_counts(model)
        out = []
        for row in self.catalog.folders():
            c = counts.get(row.id, {"photos": 0, "indexed": 0, "failed": 0})
            out.append(FolderInfo(row.path, row.online, c["photos"], c["indexed"], c["failed"]))
        return out

    # -- models --------------------------------------------------------------

    def model_ref(self) -> str:
        """The configured model (name or bundle dir), or raise a ``ModelNotFound`` that says how to get one."""
        ref = self._model_override or self.settings.model or os.environ.get("PHOTOSEEK_MODEL", "")
        if ref:
            return ref
        # The model this library already has vectors from, if its bundle is still where it was.
        for (source,) in self.catalog.conn.execute("SELECT source FROM models ORDER BY added_at DESC"):
            if Path(source).is_dir():
                return source
        installed = installed_models(paths.models_dir())
        if installed:
            return installed[0].name
        raise ModelNotFound(
            "no model installed: run `photoseek models download ViT-B-32__laion2b-s34b-b79k`, "
            "or `photoseek models import DIR` for a bundle you have"
        )

    def bundle(self, ref: str | None = None) -> ModelBundle:
        # Loading a bundle parses tokenizer.json (MBs of JSON, GIL held): status(), folders() and
        # every search ask for it, so keep it while the bundle's config.json is unchanged.
        ref = ref or self.model_ref()
        cached = self._bundles.get(ref)
        if cached is not None and cached[1] == _bundle_stamp(cached[0].path):
            return cached[0]
        bundle = resolve_model(ref, paths.models_dir())
        self._bundles[ref] = (bundle, _bundle_stamp(bundle.path))
        return bundle

    def encoder(self, ref: str | None = None) -> Encoder:
        bundle = self.bundle(ref)
        with self._state_lock:
            enc = self._encoders.get(bundle.name)
            if enc is None:
                enc = Encoder(bundle, providers=self.settings.providers or None, threads=self.settings.threads or None)
                self._encoders[bundle.name] = enc
            return enc

    def use_model(self, ref: str) -> ModelBundle:
        """Make ``ref`` the library's model; its vectors are built by the next index run."""
        self._require_writable()
        bundle = self.bundle(ref)
        self.settings.model = ref if Path(ref).expanduser().is_dir() else bundle.name
        self.save_settings()
        return bundle

    def _register(self, encoder: Encoder) -> None:
        source = str(encoder.bundle.path)
        dim = self.catalog.model_dim(encoder.model_id)
        if dim is not None and dim != encoder.dim:
            raise ModelError(
                f"model {encoder.model_id} now has {encoder.dim}-dimensional vectors but the library holds "
                f"{dim}-dimensional ones under that name; import it under another name"
            )
        if not self.readonly:
            self.catalog.register_model(encoder.model_id, source, encoder.dim)

    def _serving_model_name(self) -> str | None:
        """The model whose vectors answer searches: the configured one once it covers the library;
        meanwhile (a model switch re-embedding in the background) the model with the most vectors."""
        try:
            active: str | None = self.bundle().name
        except ModelError:
            active = None
        if active is not None and self.catalog.counts(active)["pending"] == 0:
            return active
        with_vectors = self.catalog.models_with_vectors()
        if not with_vectors:
            return active
        best = max(with_vectors, key=lambda name: (with_vectors[name], name == active))
        if active is not None and with_vectors.get(active, 0) >= with_vectors[best]:
            return active
        return best

    def _searching_encoder(self, ref: str | None) -> Encoder:
        if ref is not None or self._model_override:
            return self.encoder(ref)
        name = self._serving_model_name()
        with self._state_lock:
            loaded = self._encoders.get(name) if name else None
        if loaded is not None:
            return loaded
        try:
            active: ModelBundle | None = self.bundle()
        except ModelError:
            active = None
        if name is None or (active is not None and active.name == name):
            return self.encoder()
        try:
            return self.encoder(name)
        except ModelNotFound:
            # A model given as a bundle directory is known to the catalog by its source path.
            row = self.catalog.conn.execute("SELECT source FROM models WHERE name=?", (name,)).fetchone()
            if row and Path(row[0]).is_dir():
                return self.encoder(row[0])
            raise

    # -- vectors -------------------------------------------------------------

    def vectors(self, encoder: Encoder) -> VectorIndex:
        """The model's HNSW index, loaded and caught up with the catalog (or rebuilt)."""
        model = encoder.model_id
        with self._state_lock:
            index = self._vectors.get(model)
            if index is None:
                self._register(encoder)
                index = VectorIndex.load(self.path / "vectors", model, encoder.dim)
                if index is None:
                    index = self._build_vectors(model, encoder.dim)
                self._vectors[model] = index
            self._catch_up(index)
            return index

    def _build_vectors(self, model: str, dim: int) -> VectorIndex:
        catalog = self.catalog
        checkpoint = catalog.checkpoint(model)
        count = catalog.vector_count(model)
        started = time.monotonic()
        index = VectorIndex(dim, model=model, capacity=max(count + 1000, 1000))
        for ids, vecs in catalog.iter_vectors(model):
            index.add(ids, vecs)
        index.checkpoint = checkpoint
        logger.info("built the vector index of %s: %d vectors in %.1f s", model, count, time.monotonic() - started)
        if not self.readonly:
            index.save(self.path / "vectors")
        return index

    def _catch_up(self, index: VectorIndex) -> None:
        catalog = self.catalog
        current = catalog.checkpoint(index.model)
        if current == index.checkpoint:
            return
        if current < index.checkpoint or index.checkpoint < catalog.tombstones_pruned_upto(index.model):
            # newer than the catalog, or too old to catch up (removals since then were pruned)
            logger.warning("vector index of %s does not match the catalog's log; rebuilding", index.model)
            rebuilt = self._build_vectors(index.model, index.dim)
            index.__dict__.update(rebuilt.__dict__)
            return
        removed = catalog.tombstones_after(index.model, index.checkpoint)
        index.remove(removed)
        added = 0
        for ids, vecs in catalog.iter_vectors(index.model, after_seq=index.checkpoint):
            index.add(ids, vecs)
            added += len(ids)
        logger.info("caught up the vector index of %s: +%d -%d", index.model, added, len(removed))
        index.checkpoint = current

    def _save_vectors(self, model: str) -> None:
        index = self._vectors.get(model)
        if index is None:
            return
        index.save(self.path / "vectors")
        self.catalog.prune_tombstones(model, index.checkpoint)

    def _sync_vectors(self) -> None:
        """Bring every loaded vector index up to the catalog (after scans and folder removals)."""
        with self._state_lock:
            for index in self._vectors.values():
                self._catch_up(index)

    def rebuild(self) -> int:
        """Rebuild the current model's vector index from the stored vectors. Returns its size."""
        self._require_writable()
        encoder = self.encoder()
        self._register(encoder)
        with self._state_lock:
            index = self._build_vectors(encoder.model_id, encoder.dim)
            self._vectors[encoder.model_id] = index
            return len(index)

    # -- indexing ------------------------------------------------------------

    def scan(self, cancel: CancelToken | None = None) -> ScanResult:
        """Reconcile every folder with the disk (no decoding)."""
        self._require_writable()
        cancel = cancel or CancelToken()
        excluder = Excluder(self.settings.excluded)
        total = ScanResult()
        for folder in self.catalog.folders():
            cancel.raise_if_cancelled()
            if not folder.path.is_dir():
                if folder.online:
                    logger.warning("folder %s is offline (missing or unplugged); keeping its photos", folder.path)
                    self.catalog.set_folder_online(folder.id, False)
                total.offline_folders.append(folder.path)
                continue
            if not folder.online:
                logger.info("folder %s is back online", folder.path)
                self.catalog.set_folder_online(folder.id, True)
            seen = {encode_path(e.path): e for e in walk(folder, excluder)}
            known = self.catalog.photos_in_folder(folder.id)
            total.merge(reconcile(self.catalog, seen, known))
        self._apply_scan(total)
        return total

    def scan_paths(self, changed: list[Path]) -> ScanResult:
        """Reconcile only ``changed`` paths (files or directories), e.g. from the file watcher."""
        self._require_writable()
        excluder = Excluder(self.settings.excluded)
        folders = [f for f in self.catalog.folders() if f.online]
        seen: dict[bytes, FileEntry] = {}
        known = {}
        for path in changed:
            folder = next((f for f in folders if f.path == path or f.path in path.parents), None)
            if folder is None:
                continue
            if any(excluder.skip_dir(p) for p in path.parents if folder.path in p.parents):
                continue
            known.update(self.catalog.photos_under(path))
            row = self.catalog.photo_by_path(path)
            if row is not None:
                known[encode_path(path)] = row
            if path.is_dir():
                sub = FolderRow(folder.id, path, True)
                seen.update({encode_path(e.path): e for e in walk(sub, excluder)})
            else:
                entry = stat_entry(path, folder.id)
                if entry is not None and not path.name.startswith("."):
                    seen[encode_path(path)] = entry
        result = reconcile(self.catalog, seen, known)
        self._apply_scan(result)
        return result

    def _apply_scan(self, result: ScanResult) -> None:
        if result.removed_ids or result.reused_ids:
            self._sync_vectors()
        if result.removed_ids:
            known = self.catalog.photos_by_id(result.removed_ids)
            self.thumbnails.remove([i for i in result.removed_ids if i not in known])
        if result.reused_ids:
            self._copy_thumbnails(result.reused_ids)

    def _copy_thumbnails(self, ids: list[int]) -> None:
        """Copies get their twin's vectors without decoding: give them its thumbnail too."""
        for pid, row in self.catalog.photos_by_id(ids).items():
            if not row.quick_hash or self.thumbnails.path(pid).exists():
                continue
            for twin in self.catalog.photos_by_hash(row.quick_hash):
                src = self.thumbnails.path(twin.id)
                if twin.id != pid and src.exists():
                    try:
                        self.thumbnails.copy(twin.id, pid)
                    except OSError as exc:  # the app falls back to the photo itself
                        logger.warning("could not copy the thumbnail of photo %d: %s", twin.id, exc)
                    break

    def index(
        self, folders: list[Path | str] | None = None, *, cancel: CancelToken | None = None, workers: int | None = None
    ) -> Iterator[Progress]:
        """Add ``folders`` (if new), reconcile every folder with the disk, embed what is pending.

        A generator of ``Progress``; stops early (consistently) when ``cancel`` is cancelled.
        """
        self._require_writable()
        cancel = cancel or CancelToken()
        for folder in folders or []:
            self.add_folder(folder)
        encoder = self.encoder()
        index = self.vectors(encoder)
        yield Progress("scanning", message="looking for new and changed photos")
        scan = self.scan(cancel)
        logger.info(
            "scan: %d files, %d new, %d changed, %d moved, %d copied, %d deleted",
            scan.seen, scan.new, scan.changed, scan.moved, scan.copied, scan.deleted,
        )
        yield from self.embed_pending(encoder, index, cancel=cancel, workers=workers)

    def embed_pending(
        self, encoder: Encoder, index: VectorIndex, *, cancel: CancelToken, workers: int | None = None
    ) -> Iterator[Progress]:
        pipeline = EmbeddingPipeline(
            self.catalog,
            encoder,
            index,
            self.thumbnails,
            batch_size=self.settings.batch_size,
            workers=self.settings.decode_workers if workers is None else workers,
        )
        last_save = time.monotonic()
        last: Progress | None = None
        try:
            for progress in pipeline.run(cancel):
                last = progress
                yield progress
                if time.monotonic() - last_save > VECTOR_SAVE_INTERVAL_S:
                    self._save_vectors(encoder.model_id)
                    last_save = time.monotonic()
        finally:
            self.last_decoded = pipeline.decoded_count
            self._save_vectors(encoder.model_id)
        done = last.done if last else 0
        yield Progress("done", done, last.total if last else 0, last.rate if last else 0.0, 0.0, None,
                       last.failed if last else 0)

    # -- queries and reports -------------------------------------------------

    def search(self, query: Query, *, model: str | None = None) -> list[Hit]:
        encoder = self._searching_encoder(model)
        index = self.vectors(encoder)
        stats = self._gallery_stats(encoder, index)
        return Searcher(self.catalog, index, encoder, stats).search(query)

    def _gallery_stats(self, encoder: Encoder, index: VectorIndex) -> GalleryStatsCache:
        with self._state_lock:
            stats = self._stats.get(encoder.model_id)
            if stats is None:
                stats = GalleryStatsCache(self, encoder)
                self._stats[encoder.model_id] = stats
            return stats

    def status(self) -> dict:
        try:
            model = self.bundle().name
        except ModelError:
            model = None
        counts = self.catalog.counts(model)
        return {
            "photos": counts["photos"],
            "indexed": counts["indexed"],
            "pending": counts["pending"],
            "failed": counts["failed"],
            "folders": len(self.catalog.folders()),
            "model": model,
            "offline_folders": [str(f.path) for f in self.catalog.folders() if not f.online],
            "library": str(self.path),
        }

    def failures(self) -> list[Failure]:
        return [Failure(r.path, r.error or "unknown error") for r in self.catalog.failures()]

    def thumbnail_path(self, photo_id: int) -> Path:
        return self.thumbnails.path(photo_id)

    def sample_vectors(self, model: str, n: int, seed: int = 0) -> np.ndarray:
        """Up to ``n`` stored vectors of ``model``, chosen at random (for query statistics)."""
        ids = [r[0] for r in self.catalog.conn.execute("SELECT photo_id FROM embeddings WHERE model=?", (model,))]
        if not ids:
            return np.zeros((0, 0), dtype=np.float32)
        rng = np.random.default_rng(seed)
        chosen = rng.choice(len(ids), size=min(n, len(ids)), replace=False)
        _, vecs = self.catalog.vectors(model, [ids[i] for i in sorted(chosen)])
        return vecs


def _bundle_stamp(path: Path) -> int | None:
    try:
        return (Path(path) / "config.json").stat().st_mtime_ns
    except OSError:
        return None
