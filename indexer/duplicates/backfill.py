"""Fingerprint the photos indexed before duplicate finding existed (or by an older fingerprint method).

Run by the writer after a sync has embedded everything (``Library.sync``), so
it never competes with the CLIP stage: a generator of ``Progress``
(``FINGERPRINTING``) that commits one batch at a time and stops at a
batch boundary when cancelled; the next sync carries on from what is still
missing (it is resumable by construction: the catalog says what is done).

A fingerprint is taken from the photo's stored thumbnail (what the
pipeline's fingerprint is taken from, before it was saved), so the photo
itself is not opened.  Without a readable thumbnail the photo is decoded at
a reduced scale (JPEG draft mode) into an upright thumbnail, as the
pipeline's, through the guarded loader.  A file that cannot be read gets an
empty fingerprint (not retried until the method changes); one that changes
while it is read is left for later.  Photos copied by a scan (their vectors
reused without decoding) are fingerprinted here too.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor

from PIL import Image

from indexer.cancel import CancelToken
from indexer.catalog import Catalog, PhotoRow
from indexer.duplicates.photo_hash import Fingerprint, fingerprint, thumbnail_fingerprint
from indexer.duplicates.tables import DuplicateTables
from indexer.errors import UnreadableImage
from indexer.models.image_input import decode_upright, read_image
from indexer.models.preprocess import DecodedImage, draft_for_side, make_thumbnail
from indexer.progress import Activity, Progress
from indexer.stages import PhotoStep, StageContext
from indexer.thumbnails import THUMB_SIZE, ThumbnailStore

logger = logging.getLogger(__name__)

FINGERPRINTING = Activity("fingerprinting", "Fingerprinting for duplicates", busy=True)
"""Fingerprinting photos indexed before duplicate finding existed (their thumbnails)."""

_SKIP = object()  # the file changed or vanished while being read


def backfill_fingerprints(
    catalog: Catalog, cancel: CancelToken | None = None, *, batch: int = 64, workers: int = 2,
    thumbnails: ThumbnailStore | None = None,
) -> Generator[Progress, None, int]:
    """Fingerprint the indexed photos that have none (from their ``thumbnails`` where they have one); returns
    how many were done."""
    cancel = cancel or CancelToken()
    tables = DuplicateTables(catalog)
    total = tables.count_missing_fingerprints()
    if not total:
        return 0
    message = "fingerprinting photos for duplicate finding"
    yield Progress(FINGERPRINTING, 0, total, message=message)
    done = 0
    after = 0
    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="fingerprint") as pool:
        while not cancel.cancelled:
            rows = tables.missing_fingerprints(batch, after)
            if not rows:
                break
            results = list(pool.map(lambda row: fingerprint_photo(row, thumbnails), rows))
            with catalog.transaction():
                tables.record_fingerprints(
                    (row, fp) for row, fp in zip(rows, results) if fp is not _SKIP  # type: ignore[misc]
                )
            after = rows[-1].id
            done += len(rows)
            yield Progress(FINGERPRINTING, min(done, total), total, current=rows[-1].path, message=message)
    return done


def fingerprint_photo(row: PhotoRow, thumbnails: ThumbnailStore | None) -> Fingerprint | None | object:
    """The fingerprint of ``row`` from its stored thumbnail, else from its file (``fingerprint_file``)."""
    stored = thumbnails.path(row.id) if thumbnails is not None else None
    if stored is not None and stored.is_file():
        try:
            with Image.open(stored) as image:
                image.load()
                return fingerprint(image.convert("RGB"))
        except Exception as exc:  # noqa: BLE001 - a damaged cache file: the photo itself serves
            logger.debug("cannot fingerprint the thumbnail %s: %s", stored, exc)
    return fingerprint_file(row)


def fingerprint_file(row: PhotoRow) -> Fingerprint | None | object:
    """The fingerprint of ``row``'s file; None if it cannot be read; ``_SKIP`` if it changed meanwhile."""
    try:
        before = os.stat(row.path)
        if (before.st_size, before.st_mtime_ns) != (row.size, row.mtime_ns):
            return _SKIP
        result = read_image(row.path, _thumbnail)
        after = os.stat(row.path)
    except UnreadableImage as exc:
        logger.info("cannot fingerprint %s: %s", row.path, exc.reason)
        return None
    except OSError:
        return _SKIP
    except Exception:  # noqa: BLE001 - nothing a file holds may stop the backfill
        logger.exception("unexpected error fingerprinting %s", row.path)
        return None
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        return _SKIP
    return fingerprint(result)


def _thumbnail(image: Image.Image, label: str) -> Image.Image:
    """The upright thumbnail the pipeline would have made (longest side ``THUMB_SIZE``)."""
    return make_thumbnail(decode_upright(image, label, need=lambda w, h: draft_for_side(w, h, 2 * THUMB_SIZE)).rgb)


class FingerprintStage:
    """Duplicate finding as a ``Stage``: new photos are fingerprinted on the pipeline's decode (``photo_step``);
    ``run`` catches up the photos indexed before (or copied by a scan)."""

    activity = FINGERPRINTING

    def __init__(self) -> None:
        self.photo_step: PhotoStep | None = FingerprintStep()

    def enabled(self, context: StageContext) -> bool:
        return True

    def pending(self, context: StageContext) -> int:
        return DuplicateTables(context.catalog).count_missing_fingerprints()

    def run(
        self, context: StageContext, cancel: CancelToken, interrupt: Callable[[], bool] | None = None
    ) -> Iterator[Progress]:
        yield from backfill_fingerprints(context.catalog, cancel, workers=context.settings.decode_workers,
                                         thumbnails=context.thumbnails)


class FingerprintStep:
    """A new photo's fingerprint, from the thumbnail of the pipeline's one decode."""

    detail_side = 0

    def prepare(self, row: PhotoRow, image: DecodedImage) -> object:
        return thumbnail_fingerprint(image.thumbnail, row.path)

    def record(self, catalog: Catalog, results: list[tuple[PhotoRow, object]]) -> None:
        DuplicateTables(catalog).record_fingerprints(
            (row, result) for row, result in results if result is None or isinstance(result, Fingerprint)
        )
