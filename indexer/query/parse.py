"""The one query parser: what people type -> the words for CLIP, negatives, a place filter and a date range.

``parse_query("beach in Lisbon", today=..., places=...)`` gives the words
"beach", the place Lisbon, Portugal and no dates; "snow last winter" gives
"snow" and Winter 2025/26 (on 2026-11-29).  A word that names a place only
filters when it is meant as one; the signs are a preposition before it ("in",
"at", "from", "near", ...), capital letters, and whether the library has
photos there (``PlaceSource.photos_in``): "nice sunset" and "reading a book"
stay words, "sunset in Nice" filters on Nice.  Among places of the same name
the one the library has photos in wins (Paris, France vs Paris, Texas), else
the most populous.  A region ("from Bavaria") filters on the places in it: one
the library has photos in when no place of the library has that name, else
a GeoNames region when no city of 100,000 people has it; generic region names
("Centre", "West") never.  A lower-case name right before a noun ("tokyo
tower") filters and keeps its words for CLIP.  Dates are read by ``indexer.query.dates``; negatives
(``-word``, ``not word``) and quoted phrases, which are never read as places or dates, by
``indexer.query.grammar``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol

from indexer.places.countries import Countries
from indexer.places.filter import PlaceFilter
from indexer.places.gazetteer import Place
from indexer.places.names import fold
from indexer.query.dates import DateRange, find_date
from indexer.query.grammar import Terms, read_terms

PLACE_PREPOSITIONS = {"in", "at", "from", "near", "around", "to", "visiting", "of", "across", "outside", "inside"}
PHRASE = "\x00"  # the folded form of a quoted phrase: it matches no place and no date
FILLERS = {"photos", "photo", "pictures", "picture", "pics", "pic", "images", "image", "shots", "snaps", "taken"}
MAX_PLACE_WORDS = 3
MAX_QUERY_WORDS = 40  # words read for places and dates (the rest of a longer query is only words): bounds the cost
NAME_LINKS = {"de", "la", "le", "del", "do", "da", "dos", "das", "upon", "on", "am", "sur", "of", "the", "y", "di"}
MIN_POPULATION_LOWERCASE = 100_000  # a lower-case name after "in" that the library has no photos in

# Words of region names that say where in a country, not which region: a region named only with them
# ("Centre", "Capital Region", "North West") is never read from a query (it filters by --place only).
GENERIC_REGION_WORDS = frozenset("""
north south east west northern southern eastern western central centre center middle upper lower
northeast northwest southeast southwest north east west capital region province district territory
coast coastal islands island lakes highlands lowlands mountains plains border city area state
""".split())

# Place names that are also everyday English words: they filter only with a sign (see the module docstring).
COMMON_WORDS = frozenset("""
nice reading mobile china turkey march may bath split orange eagle buffalo phoenix victoria florence
hope independence liberty normal union temple deal sale wells cork derry derby kent essex jersey guernsey
chad jordan georgia guinea chile
home beach park lake river hill hills valley bay mountain mountains forest city town village island
sun moon star rose lily daisy ivy holly grace faith joy angel angels garden mission
house church castle tower bridge harbour harbor port cape rock sand snow rain ice fire
sunset sunrise party wedding birthday dinner lunch breakfast dog cat car bus train plane boat
us uk we me it all one best bar pool zoo museum market school university station
gap dover man female male independence concord commerce enterprise hollywood bethlehem
trinidad bologna hamburger frankfurter berliner cologne champagne cheddar brie parmesan
""".split())


class PlaceSource(Protocol):
    """What the parser needs to know about places: GeoNames, and where the library has photos."""

    def countries(self) -> Countries: ...
    def library_places(self, folded: str) -> list[Place]: ...  # places of that name the library has photos in
    def library_regions(self, folded: str) -> list[PlaceFilter]: ...  # regions of that name it has photos in
    def gazetteer_places(self, folded: str) -> list[Place]: ...  # may load the GeoNames table
    def gazetteer_regions(self, folded: str) -> list[PlaceFilter]: ...  # GeoNames regions of that name
    def photos_in(self, place: PlaceFilter) -> int: ...


@dataclass(frozen=True)
class ParsedQuery:
    """A query understood: ``words`` for CLIP, ``negatives`` to avoid, and the filters read from the rest."""

    text: str
    words: str
    place: PlaceFilter | None = None
    dates: DateRange | None = None
    negatives: tuple[str, ...] = ()
    # the words with the place (or the dates) put back: what the query means once that filter is removed
    words_with_place: str = ""
    words_with_dates: str = ""
    words_with_both: str = ""

    def explain(self) -> str:
        avoid = f" · not: {', '.join(self.negatives)}" if self.negatives else ""
        return (f"words: {self.words or '(none)'} · place: {self.place.label if self.place else 'any'} · "
                f"dates: {self.dates.label if self.dates else 'any'}{avoid}")

    def without_place(self) -> ParsedQuery:
        """The query with its place filter removed (the place's words go back to CLIP)."""
        return replace(self, place=None, words=self.words_with_place, words_with_dates=self.words_with_both)

    def without_dates(self) -> ParsedQuery:
        """The query with its date range removed (the date's words go back to CLIP)."""
        return replace(self, dates=None, words=self.words_with_dates, words_with_place=self.words_with_both)


def parse_query(
    text: str, *, today: date, places: PlaceSource | None, months: Mapping[str, int] | None = None
) -> ParsedQuery:
    """Read ``text`` (see the module docstring).  ``today`` anchors relative dates; ``places`` None reads
    no places; ``months`` adds month names of the user's language (folded name -> 1..12)."""
    terms = read_terms(text)
    raw, folded = _tokens(terms)
    keep = [bool(f) for f in folded]
    words = [f for f, k in zip(folded, keep) if k]
    originals = [t for t, k in zip(raw, keep) if k]
    head = words[:MAX_QUERY_WORDS]
    date_match = find_date(head, today, months)
    date_span = (date_match.start, date_match.end) if date_match else None
    place_filter, place_span = (None, None)
    if places is not None:
        place_filter, place_span = _find_place(originals[:MAX_QUERY_WORDS], head, date_span, places)
    # "tokyo tower", "kyoto garden": a lower-case name right before a noun names that thing; it filters on the
    # place (the library has photos there) and its words stay for CLIP.
    clip_place_span = None if place_span is not None and _modifies_next_word(originals, head, place_span, date_span) \
        else place_span
    return ParsedQuery(
        text=text,
        words=_clip_words(originals, [s for s in (date_span, clip_place_span) if s]),
        place=place_filter,
        dates=date_match.range if date_match else None,
        words_with_place=_clip_words(originals, [s for s in (date_span,) if s]),
        words_with_dates=_clip_words(originals, [s for s in (clip_place_span,) if s]),
        words_with_both=_clip_words(originals, []),
        negatives=terms.negatives,
    )


def place_named(name: str, places: PlaceSource) -> PlaceFilter | None:
    """An explicit place name (``--place``): a country, else the place of that name the library has photos
    in, else the region of that name it has photos in, else the most populous place; None when no place
    has that name."""
    folded = fold(name)
    code = places.countries().code(folded)
    if code is not None:
        return PlaceFilter.of_country(code, places.countries().name(code))
    if not places.library_places(folded):
        region = _best_region(folded, places)
        if region is not None:
            return _city_over_region(folded, region, places)
    return _place_or_region(folded, places, gazetteer=True, regions=True)[0]


# -- places ------------------------------------------------------------------------


def _find_place(
    originals: list[str], words: list[str], date_span: tuple[int, int] | None, places: PlaceSource
) -> tuple[PlaceFilter | None, tuple[int, int] | None]:
    countries = places.countries()
    taken = set(range(*date_span)) if date_span else set()
    looked_up: dict[tuple[str, bool], tuple[PlaceFilter | None, bool]] = {}
    for i in range(len(words)):
        for length in range(MAX_PLACE_WORDS, 0, -1):
            span = range(i, i + length)
            if span.stop > len(words) or taken & set(span):
                continue
            if not all(re.fullmatch(r"[a-z][a-z]*", words[k]) for k in span):
                continue
            name = " ".join(words[k] for k in span)
            prep = i > 0 and words[i - 1] in PLACE_PREPOSITIONS and (i - 1) not in taken
            cap = all(originals[k][:1].isupper() or words[k] in NAME_LINKS for k in span) and \
                words[i] not in NAME_LINKS
            common = name in COMMON_WORDS or (length == 1 and len(name) <= 2)
            if prep and words[i - 1] == "of" and not cap:
                prep = False  # "pictures of rome" is a place, "a plate of turkey" is not: ask for a capital
            if cap and date_span is not None and date_span[0] == span.stop:
                prep = True  # a name right before a date ("Turkey 2019") is as good as "in Turkey"
            code = countries.code(name)
            found: PlaceFilter | None
            if code is not None:
                found = PlaceFilter.of_country(code, countries.name(code))
                in_library = places.photos_in(found) > 0
            elif (region := _region_meant(name, places, common=common)) is not None:
                found, in_library = _city_over_region(name, region, places), True
            elif cap or prep or places.library_places(name):
                key = (name, cap or prep)
                if key not in looked_up:
                    looked_up[key] = _place_or_region(name, places, gazetteer=cap or prep, regions=not common)
                found, in_library = looked_up[key]
                if found is None:
                    continue
                if not in_library and not cap and (common or not _populous(name, places)):
                    continue  # "dog in park": a lower-case word after "in" names no place the library has
            else:
                continue
            if _meant_as_place(common=common, prep=prep, cap=cap, first=i == 0, in_library=in_library):
                start = i - 1 if prep else i
                return found, (start, span.stop)
    return None, None


def _modifies_next_word(
    originals: list[str], words: list[str], span: tuple[int, int], date_span: tuple[int, int] | None
) -> bool:
    """Whether a place span read without a preposition and written in lower case stands right before a
    noun it names ("tokyo tower", "paris hotel"): the next word is a plain word, not a link, a date or the end."""
    start, stop = span
    if words[start] in PLACE_PREPOSITIONS or any(originals[k][:1].isupper() for k in range(start, stop)):
        return False
    if stop >= len(words) or (date_span is not None and date_span[0] <= stop < date_span[1]):
        return False
    nxt = words[stop]
    return bool(re.fullmatch(r"[a-z]{3,}", nxt)) and nxt not in PLACE_PREPOSITIONS | NAME_LINKS | FILLERS | \
        {"and", "with", "for", "by", "during", "last", "this", "on"}


def _meant_as_place(*, common: bool, prep: bool, cap: bool, first: bool, in_library: bool) -> bool:
    if not common:
        return prep or cap or in_library
    # An everyday word ("nice", "reading", "china", "turkey"): a capitalised name after a preposition,
    # or one the library has photos in, written as a name (capital not just starting the query) or after one.
    return (prep and cap) or (in_library and (prep or (cap and not first)))


def _region_meant(name: str, places: PlaceSource, *, common: bool) -> PlaceFilter | None:
    """The region called ``name`` the library has photos in (read like a place the library has photos in:
    with or without a capital or a preposition), when ``name`` is no everyday or generic word ("Centre",
    "Capital Region", "West") and names no place the library has photos in (Lisbon the city, not Lisbon
    the district)."""
    if common or all(w in GENERIC_REGION_WORDS for w in name.split()):
        return None
    if places.library_places(name):
        return None
    return _best_region(name, places)


def _city_over_region(name: str, region: PlaceFilter, places: PlaceSource) -> PlaceFilter:
    """``region``, unless a city of ``MIN_POPULATION_LOWERCASE`` people or more goes by that name and the
    library has photos in its area ("New York" is New York City, whose own name is longer, not the state).
    Asks GeoNames (loads its names): only a query naming a region the library has photos in pays for it."""
    city, in_library = _best_place(name, places, gazetteer=True)
    return city if city is not None and in_library and _populous(name, places) else region


def _best_region(name: str, places: PlaceSource) -> PlaceFilter | None:
    best, most = None, 0
    for region in places.library_regions(name):
        photos = places.photos_in(region)
        if photos > most:
            best, most = region, photos
    return best


def _populous(name: str, places: PlaceSource) -> bool:
    return any(p.population >= MIN_POPULATION_LOWERCASE for p in places.gazetteer_places(name)[:1])


def _best_place(name: str, places: PlaceSource, *, gazetteer: bool) -> tuple[PlaceFilter | None, bool]:
    """The place called ``name`` with the most photos in the library, else the most populous; and whether
    the library has photos there.  GeoNames is asked (and loaded) only when no place of that name has
    photos in the library: a query naming a place the library knows costs no table load."""
    library = sorted(places.library_places(name), key=lambda p: -p.population)
    chosen, photos = _most_photos(library, places)
    if photos or not gazetteer:
        return chosen, photos > 0
    known = {p.id for p in library}
    chosen, photos = _most_photos(library + [p for p in places.gazetteer_places(name)[:10] if p.id not in known],
                                  places)
    return chosen, photos > 0


def _place_or_region(
    name: str, places: PlaceSource, *, gazetteer: bool, regions: bool
) -> tuple[PlaceFilter | None, bool]:
    """``_best_place``; but when the library has no photos there, a GeoNames region of that name (unless
    ``regions`` is False) wins over places that are no city of ``MIN_POPULATION_LOWERCASE`` people:
    "in Tuscany" is the region, not a suburb of Calgary; "in Washington" is still the city."""
    chosen, in_library = _best_place(name, places, gazetteer=gazetteer)
    if in_library or not gazetteer or not regions or all(w in GENERIC_REGION_WORDS for w in name.split()):
        return chosen, in_library
    known = places.gazetteer_regions(name)
    if not known or (chosen is not None and _populous(name, places)):
        return chosen, in_library
    return known[0], False


def _most_photos(candidates: list[Place], places: PlaceSource) -> tuple[PlaceFilter | None, int]:
    """The candidate whose area holds the most library photos (the first, i.e. most populous, on a tie)."""
    best: PlaceFilter | None = None
    most = -1
    for place in candidates:
        f = PlaceFilter.of_place(place)
        photos = places.photos_in(f)
        if photos > most:
            best, most = f, photos
    return best, max(most, 0)


# -- words -------------------------------------------------------------------------


def _tokens(terms: Terms) -> tuple[list[str], list[str]]:
    """The words as typed and folded; a phrase is one token, folded to ``PHRASE`` (read as nothing)."""
    raw: list[str] = []
    folded: list[str] = []
    for term in terms.words:
        if term.phrase:
            raw.append(term.text)
            folded.append(PHRASE)
            continue
        for token in term.text.replace("/", " ").replace("-", " ").split():
            raw.append(token)
            folded.append(fold(token))
    return raw, folded


def _clip_words(originals: list[str], spans: list[tuple[int, int]]) -> str:
    """The words left for CLIP: the query without the spans read as filters, fillers and dangling
    prepositions ("photos from ...")."""
    out = [w for k, w in enumerate(originals) if not any(a <= k < b for a, b in spans)]
    if len(out) < len(originals):
        while out and fold(out[0]) in FILLERS | PLACE_PREPOSITIONS | {"the", "my", "our"}:
            out.pop(0)
        while out and fold(out[-1]) in PLACE_PREPOSITIONS | {"the", "and", "on", "during"}:
            out.pop()
    return " ".join(w.strip(",.;:!?") for w in out).strip()
