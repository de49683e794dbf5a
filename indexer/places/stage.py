"""Places as a stage: where photos were taken, from the position the embedding read from their EXIF.

New photos get their place on the pipeline's one decode (``PlacesStep``): the
GPS block of the EXIF it parsed is read (garbage refused, see
``indexer.gps``) and the place looked up in the batch's transaction,
so no photo is opened again for its position.  The stage's pass
(``fill_places``) catches up the indexed photos that have no place recorded
for their current file version -- every photo of a library made before
places existed -- from the position the embedding stored (``photos.lat/lon``),
checked the same way: no file is opened and nothing is decoded.  One
transaction per batch: interrupted, it resumes where it stopped.  The GeoNames
table is loaded only when a batch has a position to look up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterator, Sequence

from indexer.cancel import CancelToken
from indexer.catalog import Catalog, PhotoRow
from indexer.gps import GpsCounts, GpsReading, gps_from_exif, gps_from_position
from indexer.models.preprocess import DecodedImage
from indexer.places.reverse import ReverseGeocoder
from indexer.places.tables import PlaceReading, PlaceTables
from indexer.progress import Activity, Progress
from indexer.stages import PhotoStep, StageContext

logger = logging.getLogger(__name__)

PLACES = Activity("places", "Finding where photos were taken", busy=True)
"""Finding the places of photos indexed before (their stored positions), after embedding."""

BATCH = 200


def record_readings(
    catalog: Catalog, readings: Sequence[tuple[int, int, int, GpsReading]], geocoder: ReverseGeocoder
) -> None:
    """Look up the places of ``readings`` (photo id, size, mtime_ns, reading) and store them (the caller holds
    the transaction)."""
    positions = [r.position for _, _, _, r in readings if r.position is not None]
    places = iter(geocoder.locate(positions))
    PlaceTables(catalog).record_places([
        PlaceReading(pid, size, mtime, r.position, next(places) if r.position is not None else None, r.refused)
        for pid, size, mtime, r in readings
    ])


def fill_places(
    catalog: Catalog, cancel: CancelToken, geocoder: ReverseGeocoder | None = None, *, batch: int = BATCH
) -> Generator[Progress, None, GpsCounts]:
    """Record the place of every indexed photo that has none for its current version, from its stored position,
    yielding ``PLACES`` progress.  Returns what was found (positions, none, garbage refused by reason)."""
    counts = GpsCounts()
    tables = PlaceTables(catalog)
    total = tables.places_unread()
    if not total:
        return counts
    geocoder = geocoder or ReverseGeocoder()
    done = 0
    yield Progress(PLACES, 0, total, message="finding where photos were taken")
    while not cancel.cancelled:
        rows = tables.photos_without_place(batch)
        if not rows:
            break
        readings = []
        for photo_id, size, mtime_ns, lat, lon in rows:
            reading = gps_from_position(lat, lon)
            counts.add(reading)
            readings.append((photo_id, size, mtime_ns, reading))
        with catalog.transaction():
            record_readings(catalog, readings, geocoder)
        done += len(rows)
        yield Progress(PLACES, done, max(total, done), message="finding where photos were taken")
    if counts.found or counts.refused:
        logger.info("places: %d photo(s) with a position, %d without, refused: %s", counts.found, counts.absent,
                    ", ".join(f"{n} {why}" for why, n in counts.refused.items()) or "none")
    return counts


class PlacesStep:
    """A new photo's place, from the EXIF of the pipeline's one decode."""

    detail_side = 0

    def __init__(self, geocoder: ReverseGeocoder | None = None) -> None:
        self.geocoder = geocoder or ReverseGeocoder()
        self.counts = GpsCounts()  # what the photos embedded so far held (summaries, tests)

    def prepare(self, row: PhotoRow, image: DecodedImage) -> object:
        return gps_from_exif(image.exif)

    def record(self, catalog: Catalog, results: list[tuple[PhotoRow, object]]) -> None:
        readings = [(row.id, row.size, row.mtime_ns, r) for row, r in results if isinstance(r, GpsReading)]
        for _, _, _, reading in readings:
            self.counts.add(reading)
        if readings:
            record_readings(catalog, readings, self.geocoder)


class PlacesStage:
    """Places as a ``Stage`` of a sync: new photos on the pipeline's decode (``photo_step``); ``run`` catches up
    the indexed photos without a place."""

    activity = PLACES

    def __init__(self) -> None:
        self.photo_step: PhotoStep | None = PlacesStep()

    def enabled(self, context: StageContext) -> bool:
        return True

    def pending(self, context: StageContext) -> int:
        return PlaceTables(context.catalog).places_unread()

    def run(
        self, context: StageContext, cancel: CancelToken, interrupt: Callable[[], bool] | None = None
    ) -> Iterator[Progress]:
        yield from fill_places(context.catalog, cancel)
