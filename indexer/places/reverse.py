"""Reverse geocoding: a photo's position -> the place it was taken in.

The nearest GeoNames entry is often a suburb or a district (1.5 km from
Reykjavik's centre the nearest entry is Seltjarnarnes or Kopavogur; in central
Nairobi, Pumwani), so among the nearest entries the one chosen is the place
whose area reaches the photo most: the smallest distance relative to the
place's radius (``geometry.radius_km``, which grows with its population).  A
village is still named when the photo is in it; a point near a city's centre
gets the city, not the district entry GeoNames has there (Intendente in
Lisbon, Pumwani in Nairobi); and a place that is a district of a much bigger
city around it (``DISTRICT_*``: Baixa in Lisbon) is named as that city.  Measured with
``python -m tests.quality.geocoding_accuracy`` (docs/quality.md): dividing by
the square root of the radius instead names 1 % more small towns next to big
cities right, but gives central Lisbon to its districts.
Positions more than ``MAX_DISTANCE_KM`` from any place (the open sea,
Antarctica) get no place.
"""

from __future__ import annotations

import numpy as np

from indexer.catalog_place_regions import GEOCODING_TABLE
from indexer.places.gazetteer import Gazetteer, Place
from indexer.places.geometry import (
    MAX_RADIUS_KM,
    MIN_RADIUS_KM,
    RADIUS_FACTOR,
    URBAN_DENSITY,
    chord_to_km,
    unit_vectors,
)

CANDIDATES = 12  # nearest entries considered for each position
MAX_DISTANCE_KM = 100.0
WEIGHT_EXPONENT = 1.0
# A place this many times smaller than a city, whose centre is within this share of the city's radius
# of the city's centre, is a district of it (Baixa in Lisbon, Pumwani in Nairobi): photos get the city.
DISTRICT_POPULATION_RATIO = 20.0
DISTRICT_RADIUS_SHARE = 1 / 3


class ReverseGeocoder:
    """Positions -> places, in batches (vectorised: about 0.02 ms a position, measured in docs/quality.md)."""

    def __init__(self, gazetteer: Gazetteer | None = None, *, exponent: float = WEIGHT_EXPONENT,
                 districts: bool = True):
        self._gazetteer = gazetteer
        self.exponent = exponent  # 0: plainly the nearest entry (for comparison)
        self.districts = districts  # False: a district keeps its own name (for comparison)

    @property
    def gazetteer(self) -> Gazetteer:
        if self._gazetteer is None:
            self._gazetteer = Gazetteer.shared(GEOCODING_TABLE)
        return self._gazetteer

    def locate(self, positions: list[tuple[float, float]]) -> list[Place | None]:
        """The place of each (lat, lon) position, or None far from every place."""
        if not positions:
            return []
        gazetteer = self.gazetteer
        lat = np.array([p[0] for p in positions], dtype=np.float64)
        lon = np.array([p[1] for p in positions], dtype=np.float64)
        rows, km = gazetteer.nearest(lat, lon, CANDIDATES if self.exponent else 1)
        if self.exponent:
            pop = gazetteer.population[rows].astype(np.float64)
            radius = np.clip(RADIUS_FACTOR * np.sqrt(pop / (URBAN_DENSITY * np.pi)), MIN_RADIUS_KM, MAX_RADIUS_KM)
            choice = np.argmin(km / radius**self.exponent, axis=1)
        else:
            choice = np.zeros(len(lat), dtype=np.int64)
        picked = rows[np.arange(len(lat)), choice]
        if self.exponent and self.districts:
            picked = self._cities_of_districts(rows, radius, picked)
        near = km[:, 0] <= MAX_DISTANCE_KM
        return [gazetteer.place(int(r)) if ok else None for r, ok in zip(picked.tolist(), near.tolist())]

    def _cities_of_districts(self, rows: np.ndarray, radius: np.ndarray, picked: np.ndarray) -> np.ndarray:
        """``picked``, with each place that is a district of a much bigger candidate replaced by that city."""
        g = self.gazetteer
        pop = g.population[rows].astype(np.float64)  # (n, k)
        own = g.population[picked].astype(np.float64)[:, None]
        apart = chord_to_km(np.linalg.norm(
            unit_vectors(g.lat[rows].ravel(), g.lon[rows].ravel()).reshape(*rows.shape, 3)
            - unit_vectors(g.lat[picked], g.lon[picked])[:, None, :], axis=2))
        city = (pop >= DISTRICT_POPULATION_RATIO * np.maximum(own, 1.0)) & (apart <= radius * DISTRICT_RADIUS_SHARE)
        biggest = np.argmax(np.where(city, pop, -1.0), axis=1)
        has_city = city.any(axis=1)
        out: np.ndarray = np.where(has_city, rows[np.arange(len(rows)), biggest], picked)
        return out
