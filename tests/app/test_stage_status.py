"""Every stage of a sync shows in the status bar as busy work under its own label: one registered in a
test needs no other edit, and the places pass (once shown as idle, which re-searched mid-sync) is busy."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from indexer.cancel import CancelToken
from indexer.library import Library
from indexer.places.stage import PLACES
from indexer.places.tables import PlaceTables
from indexer.progress import Activity, Progress
from indexer.stages import StageContext, register_stage
from tests.support.geo_photos import write_geo_photo

pytestmark = pytest.mark.gui

WAITING = Activity("waiting", "Waiting for the test", busy=True)


class WaitingStage:
    """A stage that reports one photo of two, then waits until the test lets it finish."""

    activity = WAITING
    photo_step = None

    def __init__(self, release: threading.Event) -> None:
        self.release = release

    def enabled(self, context: StageContext) -> bool:
        return True

    def pending(self, context: StageContext) -> int:
        return 2

    def run(
        self, context: StageContext, cancel: CancelToken, interrupt: Callable[[], bool] | None = None
    ) -> Iterator[Progress]:
        yield Progress(WAITING, 1, 2)
        self.release.wait(60)
        yield Progress(WAITING, 2, 2)


@pytest.fixture
def waiting_stage():
    release = threading.Event()
    unregister = register_stage(lambda: WaitingStage(release))
    yield release
    release.set()
    unregister()


def test_every_stage_of_a_sync_is_busy_in_the_status_bar(make_app, qtbot, empty_library_dir, tmp_path, waiting_stage):
    folder = tmp_path / "trip"
    folder.mkdir()
    for n in range(6):  # photos with a position
        write_geo_photo(folder / f"lisbon-{n}.jpg", 38.7223 + n / 1000, -9.1393, f"2024:05:0{n + 1} 12:00:00")
    lib = Library.open(empty_library_dir)
    try:
        lib.stages = []  # indexed as a version before places (and before the test's stage) would have
        for _ in lib.index([folder]):
            pass
        assert PlaceTables(lib.catalog).places_unread() == 6  # the next sync has a places pass to make
    finally:
        lib.close()
    app = make_app(empty_library_dir, wait_ready=False)  # its start-up sync: places, then the test's stage
    w = app.window
    busy: list[bool] = []
    phases: list[Activity] = []
    app.index.indexingChanged.connect(busy.append)
    app.index.progress.connect(lambda p: phases.append(p.phase))
    # the test's stage runs last: by then the places pass is over, and the app never went idle on the way
    qtbot.waitUntil(lambda: "Waiting for the test" in w.index_status.activity.text(), timeout=60000)
    assert PLACES in phases and busy == [True]
    assert w.index_status.bar.isVisibleTo(w) and w.index_status.activity.text().startswith("Waiting for the test 1 of 2")
    assert w.index_status.activity.accessibleName() == "Waiting for the test progress"
    waiting_stage.set()
    qtbot.waitUntil(lambda: busy == [True, False], timeout=60000)
    assert not w.index_status.bar.isVisibleTo(w)

