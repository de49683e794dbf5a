"""Fingerprint the photos indexed before duplicate finding existed (or by an older fingerprint method).

Run by the writer after a sync has embedded everything (``Library.sync``), so
it never competes with the CLIP stage: a generator of ``Progress``
(``FINGERPRINTING``) that commits one batch at a time and stops at a
batch boundary when cancelled; the next sync carries on from what is still
missing (it is resumable by construction: the catalog says what is done).

Each photo is decoded once at a reduced scale (JPEG draft mode) into an
upright thumbnail, exactly as the pipeline's thumbnail, through the guarded
loader.  A file that cannot be read gets an empty fingerprint (not retried
until the method changes); one that changes while it is read is left for
later.  Photos copied by a scan (their vectors reused without decoding) are
fingerprinted here too.
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
from indexer.models.image_input import (
    DEFAULT_MAX_PIXELS,
    ORIENTATION_SWAPS_AXES,
    check_size,
    exif_orientation,
    first_frame,
    read_image,
    to_rgb,
)
from indexer.models.preprocess import DecodedImage
from indexer.progress import Activity, Progress
from indexer.stages import PhotoStep, StageContext

logger = logging.getLogger(__name__)

FINGERPRINTING = Activity("fingerprinting", "Fingerprinting for duplicates", busy=True)
"""Fingerprinting photos indexed before duplicate finding existed (their thumbnails)."""

THUMB_SIDE = 256  # the pipeline's thumbnail size, which its fingerprints are taken from
_SKIP = object()  # the file changed or vanished while being read


def backfill_fingerprints(
    catalog: Catalog, cancel: CancelToken | None = None, *, batch: int = 64, workers: int = 2
) -> Generator[Progress, None, int]:
    """Fingerprint the indexed photos that have none; returns how many were done."""
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
            results = list(pool.map(fingerprint_file, rows))
            with catalog.transaction():
                tables.record_fingerprints(
                    (row, fp) for row, fp in zip(rows, results) if fp is not _SKIP  # type: ignore[misc]
                )
            after = rows[-1].id
            done += len(rows)
            yield Progress(FINGERPRINTING, min(done, total), total, current=rows[-1].path, message=message)
    return done


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
    """The upright thumbnail the pipeline would have made (longest side THUMB_SIDE)."""
    orientation = exif_orientation(image)
    width, height = image.size
    if orientation in ORIENTATION_SWAPS_AXES:
        width, height = height, width
    frame = first_frame(image)
    if frame.format in ("JPEG", "MPO"):
        scale = THUMB_SIDE / max(width, height)
        frame.draft(frame.mode, (max(1, round(image.size[0] * scale * 2)), max(1, round(image.size[1] * scale * 2))))
    check_size(frame, DEFAULT_MAX_PIXELS, original=(width, height), label=label)
    frame.load()
    rgb = to_rgb(frame, orientation)
    w, h = rgb.size
    scale = THUMB_SIDE / max(w, h)
    if scale >= 1.0:
        return rgb
    return rgb.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BICUBIC,
                      reducing_gap=2.0)


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
        yield from backfill_fingerprints(context.catalog, cancel, workers=context.settings.decode_workers)


class FingerprintStep:
    """A new photo's fingerprint, from the thumbnail of the pipeline's one decode."""

    def prepare(self, row: PhotoRow, image: DecodedImage) -> object:
        return thumbnail_fingerprint(image.thumbnail, row.path)

    def record(self, catalog: Catalog, results: list[tuple[PhotoRow, object]]) -> None:
        DuplicateTables(catalog).record_fingerprints(
            (row, result) for row, result in results if result is None or isinstance(result, Fingerprint)
        )
