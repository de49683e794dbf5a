"""Set bits of 64-bit hashes, vectorised: what every fingerprint comparison counts."""

from __future__ import annotations

import numpy as np

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
