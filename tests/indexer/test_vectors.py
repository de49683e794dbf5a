from __future__ import annotations

import numpy as np

from indexer.vectors import VectorIndex


def _unit(rng, n, d=16):
    x = rng.normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_add_search_remove_and_grow():
    rng = np.random.default_rng(0)
    vecs = _unit(rng, 300)
    index = VectorIndex(16, model="m", capacity=100)  # forces resize_index
    index.add(np.arange(1, 301), vecs)
    assert len(index) == 300
    ids, scores = index.search(vecs[41], 5)
    assert ids[0] == 42 and abs(scores[0] - 1.0) < 1e-5
    index.remove([42])
    ids, _ = index.search(vecs[41], 5)
    assert 42 not in ids.tolist() and len(index) == 299
    index.add(np.array([42]), vecs[41:42])  # re-adding a deleted label revives it
    assert len(index) == 300
    assert index.search(vecs[41], 1)[0][0] == 42


def test_k_larger_than_index_and_filters():
    rng = np.random.default_rng(1)
    vecs = _unit(rng, 10)
    index = VectorIndex(16, model="m")
    index.add(np.arange(10), vecs)
    ids, _ = index.search(vecs[0], 50)
    assert sorted(ids.tolist()) == list(range(10))
    ids, _ = index.search(vecs[0], 50, filter=lambda label: label % 2 == 1)
    assert sorted(ids.tolist()) == [1, 3, 5, 7, 9]


def test_save_load_round_trip_and_damage(tmp_path):
    rng = np.random.default_rng(2)
    vecs = _unit(rng, 50)
    index = VectorIndex(16, model="m")
    index.add(np.arange(50), vecs)
    index.remove([3])
    index.checkpoint = 77
    index.save(tmp_path)
    loaded = VectorIndex.load(tmp_path, "m", 16)
    assert loaded is not None and loaded.checkpoint == 77 and len(loaded) == 49
    assert loaded.search(vecs[10], 1)[0][0] == 10
    assert VectorIndex.load(tmp_path, "m", 32) is None  # other dimension: not ours
    hnsw, _ = VectorIndex.paths(tmp_path, "m")
    hnsw.write_bytes(hnsw.read_bytes()[:100])  # truncated
    assert VectorIndex.load(tmp_path, "m", 16) is None
    hnsw.unlink()
    assert VectorIndex.load(tmp_path, "m", 16) is None
