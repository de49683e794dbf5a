"""Places: GeoNames names without accents, reverse geocoding to the city, areas by population, and the
writer's place pass on a library (new photos, an existing library, resuming, changed files)."""

from __future__ import annotations

import sqlite3

import pytest

from indexer.cancel import CancelToken
from indexer.library import Library
from indexer.places.countries import Countries
from indexer.places.gazetteer import Gazetteer
from indexer.places.geometry import bounding_box, distance_km, radius_km
from indexer.places.names import fold
from indexer.places.reverse import ReverseGeocoder
from indexer.places.stage import PLACES, fill_places
from indexer.places.tables import PlaceTables
from indexer.progress import Phase
from indexer.search import Query
from tests.support.geo_photos import write_geo_photo
from tests.support.template import copy_template


def test_fold_removes_accents_case_and_punctuation():
    assert fold("Reykjavík") == "reykjavik" and fold("SÃO PAULO") == "sao paulo"
    assert fold("Saint-Étienne") == "saint etienne" and fold("Val d'Isère") == "val disere"
    assert fold("Kraków") == "krakow" and fold("Łódź") == "lodz" and fold("Straße") == "strasse"


def test_countries_by_their_common_names():
    countries = Countries.shared()
    assert countries.code("Portugal") == "PT" and countries.code("USA") == "US" and countries.code("holland") == "NL"
    assert countries.code("Lisbon") is None and countries.name("IS") == "Iceland"


def test_names_match_in_english_and_without_accents():
    gazetteer = Gazetteer.shared("cities15000")
    assert gazetteer.named("Lisboa")[0].label == "Lisbon, Portugal"
    assert gazetteer.named("reykjavik")[0].label == "Reykjavík, Iceland"
    assert gazetteer.named("paris")[0].label == "Paris, France"
    assert any(p.label == "Paris, Texas, United States" for p in gazetteer.named("Paris"))


def test_a_place_reaches_further_the_bigger_it_is():
    assert radius_km(500) == 3.0 and radius_km(40_000_000) == 40.0
    assert 6 < radius_km(118_918) < 8 < 14 < radius_km(517_802) < 16
    assert distance_km(38.72509, -9.1498, 41.14961, -8.61099) == pytest.approx(274, abs=2)  # Lisbon-Porto


def test_bounding_boxes_wrap_around_the_date_line():
    lat_lo, lat_hi, lon_lo, lon_hi = bounding_box(-17.7, 179.9, 50)
    assert lat_lo < -17.7 < lat_hi and lon_lo > lon_hi  # wraps: 179.4 .. -179.6


@pytest.fixture(scope="module")
def geocoder() -> ReverseGeocoder:
    return ReverseGeocoder()


@pytest.mark.parametrize("lat, lon, label", [
    (64.1466, -21.9426, "Reykjavík, Iceland"),  # 1.5 km from the centre: the nearest entry is a suburb
    (64.1355, -21.8660, "Reykjavík, Iceland"),
    (-1.2833, 36.8250, "Nairobi, Kenya"),
    (-1.2833, 36.8350, "Nairobi, Kenya"),  # central Nairobi, where the nearest entry is Pumwani
    (38.7223, -9.1393, "Lisbon, Portugal"),  # the nearest entry is the Intendente district
    (35.6895, 139.6917, "Tokyo, Japan"),
])
def test_a_position_near_a_city_centre_names_the_city(geocoder, lat, lon, label):
    place = geocoder.locate([(lat, lon)])[0]
    assert place is not None and place.label == label


def test_the_open_sea_has_no_place(geocoder):
    assert geocoder.locate([(-40.0, -30.0)]) == [None]  # the South Atlantic
    assert geocoder.locate([]) == []


# -- the writer's place pass ---------------------------------------------------------------

GEO = {"lisbon.jpg": (38.7223, -9.1393), "porto.jpg": (41.1496, -8.6109), "reykjavik.png": (64.1466, -21.9426),
       "placeholder.jpg": (0.0, 0.0)}


