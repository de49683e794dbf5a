"""What a ``photoseek search`` looks for: the query its arguments ask for, understood by the core.

The core builds the query from TEXT as typed (``typed_query``: ``-word``, ``not word`` and quoted
phrases) and reads its place and dates (``LibraryReader.understand``), exactly as for the app: "beach
in Lisbon -people" searches CLIP for "beach", away from "people", among the photos taken in and around
Lisbon.  ``--place NAME`` and ``--near LAT,LON[,KM]`` name the place explicitly (a place the TEXT names
then goes back to the words); ``--after``/``--before`` narrow the dates the TEXT names.  With
``--image`` or ``--sketch`` the TEXT is the edit's words, as typed (less its negatives).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import TYPE_CHECKING

from indexer.errors import UsageError

if TYPE_CHECKING:  # annotations only: importing app.cli loads no numpy
    from indexer.library_reader import LibraryReader
    from indexer.places.filter import PlaceFilter
    from indexer.search import Query

MAX_NEAR_KM = 20_000.0


def near_argument(text: str) -> tuple[float, float, float | None]:
    """``LAT,LON[,KM]`` -> (lat, lon, km or None); an ``argparse`` type."""
    parts = [p.strip() for p in text.split(",")]
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        lat, lon = float(parts[0]), float(parts[1])
        km = float(parts[2]) if len(parts) == 3 else None
    except ValueError:
        raise argparse.ArgumentTypeError(f"not LAT,LON or LAT,LON,KM: {text!r}") from None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise argparse.ArgumentTypeError("latitude must be -90..90 and longitude -180..180")
    if km is not None and not 0.0 < km <= MAX_NEAR_KM:
        raise argparse.ArgumentTypeError(f"the distance must be more than 0 and at most {MAX_NEAR_KM:g} km")
    return lat, lon, km


def search_query(args: argparse.Namespace) -> Query:
    """The ``Query`` that ``photoseek search`` arguments ask for, TEXT as typed (the same for a cold and
    a warm search, and the same as the app's for the same words)."""
    from indexer.people.filter import PeopleFilter
    from indexer.people.names import fold
    from indexer.query.kinds import EditQuery, Filters, QueryKind, SketchQuery, TextQuery
    from indexer.query.understanding import GENERIC_WORDS, typed_query

    kind: type[QueryKind] = EditQuery if args.image else SketchQuery if args.sketch else TextQuery
    people = PeopleFilter(tuple(dict.fromkeys(fold(n) for n in getattr(args, "person", []) if n.strip())))
    text = args.text
    if people and not (text.strip() or args.image or args.sketch or args.contains.strip()):
        text = GENERIC_WORDS  # only people: their photos, in CLIP's order for a plain photo
    query = typed_query(kind, text, args.image or args.sketch, negatives=args.negatives,
                        filters=Filters(folder=args.folder, after=args.after, before=args.before,
                                        contains=args.contains, people=people or None),
                        weight=args.weight, recipe=args.recipe, limit=args.limit, exclude_self=not args.include_self,
                        min_score=args.min_score)
    assert query is not None  # the kinds that need a picture were given one
    return query


def understood(args: argparse.Namespace, reader: LibraryReader, query: Query) -> tuple[Query, str]:
    """``query`` with the place flags applied and its words understood by the core; and the line
    ``--explain`` prints."""
    from indexer.query.months import locale_months
    from indexer.query.understanding import Understanding

    if args.place and args.near:
        raise UsageError("use --place or --near, not both")
    query = replace(query, place=_explicit_place(args, reader))
    query, parsed = reader.understand(query, Understanding(months=locale_months()))
    avoid = f" · not: {', '.join(query.negatives)}" if query.negatives else ""
    if parsed is None:
        return query, f"words: {query.text}{avoid}"
    return query, replace(parsed, place=query.place).explain()


def _explicit_place(args: argparse.Namespace, reader: LibraryReader) -> PlaceFilter | None:
    from indexer.places.filter import PlaceFilter

    if args.place:
        place = reader.place_named(args.place)
        if place is None:
            like = [p.label for p in reader.places_starting(args.place, limit=5)]
            raise UsageError(f"no place called {args.place!r} is known (try a city, a region or a country in English)"
                             + (f"; the library has photos in {'; '.join(like)}" if like else ""))
        return place
    if args.near:
        lat, lon, km = args.near
        return PlaceFilter.near(lat, lon) if km is None else PlaceFilter.near(lat, lon, km)
    return None
