from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from indexer.catalog import SCHEMA_VERSION, Catalog, PhotoMeta, decode_path, encode_path, prefix_bounds
from indexer.clip.vector_tables import VectorTables
from indexer.errors import CatalogCorrupt

META = PhotoMeta(10, 20, "2021-01-01T00:00:00", "Cam", None, None)


@pytest.fixture()
def catalog(tmp_path):
    c = Catalog(tmp_path / "catalog.sqlite")
    c.migrate()
    yield c
    c.close()


def test_migration_sets_version_and_wal(catalog):
    assert catalog.schema_version() == SCHEMA_VERSION
    assert catalog.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    catalog.migrate()  # idempotent
    assert catalog.schema_version() == SCHEMA_VERSION


def test_paths_with_invalid_utf8_round_trip(tmp_path):
    raw = os.fsencode(str(tmp_path)) + b"/bad\xff name\n.jpg"
    path = Path(os.fsdecode(raw))
    assert decode_path(encode_path(path)) == path
    lo, hi = prefix_bounds(tmp_path)
    assert lo <= encode_path(path) < hi
    assert not (lo <= encode_path(tmp_path.parent / (tmp_path.name + "x") / "a.jpg") < hi)


def test_checkpoint_log_tracks_adds_and_removals(catalog, tmp_path):
    folder = catalog.add_folder(tmp_path)
    VectorTables(catalog).register_model("m", "src", 4)
    with catalog.transaction():
        a = catalog.insert_photo(tmp_path / "a.jpg", folder.id, 1, 1, "h1")
        b = catalog.insert_photo(tmp_path / "b.jpg", folder.id, 1, 1, "h2")
        VectorTables(catalog).record_indexed(a, "m", np.ones(4, np.float32) / 2, META)
    cp = catalog.checkpoint("m")
    with catalog.transaction():
        VectorTables(catalog).record_indexed(b, "m", np.ones(4, np.float32) / 2, META)
        catalog.delete_photos([a])
    later_ids = [int(i) for ids, _ in VectorTables(catalog).iter_vectors("m", after_seq=cp) for i in ids]
    assert later_ids == [b]
    assert VectorTables(catalog).tombstones_after("m", cp) == [a]
    assert catalog.counts("m") == {"photos": 1, "indexed": 1, "failed": 0, "pending": 0}


def test_counts_are_kept_until_the_catalog_changes(catalog, tmp_path):
    """Counts are kept between calls (a search asks several times), and are new after a write of this
    connection or a commit of another one (the writer, while a reader reads)."""
    folder = catalog.add_folder(tmp_path)
    VectorTables(catalog).register_model("m", "src", 4)
    with catalog.transaction():
        a = catalog.insert_photo(tmp_path / "a.jpg", folder.id, 1, 1, "h1")
    reader = Catalog(tmp_path / "catalog.sqlite", readonly=True)
    try:
        assert reader.counts("m") == {"photos": 1, "indexed": 0, "failed": 0, "pending": 1}
        statements: list[str] = []
        reader.conn.set_trace_callback(statements.append)
        reader.counts("m")["photos"] = 99  # a caller's copy: the kept counts stay as they were
        assert reader.counts("m")["photos"] == 1
        assert not [s for s in statements if "COUNT" in s]  # answered without counting again
        with catalog.transaction():  # another connection commits
            VectorTables(catalog).record_indexed(a, "m", np.ones(4, np.float32) / 2, META)
        assert reader.counts("m") == {"photos": 1, "indexed": 1, "failed": 0, "pending": 0}
        assert catalog.counts("m")["pending"] == 0
        with catalog.transaction():
            catalog.insert_photo(tmp_path / "b.jpg", folder.id, 1, 1, "h2")
            assert catalog.counts("m")["pending"] == 1  # this connection's own write, not yet committed
    finally:
        reader.close()


def test_merge_folder_keeps_photos_and_vectors(catalog, tmp_path):
    child = catalog.add_folder(tmp_path / "sub")
    VectorTables(catalog).register_model("m", "src", 4)
    with catalog.transaction():
        a = catalog.insert_photo(tmp_path / "sub" / "a.jpg", child.id, 1, 1, "h1")
        VectorTables(catalog).record_indexed(a, "m", np.ones(4, np.float32) / 2, META)
    parent = catalog.add_folder(tmp_path)
    cp = catalog.checkpoint("m")
    catalog.merge_folder(child.id, parent.id)
    assert [f.path for f in catalog.folders()] == [tmp_path]
    assert catalog.photo_by_path(tmp_path / "sub" / "a.jpg").folder_id == parent.id
    assert VectorTables(catalog).vector_ids("m") == [a] and catalog.checkpoint("m") == cp  # no vector changed
    assert catalog.counts("m") == {"photos": 1, "indexed": 1, "failed": 0, "pending": 0}


def test_models_sources_and_sampled_vectors(catalog, tmp_path):
    tables = VectorTables(catalog)
    assert tables.model_sources() == [] and tables.model_source("m") is None
    tables.register_model("m", "/bundles/m", 4)
    tables.register_model("n", "/bundles/n", 4)
    tables.register_model("m", "/moved/m", 4)  # registering again updates the source only
    assert sorted(tables.model_sources()) == [("m", "/moved/m"), ("n", "/bundles/n")]
    assert tables.model_source("m") == "/moved/m" and tables.model_dim("m") == 4
    assert tables.sample_vectors("m", 5).size == 0
    folder = catalog.add_folder(tmp_path)
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(10, 4)).astype(np.float32)
    with catalog.transaction():
        for i, v in enumerate(vecs):
            pid = catalog.insert_photo(tmp_path / f"{i}.jpg", folder.id, 1, 1, f"h{i}")
            tables.record_indexed(pid, "m", v, META)
    sample = tables.sample_vectors("m", 4, seed=1)
    assert sample.shape == (4, 4) and all(any(np.array_equal(s, v) for v in vecs) for s in sample)
    assert np.array_equal(sample, tables.sample_vectors("m", 4, seed=1))  # seeded
    assert tables.sample_vectors("m", 50).shape == (10, 4)


def test_failed_rows_are_counted_not_pending(catalog, tmp_path):
    folder = catalog.add_folder(tmp_path)
    VectorTables(catalog).register_model("m", "src", 4)
    with catalog.transaction():
        a = catalog.insert_photo(tmp_path / "a.jpg", folder.id, 1, 1, "h1")
        catalog.insert_photo(tmp_path / "b.jpg", folder.id, 1, 1, "h2")
        catalog.record_failure(a, "truncated")
    assert catalog.counts("m") == {"photos": 2, "indexed": 0, "failed": 1, "pending": 1}
    assert [r.path.name for r in VectorTables(catalog).pending_photos("m")] == ["b.jpg"]
    assert [(r.path.name, r.error) for r in catalog.failures()] == [("a.jpg", "truncated")]


def test_garbage_catalog_is_reported_not_replaced(tmp_path):
    path = tmp_path / "catalog.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CatalogCorrupt, match="damaged"):
        c = Catalog(path)
        c.check_integrity()
    assert path.read_bytes().startswith(b"this is not a database")


def test_truncated_catalog_is_detected(tmp_path):
    path = tmp_path / "catalog.sqlite"
    c = Catalog(path)
    c.migrate()
    folder = c.add_folder(tmp_path)
    with c.transaction():
        for i in range(2000):
            c.insert_photo(tmp_path / f"{i}.jpg", folder.id, i, i, f"h{i}")
    c.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises((CatalogCorrupt, sqlite3.DatabaseError)):
        c = Catalog(path)
        c.check_integrity()
        c.migrate()
