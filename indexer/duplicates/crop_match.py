"""Near copies cropped by up to ~10%: one photo's whole picture matched against the other's crop windows.

A crop moves the whole picture under the lowest DCT frequencies, so a cropped copy's shape hash may
differ from its original's in 16-20 of the 64 bits, where other artworks of one series begin, and its
4x4 colour cells no longer cover the same parts of the picture.  Each fingerprint therefore also holds
``CROPS`` windows of its picture (``indexer/fingerprint.py``: 93% of each side, on a 3 x 3 grid of
positions).  A pair whose whole pictures differ in at most ``CROP_BAND`` bits is a cropped copy when
the whole picture of one is as close to a window of the other as a re-encode is to its original: the
shapes choose the alignment -- the window(s) fewest bits from the other whole picture, either way
(either may be the crop), at most ``WINDOW_BITS`` -- and that window's colours must agree within the
near-copy bounds (``NEAR_CHROMA``, ``NEAR_LUMA``).  Only the aligned window's colours count: letting
any of the 18 windows pass on colour would give a colour variant of one design (same shapes, colours
just outside the bounds) 18 chances.  Another artwork of one series differs in its shapes or its
colours at the alignment, so it stays apart.

``CROP_BAND`` only bounds the work: every pair within it is checked against 2 x ``CROPS`` windows.
The bounds were chosen on the tuning part of the wallpaper test set (docs/quality.md).
"""

from __future__ import annotations

import numpy as np

from indexer.duplicates.bit_count import popcount
from indexer.duplicates.photo_hash import CROPS, colour_distances

CROP_BAND = 22  # whole pictures at most this many bits apart are checked against the windows
WINDOW_BITS = 8  # a window at most this many bits from the other whole picture aligns with it


def cropped_copies(
    a: np.ndarray, b: np.ndarray, shapes: np.ndarray, colours: np.ndarray,
    crop_shapes: np.ndarray, crop_colours: np.ndarray, has_crops: np.ndarray,
    chroma_limit: float, luma_limit: float, window_bits: int = WINDOW_BITS,
) -> tuple[np.ndarray, np.ndarray]:
    """For candidate pairs (a[k], b[k]): whether each is a cropped copy, and the bits of its aligned window.

    ``shapes`` (n,) and ``colours`` (n, COLOUR_BYTES) are the whole pictures; ``crop_shapes`` (n, CROPS) and
    ``crop_colours`` (n, CROPS, COLOUR_BYTES) the windows, meaningful where ``has_crops`` (n,) is set.  The
    alignment is the one the shapes choose (the windows fewest bits from the other whole picture, either way);
    only its colours are compared, so that the windows give no second chances to another colour scheme.
    """
    m = len(a)
    bits = np.full((m, 2 * CROPS), 64, dtype=np.uint8)  # columns: a's windows against b, then b's against a
    for side, (big, small) in enumerate(((a, b), (b, a))):
        usable = np.flatnonzero(has_crops[big])
        windows = crop_shapes[big[usable]] ^ shapes[small[usable]][:, None]  # (usable, CROPS)
        bits[usable, side * CROPS:(side + 1) * CROPS] = popcount(windows)
    best = bits.min(axis=1) if m else np.zeros(0, dtype=np.uint8)
    pair, column = np.nonzero((bits == best[:, None]) & (best <= window_bits)[:, None])
    direction, window = np.divmod(column, CROPS)
    big = np.where(direction == 0, a[pair], b[pair])
    small = np.where(direction == 0, b[pair], a[pair])
    chroma, luma = colour_distances(crop_colours[big, window], colours[small])
    matched = np.zeros(m, dtype=bool)
    matched[pair[(chroma <= chroma_limit) & (luma <= luma_limit)]] = True
    return matched, best.astype(np.int64)
