"""Dates in a query: the phrases people use for when a photo was taken -> a date range.

``find_date(words, today)`` looks through a query's folded words ("snow last
winter", "tokyo 2019", "birthday in march") for one date phrase and returns
where it is and the range it means, relative to ``today``.  A word that is
also a plain word ("march of penguins", "may flowers", "christmas tree",
"summer dress") is a date only with a sign that it is one: a year beside it, a
preposition before it ("in march"), or "last"/"this".
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS: dict[str, int] = {name.lower(): i for i, name in enumerate(calendar.month_name) if name} | {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
    "nov": 11, "dec": 12,
}
SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}  # first month (northern hemisphere)
UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "month": 30, "months": 30, "year": 365, "years": 365}
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
           "eight": 8, "nine": 9, "ten": 10, "few": 3, "couple": 2}
PREPOSITIONS = {"in", "from", "on", "during", "at", "of", "over", "around"}
# "the spring of 2019", "summer in 2021", "March of 2020": a season or month, a link word, then its year
# ("the women's march in 2017" is a year, not March: a month takes "of" only).
SEASON_YEAR_LINKS = ("of", "in")
MONTH_YEAR_LINKS = ("of",)
EARLIEST_YEAR = 1826  # the oldest surviving photograph


@dataclass(frozen=True)
class DateRange:
    """Photos taken on or after ``after`` and before ``before`` (exclusive); either may be open."""

    after: date | None
    before: date | None
    label: str  # what people read: "2019", "Winter 2025/26", "March 2026", "since 2019"


@dataclass(frozen=True)
class DateMatch:
    start: int  # first word of the phrase (its preposition included)
    end: int  # one past its last word
    range: DateRange


def find_date(words: list[str], today: date, months: Mapping[str, int] | None = None) -> DateMatch | None:
    """The first date phrase in ``words`` (folded: lower case, no accents or punctuation), or None."""
    month_names = dict(MONTHS) | dict(months or {})
    for i in range(len(words)):
        for matcher in _MATCHERS:
            found = matcher(words, i, today, month_names)
            if found is not None:
                end, rng = found
                start = i
                if start > 0 and words[start - 1] in ("last", "this"):
                    start -= 1
                if start > 1 and words[start - 1] == "the" and words[start - 2] in PREPOSITIONS:
                    start -= 1  # "in the 90s", "during the summer of"
                if start > 0 and words[start - 1] in PREPOSITIONS:
                    start -= 1
                elif start > 0 and words[start - 1] in ("since", "after", "before") and rng.after is not None:
                    start -= 1
                    rng = _open_ended(words[start], rng)
                return DateMatch(start, end, rng)
    return None


def _open_ended(word: str, rng: DateRange) -> DateRange:
    if word == "before":
        return DateRange(None, rng.after, f"before {rng.label}")
    if word == "after":
        return DateRange(rng.before, None, f"after {rng.label}")
    return DateRange(rng.after, None, f"since {rng.label}")


Found = tuple[int, DateRange] | None
Matcher = Callable[[list[str], int, date, dict[str, int]], Found]


def _year(word: str, today: date) -> int | None:
    if re.fullmatch(r"\d{4}", word) and EARLIEST_YEAR <= int(word) <= today.year + 1:
        return int(word)
    return None


def _linked_year(words: list[str], j: int, today: date, links: tuple[str, ...]) -> tuple[int | None, int]:
    """The year at ``words[j]``, or after a link word there ("of 2019", "in 2019"), and the index past it."""
    if j < len(words) and (y := _year(words[j], today)) is not None:
        return y, j + 1
    if j + 1 < len(words) and words[j] in links and (y := _year(words[j + 1], today)) is not None:
        return y, j + 2
    return None, j


def _year_range(y: int) -> DateRange:
    return DateRange(date(y, 1, 1), date(y + 1, 1, 1), str(y))


def _month_range(y: int, m: int, label: str | None = None) -> DateRange:
    end = date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)
    return DateRange(date(y, m, 1), end, label or f"{calendar.month_name[m]} {y}")


def _iso(words: list[str], i: int, today: date, months: dict[str, int]) -> Found:
    w = words[i]
    # "2019-05-03" folds to three words: 2019 05 03
    if _year(w, today) and i + 2 < len(words) and re.fullmatch(r"\d{2}", words[i + 1]) \
            and re.fullmatch(r"\d{2}", words[i + 2]):
        y, mo, d = int(w), int(words[i + 1]), int(words[i + 2])
        try:
            day = date(y, mo, d)
        except ValueError:
            return None
        return i + 3, DateRange(day, day + timedelta(days=1), day.isoformat())
    if _year(w, today) and i + 1 < len(words) and re.fullmatch(r"\d{2}", words[i + 1]) \
            and 1 <= int(words[i + 1]) <= 12:
        return i + 2, _month_range(int(w), int(words[i + 1]))
    return None


def _decade(words: list[str], i: int, today: date, months: dict[str, int]) -> Found:
    m = re.fullmatch(r"(\d{2}|\d{4})s", words[i])
    if not m:
        return None
    n = int(m.group(1))
    start = n if n >= 1000 else (1900 + n if n >= 30 else 2000 + n)
    if start % 10 or not EARLIEST_YEAR <= start <= today.year:
        return None
    return i + 1, DateRange(date(start, 1, 1), date(start + 10, 1, 1), f"the {start}s")


def _years(words: list[str], i: int, today: date, months: dict[str, int]) -> Found:
    y = _year(words[i], today)
    if y is None:
        return None
    # "2019 2021" (from "2019-2021") or "2019 to 2021"
    for gap in (1, 2):
        if i + gap < len(words) and (gap == 1 or words[i + 1] in ("to", "and", "until", "till")):
            y2 = _year(words[i + gap], today)
            if y2 is not None and y2 > y:
                return i + gap + 1, DateRange(date(y, 1, 1), date(y2 + 1, 1, 1), f"{y}-{y2}")
    return i + 1, _year_range(y)


def _month(words: list[str], i: int, today: date, months: dict[str, int]) -> Found:
    m = months.get(words[i])
    if m is None:
        return None
    nxt = words[i + 1] if i + 1 < len(words) else ""
    # "march 5 2019" / "march 5"
    if re.fullmatch(r"\d{1,2}", nxt) and 1 <= int(nxt) <= 31:
        y = _year(words[i + 2], today) if i + 2 < len(words) else None
        return _day(y, m, int(nxt), today, i + (3 if y else 2))
    y, end = _linked_year(words, i + 1, today, MONTH_YEAR_LINKS)
    if y is not None:
        return end, _month_range(y, m)
    prev = words[i - 1] if i > 0 else ""
    if prev in ("last", "this") or prev in PREPOSITIONS - {"of", "at"} or prev in ("since", "before", "after"):
        y = today.year if m <= today.month else today.year - 1
        if prev == "last" and m == today.month:
            y -= 1
        end = i + 1
        return end, _month_range(y, m)
    return None


def _day_first(words: list[str], i: int, today: date, months: dict[str, int]) -> Found:
    # "3 may 2019", "3rd of may"
    w = re.sub(r"(st|nd|rd|th)$", "", words[i])
    if not re.fullmatch(r"\d{1,2}", w) or not 1 <= int(w) <= 31:
        return None
    j = i + 1 + (i + 1 < len(words) and words[i + 1] == "of")
    if j >= len(words) or words[j] not in months:
        return None
    y = _year(words[j + 1], today) if j + 1 < len(words) else None
    return _day(y, months[words[j]], int(w), today, j + (2 if y else 1))


def _day(y: int | None, m: int, d: int, today: date, end: int) -> Found:
    year = y if y is not None else (today.year if (m, d) <= (today.month, today.day) else today.year - 1)
    try:
        day = date(year, m, d)
    except ValueError:
        return None
    label = f"{calendar.month_name[m]} {d}, {year}" if y else f"{calendar.month_name[m]} {d}"
    return end, DateRange(day, day + timedelta(days=1), label)


def _season_range(season: str, y: int) -> DateRange:
    first = SEASONS[season]
    start = date(y, first, 1)
    end = date(y + 1, 3, 1) if first == 12 else date(y, first + 3, 1)
    name = "Autumn" if season == "fall" else season.capitalize()
    return DateRange(start, end, f"{name} {y}/{str(y + 1)[2:]}" if first == 12 else f"{name} {y}")


def _season(words: list[str], i: int, today: date, months: dict[str, int]) -> Found:
    season = words[i]
    if season not in SEASONS:
        return None
    y, end = _linked_year(words, i + 1, today, SEASON_YEAR_LINKS)
    if y is not None:
        # "winter 2025 26" (from "winter 2025/26") names the same winter
        if season == "winter" and end < len(words) and words[end] == f"{(y + 1) % 100:02d}":
            end += 1
        return end, _season_range(season, y)
    prev = words[i - 1] if i > 0 else ""
    if prev not in ("last", "this"):
        return None
    first = SEASONS[season]
    # the season of this cycle that has started by today
    y = today.year if today.month >= first else today.year - 1
    if first == 12 and today.month < 3:
        y = today.year - 1
    current = _season_range(season, y)
    if prev == "last" and current.before is not None and current.before > today:
        current = _season_range(season, y - 1)  # still under way: "last" means the one before
    return i + 1, current


def _relative(words: list[str], i: int, today: date, months: dict[str, int]) -> Found:
    w = words[i]
    nxt = words[i + 1] if i + 1 < len(words) else ""
    if w == "today":
        return i + 1, DateRange(today, today + timedelta(days=1), "today")
    if w == "yesterday":
        day = today - timedelta(days=1)
        return i + 1, DateRange(day, today, "yesterday")
    if w in ("last", "this") and nxt in ("week", "month", "year", "weekend"):
        return i + 2, _calendar_unit(w, nxt, today)
    if w in ("last", "past") and i + 2 < len(words) and words[i + 2] in UNITS:
        n = _number(nxt)
        if n is not None:
            days = n * UNITS[words[i + 2]]
            return i + 3, DateRange(today - timedelta(days=days), today + timedelta(days=1), f"past {n} {words[i + 2]}")
    n = _number(w)
    if n is not None and nxt in UNITS and i + 2 < len(words) and words[i + 2] == "ago":
        days = n * UNITS[nxt]
        centre = today - timedelta(days=days)
        if nxt.startswith("year"):
            return i + 3, _year_range(today.year - n)
        if nxt.startswith("month"):
            y, m = divmod(today.year * 12 + today.month - 1 - n, 12)
            return i + 3, _month_range(y, m + 1)
        half = max(1, days // 7) if nxt.startswith("week") else 0
        return i + 3, DateRange(centre - timedelta(days=half), centre + timedelta(days=half + 1), f"{n} {nxt} ago")
    return None


def _number(word: str) -> int | None:
    if re.fullmatch(r"\d{1,3}", word):
        return int(word) or None
    return NUMBERS.get(word)


def _calendar_unit(which: str, unit: str, today: date) -> DateRange:
    if unit == "year":
        return _year_range(today.year - (which == "last"))
    if unit == "month":
        y, m = divmod(today.year * 12 + today.month - 1 - (which == "last"), 12)
        return _month_range(y, m + 1)
    monday = today - timedelta(days=today.weekday()) - timedelta(days=7 * (which == "last"))
    if unit == "weekend":
        saturday = monday + timedelta(days=5)
        if which == "this" or saturday > today:
            saturday -= timedelta(days=7) * (saturday > today)
        return DateRange(saturday, saturday + timedelta(days=2), f"{which} weekend")
    return DateRange(monday, monday + timedelta(days=7), f"{which} week")


def _easter(y: int) -> date:
    """Western Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = y % 19, y // 100, y % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(y, month, day + 1)


