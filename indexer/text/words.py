"""Words in a query -> photos whose text (read by OCR) holds them.

A query's words become full-text terms (``terms``): each word is one term, a part in double quotes
is one phrase term; a word (or a phrase's last word) of three or more letters also matches longer
words it begins (``pass`` finds "password").  Matching ignores case and accents (the index's
``unicode61 remove_diacritics 2`` tokenizer; the query goes through the same one).  A photo
*shows* the words (``--contains``) when its lines, together, hold every term.  A text query's
words are scored on each photo's lines by ``phrase_match`` (``find_scored``): most of the words,
side by side, near misses of OCR allowed.

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

from indexer.catalog_reading import CatalogReading
from indexer.errors import UsageError
from indexer.text import fusion as text_fusion
from indexer.text import phrase_match
from indexer.text.tables import PhotoTextTables, TextLineRow

MAX_TERMS = 12  # words (or phrases) of a query used for matching text; the rest are left to CLIP
MAX_TERM_CHARS = 64
MIN_PREFIX_CHARS = 3
MAX_QUERY_CHARS = 1000
MAX_CANDIDATES = 2000  # photos whose lines a text query's words are scored on (the index proposes them)
MAX_SCORED_LINES = 50_000  # lines scored per query: bounds a query for a common word
SCORE_CHUNK = 200  # photos whose lines are loaded at a time
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
    phrase: float = 1.0  # the share of them standing next to each other, in order, on the best line
    precision: float = 1.0  # the share of the best line's words that are the query's


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


def find(catalog: CatalogReading, text: str, within: set[int] | None = None) -> dict[int, WordMatch]:
    """Photos (among ``within``, if given) whose text holds every term of ``text`` (``--contains``)."""
    wanted = terms(text)
    found = PhotoTextTables(catalog).photos_with_terms(wanted, within)
    return {pid: _match(lines, held, len(wanted)) for pid, (held, lines) in found.items() if lines}


def find_scored(catalog: CatalogReading, text: str, within: set[int] | None = None) -> dict[int, WordMatch]:
    """A text query's words in photos (``phrase_match``): the photos (among ``within``) whose text
    shows at least ``MIN_COVERAGE`` of the query's significant words, a word read one letter off
    counting partly.  The full-text index proposes the photos holding
    all but one of the words needed (the other may be misread); at most ``MAX_CANDIDATES`` of them,
    those holding the most first, are scored on all their lines, until ``MAX_SCORED_LINES`` lines
    have been scored."""
    words = [w for w in phrase_match.tokens(text[:MAX_QUERY_CHARS]) if significant(w)]
    words = list(dict.fromkeys(words))[:MAX_TERMS]
    if not words:
        return {}
    wanted = ['"' + w + '"' + ("*" if len(w) >= MIN_PREFIX_CHARS and not w.isdigit() else "") for w in words]
    need = max(1, math.ceil(text_fusion.MIN_COVERAGE * len(words) - 1e-9) - 1)
    tables = PhotoTextTables(catalog)
    found = tables.photos_with_terms(wanted, within, min_terms=need)
    ranked = sorted(found, key=lambda pid: (-found[pid][0], pid))[:MAX_CANDIDATES]
    out: dict[int, WordMatch] = {}
    budget = MAX_SCORED_LINES
    for start in range(0, len(ranked), SCORE_CHUNK):
        if budget <= 0:
            break
        for pid, lines in tables.photo_lines(ranked[start:start + SCORE_CHUNK]).items():
            budget -= len(lines)
            scored = phrase_match.score(words, [line.text for line in lines])
            if scored is None or scored.coverage < text_fusion.MIN_COVERAGE - 1e-9:
                continue
            best = lines[scored.line]
            out[pid] = WordMatch(best.text, tuple(lines[i].box for i in scored.shown if lines[i].box),
                                 scored.line_share >= 1.0, best.confidence, scored.coverage, scored.line_share,
                                 scored.phrase, scored.precision)
    return out


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

    def __init__(self, catalog: CatalogReading, *, text: str, contains: str, hybrid: bool,
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
        self.query_matches = find_scored(catalog, text, self.allowed) if hybrid and text.strip() else {}
        self.matches = {**self.contains, **self.query_matches}

    def fuse(self, ids: np.ndarray, scores: np.ndarray,
             rescore: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
             limit: int) -> tuple[np.ndarray, np.ndarray]:
        """CLIP's ranking (``ids``, ``scores``) fused with the photos the query's words matched."""
        if not self.query_matches:
            return ids, scores
        extra = np.array(sorted(set(self.query_matches) - set(ids.tolist())), dtype=np.int64)
        extra_ids, extra_scores = rescore(extra) if len(extra) else (extra, np.zeros(0, dtype=np.float32))
        shown = {pid: text_fusion.text_score(m.coverage, m.phrase, m.precision)
                 for pid, m in self.query_matches.items()}
        return text_fusion.fuse(
            np.concatenate([ids, extra_ids]), np.concatenate([scores, extra_scores]).astype(np.float32),
            shown, limit, method=self.fusion,
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


__all__ = ["Box", "WordMatch", "WordsInPhotos", "find", "find_scored", "hit_text", "terms"]
