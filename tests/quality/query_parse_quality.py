"""How well the query parser finds places and dates: precision and recall on tests/quality/data/query_parses.tsv
(the set its rules were written against) and two held-out sets.

Each line of the set is a query and how it must be read (words for CLIP, place label, date label) on
2026-11-29, for a library with photos in a few places (``tests.support.place_source``).  A place (or
date) is a true positive when the parser finds the expected one, a false positive when it finds one that
is not expected (or another one), a false negative when it misses the expected one.

    python -m tests.quality.query_parse_quality [--failures]
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from indexer.query.parse import ParsedQuery, parse_query
from tests.support.place_source import FakeLibraryPlaces

DATA = Path(__file__).with_name("data") / "query_parses.tsv"  # the set the parser was tuned on
HELD_OUT = Path(__file__).with_name("data") / "query_parses_heldout.tsv"  # written afterwards, never tuned on
# written for issue 13 (regions, "the spring of 2019") after HELD_OUT had been looked at; run once, never tuned on
HELD_OUT_2 = Path(__file__).with_name("data") / "query_parses_heldout2.tsv"
TODAY = date(2026, 11, 29)


@dataclass(frozen=True)
class Case:
    query: str
    words: str
    place: str | None
    dates: str | None


def cases(path: Path = DATA) -> list[Case]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        query, words, place, dates = line.split("\t")
        out.append(Case(query, "" if words == "-" else words, None if place == "-" else place,
                        None if dates == "-" else dates))
    return out


def scores(pairs: list[tuple[str | None, str | None]]) -> tuple[float, float]:
    """(precision, recall) of (expected, found) labels."""
    tp = sum(1 for want, got in pairs if got is not None and got == want)
    fp = sum(1 for want, got in pairs if got is not None and got != want)
    fn = sum(1 for want, got in pairs if want is not None and got != want)
    return tp / max(1, tp + fp), tp / max(1, tp + fn)


def evaluate(show_failures: bool = False, path: Path = DATA) -> dict[str, float]:
    source = FakeLibraryPlaces()
    results: list[tuple[Case, ParsedQuery]] = [(c, parse_query(c.query, today=TODAY, places=source))
                                               for c in cases(path)]
    place = scores([(c.place, p.place.label if p.place else None) for c, p in results])
    dates = scores([(c.dates, p.dates.label if p.dates else None) for c, p in results])
    words = sum(c.words == p.words for c, p in results) / len(results)
    if show_failures:
        for c, p in results:
            got = (p.words, p.place.label if p.place else None, p.dates.label if p.dates else None)
            if got != (c.words, c.place, c.dates):
                print(f"  {c.query!r}: got {got}, want {(c.words, c.place, c.dates)}")
    return {"queries": len(results), "place_precision": place[0], "place_recall": place[1],
            "date_precision": dates[0], "date_recall": dates[1], "words_exact": words}


def main() -> None:
    for name, path in (("tuning set", DATA), ("held-out set", HELD_OUT), ("second held-out set", HELD_OUT_2)):
        figures = evaluate("--failures" in sys.argv, path)
        print(f"{name}, {figures['queries']} queries: place precision {figures['place_precision']:.3f}, recall "
              f"{figures['place_recall']:.3f}; date precision {figures['date_precision']:.3f}, recall "
              f"{figures['date_recall']:.3f}; words exactly right {figures['words_exact']:.3f}")


if __name__ == "__main__":
    main()
