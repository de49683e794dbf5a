"""Place names compared the way people type them: without accents, case or punctuation."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")
_LATIN = re.compile(r"^[a-z][a-z0-9 ]*$")

# Letters NFKD does not take apart into a base letter and an accent.
_SPECIAL = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ð": "d", "þ": "th", "ł": "l", "đ": "d",
                          "ı": "i", "Æ": "ae", "Ø": "o", "Œ": "oe", "Ð": "d", "Þ": "th", "Ł": "l", "Đ": "d"})


def fold(text: str) -> str:
    """``"Reykjavík"`` -> ``"reykjavik"``, ``"Saint-Étienne"`` -> ``"saint etienne"``: accents, case and
    punctuation removed, spaces collapsed (an apostrophe joins: ``"Val d'Isère"`` -> ``"val disere"``)."""
    if text.isascii():  # most names: no accents to take apart
        return _NON_WORD.sub(" ", text.lower().replace("'", "")).strip()
    text = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold().replace("'", "").replace("’", "")
    return _NON_WORD.sub(" ", text).strip()


def may_be_latin(name: str) -> bool:
    """A quick test before folding: does ``name`` start with a Latin letter (basic or accented)?"""
    return bool(name) and (name[0].isascii() or "\u00c0" <= name[0] <= "\u024f")


def is_latin_name(folded: str) -> bool:
    """Whether a folded name is written in Latin letters (GeoNames' other scripts are not typed here)."""
    return bool(_LATIN.match(folded))
