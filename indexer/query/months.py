"""Month names of the user's language, so a query reads "praia em março 2019" as March 2019.

English month names are built into the date reader (``indexer.query.dates``);
this adds those of a language, as the C library's locale names them
(``LC_TIME``).  The command line asks for the user's environment, the app for
the language its platform reports (``"pt_PT"``, ``"de-DE"``).
"""

from __future__ import annotations

import calendar
import locale
import threading
from functools import lru_cache

from indexer.places.names import fold

_LOCK = threading.Lock()  # setlocale changes the whole process: one caller at a time


@lru_cache(maxsize=8)
def locale_months(language: str | None = None) -> tuple[tuple[str, int], ...]:
    """(folded month name, 1..12) in the long and short forms of ``language`` (a locale name such as
    "pt_PT" or "de-DE"; None: the environment's ``LC_TIME``/``LANG``); short names of three letters or
    fewer are left out (they clash with words).  Empty when the C library has no such locale."""
    with _LOCK:
        try:
            previous = locale.setlocale(locale.LC_TIME)
        except (locale.Error, ValueError):
            return ()
        try:
            if not _use(language):
                return ()
            names: dict[str, int] = {}
            for month in range(1, 13):
                for name, short in ((calendar.month_name[month], False), (calendar.month_abbr[month], True)):
                    folded = fold(name)
                    if folded and (len(folded) > 3 or not short):
                        names.setdefault(folded, month)
        finally:
            locale.setlocale(locale.LC_TIME, previous)
    return tuple(sorted(names.items()))


def _use(language: str | None) -> bool:
    """Switch ``LC_TIME`` to ``language`` (or the environment's); whether one of its spellings exists."""
    if not language:
        candidates = [""]
    else:
        base = language.replace("-", "_").split(".")[0]
        candidates = [language, f"{base}.UTF-8", f"{base}.utf8", base]
    for name in candidates:
        try:
            locale.setlocale(locale.LC_TIME, name)
            return True
        except (locale.Error, ValueError):
            continue
    return False
