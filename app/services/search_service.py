"""``SearchService``: searches on a thread of its own, through a ``LibraryReader``.

The reader is either the writer's (``use_reader``: handed over by the
``IndexService`` when it opened the library; it shares the writer's vector
indexes, so searches see photos as they are indexed) or one opened on the
search thread (``open_reader``: another process holds the writer lock).
Searches sent before either are held and run as soon as there is a reader.

"Newest query wins" is decided in one place, :class:`LatestRequest`: the
search thread skips a search that is no longer the newest before running
it, and the GUI side drops results that are no longer the newest when they
arrive.  Callers only ever see results of their newest search.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from app.outcomes import Operation, OpFailure
from app.payloads import PlaceCounts
from app.services.threads import Call, ServiceWorker, start_thread
from indexer.library_reader import LibraryReader
from indexer.query.parse import ParsedQuery
from indexer.query.understanding import Understanding
from indexer.search import Hit, Query

logger = logging.getLogger(__name__)

NOT_A_SEARCH = -1   # the request id of a failure that is not a search's (opening, warming up)


@dataclass(frozen=True)
class SearchResults:
    """The outcome of one search (one object, so the hits cross threads without being copied)."""

    request: int
    hits: list[Hit]
    ms: float
    parsed: ParsedQuery | None = None  # how a text query was understood (its words, place and dates)


class LatestRequest:
    """Numbers searches; only the newest is current.  Shared by the GUI and the search thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._issued = 0
        self._current = 0

    def new(self) -> int:
        """A new request id, which becomes the current one."""
        with self._lock:
            self._issued += 1
            self._current = self._issued
            return self._current

    def is_current(self, rid: int) -> bool:
        with self._lock:
            return rid == self._current

    def drop(self) -> None:
        """No request is current any more (queued searches are skipped, late results dropped)."""
        with self._lock:
            self._current = 0


class _SearchWorker(ServiceWorker):
    """The search thread's half of :class:`SearchService`: every method runs on that thread."""

    results = Signal(SearchResults)
    failed = Signal(int, OpFailure)      # request id (NOT_A_SEARCH: another request), what failed
    ready = Signal()
    places = Signal(PlaceCounts)

    def __init__(self, latest: LatestRequest):
        super().__init__()
        self._latest = latest
        self._reader: LibraryReader | None = None
        self._owned = False
        self._waiting: tuple[int, Query, Understanding | None] | None = None   # arrived before a reader
        self._places_wanted = False

    def search_call(self, rid: int, query: Query, understanding: Understanding | None = None) -> Call:
        return Call(f"search {rid}", lambda: self.search(rid, query, understanding),
                    lambda exc: self.failed.emit(rid, OpFailure.of(Operation.SEARCH, exc)))

    def list_places(self) -> None:
        self._places_wanted = self._reader is None  # no reader yet: list them once there is one
        if self._reader is not None:
            self.places.emit(PlaceCounts(self._reader.places()))

    def report(self, exc: BaseException) -> None:
        self.failed.emit(NOT_A_SEARCH, OpFailure.of(Operation.OPEN, exc))

    # ---- requests ---------------------------------------------------------------
    def use(self, reader: LibraryReader, *, owned: bool) -> None:
        """Search through ``reader`` (``owned``: close it when done; otherwise its owner does)."""
        self._release()
        self._reader, self._owned = reader, owned
        if self._places_wanted:
            self.post(Call("list places", self.list_places, self.report))
        if self._waiting is not None:
            rid, query, understanding = self._waiting
            self._waiting = None
            self.post(self.search_call(rid, query, understanding))

    def open_reader(self, library_dir: Path) -> None:
        self.use(LibraryReader.open(library_dir), owned=True)

    def warm_up(self) -> None:
        if self._reader is None:
            return
        self._reader.encoder().encode_texts(["a photo"])   # loads the text tower and its session
        self.ready.emit()

    def search(self, rid: int, query: Query, understanding: Understanding | None = None) -> None:
        if not self._latest.is_current(rid):
            return                      # a newer query is queued: skip this one
        if self._reader is None:
            self._waiting = (rid, query, understanding)
            return
        t0 = time.perf_counter()
        # the words as the core reads them: places and dates (may load GeoNames: not on the GUI thread)
        query, parsed = self._reader.understand(query, understanding)
        hits = self._reader.search(query)
        self.results.emit(SearchResults(rid, hits, (time.perf_counter() - t0) * 1000, parsed))

    def quit(self) -> None:
        try:
            self._release()
        finally:
            QThread.currentThread().quit()

    def _release(self) -> None:
        reader, self._reader = self._reader, None
        if reader is None:
            return
        if self._owned:
            reader.close()
        else:
            reader.close_thread()       # a shared reader: only this thread's connection is ours


