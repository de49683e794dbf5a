"""The scoring maths of indexer.clip.recipes (the formulas in its docstring)."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.clip import recipes as qr


def _unit(rng, *shape):
    return qr.normalize(rng.normal(size=shape).astype(np.float32))


def test_weighted_sum_endpoints_and_plain_sum():
    rng = np.random.default_rng(0)
    v, t = _unit(rng, 16), _unit(rng, 16)
    assert np.allclose(qr.weighted_sum(v, t, 0.0), v, atol=1e-6)
    assert np.allclose(qr.weighted_sum(v, t, 1.0), t, atol=1e-6)
    assert np.allclose(qr.weighted_sum(v, t, 0.5), qr.normalize(v + t), atol=1e-6)
    q = qr.weighted_sum(v, t, 0.7)
    assert abs(np.linalg.norm(q) - 1) < 1e-5 and q @ t > q @ v
    batch = qr.weighted_sum(np.stack([v, t]), np.stack([t, v]), 0.25)
    assert batch.shape == (2, 16) and np.allclose(batch[0], qr.weighted_sum(v, t, 0.25), atol=1e-6)
    with pytest.raises(ValueError):
        qr.weighted_sum(v, t, 1.5)


def test_harris_fusion_prefers_candidates_that_match_both_image_and_words():
    rng = np.random.default_rng(1)
    d = 32
    v, t = _unit(rng, d), _unit(rng, d)
    noise = _unit(rng, 200, d)
    both = qr.normalize(v + t)
    only_v = qr.normalize(1.6 * v + 0.1 * noise[0])
    only_t = qr.normalize(1.6 * t + 0.1 * noise[1])
    X = np.concatenate([noise, [both, only_v, only_t]]).astype(np.float32)
    mu_i = qr.gallery_mean(noise)
    s = qr.harris_scores(X, v, t, mu_image=mu_i, mu_text=np.zeros(d, np.float32))
    assert s.shape == (203,)
    assert int(np.argmax(s)) == 200                 # the AND beats either half alone
    # the plain weighted sum at a=0.5 cannot tell "both" from a strong single match as clearly
    assert s[200] - max(s[201], s[202]) > 0
    # batched queries give the same rows as single ones
    sb = qr.harris_scores(X, np.stack([v, v]), np.stack([t, t]), mu_image=mu_i,
                          mu_text=np.zeros(d, np.float32))
    assert sb.shape == (2, 203) and np.allclose(sb[0], s, atol=1e-5)


def test_harris_scores_use_the_reference_sample_for_the_percentile():
    rng = np.random.default_rng(2)
    X = _unit(rng, 50, 8)
    v, t = X[0], _unit(rng, 8)
    mu = qr.gallery_mean(X)
    full = qr.harris_scores(X, v, t, mu_image=mu, mu_text=np.zeros(8), reference=X)
    part = qr.harris_scores(X[:10], v, t, mu_image=mu, mu_text=np.zeros(8), reference=X)
    assert np.allclose(full[:10], part, atol=1e-6)  # candidate pool does not change the scores


def test_composed_scores_dispatch():
    rng = np.random.default_rng(3)
    X = _unit(rng, 20, 8)
    v, t = X[1], _unit(rng, 8)
    ws = qr.composed_scores(X, v, t, recipe="weighted_sum", a=0.6)
    assert np.allclose(ws, X @ qr.weighted_sum(v, t, 0.6), atol=1e-6)
    with pytest.raises(ValueError):
        qr.composed_scores(X, v, t, recipe="harris")
    with pytest.raises(ValueError):
        qr.composed_scores(X, v, t, recipe="nonsense")   # type: ignore[arg-type]
    assert qr.DEFAULT_EDIT_RECIPE in qr.RECIPES and 0.0 <= qr.DEFAULT_EDIT_WEIGHT <= 1.0


def test_domain_shift_moves_the_domain_mean_onto_the_gallery_mean():
    rng = np.random.default_rng(4)
    e = _unit(rng, 5, 16)
    mu_from, mu_to = e.mean(0), _unit(rng, 16) * 0.5
    shifted = qr.domain_shift(e, mu_from, mu_to)
    assert np.allclose(np.linalg.norm(shifted, axis=1), 1, atol=1e-5)
    assert np.allclose(qr.domain_shift(e, mu_to, mu_to), e, atol=1e-6)   # equal means: no-op
    # the shifted queries' mean direction is the target mean's direction
    m = qr.normalize(shifted.mean(0))
    assert float(m @ qr.normalize(mu_to)) > float(qr.normalize(e.mean(0)) @ qr.normalize(mu_to))


def test_edge_map_is_dark_outlines_on_white():
    img = np.full((40, 40, 3), 255, np.uint8)
    assert (qr.edge_map(img) == 255).all()
    img[10:30, 10:30] = (200, 20, 20)
    edges = qr.edge_map(img)[..., 0]
    assert edges.shape == (40, 40)
    assert edges[20, 20] == 255 and edges[2, 2] == 255      # flat areas stay white
    assert edges[20, 9:12].min() < 128 and edges[9:12, 20].min() < 128   # the square's border is inked
