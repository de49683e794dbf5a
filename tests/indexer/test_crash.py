"""Crash safety and environment faults.

- ``photoseek index`` is SIGKILLed at random moments across a run of a few
  hundred photos; after every kill a copy of the library is opened (no prompt,
  the dead process's lock taken over) and checked for consistency
  (tests/support/consistency.py); the run resumes without re-embedding what
  was committed, and the final index equals an uninterrupted run's.
- A damaged catalog is reported with a clear one-line message and a recovery
  path, and is never replaced.
- Disk full while writing: an error, a consistent library, and a clean resume.
- A second writer gets "library in use by pid N"; a stale lock is taken over.
"""

from __future__ import annotations

import errno
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from indexer.errors import CatalogCorrupt
from indexer.library import Library
from indexer.library_files import CATALOG_FILE
from indexer.library_reader import LibraryReader
from indexer.search import Query
from tests.support.bundles import TOYCLIP_NAME
from tests.support.cli import ROOT, cli_env, photoseek_cmd, run_photoseek
from tests.support.consistency import check_library, snapshot
from tests.support.photos import write_photo
from tests.support.template import copy_template


def photoseek(*args: str, library: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    return run_photoseek(*args, library=library, timeout=timeout)


def start_index(folder: Path, library: Path, bundle: Path) -> subprocess.Popen:
    cmd = photoseek_cmd("index", str(folder), "--model", str(bundle), library=library)
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=cli_env(), cwd=ROOT)


def small_photos(folder: Path, count: int, *, broken: int = 4) -> None:
    """``count`` small photos (fast to embed) in a few albums, plus ``broken`` unreadable ones."""
    sizes = [(160, 120), (120, 160), (200, 133), (96, 96)]
    for i in range(count):
        ext = ".png" if i % 7 == 3 else ".jpg"
        write_photo(folder / f"album{i % 4}" / f"p{i:04d}{ext}", 1000 + i, sizes[i % len(sizes)])
    for i in range(broken):
        (folder / f"broken_{i}.jpg").write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * (i + 1))


def indexed_count(library: Path) -> int:
    """Vectors committed so far (read-only; 0 when there is no catalog yet)."""
    import sqlite3

    if not (library / CATALOG_FILE).exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{library / CATALOG_FILE}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def summary_count(stderr: str) -> int:
    """Photos a `photoseek index` run read, from its summary: embedded plus failed."""
    match = re.search(r"indexed (\d+) photo\(s\)(?:, (\d+) failed)?", stderr)
    assert match, stderr
    return int(match.group(1)) + int(match.group(2) or 0)


