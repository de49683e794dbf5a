"""Near copies cropped by up to ~10%: one photo's whole picture matched against the other's crop windows.

A crop moves the whole picture under the lowest DCT frequencies, so a cropped copy's shape hash may
differ from its original's in 16-20 of the 64 bits, where other artworks of one series begin, and its
4x4 colour cells no longer cover the same parts of the picture.  Each fingerprint therefore also holds
``CROPS`` windows of its picture (``indexer/fingerprint.py``: 93% of each side, on a 3 x 3 grid of
positions).  A pair whose whole pictures differ in at most ``CROP_BAND`` bits is a cropped copy when
the whole picture of one is as close to a window of the other as a re-encode is to its original: at
most ``WINDOW_BITS`` bits apart and within the near-copy colour bounds (``NEAR_CHROMA``,
``NEAR_LUMA``), in either direction (either may be the crop).  Another artwork of one series differs
in its shapes or its colours in every window, so it stays apart.

``CROP_BAND`` only bounds the work: every pair within it is checked against 2 x ``CROPS`` windows.
The bounds were chosen on the tuning part of the wallpaper test set (docs/quality.md).
"""

from __future__ import annotations

import numpy as np

from .bit_count import popcount
from .fingerprint import CROPS, colour_distances

CROP_BAND = 22  # whole pictures at most this many bits apart are checked against the windows
WINDOW_BITS = 8  # a window at most this many bits from the other whole picture aligns with it


def cropped_copies(
    a: np.ndarray, b: np.ndarray, shapes: np.ndarray, colours: np.ndarray,
    crop_shapes: np.ndarray, crop_colours: np.ndarray, has_crops: np.ndarray,
    chroma_limit: float, luma_limit: float,
) -> tuple[np.ndarray, np.ndarray]:
    """For candidate pairs (a[k], b[k]): whether each is a cropped copy, and the bits of its best aligned window.

    ``shapes`` (n,) and ``colours`` (n, COLOUR_BYTES) are the whole pictures; ``crop_shapes`` (n, CROPS) and
    ``crop_colours`` (n, CROPS, COLOUR_BYTES) the windows, meaningful where ``has_crops`` (n,) is set.
    """
    matched = np.zeros(len(a), dtype=bool)
    best = np.full(len(a), 64, dtype=np.int64)
    for big, small in ((a, b), (b, a)):  # the windows of ``big`` against the whole of ``small``
        usable = np.flatnonzero(has_crops[big])
        if len(usable) == 0:
            continue
        windows = crop_shapes[big[usable]]  # (m, CROPS)
        bits = popcount(windows ^ shapes[small[usable]][:, None]).astype(np.int64)
        pair, window = np.nonzero(bits <= WINDOW_BITS)
        if len(pair) == 0:
            continue
        k = usable[pair]
        chroma, luma = colour_distances(crop_colours[big[k], window], colours[small[k]])
        ok = (chroma <= chroma_limit) & (luma <= luma_limit)
        matched[k[ok]] = True
        np.minimum.at(best, k[ok], bits[pair[ok], window[ok]])
    return matched, best


__all__ = ["CROPS", "CROP_BAND", "WINDOW_BITS", "cropped_copies"]
