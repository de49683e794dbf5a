"""Month names of the user's language, so the search box reads "praia em março 2019" as March 2019."""

from __future__ import annotations

from PySide6.QtCore import QLocale

from indexer.places.names import fold


def locale_months(locale: QLocale | None = None) -> tuple[tuple[str, int], ...]:
    """(folded month name, 1..12) in the long and short forms of ``locale`` (default: the system's);
    names of three letters or fewer are left out unless they are a whole month name (they clash with words)."""
    locale = locale or QLocale.system()
    names: dict[str, int] = {}
    for month in range(1, 13):
        for form in (QLocale.FormatType.LongFormat, QLocale.FormatType.ShortFormat):
            for name in (locale.monthName(month, form), locale.standaloneMonthName(month, form)):
                folded = fold(name)
                if folded and (len(folded) > 3 or form == QLocale.FormatType.LongFormat):
                    names.setdefault(folded, month)
    return tuple(sorted(names.items()))
