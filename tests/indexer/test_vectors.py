"""``VectorStore``: one model's HNSW index, its file and stamp, and keeping it up with the catalog."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.catalog import Catalog, PhotoMeta
from indexer.clip.vector_store import VectorStore
from indexer.clip.vector_tables import VectorTables
from indexer.errors import LibraryError

META = PhotoMeta(10, 20, None, None, None, None)


def _unit(rng, n, d=16):
    x = rng.normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_add_search_remove_and_grow():
    rng = np.random.default_rng(0)
    vecs = _unit(rng, 300)
    store = VectorStore(16, model="m", capacity=100)  # forces resize_index
    store.add(np.arange(1, 301), vecs, checkpoint=1)
    assert len(store) == 300 and store.checkpoint == 1
    ids, scores = store.search(vecs[41], 5)
    assert ids[0] == 42 and abs(scores[0] - 1.0) < 1e-5
    store.remove([42], checkpoint=2)
    ids, _ = store.search(vecs[41], 5)
    assert 42 not in ids.tolist() and len(store) == 299 and store.checkpoint == 2
    assert store.labels() == set(range(1, 301)) - {42}
    store.add(np.array([42]), vecs[41:42], checkpoint=3)  # re-adding a deleted label revives it
    assert len(store) == 300
    assert store.search(vecs[41], 1)[0][0] == 42
    store.add(np.array([7]), vecs[7:8], checkpoint=1)  # the checkpoint never goes back
    assert store.checkpoint == 3 and len(store) == 300


def test_k_larger_than_index_and_filters():
    rng = np.random.default_rng(1)
    vecs = _unit(rng, 10)
    store = VectorStore(16, model="m")
    assert len(store.search(vecs[0], 5)[0]) == 0  # empty
    store.add(np.arange(10), vecs, checkpoint=1)
    ids, _ = store.search(vecs[0], 50)
    assert sorted(ids.tolist()) == list(range(10))
    ids, _ = store.search(vecs[0], 50, filter=lambda label: label % 2 == 1)
    assert sorted(ids.tolist()) == [1, 3, 5, 7, 9]


def test_save_load_round_trip_and_damage(tmp_path):
    rng = np.random.default_rng(2)
    vecs = _unit(rng, 50)
    store = VectorStore(16, model="m", directory=tmp_path)
    store.add(np.arange(50), vecs, checkpoint=70)
    store.remove([3], checkpoint=77)
    assert store.unsaved
    store.save()
    assert not store.unsaved
    loaded = VectorStore.load(tmp_path, "m", 16)
    assert loaded is not None and loaded.checkpoint == 77 and len(loaded) == 49 and not loaded.unsaved
    assert loaded.labels() == set(range(50)) - {3}
    assert loaded.search(vecs[10], 1)[0][0] == 10
    assert VectorStore.load(tmp_path, "m", 32) is None  # other dimension: not ours
    assert VectorStore.load(tmp_path, "other", 16) is None  # another model's: none
    hnsw, _ = VectorStore.paths(tmp_path, "m")
    hnsw.write_bytes(hnsw.read_bytes()[:100])  # truncated
    assert VectorStore.load(tmp_path, "m", 16) is None
    hnsw.unlink()
    assert VectorStore.load(tmp_path, "m", 16) is None


def test_a_read_only_store_never_writes(tmp_path):
    store = VectorStore(16, model="m", directory=tmp_path, writable=False)
    store.add(np.arange(3), _unit(np.random.default_rng(3), 3), checkpoint=1)
    with pytest.raises(LibraryError, match="read-only"):
        store.save()
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(LibraryError):
        VectorStore(16, model="m").save()  # nowhere to save to


@pytest.fixture()
def catalog(tmp_path):
    c = Catalog(tmp_path / "catalog.sqlite")
    c.migrate()
    VectorTables(c).register_model("m", "src", 16)
    yield c
    c.close()


def _photos(catalog: Catalog, folder, vecs: np.ndarray) -> list[int]:
    row = catalog.add_folder(folder)
    with catalog.transaction():
        ids = [catalog.insert_photo(folder / f"{i}.jpg", row.id, 1, 1, f"h{i}") for i in range(len(vecs))]
        for pid, vec in zip(ids, vecs):
            VectorTables(catalog).record_indexed(pid, "m", vec, META)
    return ids


def test_open_builds_from_the_catalog_then_catches_up_from_its_log(catalog, tmp_path):
    rng = np.random.default_rng(4)
    vecs = _unit(rng, 30)
    ids = _photos(catalog, tmp_path, vecs)
    store = VectorStore.open(tmp_path / "vectors", "m", 16, catalog, writable=True)
    assert store.labels() == set(ids) and store.checkpoint == catalog.checkpoint("m") and store.unsaved
    assert not (tmp_path / "vectors").exists()  # opening writes nothing; the writer saves
    store.save()
    with catalog.transaction():
        catalog.delete_photos(ids[:5])
        VectorTables(catalog).record_indexed(ids[10], "m", vecs[0], META)  # a changed photo: its vector is replaced
    reopened = VectorStore.open(tmp_path / "vectors", "m", 16, catalog, writable=False)
    assert reopened.labels() == set(ids[5:]) and reopened.checkpoint == catalog.checkpoint("m")
    top, scores = reopened.search(vecs[0], 2)
    assert top[0] == ids[10] and ids[0] not in top.tolist() and scores[0] == pytest.approx(1.0, abs=1e-5)
    store.catch_up(catalog)  # the writer's own copy follows the same log
    assert store.labels() == reopened.labels() and store.checkpoint == reopened.checkpoint


def test_catch_up_rebuilds_when_the_removals_it_needs_were_pruned(catalog, tmp_path):
    ids = _photos(catalog, tmp_path, _unit(np.random.default_rng(5), 20))
    old = VectorStore.open(tmp_path / "vectors", "m", 16, catalog, writable=False)
    with catalog.transaction():
        catalog.delete_photos(ids[:4])
    VectorTables(catalog).prune_tombstones("m", catalog.checkpoint("m"), keep=0)
    assert VectorTables(catalog).tombstones_pruned_upto("m") > old.checkpoint
    old.catch_up(catalog)
    assert old.labels() == set(ids[4:]) and len(old) == 16


def test_rebuild_replaces_everything(catalog, tmp_path):
    ids = _photos(catalog, tmp_path, _unit(np.random.default_rng(6), 12))
    store = VectorStore(16, model="m", directory=tmp_path / "vectors")
    store.add(np.array([999]), _unit(np.random.default_rng(7), 1), checkpoint=1)  # not in the catalog
    store.rebuild(catalog)
    assert store.labels() == set(ids) and store.checkpoint == catalog.checkpoint("m")
