"""Fusing CLIP's ranking with the photos whose text holds the query's words (pure maths).

A photo's **text score** (``text_score``) says how well its text shows the query's words
(``indexer.text.phrase_match``): ``TEXT_BOOST * coverage + PHRASE_BONUS * phrase + PRECISION_BONUS *
precision``, where ``coverage`` is the share of the words it shows, ``phrase``
the share standing together in the query's order on its best line, and ``precision`` the share of
that line that is the query's words.  A photo must show at least ``MIN_COVERAGE`` of the words to
get one.  Two ways to fuse, measured on the same set (docs/quality.md, "Text in photos"):

- ``boost`` (the default): the photo scores its cosine plus its text score, so a photo showing the
  words ranks above every photo without them, the phrase itself beats the same words scattered
  over a page, and among photos with the same text score (and among the others) CLIP decides.
- ``rrf``: reciprocal-rank fusion, ``1/(K + CLIP rank) + 1/(K + text rank)`` (text rank: by text
  score, then by cosine); photos without the words keep only their CLIP term.

Either way a query whose words no photo shows ranks exactly as CLIP alone.
"""

from __future__ import annotations

import numpy as np

TEXT_BOOST = 1.0  # cosines lie in [-1, 1]: a photo showing the words ranks above any that does not
MIN_COVERAGE = 0.6  # a photo must show this share of a text query's words (one misread word of three)
PHRASE_BONUS = 0.25  # all the words side by side, in order, on one line
PRECISION_BONUS = 0.25  # a line that holds nothing but the query's words
RRF_K = 60
FUSIONS = ("boost", "rrf")
DEFAULT_FUSION = "boost"


def text_score(coverage: float, phrase: float, precision: float) -> float:
    """How well a photo's text shows the query (see the module's docstring)."""
    return TEXT_BOOST * coverage + PHRASE_BONUS * phrase + PRECISION_BONUS * precision


def fuse(ids: np.ndarray, scores: np.ndarray, shown: dict[int, float], limit: int,
         *, method: str = DEFAULT_FUSION) -> tuple[np.ndarray, np.ndarray]:
    """The best ``limit`` of ``ids`` (with their CLIP cosines ``scores``) after fusing in the photos
    whose text shows the words (``shown``: photo id -> text score, see ``text_score``).
    Returns (ids, fused scores), best first."""
    if not len(ids):
        return ids, scores
    clip_order = np.argsort(-scores, kind="stable")
    ids, scores = ids[clip_order], scores[clip_order].astype(np.float64)
    text = np.array([shown.get(pid, 0.0) for pid in ids.tolist()])
    shows = text > 0
    if method == "boost":
        fused = scores + text
    elif method == "rrf":
        clip_rank = np.arange(1, len(ids) + 1, dtype=np.float64)
        text_order = np.lexsort((np.arange(len(ids)), -text))  # by text score, then by cosine
        text_rank = np.empty(len(ids), dtype=np.float64)
        text_rank[text_order] = np.arange(1, len(ids) + 1)
        fused = 1.0 / (RRF_K + clip_rank) + np.where(shows, 1.0 / (RRF_K + text_rank), 0.0)
    else:
        raise ValueError(f"unknown fusion {method!r} (one of {', '.join(FUSIONS)})")
    order = np.argsort(-fused, kind="stable")[:limit]
    return ids[order], fused[order].astype(np.float32)