HOLIDAYS: dict[tuple[str, ...], Callable[[int], tuple[date, date]]] = {
    ("christmas", "eve"): lambda y: (date(y, 12, 24), date(y, 12, 25)),
    ("christmas",): lambda y: (date(y, 12, 24), date(y, 12, 27)),
    ("xmas",): lambda y: (date(y, 12, 24), date(y, 12, 27)),
    ("new", "years", "eve"): lambda y: (date(y, 12, 31), date(y + 1, 1, 2)),
    ("nye",): lambda y: (date(y, 12, 31), date(y + 1, 1, 2)),
    ("new", "years", "day"): lambda y: (date(y, 1, 1), date(y, 1, 2)),
    ("halloween",): lambda y: (date(y, 10, 31), date(y, 11, 1)),
    ("valentines", "day"): lambda y: (date(y, 2, 14), date(y, 2, 15)),
    ("easter",): lambda y: (_easter(y) - timedelta(days=2), _easter(y) + timedelta(days=2)),
    ("thanksgiving",): lambda y: (_thanksgiving(y), _thanksgiving(y) + timedelta(days=4)),
}


def _thanksgiving(y: int) -> date:
    first = date(y, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)


def _holiday(words: list[str], i: int, today: date, months: dict[str, int]) -> Found:
    for key, span in HOLIDAYS.items():
        if tuple(words[i:i + len(key)]) != key:
            continue
        end = i + len(key)
        name = " ".join(words[i:end]).replace("years", "year's").replace("valentines", "valentine's")
        name = name[:1].upper() + name[1:]
        y = _year(words[end], today) if end < len(words) else None
        prev = words[i - 1] if i > 0 else ""
        if y is None:
            if prev not in ("last", "this", "on", "at", "over", "during"):
                return None  # "christmas tree", "easter egg": things, not dates
            y = today.year if span(today.year)[0] <= today else today.year - 1
            if prev == "last" and span(y)[1] > today:
                y -= 1
            first, last = span(y)
            return end, DateRange(first, last, f"{name} {y}")
        first, last = span(y)
        return end + 1, DateRange(first, last, f"{name} {y}")
    return None


_MATCHERS: tuple[Matcher, ...] = (_iso, _decade, _holiday, _relative, _season, _day_first, _month, _years)
