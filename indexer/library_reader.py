"""``LibraryReader``: search and read a library without being able to change it.

A reader has no write methods and opens the catalog read-only (SQLite
``mode=ro``), so it cannot change a file under the library by construction.
Its types say so too: its catalog is a ``CatalogReading``, its thumbnails
``ThumbnailPaths``, its vector indexes ``SearchIndexes`` of ``SearchIndex``
(no method that writes), so a write through a reader is a type error.
It serves the search thread and the GUI thread of the app, and
``photoseek search|status|failures|folders list`` -- beside a writer in the
same process (sharing its model sessions, and searching the vector stores
the writer loaded and keeps current: searches see photos as they are
indexed) or in another process (with private, in-memory copies of the vector
indexes, caught up from the catalog before each search).

A library on a read-only disk (a backup drive, a read-only share) is read
the same way: its catalog is then opened as immutable (``read_only`` is True).

Thread model: one reader may be used from several threads; each thread gets
its own read-only SQLite connection.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections.abc import Generator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from indexer.cancel import CancelToken
from indexer.catalog import SCHEMA_VERSION
from indexer.catalog_reading import CatalogReading
from indexer.clip.gallery_stats import GalleryStatsCache
from indexer.clip.model_choice import ModelChoice
from indexer.clip.vector_store import SearchIndex, SearchIndexes, VectorStores
from indexer.config import FILENAME as SETTINGS_FILE
from indexer.config import Settings
from indexer.connections import CatalogConnections
from indexer.default_schemas import DEFAULT_SCHEMAS
from indexer.errors import CatalogOutdated, LibraryError, ModelError
from indexer.library_files import CATALOG_FILE, FULL_CHECK_MAX_BYTES, library_dir
from indexer.media.frame_search import FrameIndex
from indexer.media.tables import MediaTables
from indexer.models.encoder import Encoder
from indexer.places.filter import PlaceFilter
from indexer.places.gazetteer import Place
from indexer.places.name_index import PlaceNameIndex
from indexer.places.search import CatalogPlaces
from indexer.places.tables import PlaceCount, PlaceTables
from indexer.query.parse import ParsedQuery, parse_query, place_named
from indexer.query.understanding import Understanding, understand
from indexer.search import Hit, Query, Searcher
from indexer.status import Failure, FolderInfo, LibraryStatus
from indexer.text.tables import PhotoTextTables, TextLineRow
from indexer.thumbnails import ThumbnailPaths
from indexer.timeline import Timeline, photo_hits, read_timeline

if TYPE_CHECKING:  # duplicates and the text stage are imported where used: a search needs neither
    from indexer.duplicates.groups import DuplicateGroup
    from indexer.duplicates.tables import CleanupAction
    from indexer.progress import Progress

logger = logging.getLogger(__name__)



class LibraryReader:
    """A read-only view of a library.  Use ``LibraryReader.open(path)`` or ``Library.reader()``."""

    def __init__(
        self,
        path: Path,
        *,
        models: ModelChoice,
        stores: SearchIndexes,
        owns_state: bool,
    ):
        self.path = path
        self.thumbnails = ThumbnailPaths(path / "thumbnails")
        self._connections = CatalogConnections(path / CATALOG_FILE, readonly=True)
        self._models = models
        self._stores = stores
        self._owns_state = owns_state  # a private reader: its stores and model sessions are its own
        self._stats: dict[tuple[str, str | None], GalleryStatsCache] = {}
        self._stats_lock = threading.Lock()
        self._settings_stamp = _stamp(path / SETTINGS_FILE)
        self._frame_index = FrameIndex()

    @classmethod
    def open(cls, path: Path | str | None = None, *, model: str | None = None) -> LibraryReader:
        """Open the library at ``path`` for reading (beside a writer in another process, if any).

        ``model`` overrides the model that answers searches (a name or a bundle directory).
        Works on a read-only disk too.  An empty, damaged or foreign catalog is reported
        (``CatalogCorrupt``, ``LibraryError``), never changed.
        """
        path = library_dir(path)
        if not (path / CATALOG_FILE).is_file():
            raise LibraryError(f"no Photoseek library at {path}: add a folder first (photoseek index FOLDER)")
        settings = Settings.load(path)
        reader = cls(path, models=ModelChoice(settings, override=model),
                     stores=VectorStores(path / "vectors", writable=False), owns_state=True)
        try:
            catalog = reader.catalog  # refuses an empty, damaged or foreign file (reading only)
            if (path / CATALOG_FILE).stat().st_size <= FULL_CHECK_MAX_BYTES:
                catalog.check_integrity()
            version = catalog.known_schema_version()
            if version < SCHEMA_VERSION:  # tables this version reads may be missing: only a writer adds them
                raise CatalogOutdated(path, version, SCHEMA_VERSION)
            for schema in DEFAULT_SCHEMAS:  # and each capability's own tables
                if (slice_version := catalog.known_slice_version(schema)) < schema.version:
                    raise CatalogOutdated(path, f"{version}, {schema.name} {slice_version}",
                                          f"{SCHEMA_VERSION}, {schema.name} {schema.version}")
        except BaseException:
            reader.close()
            raise
        return reader

    def close(self) -> None:
        """Close this reader's connections (and, for a private reader, its model sessions)."""
        self._connections.close_all()
        if self._owns_state:
            self._models.close()

    def close_thread(self) -> None:
        """Close the calling thread's connection (call it from a worker thread that is ending)."""
        self._connections.close_current()

    def __enter__(self) -> LibraryReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def catalog(self) -> CatalogReading:
        """This thread's read-only connection to the catalog."""
        return self._connections.get()

    @property
    def read_only(self) -> bool:
        """Whether the library cannot be written (a read-only disk or share, or no permission):
        it can be searched, but not indexed or changed."""
        return self.catalog.immutable or not os.access(self.path, os.W_OK)

    def _follow_settings(self) -> None:
        """A private reader follows the writer's settings (a model switch in another process)."""
        if not self._owns_state:
            return  # the writer of this process hands its settings to the shared ModelChoice
        stamp = _stamp(self.path / SETTINGS_FILE)
        if stamp != self._settings_stamp:
            self._settings_stamp = stamp
            self._models.set_settings(Settings.load(self.path))

    # -- searching -------------------------------------------------------------

    def search(self, query: Query, *, model: str | None = None) -> list[Hit]:
        self._follow_settings()
        catalog = self.catalog
        encoder = self.encoder(model)
        store = self._store(catalog, encoder)
        key = encoder.model_id
        media = MediaTables(catalog)
        frames = self._frame_index.frames(key, catalog.checkpoint(key), lambda: media.frames_signature(key),
                                          lambda: media.stored_frames(key, encoder.dim))
        hits = Searcher(catalog, store, encoder, self._gallery_stats(encoder), self.thumbnails, frames).search(query)
        return _with_companions(hits, media)

    def prepare(self, query: Query, *, model: str | None = None) -> None:
        """Start loading, on threads of their own, the model towers ``query`` will need, so that a cold
        search loads its vector index (and parses its words) meanwhile.  Returns at once; a model that
        cannot be loaded is left for the search itself to report."""
        try:
            encoder = self.encoder(model)
        except ModelError:
            return
        if query.image is not None or query.sketch is not None:
            encoder.prepare("visual")
        if query.text or query.negatives or query.sketch is not None:
            encoder.prepare("textual")

    def keep_fast_text_layout(self, model: str | None = None) -> None:
        """Keep the copy of the text tower that loads in half the time (``models/tower_layout.py``), once per
        model: for processes that load it anew for each search.  Writes only in the user's cache folder."""
        self.encoder(model).keep_fast_text_layout()

    def encoder(self, model: str | None = None) -> Encoder:
        """The encoder that answers searches (loads the model on first use)."""
        return self._models.serving_encoder(self.catalog, model)

    def _store(self, catalog: CatalogReading, encoder: Encoder) -> SearchIndex:
        self._models.check_dim(catalog, encoder)
        return self._stores.search_index(encoder.model_id, encoder.dim, catalog)

    def _gallery_stats(self, encoder: Encoder) -> GalleryStatsCache:
        with self._stats_lock:
            space = (encoder.model_id, encoder.fingerprint)  # a key names one vector space, but be sure
            stats = self._stats.get(space)
            if stats is None:
                stats = GalleryStatsCache(self._connections.get, self.thumbnails, encoder)
                self._stats[space] = stats
            return stats

    # -- reports -----------------------------------------------------------------

    def status(self) -> LibraryStatus:
        self._follow_settings()
        return library_status(self.catalog, self._models, self.path)

    def folders(self) -> list[FolderInfo]:
        self._follow_settings()
        return folder_infos(self.catalog, self._models)

    def failures(self) -> list[Failure]:
        from indexer.text.status import text_failures

        return [Failure(r.path, r.error or "unknown error") for r in self.catalog.failures()] + text_failures(
            self.catalog)

    def photo_text(self, photo_id: int) -> list[TextLineRow]:
        """The lines of text read in a photo (OCR), in reading order; none when not read or no words."""
        return PhotoTextTables(self.catalog).photo_text(photo_id)

    def timeline(self, *, folder: Path | None = None, after: date | None = None,
                 before: date | None = None) -> Timeline:
        """Every readable photo passing the filters, newest first (``before`` exclusive)."""
        return read_timeline(self.catalog, folder=folder, after=after, before=before)

    def photo_hits(self, ids: Sequence[int], first_rank: int = 1) -> list[Hit]:
        """The photos ``ids`` as hits (for browsing: score 0), in that order."""
        return photo_hits(self.catalog, self.thumbnails, ids, first_rank)

    def configured_model(self) -> str | None:
        """The name of the library's configured model (None when there is none)."""
        self._follow_settings()
        return self._models.configured_name(self.catalog)

    def thumbnail_path(self, photo_id: int) -> Path:
        return self.thumbnails.path(photo_id)

    # -- duplicates ------------------------------------------------------------

    def duplicates(
        self, *, kind: str | None = None, folder: Path | None = None, cancel: CancelToken | None = None
    ) -> Generator[Progress, None, list[DuplicateGroup]]:
        """Duplicate groups (of ``kind``, under ``folder``), the keeper first: ``groups = yield from ...``
        (``indexer/duplicates.py``)."""
        from indexer.duplicates.groups import find_duplicates
        from indexer.duplicates.tables import DuplicateTables

        rows = DuplicateTables(self.catalog).candidates(folder)
        return (yield from find_duplicates(rows, kind=kind, cancel=cancel))

    def unfingerprinted(self) -> int:
        """Indexed photos still waiting for their fingerprint (the writer's backfill does them)."""
        from indexer.duplicates.tables import DuplicateTables

        return DuplicateTables(self.catalog).count_missing_fingerprints()

    def cleanups(self, limit: int = 20) -> list[CleanupAction]:
        """The latest duplicate clean-ups, newest first."""
        from indexer.duplicates.tables import DuplicateTables

        return DuplicateTables(self.catalog).cleanups(limit)

    # -- places and dates in queries ---------------------------------------------

    def parse_query(self, text: str, *, today: date | None = None,
                    months: Mapping[str, int] | None = None) -> ParsedQuery:
        """``text`` understood: words for CLIP, a place and a date range (``query_parse``), knowing where
        this library has photos; ``today`` defaults to the local date."""
        return parse_query(text, today=today or date.today(), places=CatalogPlaces(self.catalog), months=months)

    def understand(self, query: Query, understanding: Understanding | None = None, *,
                   today: date | None = None) -> tuple[Query, ParsedQuery | None]:
        """``query`` as typed (``typed_query``) with its words understood knowing where this library has
        photos (``indexer.query.understanding``), and how a text query's words were read (else None)."""
        from indexer.people.tables import PeopleTables

        names = [folded for _, _, folded in PeopleTables(self.catalog).named()]
        return understand(query, CatalogPlaces(self.catalog), today=today or date.today(), understanding=understanding,
                          people=names)

    def place_named(self, name: str) -> PlaceFilter | None:
        """The place or country called ``name`` (the one the library has photos in first), else None."""
        return place_named(name, CatalogPlaces(self.catalog))

    def places_starting(self, text: str, limit: int = 50) -> list[Place]:
        """The library's places whose name, region or country has words starting with ``text``'s, most
        populous first (the place-name index: "selt" finds Seltjarnarnes)."""
        return PlaceNameIndex(self.catalog).library_places_starting(text, limit)

    def places(self) -> list[PlaceCount]:
        """The places the library's photos were taken in, with their numbers of photos."""
        return PlaceTables(self.catalog).place_counts()


