"""Which photos a place filter keeps: a place, a country, a first-level region, or near a position.

A ``PlaceFilter`` is what a query's place words (or the Places list) become:
the query parser makes them, ``places.search.photos_matching`` turns them into
photo ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from indexer.places.gazetteer import Place

DEFAULT_NEAR_KM = 25.0


@dataclass(frozen=True)
class PlaceFilter:
    """Photos taken in a place (``kind`` "place": within ``km`` of its centre, or geocoded to it), a country
    ("country": geocoded to a place in it), a first-level region ("region": geocoded to a place in it) or
    near a position ("near": within ``km``)."""

    kind: str
    label: str
    lat: float | None = None
    lon: float | None = None
    km: float | None = None
    place_id: int | None = None
    country_code: str | None = None
    region: str | None = None

    @classmethod
    def of_place(cls, place: Place) -> PlaceFilter:
        return cls("place", place.label, place.lat, place.lon, place.radius_km, place_id=place.id,
                   country_code=place.country_code)

    @classmethod
    def of_country(cls, code: str, name: str) -> PlaceFilter:
        return cls("country", name, country_code=code)

    @classmethod
    def of_region(cls, code: str, region: str, country: str) -> PlaceFilter:
        return cls("region", f"{region}, {country}", country_code=code, region=region)

    @classmethod
    def near(cls, lat: float, lon: float, km: float = DEFAULT_NEAR_KM) -> PlaceFilter:
        return cls("near", f"within {km:g} km of {lat:.4f}, {lon:.4f}", lat, lon, km)
