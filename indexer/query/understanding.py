"""A text query with what the parser understood applied: CLIP words, place filter, date range.

``apply_parse(query, parsed)`` is shared by the command line and the app: the
words left after the place and the dates were read go to CLIP (a query that
was only a place searches CLIP for the place's name; only dates, for
``GENERIC_WORDS``), the place becomes the query's place filter, and the date
range narrows the query's own dates (it never widens them).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from indexer.query.parse import ParsedQuery
from indexer.query.types import Query

GENERIC_WORDS = "a photo"


@dataclass(frozen=True)
class Understanding:
    """How a text query is to be understood: which filters read from it to keep (a filter removed by the
    user is searched as words), and month names of the user's language (folded name, 1..12)."""

    keep_place: bool = True
    keep_dates: bool = True
    months: tuple[tuple[str, int], ...] = ()


def apply_parse(query: Query, parsed: ParsedQuery) -> Query:
    """``query`` searching for ``parsed``'s words, in its place and dates."""
    words = parsed.words
    if not words:
        named = parsed.place is not None and parsed.place.kind != "near"
        words = parsed.place.label.split(",")[0] if parsed.place is not None and named else GENERIC_WORDS
    after, before = query.after, query.before
    if parsed.dates is not None:
        if parsed.dates.after is not None and (after is None or parsed.dates.after > after):
            after = parsed.dates.after
        if parsed.dates.before is not None and (before is None or parsed.dates.before < before):
            before = parsed.dates.before
    place = parsed.place if parsed.place is not None else query.place  # a place chosen apart stays
    return replace(query, text=words, place=place, after=after, before=before)
