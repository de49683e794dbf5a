"""Places and dates through the real `photoseek` command: generated photos with EXIF GPS and dates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import run_photoseek
from tests.support.geo_photos import write_geo_photo

LISBON = [(38.7223, -9.1393), (38.7100, -9.1370), (38.7369, -9.1427)]  # centre, Baixa, Avenidas Novas
PHOTOS = {
    "lisbon_a.jpg": (*LISBON[0], "2021:06:01 10:00:00"),
    "lisbon_b.jpg": (*LISBON[1], "2019:08:15 18:30:00"),
    "lisbon_c.png": (*LISBON[2], "2022:01:03 09:00:00"),
    "porto.jpg": (41.1496, -8.6109, "2019:04:01 12:00:00"),
    "tokyo_a.jpg": (35.6895, 139.6917, "2019:11:20 08:00:00"),
    "tokyo_b.jpg": (35.6586, 139.7454, "2020:03:01 08:00:00"),
    "reykjavik.jpg": (64.1466, -21.9426, "2024:12:28 13:00:00"),  # 1.5 km from the centre
    "nowhere_2019.jpg": (None, None, "2019:02:02 02:02:02"),
    "nowhere_2021.jpg": (None, None, "2021:07:07 07:07:07"),
    "null_island.jpg": (0.0, 0.0, "2018:01:01 00:00:00"),  # a 0,0 placeholder: no position
}


def photoseek(*args: str, library: Path, check: bool = True):
    proc = run_photoseek(*args, library=library, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"photoseek {' '.join(args)} -> {proc.returncode}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def geo_library(tmp_path_factory, toyclip_bundle) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("geo")
    photos = root / "photos"
    for i, (name, (lat, lon, taken)) in enumerate(PHOTOS.items()):
        write_geo_photo(photos / name, lat, lon, taken, seed=i, fmt="PNG" if name.endswith(".png") else "JPEG")
    library = root / "lib"
    photoseek("index", str(photos), "--model", str(toyclip_bundle), library=library)
    return library, photos


def search(library: Path, *args: str) -> list[dict]:
    return json.loads(photoseek("search", *args, "--json", "--limit", "50", library=library).stdout)


def names(hits: list[dict]) -> set[str]:
    return {Path(h["path"]).name for h in hits}


def test_a_city_name_returns_exactly_its_photos_with_their_place(geo_library):
    library, _ = geo_library
    hits = search(library, "Lisbon")
    assert names(hits) == {"lisbon_a.jpg", "lisbon_b.jpg", "lisbon_c.png"}
    assert all(h["place"].endswith(", Portugal") and h["lat"] and h["lon"] for h in hits)
    assert {h["place"] for h in hits} == {"Lisbon, Portugal"}  # Baixa and Avenidas Novas are districts of it


def test_a_year_keeps_only_that_years_photos_with_or_without_a_position(geo_library):
    library, _ = geo_library
    assert names(search(library, "from 2019")) == {"lisbon_b.jpg", "porto.jpg", "tokyo_a.jpg", "nowhere_2019.jpg"}


def test_a_query_without_a_place_keeps_photos_without_a_position(geo_library):
    library, _ = geo_library
    hits = search(library, "a sunny day")
    assert names(hits) == set(PHOTOS)
    no_position = [h for h in hits if Path(h["path"]).name.startswith(("nowhere", "null"))]
    assert no_position and all("place" not in h and "lat" not in h for h in no_position)


def test_place_and_date_together_and_a_country(geo_library):
    library, _ = geo_library
    assert names(search(library, "Tokyo 2019")) == {"tokyo_a.jpg"}
    assert names(search(library, "photos from Portugal")) == {"lisbon_a.jpg", "lisbon_b.jpg", "lisbon_c.png",
                                                              "porto.jpg"}
    assert names(search(library, "Reykjavik")) == {"reykjavik.jpg"}  # without the accent, off-centre


def test_explain_prints_the_parse_before_the_results(geo_library):
    library, _ = geo_library
    proc = photoseek("search", "beach in Lisbon", "--explain", library=library)
    assert proc.stderr.splitlines()[0] == "words: beach · place: Lisbon, Portugal · dates: any"
    proc = photoseek("search", "snow in winter 2024/25", "--explain", library=library)
    assert proc.stderr.splitlines()[0] == "words: snow · place: any · dates: Winter 2024/25"
    # the words to avoid are taken out, not searched: "-people" used to search for "beach people"
    proc = photoseek("search", 'beach in Lisbon -people not "red car"', "--not", "dogs", "--explain", library=library)
    assert proc.stderr.splitlines()[0] == \
        "words: beach · place: Lisbon, Portugal · dates: any · not: dogs, people, red car"


def test_place_and_near_flags(geo_library):
    library, _ = geo_library
    assert names(search(library, "street", "--place", "Lisboa")) == {"lisbon_a.jpg", "lisbon_b.jpg", "lisbon_c.png"}
    assert names(search(library, "street", "--near", "35.68,139.70,10")) == {"tokyo_a.jpg", "tokyo_b.jpg"}
    assert names(search(library, "street", "--near", "41.15,-8.61")) == {"porto.jpg"}
    assert names(search(library, "--place", "Japan")) == {"tokyo_a.jpg", "tokyo_b.jpg"}  # no TEXT needed
    # An explicit place replaces the one in the TEXT, whose words go back to CLIP.
    proc = photoseek("search", "Lisbon 2019", "--place", "Porto", "--explain", library=library)
    assert proc.stderr.splitlines()[0] == "words: Lisbon · place: Porto, Portugal · dates: 2019"


@pytest.mark.parametrize("args, message", [
    (("x", "--place", "Atlantis of the Deep"), "no place called"),
    (("x", "--near", "91,0"), "latitude"),
    (("x", "--near", "10,10,0"), "distance"),
    (("x", "--near", "ten,10"), "not LAT,LON"),
    (("x", "--place", "Lisbon", "--near", "1,1"), "not both"),
])
def test_bad_place_flags_are_usage_errors(geo_library, args, message):
    library, _ = geo_library
    proc = photoseek("search", *args, library=library, check=False)
    assert proc.returncode == 2 and message in proc.stderr
