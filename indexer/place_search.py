"""Places in searches: which photos a place filter keeps, and the parser's view of a library's places.

``photos_matching`` turns a ``PlaceFilter`` into photo ids: a place covers its
area (within its radius of its centre, which grows with its population) and
every photo geocoded to it; a country, every photo geocoded to a place in it;
``--near``, every photo within the distance.  ``CatalogPlaces`` answers the
parser's questions from one catalog connection (read-only is enough); the
GeoNames table is loaded only when a query names a place the library does not
know by name.
"""

from __future__ import annotations

from .catalog import Catalog
from .places.countries import Countries
from .places.gazetteer import QUERY_TABLE, Gazetteer, Place
from .query_parse import PlaceFilter


def photos_matching(catalog: Catalog, place: PlaceFilter) -> set[int]:
    """Ids of the photos a place filter keeps (photos without a position are never kept)."""
    if place.kind == "country":
        return catalog.photos_in_country(place.country_code or "")
    ids: set[int] = set()
    if place.lat is not None and place.lon is not None and place.km is not None:
        ids |= catalog.photos_near(place.lat, place.lon, place.km)
    if place.place_id is not None:
        ids |= catalog.photos_at_places([place.place_id])
    return ids


class CatalogPlaces:
    """The parser's ``PlaceSource`` for one library, through one catalog connection (one thread)."""

    def __init__(self, catalog: Catalog, gazetteer: Gazetteer | None = None):
        self._catalog = catalog
        self._gazetteer = gazetteer
        self._names: set[str] | None = None
        self._counts: dict[PlaceFilter, int] = {}

    def countries(self) -> Countries:
        return Countries.shared()

    def library_names(self) -> set[str]:
        if self._names is None:
            self._names = self._catalog.library_place_names()
        return self._names

    def library_places(self, folded: str) -> list[Place]:
        return self._catalog.library_places_named(folded) if folded in self.library_names() else []

    def gazetteer_places(self, folded: str) -> list[Place]:
        if self._gazetteer is None:
            self._gazetteer = Gazetteer.shared(QUERY_TABLE)
        return self._gazetteer.named(folded)

    def photos_in(self, place: PlaceFilter) -> int:
        if place not in self._counts:
            self._counts[place] = len(photos_matching(self._catalog, place))
        return self._counts[place]
