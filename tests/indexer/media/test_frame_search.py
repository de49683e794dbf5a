"""A video scores as its best frame, once, at that frame's time."""

from __future__ import annotations

import numpy as np

from indexer.media.frame_search import FrameIndex, StoredFrames, best_frames, merge_videos


def _frames() -> StoredFrames:
    vectors = np.eye(4, dtype=np.float32)[[0, 1, 2, 3, 1]]
    return StoredFrames(np.array([10, 10, 10, 20, 20]), np.array([0, 1, 2, 0, 1], dtype=np.int32),
                        np.array([0.5, 4.0, 9.0, 1.0, 7.5]), vectors)


def test_each_video_takes_its_best_frame():
    q = np.array([0.1, 0.9, 0.0, 0.3], dtype=np.float32)
    ids, scores, moments = best_frames(_frames(), lambda m: m @ q, None, set())
    best = dict(zip(ids.tolist(), scores.tolist()))
    assert best == {10: np.float32(0.9), 20: np.float32(0.9)}
    assert (moments[10].frame, moments[10].time) == (1, 4.0) and (moments[20].frame, moments[20].time) == (1, 7.5)


def test_filters_and_exclusions_apply_to_videos():
    q = np.ones(4, dtype=np.float32)
    ids, _, moments = best_frames(_frames(), lambda m: m @ q, {20, 99}, set())
    assert ids.tolist() == [20] and set(moments) == {20}
    ids, _, _ = best_frames(_frames(), lambda m: m @ q, None, {10})
    assert ids.tolist() == [20]


def test_videos_join_the_ranking_once_at_their_best_score():
    ids, scores = merge_videos(np.array([1, 10, 2]), np.array([0.8, 0.3, 0.2], dtype=np.float32),
                               np.array([10, 20]), np.array([0.9, 0.1], dtype=np.float32), limit=3)
    assert ids.tolist() == [10, 1, 2]
    assert np.allclose(scores, [0.9, 0.8, 0.2])


def test_the_frame_index_reloads_only_when_the_frames_changed():
    loads, checks = [], []
    signature = ["a"]

    def load():
        loads.append(1)
        return _frames()

    def sign():
        checks.append(1)
        return signature[0]

    index = FrameIndex()
    index.frames("m", 1, sign, load)
    index.frames("m", 1, sign, load)  # same checkpoint: nothing looked at
    assert (len(checks), len(loads)) == (1, 1)
    index.frames("m", 2, sign, load)  # photos were indexed, no video: checked, not read
    assert (len(checks), len(loads)) == (2, 1)
    signature[0] = "b"
    index.frames("m", 3, sign, load)  # a video's frames changed: read again
    assert (len(checks), len(loads)) == (3, 2)


def test_only_the_best_videos_are_kept_when_a_limit_is_given():
    q = np.array([0.0, 0.2, 0.0, 1.0], dtype=np.float32)
    ids, scores, moments = best_frames(_frames(), lambda m: m @ q, None, set(), limit=1)
    assert ids.tolist() == [20] and set(moments) == {20} and scores.tolist() == [1.0]