def run_kills(tmp_path: Path, bundle: Path, *, photos: int, kills: int, seed: int, batch_size: int = 8) -> dict:
    folder = tmp_path / "photos"
    small_photos(folder, photos)
    total = photos + 4

    reference = tmp_path / "reference"
    started = time.monotonic()
    # Text reading (OCR) is off: this is the embedding stage's crash test (the text stage has its own,
    # tests/indexer/test_photo_text_crash.py), and its timing model assumes runs end with embedding.
    proc = photoseek("index", str(folder), "--model", str(bundle), "--no-ocr", library=reference)
    reference_s = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    ref = check_library(reference, TOYCLIP_NAME)
    assert (ref.photos, ref.indexed, ref.failed) == (total, photos, 4)

    library = tmp_path / "killed"
    library.mkdir()
    # Smaller batches than the reference run: more commit points to be killed around, and the
    # final vectors must still match although every batch was composed differently.
    (library / "settings.toml").write_text(f"batch_size = {batch_size}\nocr = false\n")
    rng = random.Random(seed)
    startup_s = reference_s / 2  # refined from the first runs: time until a run's first commit
    rate = photos / reference_s  # photos committed per second once a run is embedding (refined)
    first_commit_at = None
    figures = {"kills": 0, "during_startup_or_scan": 0, "mid_embedding": 0, "after_all_work": 0,
               "completed_runs": 0, "hnsw_on_disk": {"missing": 0, "stale": 0, "current": 0},
               "reference_s": round(reference_s, 1)}
    state = None
    while figures["kills"] < kills:
        assert figures["kills"] + figures["completed_runs"] < kills * 3, figures
        before = indexed_count(library)
        first_commit_at = None
        started = time.monotonic()
        proc = start_index(folder, library, bundle)
        if rng.random() < 0.3:  # anywhere in start-up, scanning, the first decodes
            try:
                proc.wait(timeout=rng.uniform(0.05, startup_s))
            except subprocess.TimeoutExpired:
                pass
        else:  # while vectors are being committed: just after one of this run's commits
            while proc.poll() is None and indexed_count(library) == before:
                assert time.monotonic() - started < 120, "index made no progress"
                time.sleep(0.01)
            first_commit_at = time.monotonic()
            startup_s = 0.8 * startup_s + 0.2 * (first_commit_at - started)
            # Spread the remaining work over the remaining kills (about half a share per run).
            left = max(total - indexed_count(library), 1)
            jitter = min(0.25, 0.5 * left / (kills - figures["kills"] + 2) / max(rate, 1.0))
            try:
                proc.wait(timeout=rng.uniform(0.0, jitter))
            except subprocess.TimeoutExpired:
                pass
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed = True
        else:
            killed = False
            err = proc.stderr.read().decode()
            assert proc.returncode == 0, err
            figures["completed_runs"] += 1
        proc.stderr.close()
        # Check a copy: opening repairs (catches up the HNSW, takes over the lock), and the next
        # run must cope with exactly what the kill left behind.
        state = check_library(snapshot(library, tmp_path / "check"), TOYCLIP_NAME)
        figures["hnsw_on_disk"][state.hnsw_on_disk] += 1
        if killed:
            figures["kills"] += 1
            if before + 4 >= total:
                figures["after_all_work"] += 1
            elif state.indexed == before:
                figures["during_startup_or_scan"] += 1
            else:
                figures["mid_embedding"] += 1
                if first_commit_at is not None:
                    span = max(time.monotonic() - first_commit_at, 0.05)
                    rate = 0.7 * rate + 0.3 * (state.indexed - before) / span
            lock = (library / "lock").read_text().strip()
            assert lock == "" or not _alive(int(lock))  # a dead writer's pid may be left behind
        if figures["kills"] == 1 and killed:
            status = photoseek("status", "--json", library=tmp_path / "check")
            assert status.returncode == 0 and status.stderr == "", status.stderr
            assert json.loads(status.stdout)["indexed"] == state.indexed

    # Resume: exactly the photos without a committed vector are embedded.
    pending = total - (state.indexed + state.failed if state else 0)
    proc = photoseek("index", str(folder), library=library)
    assert proc.returncode == 0, proc.stderr
    assert summary_count(proc.stderr) == pending  # nothing committed is embedded again, no failure retried
    final = check_library(library, TOYCLIP_NAME)
    figures.update(final_indexed=final.indexed, resumed_embedded=summary_count(proc.stderr), pending_before=pending)
    assert (final.photos, final.indexed, final.failed, final.pending) == (total, photos, 4, 0)
    import sqlite3

    conn = sqlite3.connect(f"file:{library / CATALOG_FILE}?mode=ro", uri=True)
    writes = conn.execute("SELECT checkpoint FROM models WHERE name=?", (TOYCLIP_NAME,)).fetchone()[0]
    conn.close()
    assert writes == photos  # across all the killed runs, every photo's vector was written exactly once
    assert set(final.vectors) == set(ref.vectors)
    worst = max(float(np.abs(final.vectors[k] - ref.vectors[k]).max()) for k in ref.vectors)
    assert worst < 1e-4, f"vectors differ from the uninterrupted run's by up to {worst}"
    figures["max_vector_diff"] = worst
    with LibraryReader.open(library) as a, LibraryReader.open(reference) as b:
        qa = a.search(Query(text="a red circle", limit=10))
        qb = b.search(Query(text="a red circle", limit=10))
        assert [h.path for h in qa] == [h.path for h in qb]
    return figures


def test_sigkill_at_random_moments_keeps_the_library_consistent(tmp_path, toyclip_bundle):
    figures = run_kills(tmp_path, toyclip_bundle, photos=400, kills=20, seed=6, batch_size=4)
    print("crash figures:", figures)
    assert figures["kills"] >= 20
    assert figures["mid_embedding"] >= 10, figures  # kills landed while vectors were being committed


