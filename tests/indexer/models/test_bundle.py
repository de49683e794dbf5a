"""ModelBundle.load: the Immich layout, graph signatures, and clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from indexer.errors import ModelError
from indexer.models import bundle as bundle_module
from indexer.models.bundle import ModelBundle, PreprocessConfig
from indexer.models.encoder import Encoder
from indexer.models.onnx_graph import read_signature

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def _visual_graph(shape: list, dim: int, dtype: int = TensorProto.FLOAT) -> onnx.ModelProto:
    """image [B,3,H,W] -> mean over H,W -> [B,3] @ W[3,dim]."""
    weight = numpy_helper.from_array(np.arange(3 * dim, dtype=np.float32).reshape(3, dim) / 10, "w")
    nodes = [
        helper.make_node("ReduceMean", ["image"], ["pooled"], axes=[2, 3], keepdims=0),
        helper.make_node("MatMul", ["pooled", "w"], ["embeddings"]),
    ]
    graph = helper.make_graph(
        nodes, "visual",
        [helper.make_tensor_value_info("image", dtype, shape)],
        [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, [shape[0], dim])],
        initializer=[weight],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def _text_graph(shape: list, dim: int, dtype: int = TensorProto.INT64) -> onnx.ModelProto:
    """text [B,L] -> embedding lookup -> mean over L -> [B,dim]."""
    table = numpy_helper.from_array(np.random.default_rng(0).normal(size=(49408, dim)).astype(np.float32), "table")
    graph = helper.make_graph(
        [
            helper.make_node("Gather", ["table", "text"], ["tokens"]),
            helper.make_node("ReduceMean", ["tokens"], ["embeddings"], axes=[1], keepdims=0),
        ],
        "textual",
        [helper.make_tensor_value_info("text", dtype, shape)],
        [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, [shape[0], dim])],
        initializer=[table],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def make_bundle(
    root: Path,
    *,
    visual: onnx.ModelProto | None = None,
    textual: onnx.ModelProto | None = None,
    embed_dim: int | None = 8,
    preprocess: dict | None = None,
    context_length: int = 77,
) -> Path:
    """A small synthetic bundle in the Immich layout (Immich's static shapes by default)."""
    from indexer.models.export_tokenizer import build_tokenizer

    (root / "visual").mkdir(parents=True)
    (root / "textual").mkdir()
    onnx.save(visual or _visual_graph([1, 3, 224, 224], 8), str(root / "visual/model.onnx"))
    onnx.save(textual or _text_graph([1, context_length], 8, TensorProto.INT32), str(root / "textual/model.onnx"))
    config: dict = {"text_cfg": {"context_length": context_length}, "vision_cfg": {}}
    if embed_dim is not None:
        config["embed_dim"] = embed_dim
    (root / "config.json").write_text(json.dumps(config))
    (root / "visual/preprocess_cfg.json").write_text(json.dumps(preprocess or {"size": [224, 224]}))
    tokenizer, tokenizer_config = build_tokenizer(hf_style=True, context_length=context_length)
    tokenizer.save(str(root / "textual/tokenizer.json"))
    (root / "textual/tokenizer_config.json").write_text(json.dumps(tokenizer_config))
    return root


def test_tiny_bundle_loads_with_dynamic_axes(tiny_bundle_path):
    bundle = ModelBundle.load(tiny_bundle_path)
    assert bundle.name == tiny_bundle_path.name and bundle.path == tiny_bundle_path.resolve()
    assert bundle.embed_dim == 64 and bundle.context_length == 77
    assert bundle.preprocess == PreprocessConfig()
    assert bundle.visual.static_batch is None and bundle.textual.static_batch is None
    assert bundle.trims_text and bundle.textual.input_dtype == np.int64
    for meta in ("README.md", "photoseek_export.json"):
        assert (tiny_bundle_path / meta).is_file()
    assert "tiny custom open_clip config" in (tiny_bundle_path / "README.md").read_text()


def test_immich_style_bundle_loads_static(tiny_immich_bundle_path):
    bundle = ModelBundle.load(tiny_immich_bundle_path)
    assert bundle.visual.input_shape == (1, 3, 224, 224) and bundle.visual.static_batch == 1
    assert bundle.textual.input_shape == (1, 77) and bundle.textual.input_dtype == np.int32
    assert not bundle.trims_text
    assert bundle.tokenizer_config["pad_token"] == "<|endoftext|>"
    opsets = {o.domain: o.version for o in onnx.load(str(bundle.visual.model_path), load_external_data=False).opset_import}
    assert opsets[""] == 19


def test_signature_reader_agrees_with_onnx(tiny_bundle_path, tiny_immich_bundle_path):
    for root in (tiny_bundle_path, tiny_immich_bundle_path):
        for rel in ("visual/model.onnx", "textual/model.onnx"):
            model = onnx.load(str(root / rel), load_external_data=False)
            signature = read_signature(root / rel)
            assert [i.name for i in signature.inputs] == [i.name for i in model.graph.input]
            for ours, theirs in zip(signature.inputs + signature.outputs, list(model.graph.input) + list(model.graph.output)):
                dims = tuple(d.dim_param or d.dim_value for d in theirs.type.tensor_type.shape.dim)
                assert ours.shape == dims


def test_old_style_graph_inputs_exclude_initializers(tmp_path):
    model = _visual_graph([1, 3, 224, 224], 8)
    model.graph.input.append(helper.make_tensor_value_info("w", TensorProto.FLOAT, [3, 8]))
    onnx.save(model, str(tmp_path / "m.onnx"))
    assert [i.name for i in read_signature(tmp_path / "m.onnx").inputs] == ["image"]


def test_synthetic_immich_bundle_encodes(tmp_path):
    root = make_bundle(tmp_path / "synthetic")
    bundle = ModelBundle.load(root)
    assert bundle.embed_dim == 8 and bundle.visual.static_batch == 1
    with Encoder(bundle, providers=["cpu"]) as encoder:
        vectors = encoder.encode_texts(["a", "b c", "d e f"])
        assert vectors.shape == (3, 8)
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
        images = encoder.encode_pixels(np.random.default_rng(0).normal(size=(3, 3, 224, 224)).astype(np.float32))
        assert images.shape == (3, 8)


def test_external_data_bundle(tmp_path, tiny_bundle_path):
    root = tmp_path / "external"
    shutil.copytree(tiny_bundle_path, root)
    model = onnx.load(str(root / "visual/model.onnx"))
    onnx.save_model(model, str(root / "visual/model.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="model.onnx.data", size_threshold=1024)
    assert (root / "visual/model.onnx.data").stat().st_size > (root / "visual/model.onnx").stat().st_size
    pixels = np.random.default_rng(1).normal(size=(2, 3, 224, 224)).astype(np.float32)
    with Encoder(root, providers=["cpu"]) as external, Encoder(tiny_bundle_path, providers=["cpu"]) as inline:
        np.testing.assert_allclose(external.encode_pixels(pixels), inline.encode_pixels(pixels), atol=1e-6)


@pytest.mark.parametrize("missing", ["config.json", "visual/model.onnx", "visual/preprocess_cfg.json",
                                     "textual/model.onnx", "textual/tokenizer.json"])
def test_missing_file(tmp_path, missing):
    root = make_bundle(tmp_path / "b")
    (root / missing).unlink()
    with pytest.raises(ModelError, match=f"incomplete: missing {missing}"):
        ModelBundle.load(root)


def test_not_a_directory(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        ModelBundle.load(tmp_path / "nowhere")


def test_tokenizer_config_is_optional(tmp_path):
    root = make_bundle(tmp_path / "b")
    (root / "textual/tokenizer_config.json").unlink()
    with Encoder(root, providers=["cpu"]) as encoder:
        assert encoder.encode_texts(["hello"]).shape == (1, 8)
        assert encoder.tokenizer.pad_id == 0


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda r: (r / "config.json").write_text("{not json"), "config.json is not valid JSON"),
        (lambda r: (r / "config.json").write_text("[1, 2]"), "must hold a JSON object"),
        (lambda r: (r / "visual/preprocess_cfg.json").write_text('{"resize_mode": "crop"}'), "resize_mode"),
        (lambda r: (r / "textual/tokenizer.json").write_text('{"version": "1.0"}'), "no tokenizer model"),
        (lambda r: (r / "visual/model.onnx").write_bytes(b"\x00garbage" * 10), "not a valid ONNX model"),
        (lambda r: (r / "textual/model.onnx").write_bytes(b""), "not a valid ONNX model"),
    ],
    ids=["bad-json", "json-array", "bad-preprocess", "bad-tokenizer", "garbage-onnx", "empty-onnx"],
)
def test_malformed_files(tmp_path, mutate, message):
    root = make_bundle(tmp_path / "b")
    mutate(root)
    with pytest.raises(ModelError, match=message):
        ModelBundle.load(root)


def test_a_bundle_loaded_for_use_leaves_the_tokenizer_file_to_the_tokenizer(tmp_path, monkeypatch):
    """Loading a bundle to search with it does not parse tokenizer.json (MBs of JSON, 50-90 ms): a bad one
    is then refused when text is first encoded, and one too large to be valid is still refused at once."""
    root = make_bundle(tmp_path / "b")
    (root / "textual/tokenizer.json").write_text('{"version": "1.0"}')
    bundle = ModelBundle.load(root, read_tokenizer=False)
    with Encoder(bundle, providers=["cpu"]) as encoder, pytest.raises(ModelError, match="cannot load tokenizer"):
        encoder.encode_texts(["hello"])
    monkeypatch.setattr(bundle_module, "MAX_TOKENIZER_BYTES", 8)
    with pytest.raises(ModelError, match="tokenizer.json is larger than"):
        ModelBundle.load(root, read_tokenizer=False)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"textual": _text_graph([1, 77], 16, TensorProto.INT32), "embed_dim": None}, "embedding sizes differ"),
        ({"embed_dim": 512}, r"embedding sizes differ.*config.json embed_dim 512"),
        ({"visual": _visual_graph([1, 3, 256, 256], 8)}, "expects height 256 but"),
        ({"visual": _visual_graph([1, 3, 224], 8)}, r"expected \[batch, 3, height, width\]"),
        ({"visual": _visual_graph([1, 3, 224, 224], 8, TensorProto.INT64)}, "expected a float tensor"),
        ({"textual": _text_graph([1, 64], 8, TensorProto.INT32)}, "fixed length 64 but config.json says context_length 77"),
        ({"textual": _text_graph([1, 77], 8, TensorProto.FLOAT)}, "expected int32 or int64"),
    ],
    ids=["towers-differ", "config-differs", "input-size", "input-rank", "image-dtype", "text-length", "text-dtype"],
)
def test_wrong_graphs(tmp_path, kwargs, message):
    root = make_bundle(tmp_path / "b", **kwargs)
    with pytest.raises(ModelError, match=message):
        ModelBundle.load(root)


