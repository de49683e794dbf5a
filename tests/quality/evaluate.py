"""Measure query quality on a held-out generated world.

    python -m tests.quality.evaluate [--bundle tests/fixtures/toyclip] [--json OUT]

Builds a gallery of world photos (every composed-query target and every
text-query image holds an attribute combination never seen in training),
writes it as JPEG files, and scores four kinds of query:

- text -> image: the canonical caption of each held-out gallery photo;
  relevant = every gallery photo with the same shape, colour, count, size,
  setting and time of day;
- sketch -> image: hand-drawn sketches (world.render_sketch) of each shape
  and count; relevant = photos with that shape and count; plain encoding vs
  the domain shift ``n(e_s - mu_sketch + mu_photo)``;
- sketch + words: a sketch with a colour word typed beside it, fused with
  the weighted sum; relevant = photos of that shape and colour;
- image + edit: a reference photo and a one-attribute edit ("make it red",
  "on grass", "three of them", "at night"); relevant = photos equal to the
  reference with that attribute changed (the reference itself is left out).
  Baselines image-only, text-only, plain sum; weighted sum a in 0.3..0.9;
  Harris/product fusion.

Two rankings are reported: **exact**, from the product's Encoder vectors and
the product's scoring functions (indexer.clip.recipes), which gives every
recipe; and **pipeline**, where the gallery is indexed through the real
library (Library.open / add_folder / index) and each query goes through
the library's reader (``Library.reader().search``) with its defaults (and
``weight=`` for the sweep).
Recall@K = fraction of queries with at least one relevant photo in the top K.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from indexer.clip import recipes as qr
from tests.quality import world

DEFAULT_BUNDLE = Path(__file__).resolve().parents[1] / "fixtures" / "toyclip"
EDIT_ATTRIBUTES = ("colour", "setting", "count", "night")
WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
KS = (1, 10)


def _key(scene: world.Scene) -> tuple:
    return (scene.shape, scene.colour, scene.count, scene.size, scene.setting, scene.night)


@dataclass
class EditQuery:
    reference: int                 # gallery index of the reference photo
    text: str
    attribute: str
    relevant: frozenset[int]


@dataclass
class SketchQuery:
    image: Image.Image
    shape: str
    count: int
    relevant: frozenset[int]       # same shape and count
    words: str = ""                # optional colour word typed beside the sketch
    relevant_words: frozenset[int] = frozenset()
    relevant_shape: frozenset[int] = frozenset()   # same shape, any count


@dataclass
class EvalSet:
    scenes: list[world.Scene]
    text_queries: list[tuple[str, frozenset[int]]]
    sketch_queries: list[SketchQuery]
    edit_queries: list[EditQuery]
    files: list[Path] = field(default_factory=list)


def build_eval_set(seed: int = 2024, groups: int = 30, fillers: int = 120,
                   sketches_per_shape_count: int = 4) -> EvalSet:
    """The held-out gallery and its queries, deterministic from ``seed``."""
    rng = np.random.default_rng(seed)
    scenes: list[world.Scene] = []
    pending: list[tuple[int, str, str]] = []      # (reference index, edit text, attribute) -> target key
    targets: list[tuple] = []
    for g in range(groups):
        target = world.sample_scene(rng, heldout=True)
        if g % 3 == 0:
            target = target.with_(night=True)
        scenes.append(target)
        tkey = _key(target)
        for attr in EDIT_ATTRIBUTES:
            if attr == "night":
                others = [False] if target.night else []
            else:
                pool = {"colour": world.COLOUR_NAMES, "setting": world.SETTINGS, "count": world.COUNTS}[attr]
                cur = getattr(target, attr)
                others = [x for x in pool if x != cur]
                others = [others[i] for i in rng.choice(len(others), 2, replace=False)]
            for value in others:
                ref = target.with_(**{attr: value})
                scenes.append(ref)
                value_t = getattr(target, attr)
                text = world.edit_text(attr, value_t, count=ref.count, variant=int(rng.integers(0, 3)))
                pending.append((len(scenes) - 1, text, attr))
                targets.append(tkey)
    scenes.extend(world.sample_scene(rng, heldout=None) for _ in range(fillers))
    keys = [_key(s) for s in scenes]
    edit_queries = [EditQuery(ref, text, attr, frozenset(i for i, k in enumerate(keys) if k == tkey and i != ref))
                    for (ref, text, attr), tkey in zip(pending, targets)]

    text_queries = []
    for i, s in enumerate(scenes):
        if world.is_heldout(s):
            text_queries.append((world.caption(s), frozenset(j for j, k in enumerate(keys) if k == keys[i])))

    sketch_queries = []
    for shape in world.SHAPES:
        for count in world.COUNTS:
            rel = frozenset(world.scenes_matching(scenes, shape=shape, count=count))
            for _k in range(sketches_per_shape_count):
                sk_seed = int(rng.integers(0, 2**31 - 1))
                colour = str(rng.choice(world.COLOUR_NAMES))
                rel_w = frozenset(world.scenes_matching(scenes, shape=shape, colour=colour))
                sketch_queries.append(SketchQuery(world.render_sketch(shape, count, sk_seed), shape, count,
                                                  rel, colour, rel_w,
                                                  frozenset(world.scenes_matching(scenes, shape=shape))))
    return EvalSet(scenes, text_queries, sketch_queries, edit_queries)


def write_gallery(ev: EvalSet, folder: Path) -> None:
    """Write the gallery photos as JPEG files (with manifest.json) into ``folder``."""
    world.write_photos(ev.scenes, folder)
    ev.files = [folder / f"photo_{i:05d}.jpg" for i in range(len(ev.scenes))]


# --------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------

def recall_at(rankings: Sequence[Sequence[int]], relevant: Sequence[frozenset[int]], k: int) -> float:
    """Fraction of queries with a relevant item among the first ``k`` ranked."""
    hits = [bool(set(r[:k]) & rel) for r, rel in zip(rankings, relevant) if rel]
    return float(np.mean(hits)) if hits else float("nan")


def chance_recall(n: int, relevant: Sequence[frozenset[int]], k: int, excluded: int = 0) -> float:
    """Expected Recall@k of a random ranking of ``n - excluded`` items."""
    m = n - excluded
    vals = [1.0 - math.comb(m - len(r), k) / math.comb(m, k) for r in relevant if r]
    return float(np.mean(vals))


def rank(scores: np.ndarray, exclude: int | None = None, k: int = max(KS)) -> list[int]:
    s = np.array(scores, np.float32, copy=True)
    if exclude is not None:
        s[exclude] = -np.inf
    top = np.argpartition(-s, min(k, len(s) - 1))[:k]
    return [int(i) for i in top[np.argsort(-s[top], kind="stable")]]


def _row(name: str, rankings, relevant) -> dict:
    return {"query": name, **{f"R@{k}": round(100 * recall_at(rankings, relevant, k), 1) for k in KS}}


# --------------------------------------------------------------------------
# Exact evaluation from Encoder vectors
# --------------------------------------------------------------------------

@dataclass
class Vectors:
    gallery: np.ndarray
    text: np.ndarray               # text queries
    sketch: np.ndarray
    sketch_words: np.ndarray
    edit_text: np.ndarray
    mu_photo: np.ndarray
    mu_sketch: np.ndarray
    mu_text: np.ndarray


def encode_all(encoder, ev: EvalSet, *, edge_sample: int = 100) -> Vectors:
    """Every vector the recipes need, through the product's Encoder."""
    gallery = encoder.encode_images([str(p) for p in ev.files])
    sample = ev.files[:: max(1, len(ev.files) // edge_sample)][:edge_sample]
    edges = [Image.fromarray(qr.edge_map(np.asarray(Image.open(p).convert("RGB")))) for p in sample]
    return Vectors(
        gallery=gallery,
        text=encoder.encode_texts([t for t, _ in ev.text_queries]),
        sketch=encoder.encode_images([q.image for q in ev.sketch_queries]),
        sketch_words=encoder.encode_texts([q.words for q in ev.sketch_queries]),
        edit_text=encoder.encode_texts([q.text for q in ev.edit_queries]),
        mu_photo=qr.gallery_mean(gallery),
        mu_sketch=qr.gallery_mean(encoder.encode_images(edges)),
        mu_text=qr.gallery_mean(encoder.encode_texts(list(qr.GENERIC_PHRASES))),
    )


def evaluate_exact(ev: EvalSet, vec: Vectors) -> dict[str, list[dict]]:
    """Every recipe, ranked exactly from the vectors with indexer.clip.recipes."""
    X = vec.gallery
    out: dict[str, list[dict]] = {}

    rel = [r for _, r in ev.text_queries]
    out["text"] = [_row("text", [rank(s) for s in vec.text @ X.T], rel),
                   {"query": "chance", **{f"R@{k}": round(100 * chance_recall(len(X), rel, k), 1) for k in KS}}]

    rel_s = [q.relevant for q in ev.sketch_queries]
    shifted = qr.domain_shift(vec.sketch, vec.mu_sketch, vec.mu_photo)
    rel_sh = [q.relevant_shape for q in ev.sketch_queries]
    plain_r = [rank(s) for s in vec.sketch @ X.T]
    shift_r = [rank(s) for s in shifted @ X.T]
    rows = [_row("sketch: plain", plain_r, rel_s),
            _row("sketch: domain shift", shift_r, rel_s),
            {"query": "chance", **{f"R@{k}": round(100 * chance_recall(len(X), rel_s, k), 1) for k in KS}},
            _row("sketch, shape only: plain", plain_r, rel_sh),
            _row("sketch, shape only: domain shift", shift_r, rel_sh),
            {"query": "sketch, shape only: chance",
             **{f"R@{k}": round(100 * chance_recall(len(X), rel_sh, k), 1) for k in KS}}]
    rel_w = [q.relevant_words for q in ev.sketch_queries]
    for name, base in (("plain", vec.sketch), ("domain shift", shifted)):
        for a in (0.3, 0.5, 0.6, 0.7):
            q = qr.weighted_sum(base, vec.sketch_words, a)
            rows.append(_row(f"sketch + colour word: {name}, weighted a={a}", [rank(s) for s in q @ X.T], rel_w))
    rows.append({"query": "sketch + colour word: chance",
                 **{f"R@{k}": round(100 * chance_recall(len(X), rel_w, k), 1) for k in KS}})
    out["sketch"] = rows

    rel_e = [q.relevant for q in ev.edit_queries]
    refs = [q.reference for q in ev.edit_queries]
    V, T = X[refs], vec.edit_text

    def ranks(S):
        return [rank(s, exclude=r) for s, r in zip(S, refs)]

    rows = [_row("image only", ranks(V @ X.T), rel_e),
            _row("text only", ranks(T @ X.T), rel_e),
            _row("plain sum n(v+t)", ranks(qr.weighted_sum(V, T, 0.5) @ X.T), rel_e)]
    for a in WEIGHTS:
        rows.append(_row(f"weighted sum a={a}", ranks(qr.weighted_sum(V, T, a) @ X.T), rel_e))
    for a in (0.5, 0.6, 0.7):
        S = qr.harris_scores(X, V, T, mu_image=vec.mu_photo, mu_text=vec.mu_text, a=a)
        rows.append(_row(f"harris/product a={a}", ranks(S), rel_e))
    default = qr.composed_scores(X, V, T, mu_image=vec.mu_photo, mu_text=vec.mu_text)
    rows.append(_row(f"default ({qr.DEFAULT_EDIT_RECIPE} a={qr.DEFAULT_EDIT_WEIGHT})", ranks(default), rel_e))
    rows.append({"query": "chance",
                 **{f"R@{k}": round(100 * chance_recall(len(X), rel_e, k, excluded=1), 1) for k in KS}})
    # per edit attribute, default recipe vs baselines
    for attr in EDIT_ATTRIBUTES:
        sel = [i for i, q in enumerate(ev.edit_queries) if q.attribute == attr]
        if not sel:
            continue
        sub_rel = [rel_e[i] for i in sel]
        sub_refs = [refs[i] for i in sel]
        for name, S in (("image only", V[sel] @ X.T), ("text only", T[sel] @ X.T),
                        ("plain sum", qr.weighted_sum(V[sel], T[sel], 0.5) @ X.T),
                        (f"default ({qr.DEFAULT_EDIT_RECIPE} a={qr.DEFAULT_EDIT_WEIGHT})", default[sel])):
            rows.append(_row(f"[{attr}, n={len(sel)}] {name}",
                             [rank(s, exclude=r) for s, r in zip(S, sub_refs)], sub_rel))
    out["edit"] = rows
    return out


# --------------------------------------------------------------------------
# Pipeline evaluation through the real library
# --------------------------------------------------------------------------

PIPELINE_WEIGHTS = (0.3, 0.5, 0.6, 0.7, 0.9)


def evaluate_pipeline(ev: EvalSet, folder: Path, bundle: Path, library_dir: Path,
                      weights: Sequence[float] = PIPELINE_WEIGHTS) -> dict[str, list[dict]]:
    """Index ``folder`` through the library and query it with its reader's ``search``.

    Every row goes through the product's search (HNSW candidates, exact
    rescoring, the reference photo left out); ``recipe``, ``weight`` and
    ``sketch_shift`` select the alternatives, and the "(default)" rows leave
    them unset so the measured defaults of ``indexer.clip.recipes`` apply.
    """
    from indexer.library import Library
    from indexer.search import Query

    index_of = {p.name: i for i, p in enumerate(ev.files)}
    lib = Library.open(library_dir, model=str(bundle))
    try:
        lib.add_folder(folder)
        for _ in lib.index():
            pass

        reader = lib.reader()

        def run(**kw) -> list[int]:
            hits = reader.search(Query(limit=max(KS), **kw))
            return [index_of[Path(h.path).name] for h in hits if Path(h.path).name in index_of]

        out: dict[str, list[dict]] = {}
        out["text"] = [_row("text (default)", [run(text=t) for t, _ in ev.text_queries],
                            [r for _, r in ev.text_queries])]
        sketch_dir = Path(tempfile.mkdtemp(prefix="sketches-", dir=library_dir.parent))
        paths = []
        for i, q in enumerate(ev.sketch_queries):
            p = sketch_dir / f"sketch_{i:04d}.png"
            q.image.save(p)
            paths.append(p)
        rel_s = [q.relevant for q in ev.sketch_queries]
        rel_w = [q.relevant_words for q in ev.sketch_queries]
        out["sketch"] = [
            _row(f"sketch (default: shift={qr.DEFAULT_SKETCH_SHIFT})", [run(sketch=p) for p in paths], rel_s),
            _row("sketch: plain", [run(sketch=p, sketch_shift=False) for p in paths], rel_s),
            _row("sketch: domain shift", [run(sketch=p, sketch_shift=True) for p in paths], rel_s),
            _row("sketch + colour word (library default)",
                 [run(sketch=p, text=q.words) for p, q in zip(paths, ev.sketch_queries)], rel_w),
            _row(f"sketch + colour word: shift, a={qr.DEFAULT_SKETCH_WORDS_WEIGHT}",
                 [run(sketch=p, text=q.words, sketch_shift=True, weight=qr.DEFAULT_SKETCH_WORDS_WEIGHT)
                  for p, q in zip(paths, ev.sketch_queries)], rel_w)]
        rel_e = [q.relevant for q in ev.edit_queries]
        refs = [ev.files[q.reference] for q in ev.edit_queries]
        texts = [q.text for q in ev.edit_queries]
        rows = [_row("image only", [run(image=r) for r in refs], rel_e),
                _row("text only", [run(text=t) for t in texts], rel_e),
                _row(f"image + edit (default: {qr.DEFAULT_EDIT_RECIPE} a={qr.DEFAULT_EDIT_WEIGHT})", [run(image=r, text=t) for r, t in zip(refs, texts)], rel_e)]
        for a in weights:
            rows.append(_row(f"weighted sum a={a}",
                             [run(image=r, text=t, weight=a, recipe="weighted_sum") for r, t in zip(refs, texts)],
                             rel_e))
        rows.append(_row("harris/product a=0.5",
                         [run(image=r, text=t, weight=0.5, recipe="harris") for r, t in zip(refs, texts)], rel_e))
        out["edit"] = rows
        return out
    finally:
        lib.close()


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

def format_tables(results: dict[str, dict[str, list[dict]]]) -> str:
    lines = []
    for mode, sections in results.items():
        for section, rows in sections.items():
            lines.append(f"\n### {section} ({mode})\n")
            lines.append("| query | " + " | ".join(f"R@{k}" for k in KS) + " |")
            lines.append("|---|" + "---:|" * len(KS))
            for r in rows:
                lines.append(f"| {r['query']} | " + " | ".join(f"{r[f'R@{k}']:.1f}" for k in KS) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="query quality on the held-out generated world")
    ap.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--groups", type=int, default=30)
    ap.add_argument("--fillers", type=int, default=120)
    ap.add_argument("--json", type=Path, help="also write the results as JSON")
    ap.add_argument("--no-pipeline", action="store_true", help="exact rankings only (skip the library)")
    args = ap.parse_args(argv)

    from indexer.models.encoder import Encoder

    t0 = time.monotonic()
    ev = build_eval_set(args.seed, args.groups, args.fillers)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="photoseek-quality-") as tmp:
        folder = Path(tmp) / "photos"
        write_gallery(ev, folder)
        encoder = Encoder(args.bundle, threads=1)
        try:
            vec = encode_all(encoder, ev)
        finally:
            encoder.close()
        results["exact"] = evaluate_exact(ev, vec)
        if not args.no_pipeline:
            try:
                results["pipeline"] = evaluate_pipeline(ev, folder, args.bundle, Path(tmp) / "library")
            except ImportError as exc:
                print(f"pipeline evaluation skipped: {exc}", file=sys.stderr)
    summary = {"gallery": len(ev.scenes), "text_queries": len(ev.text_queries),
               "sketch_queries": len(ev.sketch_queries), "edit_queries": len(ev.edit_queries),
               "bundle": str(args.bundle), "seed": args.seed, "seconds": round(time.monotonic() - t0, 1)}
    print(json.dumps(summary))
    print(format_tables(results))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
