"""Which results are *best matches*: a cut chosen per query from its score distribution.

A fixed score threshold fails per query: how high a true match scores depends
on the model, the kind of query and the words.  So the cut is placed relative
to the query's own scores: with ``mu`` the mean score of the query over a
sample of the library (the gallery statistics) and ``top`` its best score,
a result is a best match when

    score >= mu + f * (top - mu)

where ``f`` (the fraction of the way from an ordinary photo to the best one)
is chosen by a level the user can widen or narrow.  When even the best score
stands less than ``MIN_TOP_Z`` standard deviations above ``mu`` the scores
are flat: nothing stands out and there are no best matches.  (This is a guard
for flat scores, not a detector of queries the library holds no answer for:
measured, the best score of such a query stands out about as far as a real
match's.)  Measured against fixed thresholds on the generated world:
docs/quality.md ("Best matches"), ``python -m tests.quality.best_matches``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEVELS = (-2, -1, 0, 1, 2)  # narrowest .. widest; 0 is the default
FRACTIONS = {-2: 0.97, -1: 0.95, 0: 0.9, 1: 0.8, 2: 0.65}  # f by level (measured: docs/quality.md)
MIN_TOP_Z = 1.0  # below this many standard deviations above the mean the scores are flat: no best match


@dataclass(frozen=True)
class ScoreBackground:
    """How the query scores an ordinary photo of the library: mean and standard deviation."""

    mean: float
    std: float

    @classmethod
    def of(cls, scores: np.ndarray) -> ScoreBackground:
        """The background of ``scores``: the query scored against a sample of the library."""
        values = np.asarray(scores, dtype=np.float64).ravel()
        values = values[np.isfinite(values)]
        if not len(values):
            return cls(0.0, 0.0)
        return cls(float(values.mean()), float(values.std()))


def clamp_level(level: int) -> int:
    """``level`` within ``LEVELS``."""
    return max(LEVELS[0], min(LEVELS[-1], int(level)))


def best_threshold(top: float, background: ScoreBackground, level: int = 0) -> float | None:
    """The lowest score of a best match for a query whose best score is ``top``; None when nothing
    stands out (then no result is a best match)."""
    if not np.isfinite(top) or top - background.mean < MIN_TOP_Z * background.std or top <= background.mean:
        return None
    return background.mean + FRACTIONS[clamp_level(level)] * (top - background.mean)


def best_flags(scores: np.ndarray, background: ScoreBackground, level: int = 0) -> np.ndarray:
    """For scores sorted best first: which are best matches (a leading block, possibly empty)."""
    values = np.asarray(scores, dtype=np.float64)
    if not len(values):
        return np.zeros(0, dtype=bool)
    threshold = best_threshold(float(values[0]), background, level)
    if threshold is None:
        return np.zeros(len(values), dtype=bool)
    flags: np.ndarray = values >= threshold
    return flags
