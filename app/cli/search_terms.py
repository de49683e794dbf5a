"""What a ``photoseek search`` looks for: the TEXT understood (words, place, dates) and the place flags.

A plain TEXT query goes through the library's query parser (``LibraryReader.parse_query``): "beach in
Lisbon" searches CLIP for "beach" among the photos taken in and around Lisbon.  ``--place NAME`` and
``--near LAT,LON[,KM]`` name the place explicitly (a place the TEXT names then goes back to the words);
``--after``/``--before`` narrow the dates the TEXT names.  With ``--image`` or ``--sketch`` the TEXT
is the edit's words, as typed.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import TYPE_CHECKING

from indexer.errors import UsageError

if TYPE_CHECKING:  # annotations only: importing app.cli loads no numpy
    from indexer.library_reader import LibraryReader
    from indexer.places.filter import PlaceFilter
    from indexer.query.parse import ParsedQuery
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


def understood(args: argparse.Namespace, reader: LibraryReader, query: Query) -> ParsedQuery | None:
    """Fill ``query``'s words, place and dates from the TEXT and the flags; the parse, when TEXT was parsed."""
    from indexer.query.understanding import apply_parse

    if args.place and args.near:
        raise UsageError("use --place or --near, not both")
    explicit = _explicit_place(args, reader)
    if query.image is not None or query.sketch is not None:
        query.place = explicit  # the words of an image + edit or a sketch are kept as typed
        return None
    parsed = reader.parse_query(query.text, months=locale_months())
    if explicit is not None:
        parsed = replace(parsed.without_place() if parsed.place is not None else parsed, place=explicit)
    applied = apply_parse(query, parsed)
    query.text, query.place, query.after, query.before = applied.text, applied.place, applied.after, applied.before
    return parsed


def locale_months() -> dict[str, int]:
    """Month names of the user's language (``LC_TIME``, else ``LANG``), folded -> 1..12; English is built in."""
    import calendar
    import locale

    from indexer.places.names import fold

    try:
        previous = locale.setlocale(locale.LC_TIME)
        locale.setlocale(locale.LC_TIME, "")
    except (locale.Error, ValueError):
        return {}
    try:
        names = {fold(n): i for i, n in enumerate(calendar.month_name) if n and fold(n)}
        names |= {fold(n): i for i, n in enumerate(calendar.month_abbr) if n and len(fold(n)) > 3}
    finally:
        locale.setlocale(locale.LC_TIME, previous)
    return names


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
