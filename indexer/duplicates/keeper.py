"""Which photo of a duplicate group to keep, and why (in words a person can check).

The order, first difference wins: the highest resolution; then the least
compressed (most bytes per pixel); then the one that has its original EXIF (a
date taken or a camera); then the oldest file.  A photo on a folder that is
offline can be the keeper (it may be the best copy), but then nothing of its
group is suggested for the trash: the copy kept must be there to be sure.
"""

from __future__ import annotations

from collections.abc import Sequence

from indexer.duplicates.tables import CandidateRow


def _pixels(p: CandidateRow) -> int:
    return (p.width or 0) * (p.height or 0)


def _bytes_per_pixel(p: CandidateRow) -> float:
    return p.size / _pixels(p) if _pixels(p) else 0.0


def rank(photos: Sequence[CandidateRow]) -> list[CandidateRow]:
    """``photos``, the one to keep first."""
    return sorted(photos, key=lambda p: (-_pixels(p), -round(_bytes_per_pixel(p), 3), not p.has_exif, p.mtime_ns,
                                         str(p.path)))


def explain(keep: CandidateRow, others: Sequence[CandidateRow]) -> str:
    """Why ``keep`` is kept rather than ``others``: the first rule that tells them apart."""
    rest = [p for p in others if p.id != keep.id]
    if not rest:
        return "the only photo"
    size = f"{keep.width or 0}x{keep.height or 0}"
    if all(_pixels(keep) > _pixels(p) for p in rest):
        return f"highest resolution ({size})"
    same = [p for p in rest if _pixels(p) == _pixels(keep)]
    bpp = round(_bytes_per_pixel(keep), 3)
    if all(bpp > round(_bytes_per_pixel(p), 3) for p in same):
        return f"least compressed at {size} ({_bytes_per_pixel(keep):.2f} bytes per pixel)"
    same = [p for p in same if round(_bytes_per_pixel(p), 3) == bpp]
    if keep.has_exif and all(not p.has_exif for p in same):
        return "has the original EXIF (date taken, camera)"
    if all(keep.mtime_ns < p.mtime_ns for p in same):
        return "the oldest file"
    return "first of equals"
