from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from indexer.scanner import is_image_name
from indexer.watcher import ChangeQueue, start_observer


class FakeClock:
    """A clock for ``ChangeQueue`` on which waiting never sleeps: ``wait`` moves the time on, firing what
    ``every`` scheduled meanwhile (e.g. a stream of file events) at the times it was due."""

    def __init__(self) -> None:
        self.t = 0.0
        self._repeat: list[tuple[float, float, Callable[[], None]]] = []  # (next due, period, action)

    def now(self) -> float:
        return self.t

    def every(self, period: float, action: Callable[[], None]) -> None:
        self._repeat.append((self.t + period, period, action))

    def advance(self, seconds: float, *, until_action: bool = False) -> None:
        """Move the time on by ``seconds`` (``until_action``: only until the first action fired)."""
        end = self.t + seconds
        while self._repeat and min(due for due, _, _ in self._repeat) <= end:
            i = min(range(len(self._repeat)), key=lambda k: self._repeat[k][0])
            due, period, action = self._repeat[i]
            self.t = due
            self._repeat[i] = (due + period, period, action)
            action()
            if until_action:
                return
        self.t = end

    def wait(self, cond: threading.Condition, seconds: float) -> None:
        # an action notifies the condition (it adds to the queue), which ends a real wait early
        self.advance(seconds, until_action=True)


def test_burst_becomes_few_batches_without_duplicates():
    clock = FakeClock()
    queue = ChangeQueue(debounce=0.2, max_wait=2.0, clock=clock)
    for i in range(1000):
        queue.add(f"/photos/img_{i}.jpg")
        if i % 100 == 0:
            queue.add(f"/photos/img_{i}.jpg")  # repeated events for one file coalesce
        clock.advance(0.001)                       # the burst lasts one second, never pausing for 0.2 s
    assert queue.take(0.05) == []  # still settling: 0.05 s after the last event
    assert clock.now() == pytest.approx(1.05)
    batch = queue.take(2.0)
    assert len(batch) == 1000 and len(set(batch)) == 1000
    assert clock.now() == pytest.approx(1.0 + 0.2, abs=0.011)  # released once the burst settled for `debounce`
    assert queue.take(5.0) == [] and clock.now() == pytest.approx(1.2 + 5.0, abs=0.011)


def test_a_change_waits_for_the_debounce_and_no_longer():
    clock = FakeClock()
    queue = ChangeQueue(debounce=0.5, max_wait=5.0, clock=clock)
    queue.add("/p/a.jpg")
    clock.advance(0.49)
    assert queue.take(0) == []
    clock.advance(0.01)
    assert queue.take(0) == [Path("/p/a.jpg")]


def test_editor_save_dance_is_one_change():
    queue = ChangeQueue(debounce=0.2)
    for p in ["/p/.photo.jpg.swp", "/p/photo.jpg~", "/p/.photo.jpg.swp", "/p/photo.jpg", "/p/photo.jpg~"]:
        queue.add(p)
    batch = queue.take(1.0)
    # One batch (one sync) naming each path once, in the order they first changed...
    assert batch == [Path("/p/.photo.jpg.swp"), Path("/p/photo.jpg~"), Path("/p/photo.jpg")]
    # ...of which exactly one is a photo the scan looks at: the swap file is hidden, the backup no image.
    assert [p for p in batch if is_image_name(p.name) and not p.name.startswith(".")] == [Path("/p/photo.jpg")]
    assert queue.take(0.3) == []


def test_a_real_editor_save_is_one_batch_with_one_photo(tmp_path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"old")
    queue = ChangeQueue(debounce=0.3)
    observer = start_observer([tmp_path], queue)
    try:
        time.sleep(0.2)
        backup = tmp_path / "photo.jpg~"
        backup.write_bytes(photo.read_bytes())  # keep a backup, write a temp file, rename it over, drop the backup
        tmp = tmp_path / ".photo.jpg.tmp"
        tmp.write_bytes(b"new content")
        tmp.replace(photo)
        backup.unlink()
        batch = queue.take(5.0)
        assert [p for p in batch if is_image_name(p.name) and not p.name.startswith(".")] == [photo]
        assert len(batch) == len(set(batch)) and set(batch) <= {photo, backup, tmp}
        assert queue.take(1.0) == []  # nothing left for a second sync
    finally:
        observer.stop()
        observer.join(5)


def test_max_wait_releases_a_never_ending_stream():
    clock = FakeClock()
    queue = ChangeQueue(debounce=0.5, max_wait=0.6, clock=clock)
    added = iter(range(10**6))
    clock.every(0.02, lambda: queue.add(f"/p/{next(added)}.jpg"))   # never settles for 0.5 s
    batch = queue.take(3.0)
    # the stream's first event came at 0.02 s: the batch is released `max_wait` after it, not at the timeout
    assert batch and clock.now() == pytest.approx(0.02 + 0.6, abs=0.011)
    assert len(batch) == len(set(batch)) >= 29


def _wait_for_event(folder: Path, *, polling: bool) -> list[Path]:
    queue = ChangeQueue(debounce=0.2)
    observer = start_observer([folder], queue, polling=polling)
    target = folder / "new.jpg"
    try:
        time.sleep(0.3)  # let the poller take its first snapshot
        target.write_bytes(b"x")
        deadline = time.monotonic() + 8
        batch: list[Path] = []
        while time.monotonic() < deadline and target not in batch:
            batch += queue.take(0.5)
        return batch
    finally:
        observer.stop()
        observer.join(5)


def test_observer_reports_real_file_events(tmp_path):
    assert tmp_path / "new.jpg" in _wait_for_event(tmp_path, polling=False)


def test_polling_fallback_works(tmp_path):
    assert tmp_path / "new.jpg" in _wait_for_event(tmp_path, polling=True)
