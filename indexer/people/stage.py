"""People as a stage: faces found on the pipeline's one decode of each new photo, then grouped into people.

``FacesStep`` looks for faces in the decode's detail image (the upright photo at ``DETECT_SIDE`` pixels, or
larger when another step asks for more) on the decode threads, and stores them in the batch's transaction.
The stage's ``run`` looks at the photos indexed before (decoding each at the detector's size), then groups
the faces found since grouping last ran (``indexer.people.grouping``): new faces join known people, the rest
are grouped among themselves.  With the ``people`` setting off nothing is looked at, and every face, vector
and person is deleted from the catalog.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

from indexer.cancel import CancelToken
from indexer.catalog import Catalog, PhotoRow
from indexer.errors import Cancelled, ModelError, UnreadableImage
from indexer.media.kinds import PHOTO, RAW, media_kind
from indexer.models.preprocess import DecodedImage
from indexer.people.faces import DETECT_SIDE, Face, shared_finder
from indexer.people.grouping import assign, cluster
from indexer.people.tables import PeopleTables
from indexer.progress import Activity, Progress
from indexer.stages import PhotoStep, StageContext

logger = logging.getLogger(__name__)

FINDING_FACES = Activity("faces", "Finding people in photos", busy=True)
BATCH = 32


def group_faces(catalog: Catalog) -> tuple[int, int]:
    """Group the faces not in any person (the caller may hold a transaction): they join known people, and
    the rest are grouped among themselves.  Returns (faces that joined someone, new people)."""
    tables = PeopleTables(catalog)
    with catalog.transaction():
        loose = tables.unassigned_faces()
        joined = assign(loose, tables.members())
        tables.assign(joined)
        new = cluster([f for f in loose if f.id not in joined])
        for group in new:
            tables.new_person(group)
        tables.mark_grouped()
    return len(joined), len(new)


class FacesStep:
    """The faces of a new photo, from the pipeline's one decode."""

    detail_side = DETECT_SIDE

    def __init__(self) -> None:
        self._broken = False

    def prepare(self, row: PhotoRow, image: DecodedImage) -> object:
        if self._broken or image.detail is None or media_kind(row.path) not in (PHOTO, RAW):
            return None  # videos: not looked at (the stage records them as done)
        try:
            return shared_finder().find(image.detail, (image.width, image.height))
        except ModelError as exc:
            self._broken = True
            logger.warning("cannot look for faces: %s", exc)
            return None

    def record(self, catalog: Catalog, results: list[tuple[PhotoRow, object]]) -> None:
        tables = PeopleTables(catalog)
        for row, faces in results:
            if isinstance(faces, list):
                tables.record_faces(row.id, row.size, row.mtime_ns, faces)


class PeopleStage:
    """People as a ``Stage`` of a sync (see the module doc)."""

    activity = FINDING_FACES

    def __init__(self) -> None:
        self.step = FacesStep()

    @property
    def photo_step(self) -> PhotoStep | None:
        return self.step

    def enabled(self, context: StageContext) -> bool:
        if not context.settings.people:
            tables = PeopleTables(context.catalog)
            if tables.has_any():
                with context.catalog.transaction():
                    tables.forget_all()  # the setting off: nothing about faces stays in the catalog
            return False
        return True

    def pending(self, context: StageContext) -> int:
        return PeopleTables(context.catalog).unscanned()

    def run(
        self, context: StageContext, cancel: CancelToken, interrupt: Callable[[], bool] | None = None
    ) -> Iterator[Progress]:
        catalog = context.catalog
        tables = PeopleTables(catalog)
        total = tables.unscanned()
        done = 0
        if total:
            yield Progress(FINDING_FACES, 0, total, message="finding people in photos")
        skipped: set[int] = set()
        while total and not cancel.cancelled and not (interrupt is not None and interrupt()):
            rows = [r for r in tables.photos_unscanned(BATCH + len(skipped)) if r[0] not in skipped]
            if not rows:
                break
            for photo_id, path, size, mtime_ns in rows:
                try:
                    cancel.wait_if_paused()
                except Cancelled:
                    return
                faces = self._faces_of(path)
                if faces is None:
                    skipped.add(photo_id)
                    continue
                with catalog.transaction():
                    tables.record_faces(photo_id, size, mtime_ns, faces)
                done += 1
                yield Progress(FINDING_FACES, done, max(total, done), current=path)
        if tables.ungrouped():
            joined, new = group_faces(catalog)
            logger.info("people: %d face(s) joined someone, %d new people", joined, new)

    def _faces_of(self, file: Path) -> list[Face] | None:
        if media_kind(file) not in (PHOTO, RAW):
            return []
        try:
            return shared_finder().find_file(file)[0]
        except UnreadableImage:
            return []  # the embedding says what is wrong with it
        except ModelError as exc:
            logger.warning("cannot look for faces: %s", exc)
            return None
        except OSError:
            return None
