"""Benchmark: the cost of places -- reading GPS from EXIF headers, reverse geocoding, and parsing queries.

    python -m tests.benchmarks.bench_places            # 2,000 files, 100,000 positions
    python -m tests.benchmarks.bench_places --quick    # 200 files, 10,000 positions

1. ``read_gps_file`` on small JPEGs with a GPS block (headers only, files in the page cache): ms/photo.
2. ``ReverseGeocoder.locate`` on positions around random GeoNames places, in the place pass's batches
   of 200 and in one batch: ms/photo, plus the time to load the cities1000 table and build its tree.
3. The catalog at 100,000 photos, every one read, a third with a position in 300 places: what each sync
   of the writer costs when nothing is left to read (``places_unread``), the place filter of a city
   (``photos_near`` + ``photos_at_places``), the Places list (``place_counts``), and the place-name index
   (``places_fts``): a name, a prefix, and whole parses of queries (without and with a place or region).
4. The cold ``photoseek search`` path: a fresh process parses a query with no place (nothing loaded)
   and one with a place (loads the cities15000 table); the time of each parse is printed.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

from indexer.catalog import Catalog
from indexer.gps import read_gps_file
from indexer.places.filter import PlaceFilter
from indexer.places.gazetteer import Gazetteer, Place
from indexer.places.name_index import PlaceNameIndex
from indexer.places.reverse import ReverseGeocoder
from indexer.places.search import CatalogPlaces, photos_matching
from indexer.places.tables import PlaceReading, PlaceTables
from indexer.query.parse import parse_query
from tests.benchmarks._common import load, parser
from tests.support.geo_photos import write_geo_photo

COLD = """
import time, datetime
t = time.perf_counter()
from indexer.query.parse import parse_query
from indexer.places.search import CatalogPlaces
from indexer.places.name_index import PlaceMatches
imported = time.perf_counter() - t

class NoLibrary:  # a library without places: only GeoNames answers
    def has_place_names(self): return True
    def library_place_matches(self, f): return PlaceMatches([], [])
    def library_places_named(self, f): return []
    def photos_near(self, *a): return set()
    def photos_at_places(self, *a): return set()
    def photos_in_country(self, *a): return set()

