"""A photo's perceptual fingerprint: what duplicate finding compares, independent of any CLIP model.

Computed from the thumbnail the embedding pipeline already decodes (upright RGB,
longest side 256 px), so it costs no second decode (measured well under a
millisecond per photo; ``tests/benchmarks/bench_duplicates.py``):

- ``shape``: a 64-bit DCT hash of the luminance.  The picture is reduced to
  32x32 grey levels; of the 2-D DCT's lowest 8x8 frequencies, each bit says
  whether a coefficient is above the median of the 64.  Re-encoding,
  resizing, format conversion, mild exposure edits and crops of a few per
  cent change few bits; another picture changes about half of them.
- ``colour``: the mean colour of each cell of a 4x4 grid (48 bytes, RGB).
  Two artworks that share their shapes but not their colours (the colour
  variants of one design, a light and a dark rendition) are told apart by it.
- ``crops``: the shape hash and colour signature of ``CROPS`` windows of the
  picture, each ``CROP_SIDE`` of its width and height, on a 3 x 3 grid of
  positions (corners, edges' middles, centre).  A copy cropped by up to ~10%
  on any sides shows what one of these windows shows, so its whole-picture
  fingerprint is as close to that window's as a re-encode is to the original
  (``indexer/crop_match.py``), where the whole pictures may differ in 16-20 of
  the 64 bits and in the colours of the 4x4 cells.

``FINGERPRINT_VERSION`` names the method: fingerprints of another version are
recomputed (the backfill treats them as missing).  Version 2 added ``crops``;
its ``shape`` and ``colour`` are version 1's, so a version-1 fingerprint still
counts (compared on the whole picture only) until the backfill replaces it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from PIL import Image

logger = logging.getLogger(__name__)

FINGERPRINT_VERSION = 2
SAME_WHOLE_PICTURE = (1, 2)  # versions whose ``shape`` and ``colour`` are this version's
HASH_SIDE = 32  # the grey picture the DCT is taken of
LOW = 8  # the lowest LOW x LOW frequencies make the hash
GRID = 4  # colour cells per side
COLOUR_BYTES = GRID * GRID * 3
CROP_SIDE = 0.93  # a window's share of the picture's width and height
CROP_STEPS = 3  # window positions per axis: flush with one side, centred, flush with the other
CROPS = CROP_STEPS * CROP_STEPS
CROP_BYTES = CROPS * (8 + COLOUR_BYTES)  # the windows' hashes (uint64, little-endian), then their colours


def _dct_matrix(n: int) -> np.ndarray:
    """The orthonormal DCT-II matrix: ``D @ x`` is the DCT of a column ``x``."""
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    d = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    d[0] /= np.sqrt(2.0)
    return np.asarray(d, dtype=np.float32)


_DCT = _dct_matrix(HASH_SIDE)[:LOW]  # only the rows of the low frequencies are ever used
_WEIGHTS = (1 << np.arange(63, -1, -1, dtype=np.uint64)).astype(np.uint64)
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dataclass(frozen=True)
class Fingerprint:
    """One photo's fingerprint (see the module doc)."""

    shape: int  # 64-bit DCT hash, unsigned
    colour: bytes  # GRID x GRID x 3 mean colours, row by row
    crops: bytes = b""  # CROP_BYTES: the windows' hashes then colours (empty: not taken, as by version 1)

    def __post_init__(self) -> None:
        if not 0 <= self.shape < 1 << 64:
            raise ValueError("a shape hash has 64 bits")
        if len(self.colour) != COLOUR_BYTES:
            raise ValueError(f"a colour signature has {COLOUR_BYTES} bytes")
        if len(self.crops) not in (0, CROP_BYTES):
            raise ValueError(f"crop windows take {CROP_BYTES} bytes")


