from __future__ import annotations

import threading
import time
from pathlib import Path

from indexer.scanner import is_image_name
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
