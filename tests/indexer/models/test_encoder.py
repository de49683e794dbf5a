"""Encoder on the tiny bundle: API, batching, trimming, providers, errors."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from indexer.errors import ModelError, UnreadableImage
from indexer.models import encoder as encoder_module
from indexer.models.encoder import Encoder, l2_normalize, resolve_providers
from tests.support.bundles import tiny_model
from tests.support.images import photo, rgba_photo, write_jpeg

TEXTS = ["a photo of a cat", "", "sunset over the sea " * 30, "東京 🌅", "dog"]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(l2_normalize(a) * l2_normalize(b), axis=1)


def test_text_vectors_are_normalised_float32(tiny_encoder):
    vectors = tiny_encoder.encode_texts(TEXTS)
    assert vectors.shape == (5, 64) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert tiny_encoder.dim == 64 and tiny_encoder.model_id == "tiny-clip__random"
    assert tiny_encoder.encode_texts([]).shape == (0, 64)


def test_batched_equals_one_by_one(tiny_encoder):
    together = tiny_encoder.encode_texts(TEXTS)
    alone = np.concatenate([tiny_encoder.encode_texts([t]) for t in TEXTS])
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_trimmed_text_equals_full_77_tokens(tiny_encoder):
    tokens = tiny_encoder.tokenizer(TEXTS[:2] + TEXTS[3:])
    assert tokens.longest < 77
    session = tiny_encoder._session("textual")
    full = session.run(None, {"text": tokens.ids})[0]
    trimmed = session.run(None, {"text": tokens.trimmed()})[0]
    np.testing.assert_allclose(l2_normalize(trimmed), l2_normalize(full), atol=1e-5)
    np.testing.assert_allclose(tiny_encoder.encode_texts(TEXTS[:2] + TEXTS[3:]), l2_normalize(full), atol=1e-5)


def test_matches_open_clip_torch(tiny_encoder):
    torch = pytest.importorskip("torch")
    open_clip = pytest.importorskip("open_clip")
    model = tiny_model()
    with torch.no_grad():
        expected_text = model.encode_text(open_clip.tokenize(TEXTS)).numpy()
        pixels = np.random.default_rng(0).normal(size=(3, 3, 224, 224)).astype(np.float32)
        expected_image = model.encode_image(torch.from_numpy(pixels)).numpy()
    assert cosines(tiny_encoder.encode_texts(TEXTS), expected_text).min() >= 0.9999
    assert cosines(tiny_encoder.encode_pixels(pixels), expected_image).min() >= 0.9999


def test_immich_static_bundle_gives_the_same_vectors(tiny_encoder, tiny_immich_bundle_path, tmp_path):
    images = [photo(640, 480, seed=s) for s in range(3)] + [rgba_photo(300, 500)]
    with Encoder(tiny_immich_bundle_path, providers=["cpu"], threads=1) as immich:
        assert immich.bundle.visual.static_batch == 1 and not immich.bundle.trims_text
        np.testing.assert_allclose(immich.encode_texts(TEXTS), tiny_encoder.encode_texts(TEXTS), atol=1e-5)
        np.testing.assert_allclose(immich.encode_images(images), tiny_encoder.encode_images(images), atol=1e-5)


def test_encode_images_accepts_paths_bytes_and_pil(tiny_encoder, tmp_path):
    image = photo(800, 600, seed=4)
    path = write_jpeg(tmp_path / "p.jpg", image, quality=95)
    data = path.read_bytes()
    vectors = tiny_encoder.encode_images([path, str(path), data, Image.open(io.BytesIO(data))])
    assert vectors.shape == (4, 64)
    np.testing.assert_allclose(vectors, np.repeat(vectors[:1], 4, axis=0), atol=1e-6)
    assert tiny_encoder.encode_images([]).shape == (0, 64)
    with pytest.raises(UnreadableImage, match="not an image"):
        tiny_encoder.encode_images([path, b"plain text, no picture"])


def test_wrong_inputs_are_model_errors(tiny_encoder):
    with pytest.raises(ModelError, match=r"shape \(n, 3, 224, 224\)"):
        tiny_encoder.encode_pixels(np.zeros((2, 3, 128, 128), np.float32))
    with pytest.raises(ModelError, match="list of strings"):
        tiny_encoder.encode_texts("one string")  # type: ignore[arg-type]


def test_sessions_load_lazily_once(tiny_bundle_path, monkeypatch):
    import onnxruntime

    created = []
    real = onnxruntime.InferenceSession

    def counting(*args, **kwargs):
        created.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(onnxruntime, "InferenceSession", counting)
    encoder = Encoder(tiny_bundle_path, providers=["cpu"], threads=1)
    assert created == []
    encoder.encode_texts(["a"])
    encoder.encode_texts(["b"])
    assert len(created) == 1 and created[0].endswith("textual/model.onnx")
    encoder.encode_pixels(np.zeros((1, 3, 224, 224), np.float32))
    assert len(created) == 2
    encoder.close()
    encoder.encode_texts(["c"])  # usable again after close: sessions come back
    assert len(created) == 3


def test_provider_choice(monkeypatch):
    assert resolve_providers(["cpu"]) == ["CPUExecutionProvider"]
    assert resolve_providers(["CPUExecutionProvider"]) == ["CPUExecutionProvider"]
    monkeypatch.setattr(
        encoder_module, "available_providers",
        lambda: ["DmlExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"],
    )
    assert resolve_providers(None) == ["CUDAExecutionProvider", "DmlExecutionProvider", "CPUExecutionProvider"]
    assert resolve_providers(["directml"]) == ["DmlExecutionProvider", "CPUExecutionProvider"]
    monkeypatch.setattr(encoder_module, "available_providers", lambda: ["CPUExecutionProvider"])
    assert resolve_providers(None) == ["CPUExecutionProvider"]
    with pytest.raises(ModelError, match="'cuda' is not available.*available: CPUExecutionProvider"):
        resolve_providers(["cuda"])


def test_thread_count(tiny_bundle_path):
    with pytest.raises(ModelError, match="thread count"):
        Encoder(tiny_bundle_path, threads=-1)
    with Encoder(tiny_bundle_path, providers=["cpu"], threads=2) as encoder:
        assert encoder.encode_texts(["x"]).shape == (1, 64)
        assert encoder._session("textual").get_session_options().intra_op_num_threads == 2


def test_runtime_failure_is_a_model_error(tiny_bundle_path, monkeypatch):
    with Encoder(tiny_bundle_path, providers=["cpu"]) as encoder:
        session = encoder._session("textual")

        class Exploding:
            def run(self, *args, **kwargs):
                return session.run(None, {"text": np.zeros((1, 3), np.float32)})  # wrong dtype

        encoder._sessions["textual"] = Exploding()
        with pytest.raises(ModelError, match="textual/model.onnx failed to run"):
            encoder.encode_texts(["boom"])


def test_l2_normalize_keeps_zero_rows():
    out = l2_normalize(np.array([[3.0, 4.0], [0.0, 0.0]], np.float32))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])
