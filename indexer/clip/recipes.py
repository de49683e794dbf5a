"""Training-free query recipes on a frozen CLIP: the scoring maths only.

Pure numpy, no I/O, no model: :mod:`indexer.search` turns queries into
vectors and candidates, and calls these functions to score them.  The
query-quality evaluation (``python -m tests.quality.evaluate``) measures the
same functions, so the defaults below are the measured code.

Notation (docs/query_recipes.md): ``n(x) = x / ||x||``; ``X`` are
L2-normalised gallery vectors (N x d); ``v`` a reference image vector; ``t``
an edit text vector; scores are dot products.

Recipes
-------
Weighted sum (WeiMoCIR "QCI", Wu et al. 2024)::

    q = n((1 - a) v + a t)          a = weight on the words; a = 0.5 is the plain sum n(v + t)

Product / Harris fusion (a lighter form of BASIC, NeurIPS 2025)::

    c_db = X - mu_I,  c_v = v - mu_I,  c_t = t - mu_T
    s_I = c_db . c_v,  s_T = c_db . c_t
    s  <- max((s - m) / |m|, 0)       m = a low percentile of s over the gallery (per query)
    s   = s_I^(2(1-a)) * s_T^(2a) - lam * (s_I + s_T)^2      (a = 0.5: s_I * s_T - lam (s_I + s_T)^2)

Sketch domain shift (docs/query_recipes.md, "Sketch")::

    q = n(e_s - mu_sketch + mu_photo)

with ``mu_photo`` the gallery mean and ``mu_sketch`` the mean embedding of
edge maps (:func:`edge_map`) of a gallery sample.

Measured defaults (``python -m tests.quality.evaluate``, docs/quality.md; toy
world, toy CLIP, held-out attribute combinations):

- image + edit: weighted sum, a = 0.6 -- R@1/R@10 63.1/92.4 vs image only
  22.2/74.7, text only 2.0/12.6, plain sum 60.6/91.4, Harris 41.9/86.9;
- sketch alone: no domain shift -- shape+count R@1/R@10 39.8/87.0 vs 26.9/84.3
  with the shift (the shift finds the shape but loses the count);
- sketch + words: domain shift on, a = 0.7 -- 48.0/86.7 vs 40.8/83.7 without.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Recipe = Literal["weighted_sum", "harris"]
RECIPES: tuple[str, ...] = ("weighted_sum", "harris")

# Chosen by measurement on the toy world (docs/quality.md).
DEFAULT_EDIT_RECIPE: Recipe = "weighted_sum"
DEFAULT_EDIT_WEIGHT: float = 0.6          # a, the weight on the words (0 = photo only, 1 = words only)
DEFAULT_SKETCH_SHIFT: bool = False        # domain shift for a sketch alone (off: it loses the count)
DEFAULT_SKETCH_WORDS_SHIFT: bool = True   # domain shift for a sketch with words typed beside it
DEFAULT_SKETCH_WORDS_WEIGHT: float = 0.7  # a for sketch + words (weighted sum)
HARRIS_LAMBDA: float = 0.1
HARRIS_PERCENTILE: float = 5.0

# Generic phrases whose mean text vector is mu_T (the text "centre").
GENERIC_PHRASES: tuple[str, ...] = (
    "a photo", "a picture", "an image", "a thing", "an object", "something", "a scene",
    "a photo of something", "a picture of an object", "a close-up photo", "a blurry photo",
    "a bright photo", "a dark photo", "a photo of a place", "a photo of a thing",
    "red", "orange", "yellow", "green", "blue", "purple", "pink", "white", "black", "brown",
    "grey", "one", "two", "three", "many", "small", "large", "big", "little",
    "a person", "people", "an animal", "a dog", "a cat", "a bird", "a car", "a house",
    "a tree", "a flower", "food", "a building", "a street", "a room", "a table", "a city",
    "a landscape", "the sky", "water", "grass", "sand", "wood", "at night", "by day",
    "indoors", "outdoors", "a shape", "a circle", "a square", "a star", "a drawing",
)


def normalize(x: np.ndarray, axis: int = -1, eps: float = 1e-12) -> np.ndarray:
    """``n(x)``: L2-normalise along ``axis`` (zero vectors stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    out: np.ndarray = x / np.maximum(np.linalg.norm(x, axis=axis, keepdims=True), eps)
    return out


def weighted_sum(v: np.ndarray, t: np.ndarray, a: float) -> np.ndarray:
    """Composed query vector ``n((1-a) v + a t)`` for normalised ``v`` and ``t``.

    ``a`` in [0, 1] is the weight on the words.  Works for a single pair (d,)
    or batches (k, d).
    """
    if not 0.0 <= a <= 1.0:
        raise ValueError(f"weight must be within [0, 1], got {a}")
    return normalize((1.0 - a) * normalize(v) + a * normalize(t))


def harris_scores(X: np.ndarray, v: np.ndarray, t: np.ndarray, *, mu_image: np.ndarray,
                  mu_text: np.ndarray, a: float = 0.5, lam: float = HARRIS_LAMBDA,
                  percentile: float = HARRIS_PERCENTILE,
                  reference: np.ndarray | None = None) -> np.ndarray:
    """Product / Harris fusion scores of candidates ``X`` (N, d) for queries.

    ``v``, ``t``: (d,) or (k, d).  Returns (N,) or (k, N).
    ``reference``: the gallery vectors over which the percentile ``m`` is
    taken (defaults to ``X``; pass a fixed gallery sample when ``X`` is only a
    candidate subset, so scores do not depend on the candidate pool).
    ``a`` tilts the product towards the words (exponents 2(1-a) and 2a);
    a = 0.5 is the plain product of the BASIC paper.
    """
    X = np.asarray(X, np.float32)
    ref = X if reference is None else np.asarray(reference, np.float32)
    single = np.ndim(v) == 1
    V = np.atleast_2d(np.asarray(v, np.float32)) - mu_image
    T = np.atleast_2d(np.asarray(t, np.float32)) - mu_text
    c_db, c_ref = X - mu_image, ref - mu_image
    s_i = _normalise_by_low_percentile_with_ref(V @ c_db.T, V @ c_ref.T, percentile)
    s_t = _normalise_by_low_percentile_with_ref(T @ c_db.T, T @ c_ref.T, percentile)
    if a == 0.5:
        prod = s_i * s_t
    else:
        prod = np.power(s_i, 2.0 * (1.0 - a)) * np.power(s_t, 2.0 * a)
    out: np.ndarray = prod - lam * (s_i + s_t) ** 2
    return out[0] if single else out


def _normalise_by_low_percentile_with_ref(s: np.ndarray, s_ref: np.ndarray,
                                          percentile: float) -> np.ndarray:
    m = np.percentile(s_ref, percentile, axis=-1, keepdims=True).astype(np.float32)
    scale = np.maximum(np.abs(m), 1e-6)
    out: np.ndarray = np.maximum((s - m) / scale, 0.0)
    return out


def domain_shift(e: np.ndarray, mu_from: np.ndarray, mu_to: np.ndarray) -> np.ndarray:
    """``n(e - mu_from + mu_to)``: move a query from one domain's mean to another's.

    For sketches: ``domain_shift(e_sketch, mu_sketch, mu_photo)``.
    """
    return normalize(np.asarray(e, np.float32) - mu_from + mu_to)


def gallery_mean(X: np.ndarray) -> np.ndarray:
    """Mean of (normalised) vectors, not renormalised: the ``mu`` of the recipes."""
    mean: np.ndarray = np.asarray(X, np.float32).mean(axis=0)
    return mean


def edge_map(rgb: np.ndarray) -> np.ndarray:
    """Dark-on-white edge map of an RGB image (H, W, 3) uint8 -> (H, W, 3) uint8.

    Sobel gradient magnitude of the luminance, lightly smoothed, scaled so the
    strongest edges are black: a stand-in "sketch" of a photo used to estimate
    ``mu_sketch`` from the user's own gallery.
    """
    img = np.asarray(rgb, np.float32)
    if img.ndim == 3:
        img = img[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    # 3x3 box smoothing, then Sobel
    p = np.pad(img, 1, mode="edge")
    sm = sum(p[dy:dy + img.shape[0], dx:dx + img.shape[1]] for dy in range(3) for dx in range(3)) / 9.0
    p = np.pad(sm, 1, mode="edge")
    h, w = img.shape
    gx = (p[0:h, 2:] + 2 * p[1:h + 1, 2:] + p[2:, 2:]) - (p[0:h, :w] + 2 * p[1:h + 1, :w] + p[2:, :w])
    gy = (p[2:, 0:w] + 2 * p[2:, 1:w + 1] + p[2:, 2:]) - (p[:h, 0:w] + 2 * p[:h, 1:w + 1] + p[:h, 2:])
    mag = np.hypot(gx, gy)
    top = np.percentile(mag, 98) if mag.size else 0.0
    scaled = np.clip(mag / max(float(top), 1e-6), 0.0, 1.0)
    ink = np.where(scaled > 0.25, scaled, 0.0)        # drop texture noise, keep outlines
    out = (255.0 * (1.0 - ink)).astype(np.uint8)
    return np.repeat(out[..., None], 3, axis=2)


def composed_scores(X: np.ndarray, v: np.ndarray, t: np.ndarray, *, recipe: Recipe = DEFAULT_EDIT_RECIPE,
                    a: float = DEFAULT_EDIT_WEIGHT, mu_image: np.ndarray | None = None,
                    mu_text: np.ndarray | None = None, reference: np.ndarray | None = None) -> np.ndarray:
    """Scores of candidates ``X`` (N, d) for image + edit queries with the named recipe.

    ``v``, ``t``: (d,) -> scores (N,); (k, d) -> scores (k, N).
    """
    if recipe == "weighted_sum":
        scores: np.ndarray = weighted_sum(v, t, a) @ np.asarray(X, np.float32).T
        return scores
    if recipe == "harris":
        if mu_image is None or mu_text is None:
            raise ValueError("harris fusion needs mu_image and mu_text")
        return harris_scores(X, v, t, mu_image=mu_image, mu_text=mu_text, a=a, reference=reference)
    raise ValueError(f"unknown recipe {recipe!r}; choose one of {RECIPES}")
