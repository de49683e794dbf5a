"""Measure the best-matches cut against fixed score thresholds on the generated world.

    python -m tests.quality.best_matches [--bundle tests/fixtures/toyclip]

For each query the "best matches" block is every result at or above the cut;
its precision (relevant results in the block / block size; 1 for an empty
block) and recall (relevant results in the block / relevant photos) are
averaged over the queries.  The cut is ``indexer.best_matches`` at each level
(background: the query scored over the whole gallery, which is what the
library's photo sample is below 2,000 photos); the fixed thresholds are the
same for every query.  Query sets (the world of tests/quality/evaluate.py,
seed 2024):

- text, exact: the caption of each held-out photo; relevant = photos with the
  same shape, colour, count, size, setting and time of day;
- text, shape + colour: the same captions; relevant = photos of that shape and
  colour (what a person would accept as a match);
- image + edit: a reference photo and a one-attribute edit, weighted sum at the
  default weight; relevant = the edited target;
- absent: captions of scenes the gallery does not hold (no photo has that
  shape, colour and setting); the right block is empty, and the figure is the
  fraction of queries whose block is empty.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from indexer.best_matches import LEVELS, ScoreBackground, best_flags
from indexer.clip import recipes as qr
from tests.quality import evaluate, world

FIXED = (0.4, 0.5, 0.55, 0.6, 0.65, 0.7)
Rule = Callable[[np.ndarray], np.ndarray]  # the scores of one query over the gallery -> which are in the block


def block_figures(scores: np.ndarray, relevant: Sequence[frozenset[int]], rule: Rule) -> dict[str, float]:
    """Mean precision, recall, F1 and block size of ``rule`` over the queries (rows of ``scores``)."""
    p, r, f, n = [], [], [], []
    for s, rel in zip(scores, relevant):
        chosen = set(np.nonzero(rule(s))[0].tolist())
        hits = len(chosen & rel)
        precision = hits / len(chosen) if chosen else 1.0
        recall = hits / len(rel) if rel else 1.0
        p.append(precision)
        r.append(recall)
        f.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
        n.append(len(chosen))
    return {"P": float(np.mean(p)), "R": float(np.mean(r)), "F1": float(np.mean(f)), "n": float(np.mean(n))}


def cut_rule(level: int) -> Rule:
    def rule(s: np.ndarray) -> np.ndarray:
        order = np.argsort(-s, kind="stable")
        flags = np.zeros(len(s), dtype=bool)
        flags[order] = best_flags(s[order], ScoreBackground.of(s), level)
        return flags
    return rule


def fixed_rule(threshold: float) -> Rule:
    return lambda s: s >= threshold


def rules() -> list[tuple[str, Rule]]:
    return ([(f"per-query cut, level {level:+d}", cut_rule(level)) for level in LEVELS]
            + [(f"fixed threshold {t:.2f}", fixed_rule(t)) for t in FIXED])


def absent_captions(ev: evaluate.EvalSet, count: int, seed: int = 7) -> list[str]:
    """Captions of scenes with a shape, colour and setting that no gallery photo has."""
    held = {(s.shape, s.colour, s.setting) for s in ev.scenes}
    rng = np.random.default_rng(seed)
    out: list[str] = []
    while len(out) < count:
        scene = world.sample_scene(rng, heldout=None)
        if (scene.shape, scene.colour, scene.setting) not in held:
            out.append(world.caption(scene))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bundle", type=Path, default=evaluate.DEFAULT_BUNDLE)
    args = parser.parse_args(argv)
    from indexer.models.encoder import Encoder

    ev = evaluate.build_eval_set()
    with tempfile.TemporaryDirectory() as tmp:
        evaluate.write_gallery(ev, Path(tmp))
        encoder = Encoder(args.bundle, providers=["cpu"])
        vec = evaluate.encode_all(encoder, ev)
        absent = encoder.encode_texts(absent_captions(ev, 100))
    X = vec.gallery
    text = vec.text @ X.T
    exact = [r for _, r in ev.text_queries]
    loose = [frozenset(world.scenes_matching(ev.scenes, shape=ev.scenes[min(r)].shape,
                                             colour=ev.scenes[min(r)].colour)) for r in exact]
    refs = [q.reference for q in ev.edit_queries]
    edit = qr.weighted_sum(X[refs], vec.edit_text, qr.DEFAULT_EDIT_WEIGHT) @ X.T
    edit[np.arange(len(refs)), refs] = -np.inf  # the reference itself is left out, as the library does
    edit_rel = [q.relevant for q in ev.edit_queries]
    sets = [("text, exact", text, exact), ("text, shape + colour", text, loose), ("image + edit", edit, edit_rel)]
    print(f"gallery {len(X)} photos; queries: text {len(exact)}, image + edit {len(refs)}, absent {len(absent)}")
    header = "| rule | " + " | ".join(f"{name}: P / R / F1 (n)" for name, _, _ in sets) + " | absent: empty |"
    print(header)
    print("|" + "---|" * (len(sets) + 2))
    absent_scores = absent @ X.T
    for name, rule in rules():
        cells = []
        for _, scores, relevant in sets:
            finite = np.where(np.isfinite(scores), scores, -1.0)
            fig = block_figures(finite, relevant, rule)
            cells.append(f"{fig['P']:.2f} / {fig['R']:.2f} / {fig['F1']:.2f} ({fig['n']:.1f})")
        empty = float(np.mean([not rule(s).any() for s in absent_scores]))
        print(f"| {name} | " + " | ".join(cells) + f" | {empty:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
