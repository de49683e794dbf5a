"""Candidate pairs of duplicate photos and their relation, from fingerprints and dates (numpy, no Python loop
per pair).

- **near** candidates: every pair of 64-bit shape hashes is compared (XOR and popcount) a block of
  ``BLOCK`` hashes against all later ones at a time, the later ones a cache-sized tile at a time;
  the pairs within ``NEAR_BITS`` are then checked on their colours (``NEAR_CHROMA``, ``NEAR_LUMA``),
  and the pairs within the looser ``CROP_BAND`` that fail are checked for a crop of one another
  (``crop_match.py``: one's whole picture against the other's crop windows).  Photos both dated 1 to
  ``BURST_SECONDS`` apart are left to the burst test.
- **burst** candidates: dated photos sorted by time, each compared with the next ones taken within
  ``BURST_SECONDS`` (at most ``BURST_NEIGHBOURS`` of them), within the looser ``BURST_*`` bounds.

The bounds were chosen on the tuning part of the wallpaper test set (docs/quality.md): near copies
(re-encodes, resizes, format changes, crops of a few per cent, exposure and colour edits, EXIF
stripped or rotated) fall inside them, other artworks of the same series (colour variants, light
and dark renditions) outside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from indexer.duplicates.bit_count import popcount
from indexer.duplicates.crop_match import CROP_BAND, cropped_copies
from indexer.duplicates.photo_hash import CROP_BYTES, colour_distances, split_crops

NEAR_BITS = 16
NEAR_CHROMA = 6.0
NEAR_LUMA = 10.0
BURST_SECONDS = 10.0
BURST_BITS = 20
BURST_CHROMA = 8.0
BURST_LUMA = 15.0
BURST_NEIGHBOURS = 64  # later photos a dated photo is compared with (a burst longer than this is split)
BLOCK = 256  # hashes compared with all later ones per step
TILE = 8192  # later hashes taken at a time (256 x 8192 XORs: 16 MB, reused)

Pairs = tuple[np.ndarray, np.ndarray, np.ndarray]  # (i, j, bits differing), i < j


def close_pairs(shapes: np.ndarray, start: int, limit: int) -> Pairs:
    """Pairs (i, j), i in [start, start + BLOCK), j > i, whose hashes differ in at most ``limit`` bits.

    The later hashes are taken a tile at a time into reused buffers, which keeps the work in the CPU's
    caches (measured: about half the time of one pass over all of them)."""
    block = shapes[start:start + BLOCK, None]
    xor = np.empty((len(block), TILE), dtype=np.uint64)
    bits = np.empty((len(block), TILE), dtype=np.uint8)
    found_a, found_b, found_bits = [], [], []
    for first in range(start, len(shapes), TILE):
        tile = shapes[None, first:first + TILE]
        width = tile.shape[1]
        np.bitwise_xor(block, tile, out=xor[:, :width])
        popcount(xor[:, :width], out=bits[:, :width])
        a, b = np.nonzero(bits[:, :width] <= limit)
        b = b + first
        keep = b > a + start  # j > i: each pair once, never a photo with itself
        a, b = a[keep], b[keep]
        found_a.append(a + start)
        found_b.append(b)
        found_bits.append(bits[a, b - first].astype(np.int64))
    return np.concatenate(found_a), np.concatenate(found_b), np.concatenate(found_bits)


def burst_pairs(shapes: np.ndarray, times: np.ndarray) -> Pairs:
    """Pairs of dated photos 1 to BURST_SECONDS apart whose hashes differ in at most BURST_BITS bits."""
    dated = np.flatnonzero(np.isfinite(times))
    order = dated[np.argsort(times[dated], kind="stable")]
    t = times[order]
    ends = np.searchsorted(t, t + BURST_SECONDS, side="right")
    found_a, found_b = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    positions = np.arange(len(order))
    for step in range(1, BURST_NEIGHBOURS + 1):
        ok = positions + step < ends
        if not ok.any():
            break
        found_a.append(order[positions[ok]])
        found_b.append(order[positions[ok] + step])
    a, b = np.concatenate(found_a), np.concatenate(found_b)
    bits = popcount(shapes[a] ^ shapes[b]).astype(np.int64)
    close = bits <= BURST_BITS
    a, b, bits = a[close], b[close], bits[close]
    swap = a > b
    a[swap], b[swap] = b[swap], a[swap]
    return a, b, bits


@dataclass(frozen=True)
class Prints:
    """The fingerprints of the photos compared, as arrays (row k: the k-th fingerprinted photo)."""

    shapes: np.ndarray  # (n,) uint64
    colours: np.ndarray  # (n, COLOUR_BYTES) uint8
    crop_shapes: np.ndarray  # (n, CROPS) uint64
    crop_colours: np.ndarray  # (n, CROPS, COLOUR_BYTES) uint8
    has_crops: np.ndarray  # (n,) bool: the crop windows are known (not a version-1 fingerprint)
    times: np.ndarray  # (n,) seconds, NaN when undated

    @classmethod
    def of(cls, shapes: np.ndarray, colours: np.ndarray, crops: Sequence[bytes | None], times: np.ndarray) -> Prints:
        """From the whole pictures, each photo's ``Fingerprint.crops`` (None or empty: unknown) and dates."""
        has = np.array([c is not None and len(c) == CROP_BYTES for c in crops], dtype=bool)
        raw = np.zeros((len(crops), CROP_BYTES), dtype=np.uint8)
        if has.any():
            raw[has] = np.frombuffer(b"".join(c for c, h in zip(crops, has) if h and c), dtype=np.uint8
                                     ).reshape(-1, CROP_BYTES)
        crop_shapes, crop_colours = split_crops(raw)
        return cls(shapes, colours, crop_shapes, crop_colours, has, times)