def fingerprint(image: Image.Image) -> Fingerprint:
    """The fingerprint of an upright picture (any mode; a thumbnail is enough)."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    small = np.asarray(rgb.resize((HASH_SIDE, HASH_SIDE), Image.Resampling.BOX), dtype=np.float32)
    return Fingerprint(shape_hash(small @ _LUMA), colour_signature(small), crop_windows(rgb))


def crop_windows(rgb: Image.Image) -> bytes:
    """The ``crops`` of an RGB picture: each window reduced to HASH_SIDE x HASH_SIDE as the whole picture is,
    hashed and its colours taken, all windows at once."""
    w, h = rgb.size
    starts = np.linspace(0.0, 1.0 - CROP_SIDE, CROP_STEPS)
    small = np.stack([
        np.asarray(rgb.resize((HASH_SIDE, HASH_SIDE), Image.Resampling.BOX,
                              box=(x * w, y * h, (x + CROP_SIDE) * w, (y + CROP_SIDE) * h)))
        for y in starts for x in starts
    ]).astype(np.float32)  # (CROPS, HASH_SIDE, HASH_SIDE, 3)
    low = (_DCT @ (small @ _LUMA) @ _DCT.T).reshape(CROPS, LOW * LOW)
    bits = low > np.median(low, axis=1, keepdims=True)
    hashes = (bits.astype(np.uint64) * _WEIGHTS).sum(axis=1, dtype=np.uint64)
    cells = small.reshape(CROPS, GRID, HASH_SIDE // GRID, GRID, HASH_SIDE // GRID, 3).mean(axis=(2, 4))
    colours = np.clip(np.rint(cells), 0, 255).astype(np.uint8)
    return bytes(hashes.astype("<u8").tobytes() + colours.tobytes())


def split_crops(crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The windows' (hashes (n, CROPS) uint64, colours (n, CROPS, COLOUR_BYTES) uint8) of ``crops`` as (n, CROP_BYTES)
    uint8."""
    n = len(crops)
    hashes = np.ascontiguousarray(crops[:, :CROPS * 8]).view("<u8").astype(np.uint64).reshape(n, CROPS)
    colours = np.ascontiguousarray(crops[:, CROPS * 8:]).reshape(n, CROPS, COLOUR_BYTES)
    return hashes, colours


def thumbnail_fingerprint(thumbnail: Image.Image, label: object) -> Fingerprint | None:
    """``fingerprint`` of a decoded photo's thumbnail, or None (logged) if it cannot be computed:
    duplicate finding must never stop indexing."""
    try:
        return fingerprint(thumbnail)
    except Exception:  # noqa: BLE001 - a fingerprint is an extra; the photo is indexed without one
        logger.exception("could not fingerprint %s", label)
        return None


def shape_hash(grey: np.ndarray) -> int:
    """The 64-bit DCT hash of a HASH_SIDE x HASH_SIDE grey picture."""
    low = _DCT @ grey @ _DCT.T  # (LOW, LOW)
    flat = low.reshape(-1)
    bits = flat > np.median(flat)
    return int(np.sum(_WEIGHTS[bits]))


def colour_signature(small: np.ndarray) -> bytes:
    """Mean colours of a GRID x GRID grid over an (H, W, 3) picture whose sides GRID divides."""
    h, w, _ = small.shape
    cells = small.reshape(GRID, h // GRID, GRID, w // GRID, 3).mean(axis=(1, 3))
    return bytes(np.clip(np.rint(cells), 0, 255).astype(np.uint8).reshape(-1).tobytes())


def colour_distances(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(chroma, luminance) distances between pairs of colour signatures, given as (n, COLOUR_BYTES) uint8.

    Each is the mean absolute difference per cell after the best scaling of one signature onto the
    other (clipped to 0.75-1.33, and the larger of the two directions): an exposure or saturation
    edit scales them and stays close, another colour scheme of the same design does not.
    """
    x = a.astype(np.float32).reshape(len(a), GRID * GRID, 3)
    y = b.astype(np.float32).reshape(len(b), GRID * GRID, 3)
    return _fitted(_chroma(x), _chroma(y)), _fitted(x @ _LUMA, y @ _LUMA)


def colour_distance(a: bytes, b: bytes) -> tuple[float, float]:
    """``colour_distances`` of one pair of signatures."""
    chroma, luma = colour_distances(np.frombuffer(a, dtype=np.uint8)[None], np.frombuffer(b, dtype=np.uint8)[None])
    return float(chroma[0]), float(luma[0])


def _chroma(cells: np.ndarray) -> np.ndarray:
    """Opponent colours per cell (red-green, yellow-blue), flattened: (n, cells * 2)."""
    r, g, b = cells[..., 0], cells[..., 1], cells[..., 2]
    return np.concatenate([r - g, (r + g) / 2 - b], axis=1)


def _fitted(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.asarray(np.maximum(_fit_one_way(x, y), _fit_one_way(y, x)), dtype=np.float64)


def _fit_one_way(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    scale = (x * y).sum(axis=1) / np.maximum((x * x).sum(axis=1), 1e-6)
    scale = np.clip(scale, 0.75, 1.33)[:, None]
    return np.asarray(np.abs(x * scale - y).mean(axis=1), dtype=np.float64)


def hamming(a: int, b: int) -> int:
    """Bits that differ between two 64-bit hashes."""
    return (a ^ b).bit_count()


def signed64(value: int) -> int:
    """A 64-bit unsigned hash as SQLite's signed INTEGER."""
    return value - (1 << 64) if value >= 1 << 63 else value


def unsigned64(value: int) -> int:
    """Back from SQLite's signed INTEGER."""
    return value + (1 << 64) if value < 0 else value
