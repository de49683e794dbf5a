"""Candidate pairs of duplicate photos and their relation, from fingerprints and dates (numpy, no Python loop
per pair).

- **near** candidates: every pair of 64-bit shape hashes is compared (XOR and popcount) a block of
  ``BLOCK`` hashes against all later ones at a time, the later ones a cache-sized tile at a time;
  the pairs within ``NEAR_BITS`` are then checked on their colours (``NEAR_CHROMA``, ``NEAR_LUMA``).
  Photos both dated 1 to ``BURST_SECONDS`` apart are left to the burst test.
- **burst** candidates: dated photos sorted by time, each compared with the next ones taken within
  ``BURST_SECONDS`` (at most ``BURST_NEIGHBOURS`` of them), within the looser ``BURST_*`` bounds.

The bounds were chosen on the tuning part of the wallpaper test set (docs/quality.md): near copies
(re-encodes, resizes, format changes, crops of a few per cent, exposure and colour edits, EXIF
stripped or rotated) fall inside them, other artworks of the same series (colour variants, light
and dark renditions) outside.
"""

from __future__ import annotations

import numpy as np

from .fingerprint import colour_distances

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
_BYTE_BITS = np.array([bin(v).count("1") for v in range(256)], dtype=np.uint8)


def popcount(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Set bits of each uint64 (numpy >= 2 counts them natively; older numpy by byte table)."""
    if hasattr(np, "bitwise_count"):
        return np.asarray(np.bitwise_count(x, out=out) if out is not None else np.bitwise_count(x))
    table: np.ndarray = _BYTE_BITS[np.ascontiguousarray(x).view(np.uint8)]
    counts = np.asarray(table.reshape(*x.shape, 8).sum(axis=-1, dtype=np.uint8))
    if out is None:
        return counts
    out[...] = counts
    return out


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


def near_relations(a: np.ndarray, b: np.ndarray, bits: np.ndarray, colours: np.ndarray, times: np.ndarray
                   ) -> list[tuple[int, int, float]]:
    """The pairs among candidates (a[k], b[k]) that are near copies: (i, j, similarity)."""
    if len(a) == 0:
        return []
    keep = ~_seconds_apart(times[a], times[b])
    a, b, bits = a[keep], b[keep], bits[keep]
    chroma, luma = colour_distances(colours[a], colours[b])
    near = (chroma <= NEAR_CHROMA) & (luma <= NEAR_LUMA)
    return _similar(a[near], b[near], bits[near])


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
