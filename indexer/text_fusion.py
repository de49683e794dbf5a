"""Fusing CLIP's ranking with the photos whose text holds the query's words (pure maths).

Two ways, measured on the same set (docs/quality.md, "Text in photos"):

- ``boost`` (the default): a photo whose text holds a share ``c`` of the query's words (at least
  ``MIN_COVERAGE``; words of one or two letters do not count), ``l`` of them on its best line,
  scores its cosine plus ``TEXT_BOOST * c + TOGETHER_BONUS * l``, so it ranks above every photo
  without the words, and words standing together on a line beat the same words scattered over a
  page; among photos with the same words, and among the others, CLIP decides as before.
- ``rrf``: reciprocal-rank fusion, ``1/(K + CLIP rank) + 1/(K + text rank)`` (text rank: the
  photos with the words together first, then by cosine); photos without the words keep only
  their CLIP term.

Either way a query whose words no photo shows ranks exactly as CLIP alone.
"""

from __future__ import annotations

import numpy as np

TEXT_BOOST = 1.0  # cosines lie in [-1, 1]: a photo showing the words ranks above any that does not
MIN_COVERAGE = 0.6  # a photo must show this share of a text query's words (one misread word of three)
TOGETHER_BONUS = 0.25
RRF_K = 60
FUSIONS = ("boost", "rrf")
DEFAULT_FUSION = "boost"


def fuse(ids: np.ndarray, scores: np.ndarray, matched: dict[int, float], together: dict[int, float], limit: int,
         *, method: str = DEFAULT_FUSION) -> tuple[np.ndarray, np.ndarray]:
    """The best ``limit`` of ``ids`` (with their CLIP cosines ``scores``) after fusing in the photos
    that ``matched`` the words (photo id -> share of the words it shows; ``together``: photo id ->
    share of them its best line holds).  Returns (ids, fused scores), best first."""
    if not len(ids):
        return ids, scores
    clip_order = np.argsort(-scores, kind="stable")
    ids, scores = ids[clip_order], scores[clip_order].astype(np.float64)
    coverage = np.array([matched.get(pid, 0.0) for pid in ids.tolist()])
    shows = coverage > 0
    line_share = np.array([together.get(pid, 0.0) for pid in ids.tolist()])
    joined = line_share >= 1.0
    if method == "boost":
        fused = scores + TEXT_BOOST * coverage + TOGETHER_BONUS * line_share
    elif method == "rrf":
        clip_rank = np.arange(1, len(ids) + 1, dtype=np.float64)
        text_key = np.where(shows, np.where(joined, 0, 1), 2)  # together, then by coverage and line, by cosine
        text_order = np.lexsort((np.arange(len(ids)), -line_share, -coverage, text_key))
        text_rank = np.empty(len(ids), dtype=np.float64)
        text_rank[text_order] = np.arange(1, len(ids) + 1)
        fused = 1.0 / (RRF_K + clip_rank) + np.where(shows, 1.0 / (RRF_K + text_rank), 0.0)
    else:
        raise ValueError(f"unknown fusion {method!r} (one of {', '.join(FUSIONS)})")
    order = np.argsort(-fused, kind="stable")[:limit]
    return ids[order], fused[order].astype(np.float32)
