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
from collections.abc import Generator

from indexer.cancel import CancelToken
from indexer.catalog import Catalog
from indexer.clip.pipeline import Phase, Progress
from indexer.places.gps import GpsCounts, read_gps_file
from indexer.places.reverse import ReverseGeocoder
from indexer.places.tables import PlaceReading

logger = logging.getLogger(__name__)

BATCH = 200


def fill_places(
    catalog: Catalog, cancel: CancelToken, geocoder: ReverseGeocoder | None = None, *, batch: int = BATCH
) -> Generator[Progress, None, GpsCounts]:
    """Read the GPS of every photo not read yet and record its place, yielding ``Phase.PLACES`` progress.
    Returns what was found (positions, none, garbage refused by reason)."""
    counts = GpsCounts()
    total = catalog.places_unread()
    if not total:
        return counts
    geocoder = geocoder or ReverseGeocoder()
    done = 0
    yield Progress(Phase.PLACES, 0, total, message="reading where photos were taken")
    while not cancel.cancelled:
        rows = catalog.photos_without_place(batch)
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
            catalog.record_places([
                PlaceReading(pid, size, mtime, r.position, next(places) if r.position is not None else None,
                             r.refused)
                for pid, size, mtime, r in readings
            ])
        done += len(rows)
        yield Progress(Phase.PLACES, done, max(total, done), message="reading where photos were taken")
    if counts.found or counts.refused:
        logger.info("places: %d photo(s) with a position, %d without, refused: %s", counts.found, counts.absent,
                    ", ".join(f"{n} {why}" for why, n in counts.refused.items()) or "none")
    return counts
