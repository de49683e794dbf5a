"""Place names through the real `photoseek` command: a small town (GeoNames cities1000, not cities15000) and
first-level regions the library has photos in, found through the catalog's place-name index."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli_places import names, photoseek, search
from tests.support.geo_photos import write_geo_photo

PHOTOS = {
    "seltjarnarnes.jpg": (64.1533, -21.9950),  # a town of 4,000 people, 4.6 km from Reykjavik's centre
    "reykjavik.jpg": (64.1355, -21.8954),
    "munich.jpg": (48.1374, 11.5755),
    "nuremberg.jpg": (49.4540, 11.0775),
    "barcelona.jpg": (41.3888, 2.1590),
    "nowhere.jpg": (None, None),
}


@pytest.fixture(scope="module")
def trip_library(tmp_path_factory, toyclip_bundle) -> Path:
    root = tmp_path_factory.mktemp("trip")
    for i, (name, (lat, lon)) in enumerate(PHOTOS.items()):
        write_geo_photo(root / "photos" / name, lat, lon, "2023:07:01 12:00:00", seed=50 + i)
    library = root / "lib"
    photoseek("index", str(root / "photos"), "--model", str(toyclip_bundle), library=library)
    return library


def test_a_small_town_the_library_has_photos_in_filters_to_its_photos(trip_library):
    assert names(search(trip_library, "sunset in Seltjarnarnes")) == {"seltjarnarnes.jpg"}
    assert names(search(trip_library, "seltjarnarnes")) == {"seltjarnarnes.jpg"}
    proc = photoseek("search", "harbour in Seltjarnarnes", "--explain", library=trip_library)
    assert proc.stderr.splitlines()[0] == "words: harbour · place: Seltjarnarnes, Iceland · dates: any"


def test_a_region_filters_to_the_photos_taken_in_it(trip_library):
    assert names(search(trip_library, "photos from Bavaria")) == {"munich.jpg", "nuremberg.jpg"}
    assert names(search(trip_library, "street in Catalonia")) == {"barcelona.jpg"}
    assert names(search(trip_library, "street", "--place", "bavaria")) == {"munich.jpg", "nuremberg.jpg"}
    proc = photoseek("search", "beer in Bavaria 2023", "--explain", library=trip_library)
    assert proc.stderr.splitlines()[0] == "words: beer · place: Bavaria, Germany · dates: 2023"
    hits = search(trip_library, "Munich")
    assert names(hits) == {"munich.jpg"} and hits[0]["place"] == "Munich, Germany"  # labels keep their form


def test_an_unknown_place_name_suggests_the_librarys_places_that_start_so(trip_library):
    proc = photoseek("search", "x", "--place", "Seltj", library=trip_library, check=False)
    assert proc.returncode == 2 and "no place called 'Seltj'" in proc.stderr
    assert "the library has photos in Seltjarnarnes, Iceland" in proc.stderr
    proc = photoseek("search", "x", "--place", "Zzyzx Qqq", library=trip_library, check=False)
    assert proc.returncode == 2 and "the library has photos in" not in proc.stderr
