"""Parity with open_clip on the real ViT-B-32 architecture (random weights, seed 0).

Our exporter + preprocessing + ONNX Runtime against open_clip's own
``preprocess`` + torch, on generated photos: large JPEGs with every EXIF
orientation, a PNG with alpha, a CMYK JPEG, palette, grey and tiny images.
The ViT-B-32 bundle is exported once per session (about 40 s here).
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from indexer.models.encoder import Encoder, l2_normalize
from tests.indexer.models.test_tokenizer import corpus
from tests.support.bundles import vit_b32_model
from tests.support.images import parity_photos, reference_rgb

torch = pytest.importorskip("torch")
open_clip = pytest.importorskip("open_clip")

logger = logging.getLogger(__name__)
MIN_COSINE = 0.9999


@pytest.fixture(scope="module")
def reference_model():
    return vit_b32_model(seed=0)


@pytest.fixture(scope="module")
def encoder(vit_b32_bundle_path):
    with Encoder(vit_b32_bundle_path, providers=["cpu"]) as enc:
        yield enc


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    return parity_photos(tmp_path_factory.mktemp("vit-photos"), large=(2400, 1600))


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(l2_normalize(a) * l2_normalize(b), axis=1)


def test_text_embeddings_match_open_clip(encoder, reference_model, record_property):
    texts = corpus(n_random=40)[::4]  # ids are checked on the whole corpus in test_tokenizer
    with torch.no_grad():
        expected = reference_model.encode_text(open_clip.tokenize(texts)).numpy()
    got = encoder.encode_texts(texts)
    cos = cosines(got, expected)
    record_property("text_cosine_min", float(cos.min()))
    logger.info("ViT-B-32 text parity on %d strings: min cosine %.7f", len(texts), cos.min())
    assert cos.min() >= MIN_COSINE, texts[int(cos.argmin())]


def test_trimmed_equals_77_tokens_on_vit_b32(encoder):
    texts = ["a photo of a cat", "sunset", "a busy street market at night with neon signs"]
    tokens = encoder.tokenizer(texts)
    session = encoder._session("textual")
    full = l2_normalize(session.run(None, {"text": tokens.ids})[0])
    np.testing.assert_allclose(encoder.encode_texts(texts), full, atol=2e-5)


def test_image_embeddings_match_open_clip(encoder, reference_model, photos, record_property):
    from open_clip.transform import PreprocessCfg, image_transform_v2

    preprocess = image_transform_v2(PreprocessCfg(**open_clip.get_model_preprocess_cfg(reference_model)), is_train=False)
    assert len(photos) >= 10
    batch = torch.stack([preprocess(reference_rgb(p.path)) for p in photos])
    with torch.no_grad():
        expected = reference_model.encode_image(batch).numpy()
    exact = encoder.encode_images([p.path for p in photos], draft=False)
    drafted = encoder.encode_images([p.path for p in photos], draft=True)
    cos_exact = cosines(exact, expected)
    cos_draft = cosines(drafted, expected)
    between = cosines(expected, np.roll(expected, 1, axis=0))  # different photos, for scale
    for item, c_exact, c_draft in zip(photos, cos_exact, cos_draft):
        logger.info("%-24s draft off %.7f  draft on %.7f", item.kind, c_exact, c_draft)
    record_property("image_cosine_min_draft_off", float(cos_exact.min()))
    record_property("image_cosine_min_draft_on", float(cos_draft.min()))
    failing = [(p.kind, float(c)) for p, c in zip(photos, cos_exact) if c < MIN_COSINE]
    assert not failing
    # the threshold is meaningful: different photos are much further apart
    assert (1 - between).min() > 100 * (1 - cos_exact).max()
    assert cos_draft.min() > 0.99


@pytest.mark.slow
def test_immich_static_vit_b32_matches_dynamic(encoder, vit_b32_immich_bundle_path, photos):
    with Encoder(vit_b32_immich_bundle_path, providers=["cpu"]) as immich:
        texts = ["a photo of a dog", "", "東京タワー 🌃"]
        assert cosines(immich.encode_texts(texts), encoder.encode_texts(texts)).min() >= MIN_COSINE
        paths = [p.path for p in photos[:4]]
        assert cosines(immich.encode_images(paths), encoder.encode_images(paths)).min() >= MIN_COSINE
