"""Words in a query -> photos whose text (read by OCR) holds them.

A query's words become full-text terms (``terms``): each word is one term, a part in double quotes
is one phrase term; a word (or a phrase's last word) of three or more letters also matches longer
words it begins (``pass`` finds "password").  Matching ignores case and accents (the index's
``unicode61 remove_diacritics 2`` tokenizer; the query goes through the same one).  A photo
*shows* the words when its lines, together, hold every term.

``WordsInPhotos`` is what a search needs: the photos that ``--contains`` allows, the photos a text
query's words match (fused with CLIP by ``text_fusion``), and for each matched photo the line to
show and the boxes to outline.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import text_fusion
from .catalog_text import PhotoTextTables, TextLineRow
from .errors import UsageError

MAX_TERMS = 12  # words (or phrases) of a query used for matching text; the rest are left to CLIP
MAX_TERM_CHARS = 64
MIN_PREFIX_CHARS = 3
MAX_QUERY_CHARS = 1000
_TOKEN = re.compile(r"[^\W_]+")
_PART = re.compile(r'"([^"]*)"|([^"\s]+)')

Box = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class WordMatch:
    """Why a photo matched: the line to show, the boxes of every line that held a term, and whether
    one line holds them all (the words stand together)."""

    text: str
    boxes: tuple[Box, ...]
    together: bool
    confidence: float
    coverage: float = 1.0  # the share of the query's (significant) terms the photo's text holds
    line_share: float = 1.0  # the share of them its best line holds (words that stand together)


def terms(text: str) -> list[str]:
    """The FTS5 match expressions for ``text``: one per word, one per "quoted phrase" (at most
    ``MAX_TERMS``; words of one or two letters are exact, longer ones also match as a prefix)."""
    out: list[str] = []
    for phrase, word in _PART.findall(text[:MAX_QUERY_CHARS]):
        groups = [_TOKEN.findall(phrase)] if phrase else [[w] for w in _TOKEN.findall(word)]
        for words in groups:
            words = [w[:MAX_TERM_CHARS] for w in words if w]
            if not words:
                continue
            expression = '"' + " ".join(words) + '"'
            if len(words[-1]) >= MIN_PREFIX_CHARS:
                expression += "*"
            if expression not in out:
                out.append(expression)
    return out[:MAX_TERMS]


def significant(term: str) -> bool:
    """Whether a term counts for a text query's words: a phrase, a word of three or more letters, or
    a number ("a", "of", "at" would match half the library's screenshots)."""
    inner = term.strip('"*')
    return " " in inner or len(inner) >= MIN_PREFIX_CHARS or any(c.isdigit() for c in inner)


def find(catalog: PhotoTextTables, text: str, within: set[int] | None = None, *,
         coverage: float = 1.0) -> dict[int, WordMatch]:
    """Photos (among ``within``, if given) whose text holds every term of ``text``; with ``coverage``
    below 1, the photos holding at least that share of its significant terms (a text query: a
    word misread or hidden in the photo still lets it match)."""
    wanted = terms(text)
    if coverage < 1.0:
        wanted = [t for t in wanted if significant(t)]
    need = max(1, math.ceil(coverage * len(wanted) - 1e-9))
    found = catalog.photos_with_terms(wanted, within, min_terms=need)
    return {pid: _match(lines, held, len(wanted)) for pid, (held, lines) in found.items() if lines}


def _match(lines: list[tuple[int, TextLineRow]], held: int, wanted: int) -> WordMatch:
    best_terms, best = max(lines, key=lambda item: (item[0], item[1].confidence))
    share = (lambda n: min(1.0, n / wanted)) if wanted else (lambda n: 0.0)
    return WordMatch(best.text, tuple(line.box for _, line in lines if line.box), best_terms >= wanted,
                     best.confidence, share(held), share(best_terms))


class WordsInPhotos:
    """The text-in-photo part of one search.

    ``allowed``: the photos the search may return (the filters' set, narrowed to the photos that
    show the ``contains`` words when given).  ``matches``: photo id -> ``WordMatch`` for the photos
    whose text matched (``contains`` or, for a text query, the query's own words).
    """

    def __init__(self, catalog: PhotoTextTables, *, text: str, contains: str, hybrid: bool,
                 allowed: set[int] | None, fusion: str | None = None):
        self.fusion = fusion or text_fusion.DEFAULT_FUSION
        if self.fusion not in text_fusion.FUSIONS:
            raise UsageError(f"unknown text fusion {self.fusion!r} (one of {', '.join(text_fusion.FUSIONS)})")
        self.allowed = allowed
        self.contains: dict[int, WordMatch] = {}
        if contains.strip():
            if not terms(contains):
                raise UsageError("--contains needs at least one word (letters or digits)")
            self.contains = find(catalog, contains, allowed)
            self.allowed = set(self.contains)
        self.query_matches = find(catalog, text, self.allowed, coverage=text_fusion.MIN_COVERAGE) \
            if hybrid and text.strip() else {}
        self.matches = {**self.contains, **self.query_matches}

    def fuse(self, ids: np.ndarray, scores: np.ndarray,
             rescore: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
             limit: int) -> tuple[np.ndarray, np.ndarray]:
        """CLIP's ranking (``ids``, ``scores``) fused with the photos the query's words matched."""
        if not self.query_matches:
            return ids, scores
        extra = np.array(sorted(set(self.query_matches) - set(ids.tolist())), dtype=np.int64)
        extra_ids, extra_scores = rescore(extra) if len(extra) else (extra, np.zeros(0, dtype=np.float32))
        together = {pid: m.line_share for pid, m in self.query_matches.items()}
        return text_fusion.fuse(
            np.concatenate([ids, extra_ids]), np.concatenate([scores, extra_scores]).astype(np.float32),
            {pid: m.coverage for pid, m in self.query_matches.items()}, together, limit, method=self.fusion,
        )

    def ranked(self, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """Only ``contains`` (no text, image or sketch): the photos showing the words, the ones holding
        them on one line first, then by the line's confidence (the score)."""
        order = sorted(self.contains.items(), key=lambda item: (not item[1].together, -item[1].confidence, item[0]))
        order = order[:limit]
        return (np.array([pid for pid, _ in order], dtype=np.int64),
                np.array([m.confidence for _, m in order], dtype=np.float32))


def hit_text(matches: dict[int, WordMatch], photo_id: int) -> tuple[str | None, tuple[Box, ...] | None]:
    """(line, boxes) to show with a hit, or (None, None) when its text did not match."""
    match = matches.get(photo_id)
    return (match.text, match.boxes) if match is not None else (None, None)


__all__ = ["Box", "WordMatch", "WordsInPhotos", "find", "hit_text", "terms"]
