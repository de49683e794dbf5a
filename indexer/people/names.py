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


CONNECTORS = {"and", "with", "&", "+", ","}


def read_people(text: str, negatives: Sequence[str], names: Sequence[str]) -> tuple[str, tuple[str, ...],
                                                                                    tuple[str, ...], list[str]]:
    """The people a query names among ``names`` (folded): (the words left, names that must be in the photo,
    names that must not be, the negatives left).  "Anna and Ben at the beach" -> ("at the beach", (anna, ben),
    (), []); a negative that is a name ("-Ben") excludes that person instead of the word."""
    raw = text.split()
    folded = [fold(w) for w in raw]
    spans = find_names(folded, names)
    found = tuple(dict.fromkeys(name for _, _, name in spans))
    drop: set[int] = set()
    for start, stop, _ in spans:
        drop.update(range(start, stop))
    changed = True
    while changed:  # "Anna and Ben", "with Anna": the links between and before names go with them
        changed = False
        for i, word in enumerate(folded):
            if i in drop or word.strip(",") not in CONNECTORS and word not in CONNECTORS:
                continue
            if (i + 1 in drop) and (i - 1 in drop or i == 0 or word == "with"):
                drop.add(i)
                changed = True
            elif (i - 1 in drop) and i + 1 < len(folded) and folded[i + 1] in CONNECTORS:
                continue
    left = " ".join(w for i, w in enumerate(raw) if i not in drop)
    left = " ".join(w.strip(",") if i == 0 else w for i, w in enumerate(left.split()))
    without = tuple(dict.fromkeys(fold(n) for n in negatives if fold(n) in set(names)))
    kept = [n for n in negatives if fold(n) not in set(names)]
    return left.strip(), found, without, kept
