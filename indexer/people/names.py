"""People's names as the search box reads them: folded (no case, no accents), and found among a query's words."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def fold(text: str) -> str:
    """``text`` without case or accents, its words single-spaced ("Zoë  Smith" -> "zoe smith")."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def find_names(words: Sequence[str], names: Sequence[str]) -> list[tuple[int, int, str]]:
    """Where ``names`` (folded, one or more words each) stand in ``words`` (folded): (start, stop, name) spans,
    longest names first, never overlapping, in the order of the words."""
    by_length = sorted({n for n in names if n}, key=lambda n: -len(n.split()))
    taken: set[int] = set()
    spans: list[tuple[int, int, str]] = []
    for name in by_length:
        parts = name.split()
        n = len(parts)
        for i in range(len(words) - n + 1):
            if any(k in taken for k in range(i, i + n)):
                continue
            if [w.strip(",.;:!?'\"") for w in words[i:i + n]] == parts or (
                n == 1 and words[i].removesuffix("'s").removesuffix("’s") == name):
                spans.append((i, i + n, name))
                taken.update(range(i, i + n))
    return sorted(spans)