places = CatalogPlaces(NoLibrary())
t = time.perf_counter(); parse_query({text!r}, today=datetime.date(2026, 11, 29), places=places)
first = time.perf_counter() - t
t = time.perf_counter(); p = parse_query({text!r}, today=datetime.date(2026, 11, 29), places=places)
again = time.perf_counter() - t
import sys
print(f"{{imported*1000:.0f}} {{first*1000:.0f}} {{again*1000:.2f}} {{'scipy' in sys.modules}} {{p.explain()}}")
"""


def catalog_figures(n: int, geocoder: ReverseGeocoder) -> None:
    rng = np.random.default_rng(7)
    fine = geocoder.gazetteer
    centres = rng.choice(len(fine), 300, replace=False)
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog(Path(tmp) / "catalog.sqlite")
        catalog.migrate()
        with catalog.transaction():
            folder = catalog.add_folder(Path(tmp) / "photos")
            ids = [catalog.insert_photo(Path(tmp) / "photos" / f"{i:06d}.jpg", folder.id, 1000, i, None)
                   for i in range(n)]
        readings = []
        for pid in ids:
            if pid % 3:
                readings.append(PlaceReading(pid, 1000, pid - 1, None, None))
                continue
            c = int(centres[pid % 300])
            pos = (float(fine.lat[c]) + rng.normal(0, 0.02), float(fine.lon[c]) + rng.normal(0, 0.02))
            readings.append(PlaceReading(pid, 1000, pid - 1, pos, None))
        places = geocoder.locate([r.position for r in readings if r.position is not None])
        it = iter(places)
        readings = [PlaceReading(r.photo_id, r.size, r.mtime_ns, r.position, next(it)) if r.position else r
                    for r in readings]
        t = time.perf_counter()
        with catalog.transaction():
            PlaceTables(catalog).record_places(readings)
        write = (time.perf_counter() - t) * 1000 / n
        t = time.perf_counter()
        left = PlaceTables(catalog).places_unread()
        unread = (time.perf_counter() - t) * 1000
        city = next(p for p in places if p is not None)
        t = time.perf_counter()
        matched = photos_matching(catalog, PlaceFilter.of_place(city))
        near = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        counts = PlaceTables(catalog).place_counts()
        listing = (time.perf_counter() - t) * 1000
        lookups = name_index_figures(catalog, city)
        catalog.close()
    print(f"catalog of {n} photos: recording readings {write:.4f} ms/photo; nothing left to read ({left}) found in "
          f"{unread:.0f} ms; the filter of {city.label} ({len(matched)} photos) {near:.1f} ms; the Places list "
          f"({len(counts)} places) {listing:.0f} ms; {load()}")
    print(lookups)


def name_index_figures(catalog: Catalog, city: Place) -> str:
    """The place-name index (``places_fts``): one look-up of a name, one prefix look-up, and whole parses of
    queries through ``CatalogPlaces`` (a fresh one per query, as each search makes; GeoNames loaded before)."""
    reps = 1000
    t = time.perf_counter()
    for _ in range(reps):
        PlaceNameIndex(catalog).library_place_matches(city.name)
    one = (time.perf_counter() - t) * 1000 / reps
    t = time.perf_counter()
    for _ in range(reps):
        PlaceNameIndex(catalog).library_places_starting(city.name[:3], 5)
    prefix = (time.perf_counter() - t) * 1000 / reps
    parts = []
    for text in ("red car parked on a quiet street at night", f"beach in {city.name}", f"from {city.region}"):
        parse_query(text, today=date(2026, 11, 29), places=CatalogPlaces(catalog))  # GeoNames loaded if asked
        t = time.perf_counter()
        for _ in range(100):
            parsed = parse_query(text, today=date(2026, 11, 29), places=CatalogPlaces(catalog))
        label = parsed.place.label if parsed.place else "no place"
        parts.append(f"{text!r} {(time.perf_counter() - t) * 10:.2f} ms ({label})")
    return (f"place-name index: a name {one:.3f} ms, a prefix {prefix:.3f} ms; a whole parse: " + "; ".join(parts))


def main() -> None:
    args = parser(__doc__).parse_args()
    files, positions = (200, 10_000) if args.quick else (2_000, 100_000)
    rng = np.random.default_rng(13)
    with tempfile.TemporaryDirectory() as tmp:
        paths = [write_geo_photo(Path(tmp) / f"p{i:05d}.jpg", float(rng.uniform(-60, 70)),
                                 float(rng.uniform(-180, 180)), "2020:01:01 00:00:00", seed=i % 50)
                 for i in range(files)]
        for p in paths:
            read_gps_file(p)  # warm the page cache
        t = time.perf_counter()
        found = sum(read_gps_file(p).position is not None for p in paths)
        ms = (time.perf_counter() - t) * 1000 / files
    print(f"EXIF GPS from headers: {ms:.3f} ms/photo over {files} JPEGs ({found} with a position); {load()}")

    t = time.perf_counter()
    geocoder = ReverseGeocoder(Gazetteer.load("cities1000", alternates=False))
    geocoder.locate([(0.0, 0.0)])
    print(f"cities1000 loaded and its tree built in {time.perf_counter() - t:.2f} s; {load()}")
    fine = geocoder.gazetteer
    rows = rng.integers(0, len(fine), positions)
    points = [(float(fine.lat[r]) + rng.normal(0, 0.05), float(fine.lon[r]) + rng.normal(0, 0.05)) for r in rows]
    t = time.perf_counter()
    for start in range(0, positions, 200):
        geocoder.locate(points[start:start + 200])
    batched = (time.perf_counter() - t) * 1000 / positions
    t = time.perf_counter()
    geocoder.locate(points)
    whole = (time.perf_counter() - t) * 1000 / positions
    print(f"reverse geocoding {positions} positions: {batched:.4f} ms/photo in batches of 200, "
          f"{whole:.4f} ms/photo in one batch; {load()}")

    catalog_figures(100_000 if not args.quick else 10_000, geocoder)

    for text in ("red car on a street", "beach in Lisbon"):
        out = subprocess.run([sys.executable, "-c", COLD.format(text=text)], capture_output=True, text=True,
                             check=True).stdout.split(maxsplit=4)
        print(f"cold parse of {text!r}: import {out[0]} ms, first parse {out[1]} ms, next parse {out[2]} ms, "
              f"scipy loaded: {out[3]}; {out[4].strip()}; {load()}")


if __name__ == "__main__":
    main()
