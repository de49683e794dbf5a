"""Date phrases -> date ranges, relative to the day given."""

from __future__ import annotations

from datetime import date

import pytest

from indexer.places.names import fold
from indexer.query.dates import find_date

TODAY = date(2026, 11, 29)  # a Sunday


def rng(text, today=TODAY):
    found = find_date(fold(text).split(), today)
    return None if found is None else (found.range.after, found.range.before, found.range.label)


@pytest.mark.parametrize("text, after, before, label", [
    ("2019", date(2019, 1, 1), date(2020, 1, 1), "2019"),
    ("winter 2025/26", date(2025, 12, 1), date(2026, 3, 1), "Winter 2025/26"),
    ("summer 2021", date(2021, 6, 1), date(2021, 9, 1), "Summer 2021"),
    ("christmas 2020", date(2020, 12, 24), date(2020, 12, 27), "Christmas 2020"),
    ("easter 2024", date(2024, 3, 29), date(2024, 4, 2), "Easter 2024"),  # Good Friday .. Easter Monday
    ("thanksgiving 2026", date(2026, 11, 26), date(2026, 11, 30), "Thanksgiving 2026"),
    ("in march", date(2026, 3, 1), date(2026, 4, 1), "March 2026"),
    ("in december", date(2025, 12, 1), date(2026, 1, 1), "December 2025"),  # the last one that began
    ("last week", date(2026, 11, 16), date(2026, 11, 23), "last week"),
    ("since 2019", date(2019, 1, 1), None, "since 2019"),
    ("before 2010", None, date(2010, 1, 1), "before 2010"),
    ("the 80s", date(1980, 1, 1), date(1990, 1, 1), "the 1980s"),
    ("2019-02-29", date(2019, 1, 1), date(2020, 1, 1), "2019"),  # no such day: the year is still meant
])
def test_phrases(text, after, before, label):
    expected = None if label is None else (after, before, label)
    assert rng(text) == expected


def test_last_winter_in_january_is_the_one_before():
    assert rng("last winter", today=date(2026, 1, 15))[2] == "Winter 2024/25"
    assert rng("this winter", today=date(2026, 1, 15))[2] == "Winter 2025/26"


@pytest.mark.parametrize("text", ["march of penguins", "may flowers", "christmas tree", "summer dress",
                                  "1000 piece puzzle", "route 66", "3000 years", "fall leaves", "9999"])
def test_plain_words_are_not_dates(text):
    assert rng(text) is None
