"""The full-text index of the library's place names (``places_fts``): it follows the places photos are in
through changed, moved and deleted photos and a removed folder, an existing library gets it by migration,
and regions are named worldwide."""

from __future__ import annotations

import sqlite3

import pytest

from indexer.library import Library
from indexer.places.gazetteer import Gazetteer
from indexer.places.name_index import PlaceNameIndex
from indexer.places.reverse import ReverseGeocoder
from indexer.places.search import CatalogPlaces, photos_matching
from indexer.places.tables import PlaceTables
from indexer.query.parse import parse_query
from tests.quality.query_parse_quality import TODAY
from tests.support.geo_photos import write_geo_photo
from tests.support.template import copy_template

# A town of cities1000 (not of cities15000), two cities of Bavaria and one of Catalonia, apart from the
# template's own folder so that removing this folder leaves the template's photos.
TRIP = {"seltjarnarnes.jpg": (64.1533, -21.9950), "munich.jpg": (48.1374, 11.5755),
        "nuremberg.jpg": (49.4540, 11.0775), "barcelona.jpg": (41.3888, 2.1590), "lisbon.jpg": (38.7223, -9.1393)}


@pytest.fixture()
def trip_lib(tmp_path, template_library):
    t = copy_template(template_library, tmp_path / "t")
    trip = tmp_path / "trip"
    for i, (name, (lat, lon)) in enumerate(TRIP.items()):
        write_geo_photo(trip / name, lat, lon, "2021:05:05 05:05:05", seed=200 + i)
    lib = Library.open(t.library)
    lib.add_folder(trip)
    list(lib.index())
    yield lib, trip
    lib.close()


def consistent(lib: Library) -> set[str]:
    """Check the index against its content table (FTS5 'integrity-check' with rank 1) and that it holds
    exactly the places photos are in; the folded names it holds."""
    conn = lib.catalog.conn
    conn.execute("INSERT INTO places_fts (places_fts, rank) VALUES ('integrity-check', 1)")
    indexed = {r[0] for r in conn.execute("SELECT rowid FROM places_fts")}
    used = {r[0] for r in conn.execute("SELECT DISTINCT place_id FROM photo_places WHERE place_id IS NOT NULL")}
    assert indexed == used == {r[0] for r in conn.execute("SELECT id FROM places")}
    return {r[0] for r in conn.execute("SELECT folded FROM places")}


def test_regions_are_named_worldwide():
    gazetteer = Gazetteer.shared("cities15000")
    assert gazetteer.named("Munich")[0].region == "Bavaria"
    assert gazetteer.named("Barcelona")[0].region == "Catalonia"
    assert gazetteer.named("Munich")[0].label == "Munich, Germany"  # the region is in a label in the US only
    assert gazetteer.named("Austin")[0].label == "Austin, Texas, United States"
    place = ReverseGeocoder().locate([TRIP["seltjarnarnes.jpg"]])[0]
    assert place is not None and (place.name, place.region) == ("Seltjarnarnes", "Capital Region")


def test_the_index_holds_the_places_photos_are_in_with_prefixes(trip_lib):
    lib, _ = trip_lib
    assert consistent(lib) == {"seltjarnarnes", "munich", "nuremberg", "barcelona", "lisbon"}
    catalog = lib.catalog
    assert [p.name for p in PlaceNameIndex(catalog).library_places_starting("selt")] == ["Seltjarnarnes"]
    assert {p.name for p in PlaceNameIndex(catalog).library_places_starting("Bav")} == {"Munich", "Nuremberg"}  # the region's
    assert [p.name for p in PlaceNameIndex(catalog).library_places_starting("germ")] == ["Munich", "Nuremberg"]  # most populous first
    assert PlaceNameIndex(catalog).library_places_starting("") == [] and PlaceNameIndex(catalog).library_places_starting('"*') == []
    matches = PlaceNameIndex(catalog).library_place_matches("BAVARIA")
    assert matches.named == [] and {p.name for p in matches.in_region} == {"Munich", "Nuremberg"}
    assert [p.name for p in PlaceNameIndex(catalog).library_place_matches("Seltjarnarnes").named] == ["Seltjarnarnes"]


