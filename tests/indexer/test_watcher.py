from __future__ import annotations

import threading
import time
from pathlib import Path

from indexer.watcher import ChangeQueue, start_observer


def test_burst_becomes_few_batches_without_duplicates():
    queue = ChangeQueue(debounce=0.2, max_wait=2.0)
    for i in range(1000):
        queue.add(f"/photos/img_{i}.jpg")
        if i % 100 == 0:
            queue.add(f"/photos/img_{i}.jpg")  # repeated events for one file coalesce
    assert queue.take(0.05) == []  # still settling
    batch = queue.take(2.0)
    assert len(batch) == 1000 and len(set(batch)) == 1000


def test_editor_save_dance_is_one_change():
    queue = ChangeQueue(debounce=0.2)
    for p in ["/p/.photo.jpg.swp", "/p/photo.jpg~", "/p/.photo.jpg.swp", "/p/photo.jpg", "/p/photo.jpg~"]:
        queue.add(p)
    batch = queue.take(1.0)
    assert Path("/p/photo.jpg") in batch
    assert queue.take(0.3) == []


def test_max_wait_releases_a_never_ending_stream():
    queue = ChangeQueue(debounce=0.5, max_wait=0.6)
    stop = threading.Event()

    def feed():
        i = 0
        while not stop.is_set():
            queue.add(f"/p/{i}.jpg")
            i += 1
            time.sleep(0.02)

    t = threading.Thread(target=feed)
    t.start()
    try:
        started = time.monotonic()
        batch = queue.take(3.0)
        assert batch and time.monotonic() - started < 1.5
    finally:
        stop.set()
        t.join()


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
