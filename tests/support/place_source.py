"""A ``PlaceSource`` for parser tests: real GeoNames names, and a made-up library with photos in given places."""

from __future__ import annotations

from indexer.places.countries import Countries
from indexer.places.filter import PlaceFilter
from indexer.places.gazetteer import QUERY_TABLE, Gazetteer, Place
from indexer.places.geometry import distance_km
from indexer.places.names import fold
from indexer.places.regions import Regions

LIBRARY_PLACES = [("Lisbon", "PT"), ("Porto", "PT"), ("Paris", "FR"), ("Tokyo", "JP"), ("Reykjavík", "IS"),
                  ("Nairobi", "KE"), ("Nice", "FR"), ("Kyoto", "JP")]


class FakeLibraryPlaces:
    """The library "has photos" at the centre of each of ``places`` (name, country code)."""

    def __init__(self, places: list[tuple[str, str]] = LIBRARY_PLACES):
        self.gazetteer = Gazetteer.shared(QUERY_TABLE)
        self.photos = [next(p for p in self.gazetteer.named(name) if p.country_code == cc) for name, cc in places]
        self.gazetteer_lookups = 0

    def countries(self) -> Countries:
        return Countries.shared()

    def library_places(self, folded: str) -> list[Place]:
        return [p for p in self.photos if fold(p.name) == folded]

    def library_regions(self, folded: str) -> list[PlaceFilter]:
        regions = {(p.country_code, p.region, p.country) for p in self.photos if p.region and fold(p.region) == folded}
        return [PlaceFilter.of_region(cc, region, country) for cc, region, country in sorted(regions)]

    def gazetteer_places(self, folded: str) -> list[Place]:
        self.gazetteer_lookups += 1
        return self.gazetteer.named(folded)

    def gazetteer_regions(self, folded: str) -> list[PlaceFilter]:
        countries = Countries.shared()
        return [PlaceFilter.of_region(cc, name, countries.name(cc)) for cc, name in Regions.shared().named(folded)]

    def photos_in(self, place: PlaceFilter) -> int:
        if place.kind == "country":
            return sum(p.country_code == place.country_code for p in self.photos)
        if place.kind == "region":
            return sum((p.country_code, p.region) == (place.country_code, place.region) for p in self.photos)
        assert place.lat is not None and place.lon is not None and place.km is not None
        return sum(distance_km(place.lat, place.lon, p.lat, p.lon) <= place.km or p.id == place.place_id
                   for p in self.photos)
