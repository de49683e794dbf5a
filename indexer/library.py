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

import errno
import logging
import os
import time
from collections.abc import Callable, Generator, Sequence
from pathlib import Path

from indexer import private_files
from indexer.cancel import CancelToken
from indexer.catalog import Catalog, FolderRow
from indexer.clip.model_choice import ModelChoice
from indexer.clip.model_replacement import drop_replaced_vectors, makes_stored_vectors
from indexer.clip.pipeline import EmbeddingPipeline
from indexer.clip.vector_store import VectorStore
from indexer.clip.vector_tables import VectorTables
from indexer.clip.writer_stores import WriterStores
from indexer.config import Settings
from indexer.connections import CatalogConnections
from indexer.default_schemas import DEFAULT_SCHEMAS
from indexer.default_stages import DEFAULT_STAGES
from indexer.duplicates.cleanup import CleanupReport, UndoReport, trash_duplicates, undo_cleanup
from indexer.errors import LibraryError, LibraryReadOnly, ModelError, UsageError
from indexer.folder_scan import FolderScan
from indexer.folder_walk import Excluder
from indexer.library_files import CATALOG_FILE, FULL_CHECK_MAX_BYTES, library_dir
from indexer.library_folders import add_folder, library_excluder
from indexer.library_reader import LibraryReader, folder_infos, library_status
from indexer.lock import LibraryLock
from indexer.models.bundle import ModelBundle
from indexer.models.encoder import Encoder
from indexer.paths import models_dir
from indexer.progress import Phase, Progress
from indexer.scanner import ScanResult
from indexer.stages import Stage, StageContext, registered_stages
from indexer.status import FolderInfo, LibraryStatus
from indexer.text.stage import TextStage
from indexer.thumbnails import ThumbnailStore, copy_twin_thumbnails

logger = logging.getLogger(__name__)

VECTOR_SAVE_INTERVAL_S = 60.0

__all__ = ["Library"]


