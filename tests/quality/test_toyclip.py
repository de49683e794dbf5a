"""The committed toy CLIP (tests/fixtures/toyclip) understands the generated world.

It runs through the product's model runtime (ModelBundle, Encoder) and the
product's scoring (indexer.clip.recipes) on held-out attribute combinations,
and must clear a quality floor well above chance.  A slow test checks that
the training script still produces a model that clears the same floor.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

from indexer.clip import recipes as qr
from tests.quality import evaluate, world
from tests.support.bundles import TOYCLIP

pytest.importorskip("onnxruntime")

FIXTURE = TOYCLIP


def _measure(bundle: Path, folder: Path, *, seed: int = 77, groups: int = 12, fillers: int = 60):
    from indexer.models.encoder import Encoder

    ev = evaluate.build_eval_set(seed, groups, fillers, sketches_per_shape_count=1)
    evaluate.write_gallery(ev, folder)
    enc = Encoder(bundle, threads=1)
    try:
        vec = evaluate.encode_all(enc, ev, edge_sample=40)
        zero_shot = _zero_shot(enc, vec.gallery, ev.scenes)
    finally:
        enc.close()
    zero_shot["sketch_shape_p10"], zero_shot["sketch_shape_chance"] = _sketch_shape_precision(ev, vec)
    rows = evaluate.evaluate_exact(ev, vec)
    table = {sec: {r["query"]: r for r in rs} for sec, rs in rows.items()}
    return table, zero_shot


def _sketch_shape_precision(ev, vec) -> tuple[float, float]:
    """Mean fraction of the top 10 photos that have the sketched shape (default sketch option),
    and the same for a random ranking."""
    q = vec.sketch
    if qr.DEFAULT_SKETCH_SHIFT:
        q = qr.domain_shift(q, vec.mu_sketch, vec.mu_photo)
    top = np.argsort(-(q @ vec.gallery.T), axis=1)[:, :10]
    shapes = np.array([s.shape for s in ev.scenes])
    p10 = float(np.mean([np.mean(shapes[t] == sq.shape) for t, sq in zip(top, ev.sketch_queries)]))
    chance = float(np.mean([np.mean(shapes == sq.shape) for sq in ev.sketch_queries]))
    return p10, chance


def _zero_shot(enc, X: np.ndarray, scenes: list[world.Scene]) -> dict[str, float]:
    """Accuracy of naming each photo's shape / colour / setting from a list of words."""
    out = {}
    for attr, values, texts in (
        ("shape", world.SHAPES, [f"a photo of a {s}" for s in world.SHAPES]),
        ("colour", world.COLOUR_NAMES, list(world.COLOUR_NAMES)),
        ("setting", world.SETTINGS, [world.SETTING_PHRASES[s][0] for s in world.SETTINGS]),
    ):
        T = enc.encode_texts(texts)
        pred = np.argmax(X @ T.T, axis=1)
        out[attr] = float(np.mean([values[p] == getattr(s, attr) for p, s in zip(pred, scenes)]))
    return out


def _assert_floor(table, zero_shot) -> None:
    text, chance_text = table["text"]["text"], table["text"]["chance"]
    # text -> image on held-out combinations: far above chance
    assert text["R@10"] >= 60 and text["R@10"] >= 4 * chance_text["R@10"], table["text"]
    assert text["R@1"] >= 15 and text["R@1"] >= 10 * chance_text["R@1"], table["text"]
    # every attribute is read from the pixels well above chance
    # (bare colour words, e.g. "red": 0.90 for the fixture, 0.67 for a single 1,200 s run; chance 0.11)
    assert zero_shot["colour"] >= 0.6, zero_shot
    assert zero_shot["setting"] >= 0.7, zero_shot
    assert zero_shot["shape"] >= 2.5 / len(world.SHAPES), zero_shot
    # sketch -> image: photos of the sketched shape rank above chance (default sketch option)
    assert zero_shot["sketch_shape_p10"] >= 1.25 * zero_shot["sketch_shape_chance"], zero_shot
    # image + edit: the default recipe beats both single-modality baselines, far above chance
    edit = table["edit"]
    default = edit[f"default ({qr.DEFAULT_EDIT_RECIPE} a={qr.DEFAULT_EDIT_WEIGHT})"]
    assert default["R@10"] > edit["image only"]["R@10"], edit
    assert default["R@10"] > edit["text only"]["R@10"], edit
    assert default["R@10"] >= 5 * edit["chance"]["R@10"], edit


def test_fixture_bundle_is_small_and_uses_the_real_tokenizer():
    from indexer.models.bundle import ModelBundle
    from indexer.models.encoder import Encoder

    bundle = ModelBundle.load(FIXTURE)
    files = [p for p in FIXTURE.rglob("*") if p.is_file()]
    # on disk ~12 MB, of which 3.6 MB is the real CLIP tokenizer; in git (zlib) ~2 MB, because
    # the embeddings of the ~49,300 tokens no training caption used are zeros
    assert sum(p.stat().st_size for p in files) < 13 * 1024 * 1024
    assert sum(len(zlib.compress(p.read_bytes(), 6)) for p in files) < 4 * 1024 * 1024
    assert bundle.preprocess.size == (64, 64)
    assert bundle.context_length == 32
    enc = Encoder(FIXTURE, threads=1)
    try:
        a, b, c = enc.encode_texts(["a red circle", "a red circle", "three blue stars at night"])
    finally:
        enc.close()
    assert np.allclose(a, b) and float(a @ c) < 0.999


def test_fixture_clears_the_quality_floor(tmp_path):
    table, zero_shot = _measure(FIXTURE, tmp_path / "photos")
    _assert_floor(table, zero_shot)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_training_script_still_trains_a_model_that_clears_the_floor(tmp_path):
    from tests.quality import train

    model, info = train.train(1200, seed=1)   # ~20 min wall on a busy 2-core machine
    bundle = train.export(model, tmp_path / "toyclip", info)
    assert info["steps"] > 500
    table, zero_shot = _measure(bundle, tmp_path / "photos")
    _assert_floor(table, zero_shot)
