"""Places in searches: which photos a place filter keeps, and the parser's view of a library's places.

``photos_matching`` turns a ``PlaceFilter`` into photo ids: a place covers its
area (within its radius of its centre, which grows with its population) and
every photo geocoded to it; a country or a region, every photo geocoded to a
place in it;
``--near``, every photo within the distance.  ``CatalogPlaces`` answers the
parser's questions from one catalog connection (read-only is enough), through
the place-name index (``catalog_place_names``); the GeoNames table is loaded
only when the names remembered in the cache are missing or damaged (``name_keys``).
"""

from __future__ import annotations

from indexer.catalog_reading import CatalogReading
from indexer.places.countries import Countries
from indexer.places.filter import PlaceFilter
from indexer.places.gazetteer import QUERY_TABLE, Gazetteer, Place
from indexer.places.name_index import PlaceMatches, PlaceNameIndex
from indexer.places.name_keys import places_named
from indexer.places.names import fold
from indexer.places.regions import Regions
from indexer.places.tables import PlaceTables


def photos_matching(catalog: CatalogReading, place: PlaceFilter) -> set[int]:
    """Ids of the photos a place filter keeps (photos without a position are never kept)."""
    tables = PlaceTables(catalog)
    if place.kind == "country":
        return tables.photos_in_country(place.country_code or "")
    if place.kind == "region":
        return tables.photos_in_region(place.country_code or "", place.region or "")
    ids: set[int] = set()
    if place.lat is not None and place.lon is not None and place.km is not None:
        ids |= tables.photos_near(place.lat, place.lon, place.km)
    if place.place_id is not None:
        ids |= tables.photos_at_places([place.place_id])
    return ids


class CatalogPlaces:
    """The parser's ``PlaceSource`` for one library, through one catalog connection (one thread)."""

    def __init__(self, catalog: CatalogReading, gazetteer: Gazetteer | None = None):
        self._catalog = catalog
        self._names = PlaceNameIndex(catalog)
        self._gazetteer = gazetteer
        self._matches: dict[str, PlaceMatches] = {}
        self._words: dict[str, bool] = {}  # words of the query that some place name or region has
        self._counts: dict[PlaceFilter, int] = {}

    def countries(self) -> Countries:
        return Countries.shared()

    def _library_matches(self, folded: str) -> PlaceMatches:
        """One look-up in the place-name index per name (a catalog without it: its ``places`` by name)."""
        if folded not in self._matches:
            if self._names.has_place_names():
                known = all(self._word(w) for w in folded.split())
                self._matches[folded] = self._names.library_place_matches(folded) if known else PlaceMatches([], [])
            else:
                self._matches[folded] = PlaceMatches(PlaceTables(self._catalog).library_places_named(folded), [])
        return self._matches[folded]

    def _word(self, word: str) -> bool:
        if word not in self._words:
            self._words[word] = self._names.library_place_word(word)
        return self._words[word]

    def library_places(self, folded: str) -> list[Place]:
        return self._library_matches(folded).named

    def library_regions(self, folded: str) -> list[PlaceFilter]:
        regions = {(p.country_code, p.region): p.country for p in self._library_matches(folded).in_region}
        return [PlaceFilter.of_region(cc, region, country) for (cc, region), country in regions.items() if region]

    def gazetteer_places(self, folded: str) -> list[Place]:
        if self._gazetteer is None:  # from the names remembered in the cache: no table loaded ("at sunset")
            return places_named(QUERY_TABLE, fold(folded))
        return self._gazetteer.named(folded)

    def gazetteer_regions(self, folded: str) -> list[PlaceFilter]:
        countries = Countries.shared()
        return [PlaceFilter.of_region(cc, name, countries.name(cc)) for cc, name in Regions.shared().named(folded)]

    def photos_in(self, place: PlaceFilter) -> int:
        if place not in self._counts:
            self._counts[place] = len(photos_matching(self._catalog, place))
        return self._counts[place]
