"""Find duplicate groups among a library's photos: exact copies, near copies and bursts.

Three relations between two photos, from what the catalog holds (no CLIP
model is involved, so the groups do not change with the model):

- **exact**: the same file content (the same quick hash: size, first MiB and
  last 64 KiB);
- **near**: fingerprints close (``indexer/fingerprint.py``): at most
  ``NEAR_BITS`` of the 64 shape bits differ and the colour signatures agree
  (``NEAR_CHROMA``, ``NEAR_LUMA``) -- re-encodes, resizes, format changes,
  mild exposure and colour edits, EXIF stripped or rotated -- or one is a
  crop of up to ~10% of the other (its whole picture matches one of the
  other's crop windows as closely: ``crop_match.py``), unless they were taken
  seconds apart, which makes them a burst;
- **burst**: both dated, 1 to ``BURST_SECONDS`` apart, and fingerprints
  within the looser ``BURST_*`` bounds (shots of one moment).  Photos of
  one place minutes apart are not a burst.

Groups are the connected photos: ``kind="exact"`` joins exact copies only,
``"near"`` exact and near copies (groups with at least one near pair),
``"burst"`` burst shots only, and no kind joins everything, the group's kind
being its loosest relation.  The thresholds were chosen on the tuning part of
the wallpaper test set (``python -m tests.quality.duplicates``; figures in
docs/quality.md).

How candidate pairs are found and judged is in ``duplicate_pairs.py``.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from indexer.cancel import CancelToken
from indexer.duplicates.keeper import explain, rank
from indexer.duplicates.pairs import (
    BLOCK,
    BURST_BITS,
    BURST_CHROMA,
    BURST_LUMA,
    BURST_SECONDS,
    NEAR_BITS,
    NEAR_CHROMA,
    NEAR_LUMA,
    Prints,
    burst_pairs,
    burst_relations,
    near_block,
)
from indexer.duplicates.photo_hash import COLOUR_BYTES
from indexer.duplicates.tables import CandidateRow
from indexer.errors import UsageError
from indexer.progress import Phase, Progress

__all__ = [
    "BURST_BITS", "BURST_CHROMA", "BURST_LUMA", "BURST_SECONDS", "KINDS", "NEAR_BITS", "NEAR_CHROMA", "NEAR_LUMA",
    "DuplicateGroup", "DuplicatePhoto", "find_duplicates",
]

KINDS = ("exact", "near", "burst")
_RELATION = {"exact": 0, "near": 1, "burst": 2}


@dataclass(frozen=True)
class DuplicatePhoto:
    """One photo of a group, as shown and written out."""

    id: int
    path: Path
    width: int | None
    height: int | None
    bytes: int
    taken_at: str | None
    online: bool
    has_exif: bool

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "width": self.width, "height": self.height, "bytes": self.bytes,
                "taken_at": self.taken_at}


@dataclass(frozen=True)
class DuplicateGroup:
    """Photos that are copies of each other (or one burst), the one to keep first."""

    kind: str  # "exact" | "near" | "burst"
    similarity: float  # the least similar pair that joins the group: 1.0 identical, 0.75 = 16 of 64 bits differ
    # (a cropped copy counted against the window of the other that it matches)
    photos: tuple[DuplicatePhoto, ...]  # the keeper first
    reason: str  # why the keeper is kept
    chosen: bool = False  # the keeper was chosen by the user

    @property
    def keep(self) -> DuplicatePhoto:
        return self.photos[0]

    @property
    def keeper_offline(self) -> bool:
        return not self.keep.online

    @property
    def suggested(self) -> tuple[DuplicatePhoto, ...]:
        """What cleaning would move to the trash: every other photo, if the keeper is online."""
        if self.keeper_offline:
            return ()
        return tuple(p for p in self.photos[1:] if p.online)

    def with_keeper(self, photo_id: int) -> DuplicateGroup:
        """This group with the user's choice of keeper."""
        chosen = [p for p in self.photos if p.id == photo_id]
        if not chosen:
            raise UsageError("that photo is not in this group")
        rest = tuple(p for p in self.photos if p.id != photo_id)
        return replace(self, photos=(chosen[0], *rest), reason="chosen by you", chosen=True)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "similarity": round(self.similarity, 3), "keep": str(self.keep.path),
                "photos": [p.to_json() for p in self.photos]}


