"""A capability's stage is one registration: it runs in every sync after embedding, sees the pipeline's one
decode of each new photo, and reports progress under its own activity (name, label, busy), which is all the
app and the command line need to show it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from indexer.cancel import CancelToken
from indexer.catalog import Catalog, PhotoRow
from indexer.default_stages import DEFAULT_STAGES
from indexer.library import Library
from indexer.models.preprocess import DecodedImage
from indexer.progress import Activity, Phase, Progress
from indexer.stages import StageContext, register_stage
from tests.support.photos import write_library

COUNTING = Activity("counting", "Counting photos for a test", busy=True)


class SideStep:
    """Records the size of each decoded photo's thumbnail, as a capability on the shared decode would."""

    detail_side = 0  # needs no image beside the model input and the thumbnail

    def __init__(self) -> None:
        self.prepared: list[int] = []
        self.recorded: list[tuple[int, object]] = []
        self.in_transaction: list[bool] = []
        self._lock = threading.Lock()

    def prepare(self, row: PhotoRow, image: DecodedImage) -> object:
        with self._lock:
            self.prepared.append(row.id)
        return image.thumbnail.size

    def record(self, catalog: Catalog, results: list[tuple[PhotoRow, object]]) -> None:
        self.in_transaction.append(catalog.conn.in_transaction)
        self.recorded.extend((row.id, result) for row, result in results)


class CountingStage:
    """A stage made in the test: counts the library's photos, one progress report per photo."""

    activity = COUNTING

    def __init__(self) -> None:
        self.photo_step = SideStep()
        self.runs = 0

    def enabled(self, context: StageContext) -> bool:
        return True

    def pending(self, context: StageContext) -> int:
        return int(context.catalog.conn.execute("SELECT count(*) FROM photos").fetchone()[0])

    def run(
        self, context: StageContext, cancel: CancelToken, interrupt: Callable[[], bool] | None = None
    ) -> Iterator[Progress]:
        self.runs += 1
        total = self.pending(context)
        for done in range(total + 1):
            yield Progress(COUNTING, done, total, message="counting")


@pytest.fixture
def counting_stage():
    made: list[CountingStage] = []

    def factory() -> CountingStage:
        made.append(CountingStage())
        return made[-1]

    unregister = register_stage(factory)
    made.append(unregister)  # type: ignore[arg-type]
    yield made
    unregister()


def test_a_registered_stage_runs_after_embedding_on_the_one_decode(tmp_path, tiny_bundle, counting_stage):
    write_library(tmp_path / "photos", 6)
    lib = Library.open(tmp_path / "library")
    try:
        lib.use_model(str(tiny_bundle))
        lib.settings.ocr = False
        progress = list(lib.index([tmp_path / "photos"]))
        stage = lib.stages[-1]
        assert isinstance(stage, CountingStage)
        phases = [p.phase for p in progress]
        # after the embedding, before the sync's final DONE report, with every count of its own
        assert phases.index(COUNTING) > max(i for i, p in enumerate(phases) if p is Phase.INDEXING)
        assert phases[-1] is Phase.DONE and COUNTING not in phases[phases.index(Phase.DONE):]
        assert [p.done for p in progress if p.phase is COUNTING] == list(range(7)) and stage.runs == 1
        # every photo decoded once, its step's result stored inside the batch's transaction
        assert sorted(stage.photo_step.prepared) == sorted(i for i, _ in stage.photo_step.recorded)
        assert len(stage.photo_step.prepared) == lib.last_decoded == 6
        assert all(max(size) <= 256 for _, size in stage.photo_step.recorded)
        assert stage.photo_step.in_transaction and all(stage.photo_step.in_transaction)
        # a second sync: nothing new to decode, the stage runs again (it decides what is pending)
        list(lib.sync())
        assert lib.stages[-1] is stage and stage.runs == 2 and len(stage.photo_step.prepared) == 6
    finally:
        lib.close()


def test_the_built_in_stages_are_busy_work_with_labels_of_their_own():
    activities = [factory().activity for factory in DEFAULT_STAGES]
    assert all(a.busy and a.label and a.name for a in activities)
    assert len({a.name for a in activities}) == len({a.label for a in activities}) == len(activities)
    assert [a.name for a in activities] == ["fingerprinting", "places", "faces", "reading text"]


def test_unregistering_a_stage_removes_it_from_libraries_opened_later(tmp_path, counting_stage):
    lib = Library.open(tmp_path / "library")
    try:
        assert [type(s) for s in lib.stages][-1] is CountingStage
    finally:
        lib.close()
    counting_stage[0]()  # unregister
    lib = Library.open(tmp_path / "library")
    try:
        assert not any(isinstance(s, CountingStage) for s in lib.stages)
        assert [type(s) for s in lib.stages] == list(DEFAULT_STAGES)
    finally:
        lib.close()