class Library:
    """An open photo library, for writing.  Use ``Library.open(path)``; close it (or use ``with``)."""

    def __init__(self, path: Path, *, model: str | None = None):
        self.path = path
        self.settings = Settings.load(path)
        self.thumbnails = ThumbnailStore(path / "thumbnails")
        self.models = ModelChoice(self.settings, override=model)
        self._connections = CatalogConnections(path / CATALOG_FILE, readonly=False)
        self._stores = WriterStores(path / "vectors")
        self._lock = LibraryLock(path / "lock")
        self._reader: LibraryReader | None = None
        self.last_decoded = 0  # photos decoded by the last sync (tests, summaries)
        self.last_scan = ScanResult()  # what the last reconciliation found (summaries: moved, removed)
        # the later stages of every sync, in order (each capability's indexing after embedding)
        self.stages: list[Stage] = [factory() for factory in (*DEFAULT_STAGES, *registered_stages())]

    # -- opening and closing -------------------------------------------------

    @classmethod
    def open(cls, path: Path | str | None = None, *, model: str | None = None) -> Library:
        """Open (creating it if needed) the library at ``path`` for writing.

        ``path`` defaults to ``$PHOTOSEEK_LIBRARY`` or the data dir; ``model`` overrides the
        library's model for this session (a name or a bundle directory).  Raises
        ``LibraryLocked`` while another live process has it open for writing, and
        ``LibraryReadOnly`` for a library that cannot be written (it can still be read), and
        ``LibraryUnsafe`` for a folder of another user or one others may write to (``private_files``);
        a new library folder is made 0700 (an existing one that holds a catalog loses what others may read).
        A catalog is created only where there is none: an empty, damaged or foreign file
        in its place is reported (``CatalogCorrupt``, ``LibraryError``) before anything
        in the folder is written.
        """
        path = library_dir(path)
        if path.exists() and not path.is_dir():
            raise LibraryError(f"{path} is not a directory")
        catalog_path = path / CATALOG_FILE
        exists = os.path.lexists(catalog_path)
        if path.is_dir() and os.access(path, os.W_OK):  # one it cannot write is read-only (below)
            # another user's folder, or one others may write to, is refused (LibraryUnsafe)
            private_files.secure_library_folder(path, holds_library=exists)
        if exists:
            Catalog(catalog_path, readonly=True).close()  # is it a Photoseek catalog? (reads only)
        try:
            private_files.create_library_folder(path)  # 0700, in a folder checked first
            probe = path / ".write-test"
            os.close(private_files.create_new(probe))  # never through a link planted there
            probe.unlink()
            if exists and not os.access(catalog_path, os.W_OK):
                raise PermissionError(errno.EACCES, "the catalog is read-only", str(catalog_path))
        except OSError as exc:
            if exists and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                why = "it is on a read-only disk" if exc.errno == errno.EROFS else "permission denied"
                raise LibraryReadOnly(
                    f"the library {path} is read-only ({why}): it can be searched, but not indexed or changed"
                ) from exc
            raise LibraryError(f"cannot write to the library folder {path}: {exc.strerror}") from exc
        self = cls(path, model=model)
        self._lock.acquire()
        try:
            if not os.path.lexists(catalog_path):
                Catalog(catalog_path, create=True).close()  # a new library: the catalog, complete or not at all
            catalog = self.catalog
            if (path / CATALOG_FILE).stat().st_size <= FULL_CHECK_MAX_BYTES:
                catalog.check_integrity()
            catalog.migrate(DEFAULT_SCHEMAS)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Save the vector indexes, close readers and connections, release the lock."""
        for store in self._stores.loaded():
            try:
                self._save_store(store)
            except (OSError, LibraryError) as exc:  # LibraryUnsafe: a link in the vectors folder's place
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
        """A reader for other threads of this process (search, status), closed with the library: it cannot
        write, and shares this writer's model sessions and the vector stores this writer loads and keeps current."""
        if self._reader is None:
            self._reader = LibraryReader(self.path, models=self.models, stores=self._stores.shared(), owns_state=False)
        self._stores.load_serving(self.catalog, self.models)  # on this (the writer's) thread, never the reader's
        return self._reader

    def save_settings(self) -> None:
        self.settings.save(self.path)
        self.models.set_settings(self.settings)
        self._stores.load_serving(self.catalog, self.models)  # a model switch: what the reader searches now

    # -- reports (the writer may read its own library) -----------------------

    def status(self) -> LibraryStatus:
        return library_status(self.catalog, self.models, self.path)

    def folders(self) -> list[FolderInfo]:
        return folder_infos(self.catalog, self.models)

    # -- folders -------------------------------------------------------------

    def add_folder(self, folder: Path | str) -> FolderRow:
        """Add a photo folder, or return it if the library has it under this or another path
        (``library_folders.add_folder``: the library's own and the models folder are refused)."""
        return add_folder(self.catalog, folder, self.path)

    def excluder(self) -> Excluder:
        """What scans and the watcher skip (``library_folders.library_excluder``)."""
        return library_excluder(self.catalog, self.settings, self.path)

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
        """The encoder of ``ref`` (default: the configured model); its ``model_id`` is the key of its vectors.

        A bundle whose name and size match vectors stored before the library recorded models'
        fingerprints adopts them only if it makes the same vectors (a few photos are checked);
        otherwise it gets a vector space of its own and re-embeds the library.
        """
        catalog = self.catalog
        encoder = self.models.encoder(catalog, ref)
        assert encoder.fingerprint is not None  # the model choice identifies every bundle
        bundle = encoder.bundle
        tables = VectorTables(catalog)
        if tables.vector_space(bundle.name, encoder.fingerprint, encoder.dim).legacy:
            same = makes_stored_vectors(catalog, encoder)
            if not same:
                logger.warning("model %s makes other vectors than those stored under its name: "
                               "it gets vectors of its own (the library is embedded again)", bundle.name)
            tables.register_vector_space(bundle.name, encoder.fingerprint, encoder.dim, str(bundle.path),
                                         encoder.files_stamp, adopt=same)
            encoder = self.models.encoder(catalog, ref)
        return encoder

    def use_model(self, ref: str) -> ModelBundle:
        """Make ``ref`` the library's model; its vectors are built by the next sync.

        Until they cover the library, the previous model keeps answering searches.  An
        installed model is saved by name; any other bundle directory by its absolute path
        (a relative ``ref`` would point elsewhere from another working directory).
        """
        bundle = self.bundle(ref)
        self.models.encoder(self.catalog, ref).verify()  # a model that cannot run, or gives NaN, is refused here
        installed = bundle.path == (models_dir() / bundle.name).resolve()
        self.settings.model = bundle.name if installed or not Path(ref).expanduser().is_dir() else str(bundle.path)
        self.save_settings()
        return bundle

    # -- vector stores ---------------------------------------------------------

    def store(self, encoder: Encoder) -> VectorStore:
        """The vector store of ``encoder``'s vector space, registered in the catalog (with its bundle's
        fingerprint), loaded and caught up (or rebuilt and saved)."""
        catalog = self.catalog
        bundle = encoder.bundle
        stamp, print_ = (encoder.files_stamp, encoder.fingerprint) if encoder.fingerprint else \
            self.models.identify(catalog, bundle)
        tables = VectorTables(catalog)
        if not tables.vector_space(bundle.name, print_, encoder.dim).registered:
            encoder.verify()  # a new vector space: both towers must run and give finite vectors first
        key = tables.register_vector_space(bundle.name, print_, encoder.dim, str(bundle.path), stamp)
        if key != encoder.model_id:
            raise ModelError(
                f"model {bundle.name} makes the vectors kept under {key!r}, not {encoder.model_id!r}: "
                "load it through the library (Library.encoder)"
            )
        self.models.check_dim(catalog, encoder)
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
        VectorTables(self.catalog).prune_tombstones(store.model, store.checkpoint)

    def _catch_up_stores(self) -> None:
        """Bring every loaded vector store up to the catalog (after scans and folder removals)."""
        for store in self._stores.loaded():
            store.catch_up(self.catalog)

    # -- syncing -------------------------------------------------------------

    def index(
        self, folders: Sequence[Path | str] | None = None, *, cancel: CancelToken | None = None,
        workers: int | None = None, read_text: bool = True,
    ) -> Generator[Progress, None, None]:
        """Add ``folders`` (if new), then ``sync`` every folder."""
        for folder in folders or []:
            self.add_folder(folder)
        yield from self.sync(cancel=cancel, workers=workers, read_text=read_text)

    def sync(
        self, paths: Sequence[Path] | None = None, *, cancel: CancelToken | None = None, workers: int | None = None,
        read_text: bool = True,
    ) -> Generator[Progress, None, None]:
        """Reconcile the folders (or only ``paths``, files or directories) with the disk, embed what is
        pending, then the later stages, each after the one before and never beside the embedding:
        fingerprints for duplicate finding, where new photos were taken (``place_fill``) and, unless
        ``read_text`` is False or the ``ocr`` setting is off, the text in photos not read yet.  A
        generator of ``Progress``; stops early (consistently) when ``cancel`` is cancelled, and always
        ends with a ``DONE`` report (of the embedding)."""
        cancel = cancel or CancelToken()
        encoder = self.encoder()
        store = self.store(encoder)
        yield Progress(Phase.SCANNING, message="looking for new and changed photos")
        scan = self.scan(cancel) if paths is None else self.scan_paths(list(paths))
        logger.info(
            "scan: %d files, %d new, %d changed, %d moved, %d copied, %d deleted, %d missing but kept",
            scan.seen, scan.new, scan.changed, scan.moved, scan.copied, scan.deleted, scan.kept,
        )
        done: Progress | None = None
        context = self._stage_context(read_text=read_text)
        for progress in self._embed_pending(encoder, store, context, cancel=cancel, workers=workers):
            if progress.phase is Phase.DONE:
                done = progress  # reported once the later stages are done too
                continue
            yield progress
        for stage in self.stages:  # after the CLIP stage, never beside it, each after the one before
            if cancel.cancelled:
                break
            if stage.enabled(context):
                yield from stage.run(context, cancel)
        if done is not None:
            yield done

    def _stage_context(self, *, read_text: bool = True) -> StageContext:
        return StageContext(self.catalog, self.settings, self.thumbnails, read_text=read_text)

    def deferred_stages(
        self, *, cancel: CancelToken | None = None, interrupt: Callable[[], bool] | None = None
    ) -> Generator[Progress, None, None]:
        """Run the stages a ``sync(read_text=False)`` left out (the text in photos), for the watcher when it
        is idle; each stops between photos when cancelled or when ``interrupt()`` is true (more urgent work)."""
        cancel = cancel or CancelToken()
        deferred, full = self._stage_context(read_text=False), self._stage_context()
        for stage in self.stages:
            if cancel.cancelled:  # (``interrupt`` is the stage's to ask, between photos)
                break
            if stage.enabled(full) and not stage.enabled(deferred):
                yield from stage.run(full, cancel, interrupt)

    @property
    def last_text_read(self) -> int:
        """Photos whose text this library's syncs have read (summaries, tests)."""
        return sum(stage.read_count for stage in self.stages if isinstance(stage, TextStage))

    def retry_failures(self, paths: Sequence[Path]) -> int:
        """Make these unreadable files pending again, to be read by the next ``sync``; returns how many."""
        with self.catalog.transaction():
            return self.catalog.retry_failures(list(paths))

    def scan(self, cancel: CancelToken | None = None) -> ScanResult:
        """Reconcile every folder with the disk (no decoding)."""
        cancel = cancel or CancelToken()
        total = FolderScan(self.catalog, self.excluder()).whole_library(cancel)
        self._apply_scan(total)
        return total

    def scan_paths(self, changed: list[Path]) -> ScanResult:
        """Reconcile only ``changed`` paths (files or directories), e.g. from the file watcher
        (which paths widen to a whole folder: ``FolderScan.changed_paths``)."""
        total = FolderScan(self.catalog, self.excluder()).changed_paths(changed)
        self._apply_scan(total)
        return total

    def _apply_scan(self, result: ScanResult) -> None:
        self.last_scan = result
        if result.removed_ids or result.reused_ids:
            self._catch_up_stores()
        if result.removed_ids:
            known = self.catalog.photos_by_id(result.removed_ids)
            self.thumbnails.remove([i for i in result.removed_ids if i not in known])
        if result.reused_ids:
            copy_twin_thumbnails(self.catalog, self.thumbnails, result.reused_ids)

    def _embed_pending(
        self, encoder: Encoder, store: VectorStore, context: StageContext, *, cancel: CancelToken,
        workers: int | None = None,
    ) -> Generator[Progress, None, None]:
        pipeline = EmbeddingPipeline(
            self.catalog,
            encoder,
            store,
            self.thumbnails,
            batch_size=self.settings.batch_size,
            steps=[s.photo_step for s in self.stages if s.photo_step is not None and s.enabled(context)],
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
        if not cancel.cancelled:
            drop_replaced_vectors(self.catalog, self.models, self._stores, self.path / "vectors", encoder)
        yield Progress(Phase.DONE, last.done if last else 0, last.total if last else 0,
                       last.rate if last else 0.0, 0.0, None, last.failed if last else 0)

    # -- duplicates ------------------------------------------------------------

    def trash_photos(self, plan: Sequence[tuple[Path, Sequence[int]]]) -> CleanupReport:
        """Move duplicates to the system trash: ``plan`` is (photo kept, [photo ids to trash]) per group
        (``indexer/cleanup.py``).  Logged, undoable, and gone from results at once."""
        report = trash_duplicates(self.catalog, plan)
        if report.removed_ids:
            self._catch_up_stores()
            self.thumbnails.remove(report.removed_ids)
        return report

    def undo_cleanup(self, action_id: int | None = None) -> UndoReport:
        """Put back the files of a clean-up (default: the latest) and scan them in again."""
        report = undo_cleanup(self.catalog, action_id)
        if report.restored:
            self.scan_paths(list(report.restored))
        return report