def test_static_and_dynamic_variants_load(tmp_path):
    variants = {
        "dyn-int64": dict(visual=_visual_graph(["batch", 3, 224, 224], 8),
                          textual=_text_graph(["batch", "length"], 8, TensorProto.INT64)),
        "static-int32": dict(),
        "dyn-batch-fixed-len": dict(textual=_text_graph(["n", 77], 8, TensorProto.INT64)),
    }
    for name, kwargs in variants.items():
        bundle = ModelBundle.load(make_bundle(tmp_path / name, **kwargs))
        with Encoder(bundle, providers=["cpu"]) as encoder:
            texts = encoder.encode_texts(["one", "two words", "three more words"])
            assert texts.shape == (3, 8), name
            assert encoder.encode_pixels(np.zeros((2, 3, 224, 224), np.float32)).shape == (2, 8), name


def test_graph_that_onnxruntime_rejects_is_a_model_error(tmp_path):
    broken = _visual_graph([1, 3, 224, 224], 8)
    broken.graph.node[1].op_type = "NoSuchOperator"
    root = make_bundle(tmp_path / "b", visual=broken)
    bundle = ModelBundle.load(root)  # the signature itself is fine
    with Encoder(bundle, providers=["cpu"]) as encoder:
        with pytest.raises(ModelError, match="cannot load .*visual/model.onnx with ONNX Runtime"):
            encoder.encode_pixels(np.zeros((1, 3, 224, 224), np.float32))
