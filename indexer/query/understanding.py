"""From what the user typed to the query searched: one path for the command line and the app.

``typed_query(kind, text, picture, ...)`` builds the query of a kind from the
words as typed: the grammar (``indexer.query.grammar``) takes the negatives
(``-word``, ``not word``) out and keeps quoted phrases whole.  Both the app's
search modes and ``photoseek search`` build their queries with it, so the same
words give the same query.

``understand(query, places, ...)`` then reads a text query's place and dates
(``indexer.query.parse``) and applies them with ``apply_parse``: the words left
go to CLIP (a query that was only a place searches CLIP for the place's name;
only dates, or only people, for ``GENERIC_WORDS``), the names of people the library knows become its people
filter ("Anna and Ben": both in the photo; ``-Ben``: not him), the place becomes the query's place filter
unless a place was chosen apart (then the words that named a place stay
words), and the date range narrows the query's own dates (it never widens
them).  Other kinds keep their words as typed, phrases unquoted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from indexer.people.filter import PeopleFilter
from indexer.people.names import read_people
from indexer.query.grammar import read_terms
from indexer.query.kinds import Filters, Picture, QueryKind
from indexer.query.parse import ParsedQuery, PlaceSource, parse_query
from indexer.query.types import Query

GENERIC_WORDS = "a photo"


@dataclass(frozen=True)
class Understanding:
    """How a text query is to be understood: which filters read from it to keep (a filter removed by the
    user is searched as words), and month names of the user's language (folded name, 1..12)."""

    keep_place: bool = True
    keep_dates: bool = True
    months: tuple[tuple[str, int], ...] = ()


def typed_query(kind: type[QueryKind], text: str, picture: Picture | None = None, *, negatives: Iterable[str] = (),
                filters: Filters | None = None, **options: Any) -> Query | None:
    """The query of ``kind`` for ``text`` as typed (its negatives added to ``negatives``) and ``picture``;
    None when the kind needs a picture and there is none.  ``options``: the other ``Query`` fields."""
    terms = read_terms(text)
    what = kind.build(terms.text, picture)
    if what is None:
        return None
    return Query.of(what, negatives=[*negatives, *terms.negatives], filters=filters, **options)


def understand(query: Query, places: PlaceSource | None, *, today: date, understanding: Understanding | None = None,
               months: Mapping[str, int] | None = None, people: Sequence[str] = ()) -> tuple[Query, ParsedQuery | None]:
    """``query`` (built by ``typed_query``) as it is searched, and how its words were read (None unless
    it is a text query; its ``negatives`` are all the query's).  A place already set on ``query``
    replaces one read from the words.  ``people``: the folded names of the library's named people."""
    how = understanding or Understanding()
    if _words_only(query) and people:
        left, names, without, negatives = read_people(query.text, query.negatives, people)
        if names or without:
            found = PeopleFilter(names, without).merged(query.people)
            query = replace(query, text=left or (GENERIC_WORDS if not query.contains.strip() else ""),
                            negatives=negatives, people=found)
    if not _words_only(query):
        words = read_terms(query.text)
        return replace(query, text=words.plain, negatives=[*query.negatives, *words.negatives]), None
    parsed = parse_query(query.text, today=today, places=places, months={**dict(how.months), **(months or {})})
    if parsed.place is not None and (not how.keep_place or query.place is not None):
        parsed = parsed.without_place()
    if parsed.dates is not None and not how.keep_dates:
        parsed = parsed.without_dates()
    query = apply_parse(query, parsed)
    return query, replace(parsed, negatives=tuple(query.negatives))


def apply_parse(query: Query, parsed: ParsedQuery) -> Query:
    """``query`` searching for ``parsed``'s words, avoiding its negatives, in its place and dates."""
    words = parsed.words
    place = parsed.place if parsed.place is not None else query.place  # a place chosen apart stays
    if not words and (place is not None or parsed.dates is not None):
        words = place.label.split(",")[0] if place is not None and place.kind != "near" else GENERIC_WORDS
    after, before = query.after, query.before
    if parsed.dates is not None:
        if parsed.dates.after is not None and (after is None or parsed.dates.after > after):
            after = parsed.dates.after
        if parsed.dates.before is not None and (before is None or parsed.dates.before < before):
            before = parsed.dates.before
    return replace(query, text=words, place=place, after=after, before=before,
                   negatives=[*query.negatives, *(n for n in parsed.negatives if n not in query.negatives)])


def _words_only(query: Query) -> bool:
    """Whether ``query``'s words are all it looks for (a text query, or one that is only filters so far)."""
    return query.what is None and query.image is None and query.sketch is None
