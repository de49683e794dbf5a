"""What a user's Photoseek remembers about bundle files across libraries (``known_bundles``), and
loading a tower ahead of use (``Encoder.prepare``)."""

from __future__ import annotations

import json

import numpy as np
import onnxruntime
import pytest

from indexer.errors import ModelError
from indexer.models import known_bundles
from indexer.models.bundle import ModelBundle
from indexer.models.encoder import Encoder
from indexer.models.fingerprint import files_stamp, fingerprint
from tests.support.sessions import counting_sessions

STAMP = "a" * 64
PRINT = "b" * 64


def test_remembers_a_fingerprint_and_tower_checks():
    assert known_bundles.recall(STAMP) is None
    known_bundles.remember(STAMP, PRINT)
    known_bundles.remember(STAMP, PRINT, checked="visual@1.0:CPUExecutionProvider")
    known = known_bundles.recall(STAMP)
    assert known is not None and known.fingerprint == PRINT
    assert known.checked == {"visual@1.0:CPUExecutionProvider"}
    known_bundles.remember(STAMP, "c" * 64)  # other bytes under the same stamp: the old checks are forgotten
    known = known_bundles.recall(STAMP)
    assert known is not None and known.fingerprint == "c" * 64 and known.checked == set()


@pytest.mark.parametrize("content", [
    b"not json", b"[]", b'{"fingerprint": "xyz"}', b'{"fingerprint": 5}',
    json.dumps({"fingerprint": PRINT, "checked": "visual"}).encode(), b"{" + b" " * 10_000 + b"}",
])
def test_a_damaged_or_foreign_entry_is_ignored(content):
    known_bundles.remember(STAMP, PRINT)
    entry = known_bundles.paths.cache_dir() / known_bundles.FOLDER / f"{STAMP}.json"
    entry.write_bytes(content)
    assert known_bundles.recall(STAMP) is None


def test_a_stamp_that_is_not_a_digest_is_never_a_file_name():
    known_bundles.remember("../../escape", PRINT)
    assert known_bundles.recall("../../escape") is None
    assert not (known_bundles.paths.cache_dir() / known_bundles.FOLDER).exists()


def test_a_cache_that_cannot_be_written_only_costs_time(monkeypatch, tmp_path):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    monkeypatch.setattr(known_bundles.paths, "cache_dir", lambda: blocked)
    known_bundles.remember(STAMP, PRINT)  # no exception
    assert known_bundles.recall(STAMP) is None


def test_verify_loads_a_tower_once_per_bundle_files_then_trusts_the_record(tiny_bundle_path, monkeypatch):
    created = counting_sessions(monkeypatch)
    bundle = ModelBundle.load(tiny_bundle_path)
    stamp, print_ = files_stamp(tiny_bundle_path), fingerprint(bundle)
    Encoder(bundle, providers=["cpu"], fingerprint=print_, files_stamp=stamp).verify()
    assert len(created) == 2  # both towers loaded and checked
    Encoder(bundle, providers=["cpu"], fingerprint=print_, files_stamp=stamp).verify()  # another library
    assert len(created) == 2  # known good: nothing loaded
    without = Encoder(bundle, providers=["cpu"], files_stamp=stamp)  # no fingerprint: nothing to trust
    without.verify()
    assert len(created) == 4


def test_a_tower_checked_before_is_not_probed_again_but_its_outputs_still_are(tiny_bundle_path, monkeypatch):
    bundle = ModelBundle.load(tiny_bundle_path)
    stamp, print_ = files_stamp(tiny_bundle_path), fingerprint(bundle)
    Encoder(bundle, providers=["cpu"], fingerprint=print_, files_stamp=stamp).verify()  # checked, remembered
    runs: list[int] = []
    real = Encoder._run_once

    def counting(session, tower, batch):
        runs.append(len(batch))
        return real(session, tower, batch)

    monkeypatch.setattr(Encoder, "_run_once", staticmethod(counting))
    encoder = Encoder(bundle, providers=["cpu"], fingerprint=print_, files_stamp=stamp)
    assert encoder.encode_texts(["a dog"]).shape == (1, 64)
    assert runs == [1]  # the query only: no run on a plain input first
    monkeypatch.setattr(Encoder, "_run_once", staticmethod(lambda session, tower, batch: np.full((len(batch), 64), np.nan)))
    with pytest.raises(ModelError, match="non-finite"):
        Encoder(bundle, providers=["cpu"], fingerprint=print_, files_stamp=stamp).encode_texts(["a dog"])


def test_a_failed_check_is_not_remembered(tiny_bundle_path, monkeypatch):
    bundle = ModelBundle.load(tiny_bundle_path)
    stamp, print_ = files_stamp(tiny_bundle_path), fingerprint(bundle)
    monkeypatch.setattr(Encoder, "_run_once", staticmethod(lambda session, tower, batch: np.full((len(batch), 64), np.nan)))
    with pytest.raises(ModelError, match="non-finite"):
        Encoder(bundle, providers=["cpu"], fingerprint=print_, files_stamp=stamp).verify()
    assert known_bundles.recall(stamp) is None or not known_bundles.recall(stamp).checked


def test_prepare_loads_a_tower_in_the_background_once(tiny_bundle_path, monkeypatch):
    created = counting_sessions(monkeypatch)
    encoder = Encoder(tiny_bundle_path, providers=["cpu"], threads=1)
    encoder.prepare("textual")
    encoder.prepare("textual")  # already under way: no second load
    vectors = encoder.encode_texts(["a dog"])  # waits for the load, never starts another
    assert vectors.shape == (1, 64)
    assert [p.rsplit("/", 2)[-2] for p in created] == ["textual"]
    encoder.prepare("textual")  # loaded: nothing to do
    assert len(created) == 1


def test_a_tower_that_fails_to_load_ahead_raises_when_used(tiny_bundle_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("bad graph")

    monkeypatch.setattr(onnxruntime, "InferenceSession", broken)
    encoder = Encoder(tiny_bundle_path, providers=["cpu"], threads=1)
    encoder.prepare("visual")
    with pytest.raises(ModelError, match="bad graph"):
        encoder.encode_pixels(np.zeros((1, 3, 224, 224), np.float32))


def test_an_entry_that_says_nothing_new_is_not_written_again():
    known_bundles.remember(STAMP, PRINT, checked="visual@1.0:CPUExecutionProvider")
    entry = known_bundles.paths.cache_dir() / known_bundles.FOLDER / f"{STAMP}.json"
    before = entry.stat().st_mtime_ns, entry.stat().st_ino
    known_bundles.remember(STAMP, PRINT, checked="visual@1.0:CPUExecutionProvider")
    known_bundles.remember(STAMP, PRINT)
    assert (entry.stat().st_mtime_ns, entry.stat().st_ino) == before
