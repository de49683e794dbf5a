"""A video's score for a query is its best frame's: merge the frames of the videos into a photo ranking.

The vector index holds one vector per photo and per video (the video's cover
frame).  ``FrameIndex`` holds every stored frame of the indexed videos of a
model (loaded once per catalog checkpoint, so it follows indexing); its
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
    """Every stored frame of one model's indexed videos, one row per frame."""

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
    """The stored frames of one model's videos, reloaded when the model's checkpoint moves."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, int] | None = None
        self._frames: StoredFrames | None = None

    def frames(self, model: str, checkpoint: int, load: Callable[[], StoredFrames]) -> StoredFrames:
        with self._lock:
            if self._frames is None or self._key != (model, checkpoint):
                self._frames = load()
                self._key = (model, checkpoint)
            return self._frames


def best_frames(frames: StoredFrames, scorer: FrameScorer, allowed: Collection[int] | None,
                exclude: Collection[int]) -> tuple[np.ndarray, np.ndarray, dict[int, Moment]]:
    """Per video among the eligible ones: its id, its best frame's score, and that frame."""
    if not len(frames):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), {}
    scores = np.asarray(scorer(frames.vectors), dtype=np.float32)
    order = np.lexsort((-scores, frames.photo_ids))  # by video, best frame first
    ids = frames.photo_ids[order]
    first = np.ones(len(ids), dtype=bool)
    first[1:] = ids[1:] != ids[:-1]
    best = order[first]
    keep = [i for i in best.tolist()
            if (allowed is None or int(frames.photo_ids[i]) in allowed) and int(frames.photo_ids[i]) not in exclude]
    chosen = np.array(keep, dtype=np.int64)
    moments = {int(frames.photo_ids[i]): Moment(int(frames.frames[i]), float(frames.times[i])) for i in keep}
    return frames.photo_ids[chosen], scores[chosen], moments


def merge_videos(ids: np.ndarray, scores: np.ndarray, video_ids: np.ndarray, video_scores: np.ndarray,
                 limit: int) -> tuple[np.ndarray, np.ndarray]:
    """The ranking ``ids``/``scores`` with each video at its best frame's score (added when missing), best
    first, at most ``limit``; every id once."""
    merged: dict[int, float] = dict(zip(ids.tolist(), scores.tolist()))
    merged.update(zip(video_ids.tolist(), video_scores.tolist()))
    pairs = sorted(merged.items(), key=lambda item: -item[1])[:limit]
    return (np.array([p[0] for p in pairs], dtype=np.int64),
            np.array([p[1] for p in pairs], dtype=np.float32))
