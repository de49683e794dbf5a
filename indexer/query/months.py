"""Month names of the user's language, so a query reads "praia em março 2019" as March 2019.

English month names are built into the date reader (``indexer.query.dates``);
this adds those of the user's language from tables kept here, for the
languages people most often write their queries in.  Tables, not the C
library's locales: those are often not installed (a minimal Linux has only
"C"), and switching ``LC_TIME`` to read them changes the whole process under
the app's other threads.  The command line asks for the environment's
language (``LC_ALL``, ``LC_TIME``, ``LANG``), the app for the one its platform
reports (``"pt_PT"``, ``"de-DE"``).
"""

from __future__ import annotations

import os
from functools import lru_cache

from indexer.places.names import fold

# Long names, January first; then the short forms people type (of four letters or more: shorter
# ones clash with words, as "mar" or "mai" do).
_LONG: dict[str, tuple[str, ...]] = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
           "ottobre", "novembre", "dicembre"),
    "pt": ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro",
           "novembro", "dezembro"),
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"),
}
_SHORT: dict[str, dict[str, int]] = {
    "en": {"sept": 9},
    "de": {"jänner": 1, "sept": 9},
    "es": {"setiembre": 9, "sept": 9},
    "fr": {"janv": 1, "févr": 2, "avr": 4, "juil": 7, "sept": 9},
    "it": {"sett": 9},
    "pt": {"sete": 9},
    "nl": {"sept": 9},
}


def month_languages() -> tuple[str, ...]:
    """The languages whose month names are known (two-letter codes)."""
    return tuple(sorted(_LONG))


@lru_cache(maxsize=16)
def locale_months(language: str | None = None) -> tuple[tuple[str, int], ...]:
    """(folded month name, 1..12) of ``language`` -- a locale name such as "pt_PT", "de-DE" or "es";
    None: the environment's (``LC_ALL``, ``LC_TIME``, ``LANG``).  English for "C"/"POSIX"; empty for a
    language without a table here (English names are read whatever the language)."""
    code = _language_code(language if language is not None else _environment_language())
    if code not in _LONG:
        return ()
    names = {fold(name): number for number, name in enumerate(_LONG[code], start=1)}
    for short, number in _SHORT.get(code, {}).items():
        names.setdefault(fold(short), number)
    return tuple(sorted(names.items()))


def _language_code(language: str) -> str:
    """"pt_PT.UTF-8" -> "pt"; "C" and "POSIX" -> "en"."""
    base = language.replace("-", "_").split(".")[0].split("@")[0].split("_")[0].lower()
    return "en" if base in ("c", "posix", "") else base


def _environment_language() -> str:
    for variable in ("LC_ALL", "LC_TIME", "LANG"):
        value = os.environ.get(variable, "")
        if value:
            return value
    return "C"