def near_block(prints: Prints, start: int) -> list[tuple[int, int, float]]:
    """The near copies among the pairs (i, j), i in [start, start + BLOCK), j > i (run on a worker thread)."""
    a, b, bits = close_pairs(prints.shapes, start, CROP_BAND if prints.has_crops.any() else NEAR_BITS)
    return near_relations(a, b, bits, prints)


def near_relations(a: np.ndarray, b: np.ndarray, bits: np.ndarray, prints: Prints) -> list[tuple[int, int, float]]:
    """The pairs among candidates (a[k], b[k]) that are near copies: (i, j, similarity).

    A pair is a near copy when its whole pictures are (at most NEAR_BITS apart, colours within NEAR_CHROMA
    and NEAR_LUMA), or, within CROP_BAND bits, when one is a crop of the other (``crop_match``)."""
    if len(a) == 0:
        return []
    keep = ~_seconds_apart(prints.times[a], prints.times[b])
    a, b, bits = a[keep], b[keep], bits[keep]
    whole = np.flatnonzero(bits <= NEAR_BITS)
    chroma, luma = colour_distances(prints.colours[a[whole]], prints.colours[b[whole]])
    near = np.zeros(len(a), dtype=bool)
    near[whole[(chroma <= NEAR_CHROMA) & (luma <= NEAR_LUMA)]] = True
    rest = np.flatnonzero(~near)
    cropped, aligned = cropped_copies(a[rest], b[rest], prints.shapes, prints.colours, prints.crop_shapes,
                                      prints.crop_colours, prints.has_crops, NEAR_CHROMA, NEAR_LUMA)
    similar_bits = bits.copy()
    similar_bits[rest] = np.minimum(bits[rest], aligned)
    near[rest[cropped]] = True
    return _similar(a[near], b[near], similar_bits[near])


def burst_relations(a: np.ndarray, b: np.ndarray, bits: np.ndarray, colours: np.ndarray, times: np.ndarray
                    ) -> list[tuple[int, int, float]]:
    """The pairs among candidates (a[k], b[k]) that are shots of one burst: (i, j, similarity)."""
    if len(a) == 0:
        return []
    keep = _seconds_apart(times[a], times[b]) & (bits <= BURST_BITS)
    a, b, bits = a[keep], b[keep], bits[keep]
    chroma, luma = colour_distances(colours[a], colours[b])
    burst = (chroma <= BURST_CHROMA) & (luma <= BURST_LUMA)
    return _similar(a[burst], b[burst], bits[burst])


def _seconds_apart(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    dt = np.abs(x - y)
    return np.asarray(np.isfinite(dt) & (dt >= 1.0) & (dt <= BURST_SECONDS), dtype=bool)


def _similar(a: np.ndarray, b: np.ndarray, bits: np.ndarray) -> list[tuple[int, int, float]]:
    """(i, j, similarity): 1.0 for identical hashes, 0.75 when 16 of the 64 bits differ."""
    return [(int(i), int(j), 1.0 - int(k) / 64.0) for i, j, k in zip(a, b, bits)]
