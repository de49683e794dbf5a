"""The full-text index of the library's place names, ``places_fts``: ``PlaceNameIndex(catalog)`` reads it.

It holds, for each place photos were taken in, its folded name, its first-level region and its country
(FTS5, accent- and case-insensitive, with a prefix index), follows ``places`` through triggers in the same
transactions, and loses a place with its last photo (``catalog_schema.PLACE_NAMES_FTS``).  Queries use it to
tell whether the library has photos in a place or a region of a given name (``library_place_matches``), and
the Places list to find places by the start of a name (``library_places_starting``).  Each lookup reads at
most ``MAX_NAME_ROWS`` rows: a name shared by very many places costs no more.
"""

from __future__ import annotations

from dataclasses import dataclass

from indexer.catalog_reading import C, CatalogPart
from indexer.places.gazetteer import Place
from indexer.places.names import fold
from indexer.places.tables import PLACE_COLUMNS, place_of_row

MAX_NAME_ROWS = 2000  # rows one lookup reads
MAX_PREFIX_CHARS = 100  # of a typed prefix


@dataclass(frozen=True)
class PlaceMatches:
    """The library's places whose name is a given name, and those in a region of that name."""

    named: list[Place]
    in_region: list[Place]


def _phrase(folded: str, *, prefix: bool = False) -> str | None:
    """An FTS5 phrase of a folded text (only letters, digits and spaces: nothing to escape), or None."""
    tokens = folded.split()
    if not tokens:
        return None
    return '"' + " ".join(tokens) + '"' + (" *" if prefix else "")


class PlaceNameIndex(CatalogPart[C]):
    """Lookups of the library's places by name (see the module doc)."""

    _place_names_ready = False

    def has_place_names(self) -> bool:
        """Whether the catalog has the place-name index (one of an older version read without being
        migrated has not: then names are looked up in ``places`` alone and no region is known)."""
        if not self._place_names_ready:
            self._place_names_ready = self.conn.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name IN ('places_fts', 'places', "
                "'photo_places')").fetchone()[0] == 3
        return self._place_names_ready

    def library_place_matches(self, name: str) -> PlaceMatches:
        """The places photos were taken in whose name folds to ``fold(name)`` ("reykjavik" finds
        Reykjavík), and those whose region does ("bavaria" finds Munich), most populous first."""
        folded = fold(name)
        phrase = _phrase(folded)
        if phrase is None or not self.has_place_names():
            return PlaceMatches([], [])
        rows = self.conn.execute(
            f"SELECT {PLACE_COLUMNS} FROM places_fts f JOIN places pl ON pl.id = f.rowid "
            "WHERE places_fts MATCH ? LIMIT ?",
            ("{folded region} : " + phrase, MAX_NAME_ROWS),
        ).fetchall()
        places = sorted((place_of_row(r) for r in rows), key=lambda p: (-p.population, p.id))
        return PlaceMatches([p for p in places if fold(p.name) == folded],
                            [p for p in places if p.region is not None and fold(p.region) == folded])

    def library_place_word(self, word: str) -> bool:
        """Whether a name or region of the library's places has the word ``word`` (folded): a quick test
        before ``library_place_matches``, that one word of a query rules out every name holding it."""
        phrase = _phrase(fold(word))
        if phrase is None or not self.has_place_names():
            return False
        row = self.conn.execute("SELECT 1 FROM places_fts WHERE places_fts MATCH ? LIMIT 1",
                                ("{folded region} : " + phrase,)).fetchone()
        return row is not None

    def library_places_starting(self, text: str, limit: int = 50) -> list[Place]:
        """The places photos were taken in whose name, region or country has words starting with ``text``'s
        ("sel" finds Seltjarnarnes, "bav" the places of Bavaria), most populous first."""
        phrase = _phrase(fold(text[:MAX_PREFIX_CHARS]), prefix=True)
        if phrase is None or not self.has_place_names():
            return []
        rows = self.conn.execute(
            f"SELECT {PLACE_COLUMNS} FROM places_fts f JOIN places pl ON pl.id = f.rowid "
            "WHERE places_fts MATCH ? ORDER BY pl.population DESC, pl.id LIMIT ?",
            (phrase, max(0, min(limit, MAX_NAME_ROWS))),
        ).fetchall()
        return [place_of_row(r) for r in rows]


__all__ = ["MAX_NAME_ROWS", "PlaceMatches", "PlaceNameIndex"]