class SearchService(QObject):
    """Runs searches on a dedicated thread; only the newest search's outcome is reported.

    Signals:
        results(SearchResults): the hits of the newest search (best first) and its time.
        failure(OpFailure): the newest search failed, or opening or warming up did.
        ready(): the model is loaded (answering :meth:`warm_up`).
        places(PlaceCounts): the places of the library's photos with their counts (answering :meth:`list_places`).
    """

    results = Signal(SearchResults)
    failure = Signal(OpFailure)
    ready = Signal()
    places = Signal(PlaceCounts)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._latest = LatestRequest()
        self._worker = _SearchWorker(self._latest)
        self._worker.results.connect(self._on_results)
        self._worker.failed.connect(self._on_failed)
        self._worker.ready.connect(self.ready)
        self._worker.places.connect(self.places)
        self._thread = start_thread(self._worker, "photoseek-search", self)
        self._closing = False

    def use_reader(self, reader: LibraryReader) -> None:
        """Search through the writer's ``reader`` (shared; this service never closes it)."""
        self._post(Call("use the writer's reader", lambda: self._worker.use(reader, owned=False),
                        self._worker.report))

    def open_reader(self, library_dir: Path) -> None:
        """Open a reader of ``library_dir`` on the search thread (another process writes it) and use it."""
        self._post(Call(f"open {library_dir} for reading", lambda: self._worker.open_reader(library_dir),
                        self._worker.report))

    def search(self, query: Query, understanding: Understanding | None = None) -> None:
        """Queue ``query`` (words as typed: ``typed_query``); it supersedes every earlier search (their results
        are dropped).  The core reads its words first, a text query's places and dates as ``understanding``
        says (``SearchResults.parsed``)."""
        self._post(self._worker.search_call(self._latest.new(), query, understanding))

    def list_places(self) -> None:
        """Report the places of the library's photos, with their counts (``places``)."""
        self._post(Call("list places", self._worker.list_places, self._worker.report))

    def cancel(self) -> None:
        """Forget the searches sent so far: none of their results will be reported."""
        self._latest.drop()

    def warm_up(self) -> None:
        """Load the model now, so the first search is quick."""
        self._post(Call("warm up", self._worker.warm_up, self._worker.report))

    def shutdown(self, timeout_ms: int = 15000) -> bool:
        """Skip queued searches, release the reader, end the thread.
        Call it before the IndexService's shutdown (which closes a shared reader)."""
        if self._closing:
            return True
        self._latest.drop()
        self._post(Call("stop searching", self._worker.quit, self._worker.report))
        self._closing = True
        ok = self._thread.wait(timeout_ms)
        if not ok:
            logger.error("the search thread did not stop within %d ms", timeout_ms)
        return ok

    def _post(self, call: Call) -> None:
        if not self._closing:
            self._worker.post(call)

    def _on_results(self, results: SearchResults) -> None:
        if self._latest.is_current(results.request):
            self.results.emit(results)

    def _on_failed(self, rid: int, failure: OpFailure) -> None:
        if rid == NOT_A_SEARCH or self._latest.is_current(rid):
            self.failure.emit(failure)
