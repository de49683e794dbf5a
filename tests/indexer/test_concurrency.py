"""One writer, many readers under stress.

A writer thread indexes and watches a folder while the test churns it (adds,
edits, renames, deletes); four reader threads search and report in a loop; in
the middle the writer switches model and rebuilds the vector index.  At the end
every stored vector equals a fresh encode of its file, each vector store holds
exactly the catalog's vectors, and no exception reached any thread.
"""

from __future__ import annotations

import queue
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from indexer.cancel import CancelToken
from indexer.clip.vector_tables import VectorTables
from indexer.library import Library
from indexer.progress import Phase
from indexer.search import Query
from indexer.watcher import watch
from tests.support.photos import photo

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "toyclip"
WORDS = ["a red square", "a blue circle", "green field", "sunset", "night sky"]


def _save(path: Path, seed: int) -> None:
    tmp = path.with_name(f".{path.name}.tmp")  # hidden while written: the walk skips dot files
    photo(seed, (160, 120)).save(tmp, "JPEG", quality=85)
    tmp.replace(path)


class WriterThread(threading.Thread):
    """Runs ``watch`` on the writer library; between runs, executes queued writer jobs."""

    def __init__(self, lib: Library):
        super().__init__(name="writer", daemon=True)
        self.lib = lib
        self.jobs: queue.Queue[Callable[[Library], object] | None] = queue.Queue()
        self.token = CancelToken()
        self.errors: list[BaseException] = []
        self.watching = threading.Event()

    def run(self) -> None:
        try:
            while True:
                self.watching.clear()
                for p in watch(self.lib, self.token, poll_interval=0.05):
                    if p.phase is Phase.WATCHING:
                        self.watching.set()
                job = self.jobs.get()
                if job is None:
                    return
                self.token = CancelToken()
                job(self.lib)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(exc)

    def between_runs(self, job: Callable[[Library], object] | None) -> None:
        """Stop the watch at a batch boundary, run ``job`` on this thread, watch again."""
        self.jobs.put(job)
        self.token.cancel()


def _settle(lib: Library, writer: WriterThread, timeout: float = 60.0) -> None:
    """Wait until the writer watches and the library has nothing pending."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not writer.errors:
        if writer.watching.is_set() and lib.reader().status().pending == 0:
            return
        time.sleep(0.1)
    pending = VectorTables(lib.reader().catalog).pending_photos(lib.reader().status().model or "")
    raise AssertionError(f"the writer did not settle: {lib.reader().status()}, {pending}, errors {writer.errors!r}")


def test_one_writer_and_four_readers_under_churn(tmp_path: Path) -> None:
    model_a = FIXTURE
    model_b = tmp_path / "models" / "toyclip-b"
    shutil.copytree(FIXTURE, model_b)
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(30):
        _save(folder / f"p{i:03d}.jpg", i)

    lib = Library.open(tmp_path / "lib")
    lib.settings.debounce_seconds = 0.2
    lib.settings.batch_size = 4
    lib.use_model(str(model_a))
    lib.add_folder(folder)
    writer = WriterThread(lib)
    writer.start()
    _settle(lib, writer)

    reader = lib.reader()
    stop = threading.Event()
    reader_errors: list[BaseException] = []
    searches = [0] * 4

    def read(n: int) -> None:
        try:
            while not stop.is_set():
                hits = reader.search(Query(text=WORDS[searches[n] % len(WORDS)], limit=10))
                assert len({h.photo_id for h in hits}) == len(hits)
                assert all(-1.001 <= h.score <= 1.001 for h in hits)
                reader.status()
                searches[n] += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            reader_errors.append(exc)
        finally:
            reader.close_thread()

    readers = [threading.Thread(target=read, args=(n,), name=f"reader-{n}") for n in range(4)]
    for t in readers:
        t.start()

    seed = 1000

    def churn(rounds: int) -> None:
        nonlocal seed
        for _ in range(rounds):
            names = sorted(p.name for p in folder.glob("*.jpg"))
            _save(folder / f"new{seed}.jpg", seed)  # add
            _save(folder / names[0], seed + 1)  # edit in place
            (folder / names[1]).rename(folder / f"renamed{seed}.jpg")  # rename (a move: vectors reused)
            (folder / names[2]).unlink()  # delete
            seed += 2
            time.sleep(0.15)

    churn(6)
    writer.between_runs(lambda lib: lib.use_model(str(model_b)))  # switch model mid-churn
    churn(6)
    writer.between_runs(lambda lib: lib.rebuild())  # rebuild the serving index mid-churn
    churn(6)
    _settle(lib, writer)
    time.sleep(0.5)  # let the readers run against the settled library too
    stop.set()
    for t in readers:
        t.join(30)
    writer.between_runs(None)
    writer.join(60)

    assert writer.errors == [] and reader_errors == []
    assert not writer.is_alive()
    assert min(searches) > 0, searches

    catalog = lib.catalog
    on_disk = {p for p in folder.glob("*.jpg")}
    rows = catalog.photos_under(folder)
    assert {r.path for r in rows.values()} == on_disk
    encoder = lib.encoder()
    assert encoder.model_id == "toyclip-b"
    assert lib.status().pending == 0 and lib.status().failed == 0
    ids = sorted(r.id for r in rows.values())
    found, stored = VectorTables(catalog).vectors("toyclip-b", ids)
    assert sorted(found.tolist()) == ids
    by_id = {r.id: r.path for r in rows.values()}
    fresh = encoder.encode_images([by_id[int(i)] for i in found])
    np.testing.assert_allclose(stored, fresh, atol=2e-5)
    for name in ("toyclip", "toyclip-b"):
        store = lib._stores.get(name, encoder.dim, catalog)
        assert store.labels() == set(VectorTables(catalog).vector_ids(name)), name
    assert set(VectorTables(catalog).vector_ids("toyclip-b")) == set(ids)
    lib.close()


@pytest.mark.parametrize("n", [3])
def test_reader_threads_see_a_consistent_store_while_the_writer_adds(tmp_path: Path, n: int) -> None:
    """Searches running beside pipeline batches never fail and never return an id twice."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(24):
        _save(folder / f"p{i:03d}.jpg", i)
    with Library.open(tmp_path / "lib", model=str(FIXTURE)) as lib:
        lib.settings.batch_size = 2
        lib.add_folder(folder)
        reader = lib.reader()
        stop = threading.Event()
        errors: list[BaseException] = []

        def read() -> None:
            try:
                while not stop.is_set():
                    hits = reader.search(Query(text="a photo", limit=50))
                    assert len({h.photo_id for h in hits}) == len(hits)
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                errors.append(exc)
            finally:
                reader.close_thread()

        threads = [threading.Thread(target=read) for _ in range(n)]
        for t in threads:
            t.start()
        try:
            for _ in lib.index(workers=1):
                pass
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        assert errors == []
        assert len(reader.search(Query(text="a photo", limit=50))) == 24
