"""``Library``: the one writer of a photo library.

A library is a directory::

    catalog.sqlite      folders, photos, stored vectors (the source of truth)
    vectors/            one HNSW file per model (+ stamp): a derived cache
    thumbnails/         one JPEG per photo id
    settings.toml       model, providers, threads, exclusions
    photoseek.log       log file (written by the entry points)
    lock                pid of the process that has it open for writing

One writer, many readers: a ``Library`` is the only object that changes any of
these files, and one process at a time holds it (the ``lock`` file).  It runs
on one thread at a time (the app's index thread, or the command's main
thread).  Readers -- ``Library.reader()`` in the same process, or
``LibraryReader.open`` in another -- search and report without writing.

The writer's work is one generator, ``sync(paths=None)``: reconcile the
folders (or just ``paths``) with the disk, then embed what is pending.
``index`` adds folders and syncs everything; the watcher decides when to sync
what changed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Sequence
from pathlib import Path

from .cancel import CancelToken
from .catalog import Catalog, FolderRow, encode_path
from .config import Settings
from .connections import CatalogConnections
from .errors import LibraryError, UsageError
from .library_reader import CATALOG_FILE, FULL_CHECK_MAX_BYTES, LibraryReader, folder_infos, library_dir, library_status
from .lock import LibraryLock
from .model_choice import ModelChoice
from .models.bundle import ModelBundle
from .models.encoder import Encoder
from .pipeline import EmbeddingPipeline, Phase, Progress
from .scanner import Excluder, FileEntry, ScanResult, reconcile, stat_entry, walk
from .status import FolderInfo, LibraryStatus
from .thumbnails import ThumbnailStore
from .vector_store import VectorStore, VectorStores

logger = logging.getLogger(__name__)

VECTOR_SAVE_INTERVAL_S = 60.0

__all__ = ["CATALOG_FILE", "Library"]


class Library:
    """An open photo library, for writing.  Use ``Library.open(path)``; close it (or use ``with``)."""

    def __init__(self, path: Path, *, model: str | None = None):
        self.path = path
        self.settings = Settings.load(path)
        self.thumbnails = ThumbnailStore(path / "thumbnails")
        self.models = ModelChoice(self.settings, override=model)
        self._connections = CatalogConnections(path / CATALOG_FILE, readonly=False)
        self._stores = VectorStores(path / "vectors", writable=True)
        self._lock = LibraryLock(path / "lock")
        self._reader: LibraryReader | None = None
        self.last_decoded = 0  # photos decoded by the last sync (tests, summaries)

    # -- opening and closing -------------------------------------------------

    @classmethod
    def open(cls, path: Path | str | None = None, *, model: str | None = None) -> Library:
        """Open (creating it if needed) the library at ``path`` for writing.

        ``path`` defaults to ``$PHOTOSEEK_LIBRARY`` or the data dir; ``model`` overrides the
        library's model for this session (a name or a bundle directory).  Raises
        ``LibraryLocked`` while another live process has it open for writing.
        """
        path = library_dir(path)
        if path.exists() and not path.is_dir():
            raise LibraryError(f"{path} is not a directory")
        try:
            path.mkdir(parents=True, exist_ok=True)
            probe = path / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise LibraryError(f"cannot write to the library folder {path}: {exc.strerror}") from exc
        self = cls(path, model=model)
        self._lock.acquire()
        try:
            catalog = self.catalog
            if (path / CATALOG_FILE).stat().st_size <= FULL_CHECK_MAX_BYTES:
                catalog.check_integrity()
            catalog.migrate()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Save the vector indexes, close readers and connections, release the lock."""
        for store in self._stores.loaded():
            try:
                self._save_store(store)
            except OSError as exc:
                logger.warning("could not save the vector index of %s: %s", store.model, exc)
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self.models.close()
        self._connections.close_all()
        self._lock.release()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def catalog(self) -> Catalog:
        """This thread's connection to the catalog (the writer's thread writes through it)."""
        return self._connections.get()

    def reader(self) -> LibraryReader:
        """A reader of this library for other threads of this process (search, status).

        It shares this writer's vector stores and model sessions, so searches see photos as
        they are indexed, and it cannot write.  Closed with the library.
        """
        if self._reader is None:
            self._reader = LibraryReader(self.path, models=self.models, stores=self._stores, owns_state=False)
        return self._reader

    def save_settings(self) -> None:
        self.settings.save(self.path)
        self.models.set_settings(self.settings)

    # -- reports (the writer may read its own library) -----------------------

    def status(self) -> LibraryStatus:
        return library_status(self.catalog, self.models, self.path)

    def folders(self) -> list[FolderInfo]:
        return folder_infos(self.catalog, self.models)

    # -- folders -------------------------------------------------------------

    def add_folder(self, folder: Path | str) -> FolderRow:
        folder = Path(folder).expanduser().absolute()
        if not folder.is_dir():
            raise UsageError(f"{folder} is not a folder")
        for existing in self.catalog.folders():
            if folder == existing.path:
                return existing
            if existing.path in folder.parents:
                raise UsageError(f"{folder} is already watched as part of {existing.path}")
        row = self.catalog.add_folder(folder)
        for existing in self.catalog.folders():
            if folder in existing.path.parents:
                self.catalog.merge_folder(existing.id, row.id)
        return row

    def remove_folder(self, folder: Path | str) -> int:
        """Forget a folder and its photos (the files are untouched). Returns photos removed."""
        folder = Path(folder).expanduser().absolute()
        for row in self.catalog.folders():
            if row.path == folder:
                ids = self.catalog.remove_folder(row.id)
                self._catch_up_stores()
                self.thumbnails.remove(ids)
                return len(ids)
        raise UsageError(f"{folder} is not one of the library's folders")

    # -- models --------------------------------------------------------------

    def model_ref(self) -> str:
        """The configured model (name or bundle dir), or raise a ``ModelNotFound`` that says how to get one."""
        return self.models.configured_ref(self.catalog)

    def bundle(self, ref: str | None = None) -> ModelBundle:
        return self.models.bundle(self.catalog, ref)

    def encoder(self, ref: str | None = None) -> Encoder:
        return self.models.encoder(self.catalog, ref)

    def use_model(self, ref: str) -> ModelBundle:
        """Make ``ref`` the library's model; its vectors are built by the next sync.

        Until they cover the library, the previous model keeps answering searches.
        """
        bundle = self.bundle(ref)
        self.settings.model = ref if Path(ref).expanduser().is_dir() else bundle.name
        self.save_settings()
        return bundle

    # -- vector stores ---------------------------------------------------------

    def store(self, encoder: Encoder) -> VectorStore:
        """The model's vector store, registered in the catalog, loaded and caught up (or rebuilt and saved)."""
        catalog = self.catalog
        self.models.check_dim(catalog, encoder)
        catalog.register_model(encoder.model_id, str(encoder.bundle.path), encoder.dim)
        store = self._stores.get(encoder.model_id, encoder.dim, catalog)
        store.catch_up(catalog)
        if store.unsaved:
            self._save_store(store)
        return store

    def rebuild(self) -> int:
        """Rebuild the current model's vector index from the stored vectors. Returns its size."""
        store = self.store(self.encoder())
        store.rebuild(self.catalog)
        self._save_store(store)
        return len(store)

    def _save_store(self, store: VectorStore) -> None:
        if not store.unsaved:
            return
        store.save()
        self.catalog.prune_tombstones(store.model, store.checkpoint)

    def _catch_up_stores(self) -> None:
        """Bring every loaded vector store up to the catalog (after scans and folder removals)."""
        for store in self._stores.loaded():
            store.catch_up(self.catalog)

    # -- syncing -------------------------------------------------------------

    def index(
        self, folders: Sequence[Path | str] | None = None, *, cancel: CancelToken | None = None,
        workers: int | None = None,
    ) -> Generator[Progress, None, None]:
        """Add ``folders`` (if new), then ``sync`` every folder."""
        for folder in folders or []:
            self.add_folder(folder)
        yield from self.sync(cancel=cancel, workers=workers)

    def sync(
        self, paths: Sequence[Path] | None = None, *, cancel: CancelToken | None = None, workers: int | None = None
    ) -> Generator[Progress, None, None]:
        """Reconcile the folders (or only ``paths``, files or directories) with the disk, then embed
        what is pending.  A generator of ``Progress``; stops early (consistently) when ``cancel``
        is cancelled, and always ends with a ``DONE`` report."""
        cancel = cancel or CancelToken()
        encoder = self.encoder()
        store = self.store(encoder)
        yield Progress(Phase.SCANNING, message="looking for new and changed photos")
        scan = self.scan(cancel) if paths is None else self.scan_paths(list(paths))
        logger.info(
            "scan: %d files, %d new, %d changed, %d moved, %d copied, %d deleted",
            scan.seen, scan.new, scan.changed, scan.moved, scan.copied, scan.deleted,
        )
        yield from self._embed_pending(encoder, store, cancel=cancel, workers=workers)

    def scan(self, cancel: CancelToken | None = None) -> ScanResult:
        """Reconcile every folder with the disk (no decoding)."""
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
            self._catch_up_stores()
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

    def _embed_pending(
        self, encoder: Encoder, store: VectorStore, *, cancel: CancelToken, workers: int | None = None
    ) -> Generator[Progress, None, None]:
        pipeline = EmbeddingPipeline(
            self.catalog,
            encoder,
            store,
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
                    self._save_store(store)
                    last_save = time.monotonic()
        finally:
            self.last_decoded = pipeline.decoded_count
            self._save_store(store)
        yield Progress(Phase.DONE, last.done if last else 0, last.total if last else 0,
                       last.rate if last else 0.0, 0.0, None, last.failed if last else 0)