def test_a_small_place_and_a_region_the_library_has_photos_in_are_understood(trip_lib):
    lib, _ = trip_lib
    names = {}
    for text in ("sunset in Seltjarnarnes", "seltjarnarnes", "beer in Bavaria", "photos from Catalonia",
                 "bavaria"):
        parsed = parse_query(text, today=TODAY, places=CatalogPlaces(lib.catalog))
        assert parsed.place is not None, text
        rows = lib.catalog.photos_by_id(sorted(photos_matching(lib.catalog, parsed.place)))
        names[text] = (parsed.place.label, {r.path.name for r in rows.values()})
    assert names["sunset in Seltjarnarnes"] == ("Seltjarnarnes, Iceland", {"seltjarnarnes.jpg"})
    assert names["seltjarnarnes"] == names["sunset in Seltjarnarnes"]  # a name the library has, in lower case
    assert names["beer in Bavaria"] == ("Bavaria, Germany", {"munich.jpg", "nuremberg.jpg"})
    assert names["photos from Catalonia"] == ("Catalonia, Spain", {"barcelona.jpg"})
    assert names["bavaria"][0] == "Bavaria, Germany"
    # the city, not its region of the same name
    assert parse_query("Lisbon", today=TODAY, places=CatalogPlaces(lib.catalog)).place.kind == "place"
    # a region the library has no photos in is still the region (no photo), not a small place of that name
    tuscany = parse_query("wine in Tuscany", today=TODAY, places=CatalogPlaces(lib.catalog))
    assert (tuscany.words, tuscany.place.label) == ("wine", "Tuscany, Italy")
    assert photos_matching(lib.catalog, tuscany.place) == set()
    # a city of that name beats a region the library has no photos in; a generic region name is no place
    assert parse_query("in Washington", today=TODAY, places=CatalogPlaces(lib.catalog)).place.kind == "place"
    assert parse_query("dinner in the west", today=TODAY, places=CatalogPlaces(lib.catalog)).place is None


def test_the_index_follows_changed_moved_and_deleted_photos_and_a_removed_folder(trip_lib):
    lib, trip = trip_lib
    write_geo_photo(trip / "nuremberg.jpg", 38.7223, -9.1393, seed=7)  # now taken in Lisbon
    list(lib.sync())
    assert "nuremberg" not in consistent(lib)
    (trip / "munich.jpg").rename(trip / "munich_renamed.jpg")  # moved: the same photo
    list(lib.sync())
    assert "munich" in consistent(lib)
    (trip / "barcelona.jpg").unlink()
    list(lib.sync())
    assert "barcelona" not in consistent(lib)
    lib.remove_folder(trip)
    assert consistent(lib) == set()
    assert PlaceNameIndex(lib.catalog).library_places_starting("lis") == []


def test_an_existing_library_gets_the_index_and_its_regions_by_migration(trip_lib):
    lib, _ = trip_lib
    path = lib.path
    lib.close()
    with sqlite3.connect(path / "catalog.sqlite") as db:  # as version 8 left it: US regions only, no index
        for name in ("places_ai", "places_ad", "places_au", "photo_places_ad", "photo_places_au"):
            db.execute(f"DROP TRIGGER {name}")
        db.execute("DROP TABLE places_fts")
        db.execute("UPDATE places SET region = NULL WHERE country_code != 'US'")
        db.execute("INSERT INTO places(id, name, folded, region, country_code, country, lat, lon, population) "
                   "VALUES (1, 'Gone', 'gone', NULL, 'PT', 'Portugal', 0, 0, 0)")  # no photo left there
        db.execute("ALTER TABLE photo_fingerprints DROP COLUMN crops")  # migration 10 came after
        db.execute("UPDATE meta SET value='8' WHERE key='schema_version'")
    with Library.open(path) as again:
        assert consistent(again) == {"seltjarnarnes", "munich", "nuremberg", "barcelona", "lisbon"}
        regions = dict(again.catalog.conn.execute("SELECT folded, region FROM places").fetchall())
        assert regions["munich"] == "Bavaria" and regions["barcelona"] == "Catalonia"
        assert PlaceTables(again.catalog).places_unread() == 0  # nothing to read again


def test_without_the_region_table_places_still_work_with_us_states_only(monkeypatch):
    from indexer import catalog_place_regions as regions

    real = regions.resources.files

    def files(package):
        if package == "indexer.places":
            raise FileNotFoundError("admin1.tsv")
        return real(package)

    monkeypatch.setattr(regions.resources, "files", files)
    names = regions.region_names()
    assert names["US.TX"] == "Texas" and "DE.02" not in names
