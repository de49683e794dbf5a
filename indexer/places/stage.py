"""The writer's place pass: read photos' EXIF GPS and find the places they were taken in.

Runs after embedding in every sync, over the photos whose GPS has not been
read for their current file version -- new photos, changed ones, and every
photo of a library made before places existed -- so an existing library fills
its places in the background without re-embedding anything: only EXIF headers
are read (no pixels are decoded).  One transaction per batch: interrupted, it
resumes where it stopped.  The GeoNames table is loaded only when a batch has
a position to look up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterator

from indexer.cancel import CancelToken
from indexer.catalog import Catalog
from indexer.places.gps import GpsCounts, read_gps_file
from indexer.places.reverse import ReverseGeocoder
from indexer.places.tables import PlaceReading, PlaceTables
from indexer.progress import Activity, Progress
from indexer.stages import StageContext

logger = logging.getLogger(__name__)

PLACES = Activity("places", "Finding where photos were taken", busy=True)
"""Reading photos' positions and finding their places, after embedding."""

BATCH = 200


def fill_places(
    catalog: Catalog, cancel: CancelToken, geocoder: ReverseGeocoder | None = None, *, batch: int = BATCH
) -> Generator[Progress, None, GpsCounts]:
    """Read the GPS of every photo not read yet and record its place, yielding ``PLACES`` progress.
    Returns what was found (positions, none, garbage refused by reason)."""
    counts = GpsCounts()
    tables = PlaceTables(catalog)
    total = tables.places_unread()
    if not total:
        return counts
    geocoder = geocoder or ReverseGeocoder()
    done = 0
    yield Progress(PLACES, 0, total, message="reading where photos were taken")
    while not cancel.cancelled:
        rows = tables.photos_without_place(batch)
        if not rows:
            break
        readings = []
        for photo_id, path, size, mtime_ns in rows:
            reading = read_gps_file(path)
            counts.add(reading)
            readings.append((photo_id, size, mtime_ns, reading))
        positions = [r.position for _, _, _, r in readings if r.position is not None]
        places = iter(geocoder.locate(positions))
        with catalog.transaction():
            tables.record_places([
                PlaceReading(pid, size, mtime, r.position, next(places) if r.position is not None else None,
                             r.refused)
                for pid, size, mtime, r in readings
            ])
        done += len(rows)
        yield Progress(PLACES, done, max(total, done), message="reading where photos were taken")
    if counts.found or counts.refused:
        logger.info("places: %d photo(s) with a position, %d without, refused: %s", counts.found, counts.absent,
                    ", ".join(f"{n} {why}" for why, n in counts.refused.items()) or "none")
    return counts


class PlacesStage:
    """Places as a ``Stage`` of a sync: the photos whose position has not been read yet."""

    activity = PLACES
    photo_step = None

    def enabled(self, context: StageContext) -> bool:
        return True

    def pending(self, context: StageContext) -> int:
        return PlaceTables(context.catalog).places_unread()

    def run(
        self, context: StageContext, cancel: CancelToken, interrupt: Callable[[], bool] | None = None
    ) -> Iterator[Progress]:
        yield from fill_places(context.catalog, cancel)
