"""How well a photo's lines of text (read by OCR) show a query's words (pure; no database).

The full-text index finds the photos that hold some of the words; this scores each of them on
everything it read, so the photo that really shows the phrase ranks first:

- **words**: each query word is found in the photo's best token for it: the same word, a longer
  word it begins (``pass`` -> "password", as the index does), or, for a word of ``FUZZY_MIN_CHARS``
  or more letters, a word one character away (OCR misreads one letter: "meadoı", "zephy"); such a
  near miss counts ``NEAR_MISS`` of a word.  Numbers must match exactly (a misread number is another
  number).  Letters and digits glued together by the reader ("brûlée751") are split.
- **coverage**: the share of the query's words the photo shows (weighting rare words higher, an
  IDF, changed no ranking on the test set: docs/quality.md);
- **phrase**: on the photo's best line, the longest run of query words that stand next to each
  other in the query's order, as a share of the words;
- **precision**: how much of that line is the query's words (a sign that says just "ivory walnut"
  is about those words more than a page row that holds them among others: the length
  normalisation of BM25, at the line's scale).

Tokens are case- and accent-folded like the index's ``unicode61 remove_diacritics 2`` tokenizer.
Cost is bounded by the caller (lines per photo, photos scored) and by ``MAX_WORDS``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

FUZZY_MIN_CHARS = 5  # shorter words must be read exactly (one letter off in "cat" is another word)
NEAR_MISS = 0.75  # a word read one character off counts this much of a word
PREFIX_MIN_CHARS = 3  # as ``photo_words.MIN_PREFIX_CHARS``: longer words also match as a prefix
MAX_WORDS = 12
MAX_TOKEN_CHARS = 64
_TOKEN = re.compile(r"\d+|[^\W\d_]+")


def fold(text: str) -> str:
    """Lower case, accents removed (what the full-text index compares)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    """Folded words of ``text``; runs of letters and of digits are separate words ("brulee751" -> 2)."""
    return [t[:MAX_TOKEN_CHARS] for t in _TOKEN.findall(fold(text))]


def word_match(word: str, token: str) -> float:
    """How well ``token`` (read in a photo) shows ``word`` (of the query; both folded): 1, ``NEAR_MISS``
    or 0."""
    if token == word:
        return 1.0
    if word.isdigit() or token.isdigit():
        return 0.0
    if len(word) >= PREFIX_MIN_CHARS and token.startswith(word):
        return 1.0
    if len(word) >= FUZZY_MIN_CHARS and _within_one_edit(word, token):
        return NEAR_MISS
    return 0.0


def _within_one_edit(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with at most one character replaced, inserted or deleted."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) <= 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1:]


@dataclass(frozen=True)
class PhraseScore:
    """How a photo shows the query's words: ``coverage`` (share of the words shown, near
    misses counted partly), ``phrase`` (share of the words standing together in order on the best
    line), ``precision`` (share of the best line's words that are the query's), ``line`` (index of
    the best line in the lines given), ``line_share`` (share of the words on that line) and ``shown``
    (indexes of the lines that show any of the words)."""

    coverage: float
    phrase: float
    precision: float
    line: int
    line_share: float
    shown: tuple[int, ...] = ()


def score(words: Sequence[str], lines: Sequence[str]) -> PhraseScore | None:
    """Score ``lines`` (one photo's text) for the query ``words`` (folded, as from ``tokens``).
    None when no word is shown at all."""
    words = list(words[:MAX_WORDS])
    if not words:
        return None
    shown = [0.0] * len(words)
    best: tuple[float, float, float, float] | None = None
    best_line = -1
    showing: list[int] = []
    for index, line in enumerate(lines):
        line_tokens = tokens(line)
        if not line_tokens:
            continue
        grid = [[word_match(w, t) for t in line_tokens] for w in words]
        on_line = [max(row) for row in grid]
        for i, value in enumerate(on_line):
            shown[i] = max(shown[i], value)
        held = sum(on_line) / len(words)
        if held <= 0:
            continue
        showing.append(index)
        run = _longest_run(grid) / len(words)
        used = sum(1 for j in range(len(line_tokens)) if any(row[j] > 0 for row in grid))
        precision = used / len(line_tokens)
        key = (held, run, precision, sum(1 for v in on_line if v > 0) / len(words))
        if best is None or key[:3] > best[:3]:
            best, best_line = key, index
    if best is None:
        return None
    return PhraseScore(sum(shown) / len(words), best[1], best[2], best_line, best[3], tuple(showing))


def _longest_run(grid: list[list[float]]) -> int:
    """The most query words (consecutive in the query) matched by consecutive tokens, in order."""
    longest = 0
    rows, cols = len(grid), len(grid[0]) if grid else 0
    for i in range(rows):
        for j in range(cols):
            n = 0
            while i + n < rows and j + n < cols and grid[i + n][j + n] > 0:
                n += 1
            longest = max(longest, n)
    return longest


__all__ = ["PhraseScore", "fold", "score", "tokens", "word_match"]