def library_status(catalog: CatalogReading, models: ModelChoice, path: Path) -> LibraryStatus:
    """The status of a library (writer and readers report it the same way)."""
    from indexer.people.tables import people_status
    from indexer.text.status import text_status

    model = models.configured_name(catalog)
    counts = catalog.counts(models.configured_key(catalog))  # the vectors of its vector space, not of its name
    folders = catalog.folders()
    return LibraryStatus(
        photos=counts["photos"],
        indexed=counts["indexed"],
        pending=counts["pending"],
        failed=counts["failed"],
        folders=len(folders),
        model=model,
        videos=MediaTables(catalog).count_videos(models.configured_key(catalog)),
        offline_folders=tuple(str(f.path) for f in folders if not f.online),
        library=str(path),
        **text_status(catalog),
        **people_status(catalog),
    )


def folder_infos(catalog: CatalogReading, models: ModelChoice) -> list[FolderInfo]:
    counts = catalog.folder_counts(models.serving_name(catalog))
    out = []
    for row in catalog.folders():
        c = counts.get(row.id, {"photos": 0, "indexed": 0, "failed": 0})
        out.append(FolderInfo(row.path, row.online, c["photos"], c["indexed"], c["failed"]))
    return out


def _with_companions(hits: list[Hit], media: MediaTables[CatalogReading]) -> list[Hit]:
    """``hits`` with the files that go with their photos (a RAW, a Live Photo's movie), as the scan
    recorded them: one query per page of hits, nothing read from the disk."""
    found = media.companions([h.photo_id for h in hits])
    return [dataclasses.replace(h, companions=found[h.photo_id]) if h.photo_id in found else h for h in hits]


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size
