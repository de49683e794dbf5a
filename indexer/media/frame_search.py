"""A video's score for a query is its best frame's: merge the frames of the videos into a photo ranking.

The vector index holds one vector per photo and per video (the video's cover
frame).  ``FrameIndex`` holds every stored frame of the indexed videos of a
model (read again only when they changed, so it follows indexing); its
frames are scored exactly (a matrix product: videos keep a few dozen frames
each), the best frame of each video gives the video's score and the time of
the hit, and the videos join the photos' candidates, each once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class StoredFrames:
    """Every stored frame of one model's indexed videos, one row per frame, grouped by video."""

    photo_ids: np.ndarray  # int64 (n,)
    frames: np.ndarray  # int32 (n,): the frame's number within its video
    times: np.ndarray  # float64 (n,): seconds from the start
    vectors: np.ndarray  # float32 (n, d)

    def __len__(self) -> int:
        return len(self.photo_ids)


FrameScorer = Callable[[np.ndarray], np.ndarray]  # (n, d) frame vectors -> (n,) scores


@dataclass(frozen=True)
class Moment:
    """The best frame of a video for a query."""

    frame: int  # its number within the video
    time: float  # seconds from the start


class FrameIndex:
    """The stored frames of one model's videos, reloaded only when they changed.

    The model's checkpoint moves with every change to its vectors (a batch of photos too);
    when it has moved, a cheap ``signature`` of the frames (no vector read) decides whether
    they are read again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, int] | None = None
        self._signature: object = None
        self._frames: StoredFrames | None = None

    def frames(self, model: str, checkpoint: int, signature: Callable[[], object],
               load: Callable[[], StoredFrames]) -> StoredFrames:
        with self._lock:
            if self._frames is not None and self._key == (model, checkpoint):
                return self._frames
            mark = (model, signature())
            if self._frames is None or mark != self._signature:
                self._frames = load()
                self._signature = mark
            self._key = (model, checkpoint)
            return self._frames


def best_frames(frames: StoredFrames, scorer: FrameScorer, allowed: Collection[int] | None,
                exclude: Collection[int], limit: int | None = None) -> tuple[np.ndarray, np.ndarray, dict[int, Moment]]:
    """Per video among the eligible ones (the ``limit`` best, when given): its id, its best frame's
    score, and that frame.

    ``frames`` are grouped by video (as ``stored_frames`` reads them): one pass, no sort.
    """
    if not len(frames):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), {}
    scores = np.asarray(scorer(frames.vectors), dtype=np.float32)
    ids = frames.photo_ids
    starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
    top = np.maximum.reduceat(scores, starts)
    lengths = np.diff(np.append(starts, len(ids)))
    at_top = np.flatnonzero(scores == np.repeat(top, lengths))
    group = np.searchsorted(starts, at_top, side="right") - 1
    _, first = np.unique(group, return_index=True)
    best = at_top[first]
    eligible = np.ones(len(best), dtype=bool)
    if allowed is not None:
        eligible &= np.isin(ids[best], np.fromiter(allowed, dtype=np.int64, count=len(allowed)))
    if exclude:
        eligible &= ~np.isin(ids[best], np.fromiter(exclude, dtype=np.int64, count=len(exclude)))
    best = best[eligible]
    if limit is not None and len(best) > limit:
        best = best[np.argpartition(-scores[best], limit - 1)[:limit]]
    moments = {int(ids[i]): Moment(int(frames.frames[i]), float(frames.times[i])) for i in best.tolist()}
    return ids[best], scores[best], moments


def merge_videos(ids: np.ndarray, scores: np.ndarray, video_ids: np.ndarray, video_scores: np.ndarray,
                 limit: int) -> tuple[np.ndarray, np.ndarray]:
    """The ranking ``ids``/``scores`` with each video at its best frame's score (added when missing), best
    first, at most ``limit``; every id once."""
    merged: dict[int, float] = dict(zip(ids.tolist(), scores.tolist()))
    merged.update(zip(video_ids.tolist(), video_scores.tolist()))
    pairs = sorted(merged.items(), key=lambda item: -item[1])[:limit]
    return (np.array([p[0] for p in pairs], dtype=np.int64),
            np.array([p[1] for p in pairs], dtype=np.float32))