def find_duplicates(
    rows: Sequence[CandidateRow], *, kind: str | None = None, cancel: CancelToken | None = None,
    workers: int = 2,
) -> Generator[Progress, None, list[DuplicateGroup]]:
    """The duplicate groups among ``rows`` (of ``kind``, or all), largest first.

    A generator of ``Progress`` (``Phase.COMPARING``, photos compared of all); its return value is
    the groups (``groups = yield from find_duplicates(...)``), or none when ``cancel`` was cancelled.
    """
    if kind is not None and kind not in KINDS:
        raise UsageError(f"unknown kind of duplicate {kind!r}: choose exact, near or burst")
    cancel = cancel or CancelToken()
    edges: dict[tuple[int, int], tuple[int, float]] = {}  # (i, j) index pair -> (relation, similarity)

    def add(i: int, j: int, relation: int, similarity: float) -> None:
        key = (i, j) if i < j else (j, i)
        old = edges.get(key)
        if old is None or relation < old[0]:
            edges[key] = (relation, similarity)

    if kind in (None, "exact", "near"):
        by_hash: dict[str, int] = {}
        for i, row in enumerate(rows):
            if row.quick_hash:
                first = by_hash.setdefault(row.quick_hash, i)
                if first != i and rows[first].size == row.size:
                    add(first, i, _RELATION["exact"], 1.0)
    times = np.array([_seconds(r.taken_at) for r in rows], dtype=np.float64)
    printed = [i for i, r in enumerate(rows) if r.shape is not None and r.colour is not None
               and len(r.colour) == COLOUR_BYTES]
    total = len(printed)
    yield Progress(Phase.COMPARING, 0, total, message="comparing photos")
    if kind != "exact" and printed:
        index = np.array(printed, dtype=np.int64)
        shapes = np.array([rows[i].shape for i in printed], dtype=np.uint64)
        colours = np.frombuffer(b"".join(rows[i].colour or b"" for i in printed), dtype=np.uint8)
        colours = colours.reshape(len(printed), COLOUR_BYTES)
        prints = Prints.of(shapes, colours, [rows[i].crops for i in printed], times[index])
        if kind in (None, "burst"):  # shots seconds apart: few candidates, found by time
            a, b, bits = burst_pairs(shapes, times[index])
            for i, j, sim in burst_relations(a, b, bits, colours, times[index]):
                add(int(index[i]), int(index[j]), _RELATION["burst"], sim)
        if kind in (None, "near"):  # every pair of hashes, a block at a time, on ``workers`` threads
            with ThreadPoolExecutor(max(1, workers)) as pool:
                futures = [pool.submit(near_block, prints, s) for s in range(0, total, BLOCK)]
                for done, future in enumerate(futures):
                    if cancel.cancelled:
                        for f in futures:
                            f.cancel()
                        return []
                    for i, j, sim in future.result():
                        add(int(index[i]), int(index[j]), _RELATION["near"], sim)
                    yield Progress(Phase.COMPARING, min(total, (done + 1) * BLOCK), total,
                                   message="comparing photos")
        if cancel.cancelled:
            return []
    yield Progress(Phase.COMPARING, total, total, message="comparing photos")
    return _groups(rows, edges, kind)


def _groups(
    rows: Sequence[CandidateRow], edges: dict[tuple[int, int], tuple[int, float]], kind: str | None
) -> list[DuplicateGroup]:
    parent = list(range(len(rows)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in edges:
        parent[find(i)] = find(j)
    members: dict[int, list[int]] = {}
    loosest: dict[int, int] = {}
    least: dict[int, float] = {}
    for (i, _), (relation, similarity) in edges.items():
        root = find(i)
        loosest[root] = max(loosest.get(root, 0), relation)
        least[root] = min(least.get(root, 1.0), similarity)
    for i in range(len(rows)):
        root = find(i)
        if root in loosest:
            members.setdefault(root, []).append(i)
    groups = []
    for root, ids in members.items():
        group_kind = KINDS[loosest[root]]
        if kind is not None and group_kind != kind:
            continue
        ranked = rank([rows[i] for i in ids])
        photos = tuple(DuplicatePhoto(r.id, r.path, r.width, r.height, r.size, r.taken_at, r.online, r.has_exif)
                       for r in ranked)
        groups.append(DuplicateGroup(group_kind, least[root], photos, explain(ranked[0], ranked[1:])))
    groups.sort(key=lambda g: (-len(g.photos), -sum(p.bytes for p in g.suggested), str(g.keep.path)))
    return groups


def _seconds(taken_at: str | None) -> float:
    """``taken_at`` (ISO 8601) as seconds on a common scale, or NaN when unknown or unreadable."""
    if not taken_at:
        return math.nan
    try:
        moment = datetime.fromisoformat(taken_at)
    except ValueError:
        return math.nan
    if moment.tzinfo is not None:
        moment = moment.replace(tzinfo=None)  # camera clocks are local time: compare wall clocks
    return (moment - datetime(1970, 1, 1)).total_seconds()
