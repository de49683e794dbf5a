"""The fast-loading copy of a text tower in the user's cache (``tower_layout``)."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from indexer.models import tower_layout
from indexer.models.bundle import ModelBundle
from indexer.models.encoder import Encoder
from indexer.models.fingerprint import files_stamp
from tests.support.sessions import counting_sessions

TEXTS = ["a dog on a beach", "東京 at night", ""]


@pytest.fixture
def bundle(tiny_bundle_path, tmp_path):
    copy = tmp_path / "bundle"
    shutil.copytree(tiny_bundle_path, copy)
    return ModelBundle.load(copy)


def test_the_copy_gives_the_same_vectors_and_is_loaded_next_time(bundle, monkeypatch):
    before = Encoder(bundle, providers=["cpu"]).encode_texts(TEXTS)
    stamp = files_stamp(bundle.path)
    assert tower_layout.fast_graph(stamp, "textual") is None
    Encoder(bundle, providers=["cpu"]).keep_fast_text_layout()
    graph = tower_layout.fast_graph(stamp, "textual")
    assert graph is not None and (graph.parent / tower_layout.WEIGHTS).stat().st_size > 0
    assert not graph.is_relative_to(bundle.path)  # the bundle itself is never changed
    loaded = counting_sessions(monkeypatch)
    after = Encoder(bundle, providers=["cpu"]).encode_texts(TEXTS)
    assert loaded == [str(graph)]
    np.testing.assert_array_equal(before, after)


def test_a_copy_whose_files_were_rewritten_is_not_trusted(bundle, monkeypatch):
    stamp = files_stamp(bundle.path)
    graph = tower_layout.write_fast_graph(bundle.textual.model_path, stamp, "textual")
    assert graph is not None
    weights = graph.parent / tower_layout.WEIGHTS
    data = bytearray(weights.read_bytes())
    data[100:104] = b"\x00\x00\xc0\x7f"  # a NaN slipped into the weights
    weights.write_bytes(bytes(data))
    assert tower_layout.fast_graph(stamp, "textual") is None
    loaded = counting_sessions(monkeypatch)
    Encoder(bundle, providers=["cpu"]).encode_texts(["a"])
    assert loaded == [str(bundle.textual.model_path)]  # the bundle's own file again


def test_a_changed_bundle_or_another_runtime_does_not_use_the_copy(bundle, monkeypatch):
    stamp = files_stamp(bundle.path)
    assert tower_layout.write_fast_graph(bundle.textual.model_path, stamp, "textual") is not None
    config = bundle.path / "config.json"
    config.write_text(config.read_text())  # rewritten: the bundle's stamp moves
    assert files_stamp(bundle.path) != stamp and tower_layout.fast_graph(files_stamp(bundle.path), "textual") is None
    monkeypatch.setattr(tower_layout, "_runtime", lambda: "0.0.1")
    assert tower_layout.fast_graph(stamp, "textual") is None


def test_only_the_newest_copies_are_kept(bundle):
    stamps = [f"{i:x}" * 64 for i in range(1, 5)]
    for i, stamp in enumerate(stamps):
        assert tower_layout.write_fast_graph(bundle.textual.model_path, stamp[:64], "textual") is not None
        record = tower_layout._folder(stamp[:64], "textual") / tower_layout.RECORD
        os.utime(record, ns=(i * 10**9, i * 10**9))
    kept = sorted(p.name for p in (tower_layout.paths.cache_dir() / tower_layout.FOLDER).iterdir())
    assert len(kept) == tower_layout.KEEP
    assert tower_layout.fast_graph(stamps[-1][:64], "textual") is not None


def test_nothing_is_written_outside_the_cache_or_for_a_hostile_stamp(bundle, tmp_path, monkeypatch):
    assert tower_layout.write_fast_graph(bundle.textual.model_path, "../../etc", "textual") is None
    assert tower_layout.write_fast_graph(bundle.textual.model_path, "a" * 64, "visual") is None
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("x")
    monkeypatch.setattr(tower_layout.paths, "cache_dir", lambda: blocked)
    assert tower_layout.write_fast_graph(bundle.textual.model_path, "a" * 64, "textual") is None


def test_no_copy_is_written_on_a_disk_without_room_for_it(bundle, monkeypatch):
    real = tower_layout.shutil.disk_usage

    def nearly_full(path):
        usage = real(path)
        return usage._replace(free=bundle.textual.model_path.stat().st_size * 2)

    monkeypatch.setattr(tower_layout.shutil, "disk_usage", nearly_full)
    stamp = files_stamp(bundle.path)
    assert tower_layout.write_fast_graph(bundle.textual.model_path, stamp, "textual") is None
    assert not (tower_layout.paths.cache_dir() / tower_layout.FOLDER).exists() or not any(
        (tower_layout.paths.cache_dir() / tower_layout.FOLDER).iterdir())
