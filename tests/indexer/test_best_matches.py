"""The per-query best-matches cut: the maths, and what searches report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from indexer.best_matches import FRACTIONS, LEVELS, MIN_TOP_Z, ScoreBackground, best_flags, best_threshold
from indexer.library_reader import LibraryReader
from indexer.search import Query


def test_the_cut_sits_a_fraction_of_the_way_from_the_mean_to_the_top():
    background = ScoreBackground(mean=0.2, std=0.05)
    assert best_threshold(0.5, background) == pytest.approx(0.2 + FRACTIONS[0] * 0.3)
    scores = np.array([0.5, 0.48, 0.475, 0.3, 0.25])  # the cut: 0.2 + 0.9 * 0.3 = 0.47
    assert best_flags(scores, background).tolist() == [True, True, True, False, False]


def test_nothing_is_a_best_match_when_nothing_stands_out():
    background = ScoreBackground(mean=0.2, std=0.1)
    top = 0.2 + 0.99 * MIN_TOP_Z * 0.1
    assert best_threshold(top, background) is None
    assert not best_flags(np.array([top, 0.1]), background).any()
    assert best_flags(np.array([]), background).tolist() == []
    assert best_threshold(float("nan"), background) is None


def test_wider_levels_never_hold_fewer_photos():
    rng = np.random.default_rng(0)
    sample = rng.normal(0.2, 0.05, 2000)
    scores = np.sort(np.concatenate([rng.normal(0.2, 0.05, 200), [0.5, 0.45, 0.41, 0.38]]))[::-1]
    background = ScoreBackground.of(sample)
    counts = [int(best_flags(scores, background, level).sum()) for level in LEVELS]
    assert counts == sorted(counts) and counts[0] >= 1 and counts[-1] > counts[0]
    assert best_flags(scores, background, 99).sum() == counts[-1]  # out of range: the widest


def test_searches_mark_a_leading_block_of_best_matches(template_library):
    seven, copies = template_library.paths[7], {str(p) for p in template_library.copies}
    with LibraryReader.open(template_library.library) as reader:
        hits = reader.search(Query(image=seven, limit=40))
        flags = [h.best for h in hits]
        assert flags == sorted(flags, reverse=True)  # a leading block
        assert copies <= {str(h.path) for h in hits if h.best} and sum(flags) < len(hits)
        wide = reader.search(Query(image=seven, limit=40, best_level=LEVELS[-1]))
        narrow = reader.search(Query(image=seven, limit=40, best_level=LEVELS[0]))
        assert sum(h.best for h in narrow) <= sum(flags) <= sum(h.best for h in wide)
        edit = reader.search(Query(text="at night", image=seven, limit=10))
        assert [h.best for h in edit] == sorted((h.best for h in edit), reverse=True)
        harris = reader.search(Query(text="at night", image=seven, limit=10, recipe="harris"))
        assert [h.best for h in harris] == sorted((h.best for h in harris), reverse=True)
        assert json.loads(json.dumps(hits[0].to_json()))["best"] is True


def test_min_score_leaves_out_lower_scores(template_library):
    with LibraryReader.open(template_library.library) as reader:
        hits = reader.search(Query(text="a red circle", limit=40))
        floor = hits[5].score
        kept = reader.search(Query(text="a red circle", limit=40, min_score=floor))
    assert [h.path for h in kept] == [h.path for h in hits if h.score >= floor]
    assert [h.rank for h in kept] == list(range(1, len(kept) + 1))