@pytest.fixture()
def geo_lib(tmp_path, template_library):
    t = copy_template(template_library, tmp_path / "t")
    for i, (name, (lat, lon)) in enumerate(GEO.items()):
        write_geo_photo(t.photos / "geo" / name, lat, lon, "2020:02:02 02:02:02", seed=100 + i,
                        fmt="PNG" if name.endswith(".png") else "JPEG")
    lib = Library.open(t.library)
    yield lib, t
    lib.close()


def _places_by_name(lib: Library) -> dict[str, str | None]:
    hits = lib.reader().search(Query(text="a photo", limit=1000))
    return {h.path.name: h.place for h in hits}


def test_new_photos_get_their_places_while_embedding(geo_lib):
    """From the EXIF the pipeline decoded: no place pass afterwards reopens the photos."""
    lib, t = geo_lib
    phases = [p.phase for p in lib.index()]
    assert PLACES not in phases and phases[-1] is Phase.DONE
    places = _places_by_name(lib)
    assert places["lisbon.jpg"] == "Lisbon, Portugal" and places["reykjavik.png"] == "Reykjavík, Iceland"
    assert places["placeholder.jpg"] is None and places[t.paths[0].name] is None
    counts = {c.place.label: c.photos for c in lib.reader().places()}
    assert counts == {"Lisbon, Portugal": 1, "Porto, Portugal": 1, "Reykjavík, Iceland": 1}
    assert PlaceTables(lib.catalog).places_unread() == 0


def test_an_existing_library_fills_its_places_without_embedding_again(geo_lib):
    lib, t = geo_lib
    list(lib.index())
    with sqlite3.connect(t.library / "catalog.sqlite") as db:  # a library from before places existed
        db.execute("DELETE FROM photo_places")
        db.execute("DELETE FROM places")
    assert PlaceTables(lib.catalog).places_unread() == t.count + len(GEO)
    phases = [p.phase for p in lib.sync()]
    assert PLACES in phases and lib.last_decoded == 0
    assert _places_by_name(lib)["porto.jpg"] == "Porto, Portugal"


def test_the_place_pass_stops_when_cancelled_and_resumes(geo_lib):
    lib, t = geo_lib
    list(lib.index())
    with sqlite3.connect(t.library / "catalog.sqlite") as db:
        db.execute("DELETE FROM photo_places")
    cancel = CancelToken()
    run = fill_places(lib.catalog, cancel, batch=5)
    next(run)  # the start
    next(run)  # one batch committed
    cancel.cancel()
    with pytest.raises(StopIteration):
        next(run)
    left = PlaceTables(lib.catalog).places_unread()
    assert 0 < left == t.count + len(GEO) - 5
    list(fill_places(lib.catalog, CancelToken()))
    assert PlaceTables(lib.catalog).places_unread() == 0


def test_a_changed_file_is_read_again(geo_lib):
    lib, t = geo_lib
    list(lib.index())
    write_geo_photo(t.photos / "geo" / "porto.jpg", 38.7223, -9.1393, seed=7)  # now taken in Lisbon
    list(lib.sync())
    assert _places_by_name(lib)["porto.jpg"] == "Lisbon, Portugal"


def test_a_catalog_from_before_places_is_searched_without_them(geo_lib):
    """A library of an older version read without being migrated (a read-only backup disk)."""
    from indexer.library_reader import LibraryReader

    lib, t = geo_lib
    list(lib.index())
    lib.close()
    with sqlite3.connect(t.library / "catalog.sqlite") as db:
        db.execute("DROP TABLE photo_places")
        db.execute("DROP TABLE places")
    with LibraryReader.open(t.library) as reader:
        query, parsed = reader.understand(Query(text="beach in Lisbon"))
        assert parsed.place is not None  # GeoNames still knows Lisbon; the library has no photo there
        assert reader.search(query) == [] and reader.places() == []
        hits = reader.search(Query(text="beach", limit=5))
        assert len(hits) == 5 and all(h.place is None for h in hits)
