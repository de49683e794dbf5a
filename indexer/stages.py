"""The indexing stages: what each capability does to a library after its photos are embedded.

A sync is the scan, the embedding (the CLIP pipeline decodes each new photo
once), then every registered ``Stage`` in turn.  A stage owns one capability's
indexing work (fingerprints for duplicates, places, the text in photos, ...):
it says what it is doing (its ``Activity``: the word logs show, the label the
app shows, that it is busy work), how much it has pending, and runs as a
generator of ``Progress`` that stops between photos when cancelled.

A stage may also take part in the embedding itself (``photo_step``): its
``prepare`` runs on the decode threads with the pipeline's one decode of each
photo (pixels, thumbnail, EXIF, and the image at a larger size when a step
asks for it), and its ``record`` stores the results in the
same transaction as the photo's vector.  Photos indexed before the stage
existed are then caught up by its ``run``, from what is stored where that
serves.

``Library.sync`` iterates the built-in stages (``indexer.default_stages``)
and then ``registered_stages()``; nothing else keeps a list of stages, so a
new capability adds its stage there (or registers it with ``register_stage``)
and the app and the command line follow: they show each ``Progress`` by its
activity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from indexer.cancel import CancelToken
from indexer.progress import Activity, Progress

if TYPE_CHECKING:
    from indexer.catalog import Catalog, PhotoRow
    from indexer.config import Settings
    from indexer.models.preprocess import DecodedImage
    from indexer.thumbnails import ThumbnailStore


@dataclass(frozen=True)
class StageContext:
    """What a stage works with: the writer's catalog (its own thread's), settings and thumbnails."""

    catalog: Catalog
    settings: Settings
    thumbnails: ThumbnailStore
    read_text: bool = True  # False: the caller defers the slow text reading (the watcher reads it when idle)


class PhotoStep(Protocol):
    """A stage's part of the embedding pipeline, on its one decode of each photo.

    ``detail_side``: the long side, in pixels, of the upright image the step needs beside the model input and
    the thumbnail (``DecodedImage.detail``); 0 for none.  The pipeline decodes at the largest any step asks.
    """

    detail_side: int

    def prepare(self, row: PhotoRow, image: DecodedImage) -> object:
        """Runs on a decode thread: the stage's result for this photo (None: nothing to record)."""

    def record(self, catalog: Catalog, results: list[tuple[PhotoRow, object]]) -> None:
        """Runs on the writer, inside the batch's transaction: store the results of ``prepare``."""


class Stage(Protocol):
    """One capability's indexing work after embedding."""

    activity: Activity

    @property
    def photo_step(self) -> PhotoStep | None:
        """Work done on the pipeline's decode of each new photo (None: the stage needs none)."""

    def enabled(self, context: StageContext) -> bool:
        """Whether this sync runs the stage (settings, the caller's wishes)."""

    def pending(self, context: StageContext) -> int:
        """Photos the stage has still to do."""

    def run(
        self, context: StageContext, cancel: CancelToken, interrupt: Callable[[], bool] | None = None
    ) -> Iterator[Progress]:
        """Do what is pending, yielding ``Progress`` of ``activity``; stop between photos when ``cancel`` is
        cancelled or ``interrupt()`` is true (more urgent work).  Resumable: the catalog says what is done."""


StageFactory = Callable[[], Stage]

_registered: list[StageFactory] = []


def register_stage(factory: StageFactory) -> Callable[[], None]:
    """Add a stage (made by ``factory`` for each library opened from now on), after those registered before.
    Returns a function that removes it again."""
    _registered.append(factory)

    def unregister() -> None:
        if factory in _registered:
            _registered.remove(factory)

    return unregister


def registered_stages() -> list[StageFactory]:
    """The stages registered beyond the built-in ones (``indexer.default_stages``), in order."""
    return list(_registered)
