"""The service threads on their own: posted calls, failures, "newest query wins", the empty views."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QObject

from app.empty_views import empty_view
from app.query_controller import QueryState
from app.query_types import ImageRef, Mode
from app.services.search_service import LatestRequest, SearchResults, SearchService
from app.services.threads import Call, ServiceWorker, start_thread
from indexer.search import Hit, Query
from tests.support.qt_waits import drain

pytestmark = pytest.mark.gui


def test_latest_request_only_the_newest_is_current():
    latest = LatestRequest()
    first, second = latest.new(), latest.new()
    assert second > first
    assert latest.is_current(second) and not latest.is_current(first)
    latest.drop()
    assert not latest.is_current(second)
    assert latest.is_current(latest.new())


def test_a_failing_call_is_logged_and_reported_on_the_service_thread(qtbot, caplog):
    parent = QObject()
    worker = ServiceWorker()
    thread = start_thread(worker, "test-service", parent)
    failures: list[tuple[BaseException, str]] = []
    ran: list[str] = []

    def boom() -> None:
        raise ValueError("bad input")

    try:
        with caplog.at_level(logging.WARNING, logger="app.services.threads"):
            worker.post(Call("first", lambda: ran.append("first"), lambda exc: None))
            worker.post(Call("explode", boom,
                             lambda exc: failures.append((exc, threading.current_thread().name))))
            worker.post(Call("after", lambda: ran.append("after"), lambda exc: None))
            qtbot.waitUntil(lambda: ran == ["first", "after"], timeout=5000)
        assert len(failures) == 1 and isinstance(failures[0][0], ValueError)
        assert failures[0][1] != threading.current_thread().name      # reported where it ran
        assert any("explode failed: bad input" in r.getMessage() for r in caplog.records)
    finally:
        thread.quit()
        thread.wait(5000)


class GatedReader:
    """Stands in for a LibraryReader: the first search waits for a gate, every search is recorded."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.started = threading.Event()
        self.searched: list[str] = []

    def search(self, query: Query) -> list[Hit]:
        self.started.set()
        if not self.searched:
            self.gate.wait(10)
        self.searched.append(query.text)
        return [Hit(1, Path(f"/{query.text}.jpg"), 0.5, 1)]

    def understand(self, query: Query, understanding: object = None) -> tuple[Query, None]:
        return query, None

    def close_thread(self) -> None:
        pass


def test_only_the_newest_search_runs_and_reports(qtbot):
    service = SearchService()
    reader = GatedReader()
    got: list[SearchResults] = []
    service.results.connect(got.append)
    try:
        service.use_reader(reader)          # type: ignore[arg-type]  (duck-typed stand-in)
        service.search(Query(text="first"))
        assert reader.started.wait(10)      # the search thread is busy with "first"
        service.search(Query(text="second"))
        service.search(Query(text="third"))
        reader.gate.set()
        qtbot.waitUntil(lambda: bool(got), timeout=10000)
        drain(qtbot, service._worker)       # whatever the search thread reported has arrived (or was dropped)
        assert reader.searched == ["first", "third"]      # "second" was skipped before it ran
        assert [r.hits[0].path.name for r in got] == ["third.jpg"]   # "first" was dropped on arrival
    finally:
        assert service.shutdown()


def test_a_cancelled_search_never_reports(qtbot):
    service = SearchService()
    reader = GatedReader()
    got: list[SearchResults] = []
    service.results.connect(got.append)
    try:
        service.use_reader(reader)          # type: ignore[arg-type]
        service.search(Query(text="gone"))
        assert reader.started.wait(10)
        service.cancel()                    # e.g. the query was cleared
        reader.gate.set()
        qtbot.waitUntil(lambda: reader.searched == ["gone"], timeout=10000)
        drain(qtbot, service._worker)       # its results were emitted and delivered: dropped, not reported
        assert got == []
    finally:
        assert service.shutdown()


@pytest.mark.parametrize(("state", "facts", "title"), [
    (QueryState(), dict(library_open=True, has_folders=False), "Add your photo folders"),
    (QueryState(text="dog"), dict(searching=True), "Searching…"),
    (QueryState(), {}, "Search your photos"),
    (QueryState(mode=Mode.IMAGE), {}, "Find similar photos"),
    (QueryState(mode=Mode.SKETCH), dict(sketch_empty=True), "Sketch what you remember"),
    (QueryState(mode=Mode.EDIT, image_ref=ImageRef("x")), {}, "Start from a photo, change it with words"),
    (QueryState(text="dog"), dict(indexing=True), "No matches yet"),
    (QueryState(text="dog"), {}, "No matches"),
])
def test_empty_view_fits_what_is_going_on(state, facts, title):
    base = dict(library_open=True, has_folders=True, searching=False, sketch_empty=False, indexing=False)
    assert empty_view(state, **{**base, **facts}).title == title
