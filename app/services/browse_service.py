"""``BrowseService``: reads the library for browsing, on a thread of its own, through a ``LibraryReader``.

It answers what the window shows without a query: the timeline (every photo
newest first), pages of rows as the grid scrolls, and the list of files
that could not be read.  Like the ``SearchService`` it uses the writer's
reader (``use_reader``) or opens one (``open_reader``: another process holds
the writer lock); requests that arrive before either wait for it.  It has a
thread of its own so that paging while scrolling never delays a search.
Only the newest timeline request is answered (``LatestRequest``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from app.outcomes import Operation, OpFailure
from app.payloads import Failures, PhotoIds
from app.services.search_service import LatestRequest
from app.services.threads import Call, ServiceWorker, start_thread
from indexer.library_reader import LibraryReader
from indexer.search import Hit
from indexer.timeline import Timeline

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TimelineRequest:
    folder: Path | None = None
    after: date | None = None
    before: date | None = None   # exclusive


@dataclass(frozen=True)
class TimelineResult:
    request: int
    timeline: Timeline


@dataclass(frozen=True)
class PageResult:
    generation: int
    page: int
    hits: list[Hit]


class _BrowseWorker(ServiceWorker):
    timeline = Signal(TimelineResult)
    page = Signal(PageResult)
    failures = Signal(Failures)
    failed = Signal(OpFailure)

    def __init__(self, latest: LatestRequest):
        super().__init__()
        self._latest = latest
        self._reader: LibraryReader | None = None
        self._owned = False
        self._waiting: list[Callable[[], None]] = []  # requests that came before a reader

    def use(self, reader: LibraryReader, *, owned: bool) -> None:
        self._release()
        self._reader, self._owned = reader, owned
        waiting, self._waiting = self._waiting, []
        for request in waiting:
            self.post(Call("browse: a request that waited for the reader", request, self.report))

    def open_reader(self, library_dir: Path) -> None:
        self.use(LibraryReader.open(library_dir), owned=True)

    def read_timeline(self, rid: int, request: TimelineRequest) -> None:
        if not self._latest.is_current(rid):
            return
        if self._reader is None:
            self._waiting.append(lambda: self.read_timeline(rid, request))
            return
        timeline = self._reader.timeline(folder=request.folder, after=request.after, before=request.before)
        self.timeline.emit(TimelineResult(rid, timeline))

    def read_page(self, generation: int, page: int, ids: PhotoIds) -> None:
        if self._reader is None:
            self._waiting.append(lambda: self.read_page(generation, page, ids))
            return
        self.page.emit(PageResult(generation, page, self._reader.photo_hits(ids)))

    def read_failures(self) -> None:
        if self._reader is None:
            self._waiting.append(self.read_failures)
            return
        self.failures.emit(Failures(self._reader.failures()))

    def report(self, exc: BaseException) -> None:
        self.failed.emit(OpFailure.of(Operation.BROWSE, exc))

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
            reader.close_thread()


class BrowseService(QObject):
    """Reads the timeline, pages of photos and the failures, on the ``photoseek-browse`` thread.

    Signals:
        timeline(Timeline): the newest requested timeline.
        page(PageResult): the rows of a page (its generation says which timeline it belongs to).
        failures(Failures): the files that could not be read.
        failed(OpFailure): a request failed.
    """

    timeline = Signal(Timeline)
    page = Signal(PageResult)
    failures = Signal(Failures)
    failed = Signal(OpFailure)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._latest = LatestRequest()
        self._worker = _BrowseWorker(self._latest)
        self._worker.timeline.connect(self._on_timeline)
        self._worker.page.connect(self.page)
        self._worker.failures.connect(self.failures)
        self._worker.failed.connect(self.failed)
        self._thread = start_thread(self._worker, "photoseek-browse", self)
        self._closing = False

    def use_reader(self, reader: LibraryReader) -> None:
        """Read through the writer's ``reader`` (shared; this service never closes it)."""
        self._post(Call("browse: use the writer's reader", lambda: self._worker.use(reader, owned=False),
                        self._worker.report))

    def open_reader(self, library_dir: Path) -> None:
        self._post(Call(f"browse: open {library_dir}", lambda: self._worker.open_reader(library_dir),
                        self._worker.report))

    def read_timeline(self, request: TimelineRequest) -> None:
        """Read the timeline for ``request``; it supersedes every earlier one."""
        rid = self._latest.new()
        self._post(Call("browse: timeline", lambda: self._worker.read_timeline(rid, request), self._worker.report))

    def read_page(self, generation: int, page: int, ids: PhotoIds) -> None:
        """Read the rows of ``ids``, page ``page`` of timeline ``generation`` (answered by ``page``)."""
        self._post(Call(f"browse: page {page}", lambda: self._worker.read_page(generation, page, ids),
                        self._worker.report))

    def read_failures(self) -> None:
        self._post(Call("browse: failures", self._worker.read_failures, self._worker.report))

    def shutdown(self, timeout_ms: int = 15000) -> bool:
        """Release the reader and end the thread (before the IndexService's shutdown)."""
        if self._closing:
            return True
        self._latest.drop()
        self._post(Call("browse: stop", self._worker.quit, self._worker.report))
        self._closing = True
        ok = self._thread.wait(timeout_ms)
        if not ok:
            logger.error("the browse thread did not stop within %d ms", timeout_ms)
        return ok

    def _post(self, call: Call) -> None:
        if not self._closing:
            self._worker.post(call)

    def _on_timeline(self, result: TimelineResult) -> None:
        if self._latest.is_current(result.request):
            self.timeline.emit(result.timeline)
