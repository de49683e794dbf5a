"""int8 copies of a bundle's image tower (ONNX Runtime dynamic quantisation)."""

from __future__ import annotations

import collections
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

from indexer.errors import ModelError
from indexer.models.bundle import ModelBundle
from indexer.models.encoder import Encoder
from indexer.models.quantize import QUANT_INFO_FILE, external_data_files, quantize_visual
from tests.support.bundles import tiny_bundle as export_tiny_bundle


def sample_pixels(n: int, size: tuple[int, int], seed: int = 0) -> np.ndarray:
    """Smooth random colour fields plus fine noise, roughly CLIP-normalised."""
    rng = np.random.default_rng(seed)
    h, w = size
    coarse = rng.standard_normal((n, 3, h // 16 + 1, w // 16 + 1)).astype(np.float32)
    smooth = np.repeat(np.repeat(coarse, 16, axis=2), 16, axis=3)[:, :, :h, :w]
    return np.ascontiguousarray(smooth + 0.3 * rng.standard_normal((n, 3, h, w)).astype(np.float32))


def _listing(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_size for p in root.rglob("*") if p.is_file()}


def _agreement(fp32: ModelBundle, int8: ModelBundle, n: int = 32) -> tuple[np.ndarray, np.ndarray, float]:
    """(cosine per image, centred cosine per image, top-1 agreement) of int8 vs fp32 image embeddings."""
    pixels = sample_pixels(n, fp32.preprocess.size)
    with Encoder(fp32, threads=1) as a, Encoder(int8, threads=1) as b:
        e32, e8 = a.encode_pixels(pixels), b.encode_pixels(pixels)
    cos = (e32 * e8).sum(1)
    mean = e32.mean(0)
    c32, c8 = e32 - mean, e8 - mean
    centred = (c32 * c8).sum(1) / (np.linalg.norm(c32, axis=1) * np.linalg.norm(c8, axis=1))
    top1 = float(((e8 @ e32.T).argmax(1) == np.arange(n)).mean())
    return cos, centred, top1


@pytest.fixture()
def fp32_bundle(tiny_bundle: Path) -> ModelBundle:
    """The session's tiny bundle (tests/conftest.py); quantising only reads it."""
    return ModelBundle.load(tiny_bundle)


def test_int8_copy_loads_and_agrees_with_fp32(tmp_path: Path, fp32_bundle: ModelBundle) -> None:
    before = _listing(fp32_bundle.path)
    models = tmp_path / "models"
    int8 = quantize_visual(fp32_bundle, models)

    assert int8.name == f"{fp32_bundle.name}__int8" and int8.path == models / int8.name
    assert [p.name for p in models.iterdir()] == [int8.name]  # no staging left behind
    assert _listing(fp32_bundle.path) == before  # the source is untouched
    assert int8.embed_dim == fp32_bundle.embed_dim and int8.preprocess == fp32_bundle.preprocess

    src_visual = (fp32_bundle.path / "visual" / "model.onnx").read_bytes()
    new_visual = (int8.path / "visual" / "model.onnx").read_bytes()
    assert new_visual != src_visual and len(new_visual) < len(src_visual)
    assert (int8.path / "textual" / "model.onnx").read_bytes() == (
        fp32_bundle.path / "textual" / "model.onnx"
    ).read_bytes()
    ops = collections.Counter(n.op_type for n in onnx.load(str(int8.path / "visual" / "model.onnx")).graph.node)
    assert ops["MatMulInteger"] > 0 and ops["DynamicQuantizeLinear"] > 0
    info = json.loads((int8.path / "visual" / QUANT_INFO_FILE).read_text())
    assert info["weight_type"] == "QInt8" and info["source_model"] == fp32_bundle.name

    # Measured on this tiny model: cosine >= 0.9998, centred cosine mean ~0.99, top-1 1.0
    # (ViT-B-32, random weights: 0.9998 / 0.997 / 1.0 -- tests/benchmarks/bench_quantize.py).
    cos, centred, top1 = _agreement(fp32_bundle, int8)
    assert cos.min() > 0.999
    assert centred.mean() > 0.95 and centred.min() > 0.9
    assert top1 == 1.0

    # The text tower is the same model: identical text vectors.
    texts = ["a dog on a beach", "городская улица ночью", ""]
    with Encoder(fp32_bundle, threads=1) as a, Encoder(int8, threads=1) as b:
        np.testing.assert_array_equal(a.encode_texts(texts), b.encode_texts(texts))


def test_existing_name_is_refused_unless_forced(tmp_path: Path, fp32_bundle: ModelBundle) -> None:
    models = tmp_path / "models"
    quantize_visual(fp32_bundle, models, name="small")
    with pytest.raises(ModelError, match="a model named small already exists"):
        quantize_visual(fp32_bundle, models, name="small")
    again = quantize_visual(fp32_bundle, models, name="small", force=True)
    assert again.name == "small"
    assert [p.name for p in models.iterdir()] == ["small"]
    with pytest.raises(ModelError, match="cannot be a model name"):
        quantize_visual(fp32_bundle, models, name="../x")
    with pytest.raises(ModelError, match="already quantised"):
        quantize_visual(again, models)


def test_external_data_is_read_and_not_copied(tmp_path: Path, fp32_bundle: ModelBundle) -> None:
    # The same bundle with its image tower's weights beside the graph, as large models ship.
    src = tmp_path / "external"
    shutil.copytree(fp32_bundle.path, src)
    model_path = src / "visual" / "model.onnx"
    model = onnx.load(str(model_path))
    onnx.save_model(
        model, str(model_path), save_as_external_data=True, all_tensors_to_one_file=True,
        location="model.onnx_data", size_threshold=1024,
    )
    assert external_data_files(model_path) == {"model.onnx_data"}
    external = ModelBundle.load(src)

    int8 = quantize_visual(external, tmp_path / "models")
    assert sorted(p.name for p in (int8.path / "visual").iterdir()) == [
        "model.onnx",
        "preprocess_cfg.json",
        QUANT_INFO_FILE,
    ]
    assert external_data_files(int8.path / "visual" / "model.onnx") == set()
    cos, _, top1 = _agreement(external, int8)
    assert cos.min() > 0.999 and top1 == 1.0


def test_without_onnx_the_error_says_what_to_install(
    tmp_path: Path, fp32_bundle: ModelBundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` fail
    with pytest.raises(ModelError, match=r"pip install 'photoseek\[export\]'"):
        quantize_visual(fp32_bundle, tmp_path / "models")
    assert not (tmp_path / "models").exists()


def test_immich_style_bundle_quantises(tmp_path: Path) -> None:
    # Downloaded models are Immich-style: static batch 1, outputs normalised in the graph.
    immich = ModelBundle.load(export_tiny_bundle(tmp_path / "src", immich_style=True))
    assert immich.visual.static_batch == 1
    int8 = quantize_visual(immich, tmp_path / "models")
    assert int8.visual.static_batch == 1
    cos, centred, top1 = _agreement(immich, int8, n=8)
    assert cos.min() > 0.999 and centred.mean() > 0.95 and top1 == 1.0
