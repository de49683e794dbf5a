"""Distances on the Earth and how far a place reaches.

Positions are degrees (WGS 84); distances are great-circle kilometres on a
sphere of the Earth's mean radius (0.3 % at worst: plenty for "in and around
a city").
"""

from __future__ import annotations

import math

import numpy as np

EARTH_RADIUS_KM = 6371.0088
URBAN_DENSITY = 3000.0  # people per km2: a city's core, to turn a population into an area
RADIUS_FACTOR = 2.0  # a place covers twice the radius of its core (its suburbs and surroundings)
MIN_RADIUS_KM = 3.0  # the smallest place still covers its village and fields
MAX_RADIUS_KM = 40.0  # the largest (Tokyo, Nairobi) no more than a metropolitan area


def radius_km(population: int) -> float:
    """How far from its centre a place of ``population`` people reaches, in km.

    The radius of a disc of ``population / URBAN_DENSITY`` km2, doubled, kept between
    3 km (a village) and 40 km (a metropolis): Reykjavik (119k people) 7 km, Lisbon
    (518k) 15 km, Paris (2.1M) 30 km, Nairobi (4.4M) 40 km.
    """
    core = math.sqrt(max(population, 0) / (URBAN_DENSITY * math.pi))
    return min(MAX_RADIUS_KM, max(MIN_RADIUS_KM, RADIUS_FACTOR * core))


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """(n, 3) points on the unit sphere: straight-line (chord) distance grows with the great-circle one."""
    phi, lam = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], axis=1)


def chord_to_km(chord: np.ndarray) -> np.ndarray:
    """Unit-sphere chord lengths -> great-circle kilometres."""
    result: np.ndarray = 2.0 * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0)) * EARTH_RADIUS_KM
    return result


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(lat: float, lon: float, km: float) -> tuple[float, float, float, float]:
    """(min lat, max lat, min lon, max lon) holding every point within ``km`` (longitudes may wrap:
    then min lon > max lon)."""
    dlat = math.degrees(km / EARTH_RADIUS_KM)
    lat_lo, lat_hi = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    if lat_lo <= -90.0 or lat_hi >= 90.0:
        return lat_lo, lat_hi, -180.0, 180.0
    dlon = math.degrees(km / (EARTH_RADIUS_KM * math.cos(math.radians(max(abs(lat_lo), abs(lat_hi))))))
    if dlon >= 180.0:
        return lat_lo, lat_hi, -180.0, 180.0
    lo, hi = lon - dlon, lon + dlon
    return lat_lo, lat_hi, (lo + 540.0) % 360.0 - 180.0, (hi + 540.0) % 360.0 - 180.0
