"""The exporter: what it writes, and how it refuses."""

from __future__ import annotations

import json

import pytest

from indexer.errors import ModelError
from indexer.models import export, export_tokenizer, export_towers
from tests.support.bundles import TINY_CONFIG, tiny_model

pytest.importorskip("open_clip")


def test_bundle_files_and_metadata(tiny_bundle_path):
    config = json.loads((tiny_bundle_path / "config.json").read_text())
    assert config["embed_dim"] == 64 and config["vision_cfg"] == TINY_CONFIG["vision_cfg"]
    meta = json.loads((tiny_bundle_path / "photoseek_export.json").read_text())
    assert meta["dynamic_batch"] and meta["dynamic_text_length"] and meta["format"] == "photoseek"
    assert "random weights (seed 0)" in meta["source"] and "bpe_simple_vocab_16e6" in meta["tokenizer"]
    tokenizer_config = json.loads((tiny_bundle_path / "textual/tokenizer_config.json").read_text())
    assert tokenizer_config["bos_token"] == "<start_of_text>" and "pad_token" not in tokenizer_config
    assert not [p for p in tiny_bundle_path.parent.iterdir() if p.name.startswith(".")]  # no staging left


def test_tokenizer_vocabulary_is_open_clips():
    tokenizer, config = export_tokenizer.build_tokenizer()
    assert tokenizer.get_vocab_size() == 49408
    assert tokenizer.token_to_id("<start_of_text>") == 49406 and tokenizer.token_to_id("<end_of_text>") == 49407
    # standalone use (as Immich would) adds the special tokens itself
    assert tokenizer.encode("A Photo of a CAT").ids == [49406, 320, 1125, 539, 320, 2368, 49407]
    hf, hf_config = export_tokenizer.build_tokenizer(hf_style=True)
    assert hf.token_to_id("<|startoftext|>") == 49406 and hf_config["pad_token"] == "<|endoftext|>"


def test_refuses_a_non_empty_target(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("user data")
    with pytest.raises(ModelError, match="not empty"):
        export.export_model(tiny_model(), tmp_path / "out", name="x", source="test")
    assert (tmp_path / "out" / "keep.txt").read_text() == "user data"


def test_refuses_a_model_without_the_clip_tokenizer(tmp_path):
    class NotClip:
        vocab_size = 250002

    with pytest.raises(ModelError, match="does not use the CLIP BPE tokenizer"):
        export.export_model(NotClip(), tmp_path / "out", name="x", source="test")


def test_failed_export_leaves_nothing(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise ModelError("ONNX export of visual tower failed: simulated")

    monkeypatch.setattr(export_towers, "_onnx_export", broken)
    with pytest.raises(ModelError, match="simulated"):
        export.export_model(tiny_model(), tmp_path / "out", name="x", source="test")
    assert list(tmp_path.iterdir()) == []


def test_unknown_architecture(tmp_path):
    with pytest.raises(ModelError, match="no architecture named"):
        export.export_pretrained("ViT-Nonexistent-7", None, tmp_path / "out")