@pytest.mark.slow
def test_sigkill_thorough(tmp_path, toyclip_bundle):
    figures = run_kills(tmp_path, toyclip_bundle, photos=500, kills=60, seed=61)
    print("crash figures:", figures)
    assert figures["kills"] >= 60 and figures["mid_embedding"] >= 20, figures


# -- damaged catalog ------------------------------------------------------------------------------


@pytest.fixture()
def indexed_library(template_library, tmp_path):
    """A private copy of the session's template library (tests/support/template.py): (photos, library)."""
    t = copy_template(template_library, tmp_path / "t")
    return t.photos, t.library


def _damage(catalog: Path, how: str) -> None:
    data = bytearray(catalog.read_bytes())
    if how == "truncated":
        catalog.write_bytes(bytes(data[: len(data) // 2 + 100]))
    elif how == "garbage-header":
        data[:100] = os.urandom(100)
        catalog.write_bytes(bytes(data))
    elif how == "zeroed-pages":
        page = int.from_bytes(data[16:18], "big") or 65536
        for p in range(2, len(data) // page):  # keep page 1 (schema) and wipe the tables
            data[p * page : p * page + page // 2] = bytes(page // 2)
        catalog.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["truncated", "garbage-header", "zeroed-pages"])
def test_damaged_catalog_is_reported_never_replaced(indexed_library, template_library, toyclip_bundle, how):
    folder, library = indexed_library
    catalog = library / CATALOG_FILE
    assert not (library / (CATALOG_FILE + "-wal")).exists() or (library / (CATALOG_FILE + "-wal")).stat().st_size == 0
    _damage(catalog, how)
    damaged = catalog.read_bytes()
    for args in (["status", "--json"], ["index", str(folder)], ["search", "x"]):
        proc = photoseek(*args, library=library)
        assert proc.returncode == 1, (args, proc.returncode, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        assert "damaged" in lines[0] and "index your folders again" in lines[0], lines[0]
        assert "Traceback" not in proc.stderr and proc.stdout == ""
        assert catalog.read_bytes() == damaged  # never silently replaced or "repaired"
    with pytest.raises(CatalogCorrupt):
        Library.open(library)
    if how == "truncated":
        # The recovery path the message gives works: a new library, indexed again from the folders.
        proc = photoseek("index", str(folder), "--model", str(toyclip_bundle), library=library.parent / "rebuilt")
        assert proc.returncode == 0 and f"indexed {template_library.count} photo(s)" in proc.stderr, proc.stderr


# -- disk full ------------------------------------------------------------------------------------


def test_disk_full_while_writing_thumbnails_in_process(tmp_path, toyclip_bundle, monkeypatch):
    from indexer.thumbnails import ThumbnailStore

    folder = tmp_path / "photos"
    small_photos(folder, 60, broken=0)
    real_save = ThumbnailStore.save
    calls = {"n": 0}

    def save(self, photo_id, image):
        calls["n"] += 1
        if calls["n"] > 20:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path(photo_id)))
        return real_save(self, photo_id, image)

    monkeypatch.setattr(ThumbnailStore, "save", save)
    library = tmp_path / "lib"
    with Library.open(library, model=str(toyclip_bundle)) as lib:
        lib.settings.batch_size = 8
        with pytest.raises(OSError) as info:
            for _ in lib.index([folder]):
                pass
        assert info.value.errno == errno.ENOSPC
    state = check_library(library, TOYCLIP_NAME)
    assert 0 < state.indexed < 60 and state.failed == 0  # a full disk is not the photos' fault
    monkeypatch.setattr(ThumbnailStore, "save", real_save)
    with Library.open(library, model=str(toyclip_bundle)) as lib:
        for _ in lib.index():
            pass
        assert lib.last_decoded == 60 - state.indexed
    assert check_library(library, TOYCLIP_NAME).indexed == 60


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    return proc.returncode == 0


def test_disk_full_on_a_real_filesystem_via_cli(tmp_path, toyclip_bundle):
    folder = tmp_path / "photos"
    small_photos(folder, 150, broken=0)
    mount = tmp_path / "small-disk"
    if not _mount_tmpfs(mount, "1500k"):  # an empty catalog is 38 pages of 16 KiB; the photos must not fit
        pytest.skip("needs root to mount a small tmpfs (the in-process ENOSPC test covers the logic)")
    try:
        library = mount / "lib"
        proc = photoseek("index", str(folder), "--model", str(toyclip_bundle), library=library)
        assert proc.returncode == 1, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("photoseek: error: the disk is full"), proc.stderr
        assert "free some space" in lines[0]
        assert "Traceback" not in proc.stderr
        state = check_library(snapshot(library, tmp_path / "check"), TOYCLIP_NAME)
        assert state.indexed < 150 and state.failed == 0
        subprocess.run(["mount", "-o", "remount,size=64m", str(mount)], check=True)  # the user frees space
        proc = photoseek("index", str(folder), library=library)
        assert proc.returncode == 0, proc.stderr
        assert summary_count(proc.stderr) == 150 - state.indexed
        assert check_library(library, TOYCLIP_NAME).indexed == 150
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


# -- locks ----------------------------------------------------------------------------------------


def test_second_writer_gets_in_use_by_pid_via_cli(indexed_library, template_library):
    folder, library = indexed_library
    with Library.open(library):
        proc = photoseek("index", str(folder), library=library)
        assert proc.returncode == 1
        assert proc.stderr.strip() == f"photoseek: error: library {library} is in use by pid {os.getpid()}"
        status = photoseek("status", "--json", library=library)  # readers still work beside the writer
        assert status.returncode == 0 and json.loads(status.stdout)["indexed"] == template_library.count
        search = photoseek("search", "a red circle", "--json", "--limit", "3", library=library)
        assert search.returncode == 0 and len(json.loads(search.stdout)) == 3


def test_stale_lock_of_a_dead_process_is_taken_over(indexed_library):
    folder, library = indexed_library
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (library / "lock").write_text(f"{dead.pid}\n")
    proc = photoseek("index", str(folder), library=library)
    assert proc.returncode == 0, proc.stderr
    assert (library / "lock").read_text() == ""  # released by the new owner on exit
    assert "taking over the stale lock of pid" in (library / "photoseek.log").read_text()


# -- readers beside a writer, copies ----------------------------------------------------------------


@pytest.mark.parametrize("keep", [0, 20_000])
def test_long_lived_reader_follows_deletions_after_the_writer_prunes_its_log(
    template_library, tmp_path, keep, monkeypatch
):
    """A reader (the app beside `photoseek watch`) loaded the HNSW file before photos were deleted;
    the writer then saved its index and pruned the removal log.  The reader must not keep the
    deleted photos (searches would silently return fewer results than exist)."""
    from indexer.clip.vector_tables import VectorTables

    monkeypatch.setitem(VectorTables.prune_tombstones.__kwdefaults__, "keep", keep)
    t = copy_template(template_library, tmp_path / "t")
    everything = set(t.paths) | set(t.copies)
    with Library.open(t.library) as writer:
        with LibraryReader.open(t.library) as reader:
            assert len(reader.search(Query(text="x", limit=100))) == t.count
            for p in t.paths[:5]:
                p.unlink()
            for _ in writer.index():  # saves the HNSW file, prunes the log
                pass
            assert len(reader.search(Query(text="x", limit=t.count - 5))) == t.count - 5
            assert {h.path for h in reader.search(Query(text="x", limit=100))} == everything - set(t.paths[:5])


def test_copies_get_their_twins_thumbnail(template_library, tmp_path):
    import shutil as sh

    t = copy_template(template_library, tmp_path / "t")
    copy_path = t.photos / "copy.jpg"
    with Library.open(t.library) as lib:
        sh.copy2(t.paths[1], copy_path)
        for _ in lib.index():
            pass
        assert lib.last_decoded == 0  # the copy reused the stored vector...
        copy = lib.catalog.photo_by_path(copy_path)
        twin = lib.catalog.photo_by_path(t.paths[1])
        thumbs = lib.reader()
        assert thumbs.thumbnail_path(copy.id).read_bytes() == thumbs.thumbnail_path(twin.id).read_bytes()  # ...and thumbnail
        hit = thumbs.search(Query(image=copy_path, limit=1, exclude_self=False))[0]
        assert hit.thumbnail == thumbs.thumbnail_path(hit.photo_id) and hit.thumbnail.is_file()
    check_library(t.library, TOYCLIP_NAME)
