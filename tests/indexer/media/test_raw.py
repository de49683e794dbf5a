"""RAW files through LibRaw: the embedded preview when it is big enough, else a half-size demosaic."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from indexer.errors import UnreadableImage
from indexer.media.raw import decode_raw, raw_preview_used
from indexer.metadata import photo_meta
from indexer.models.bundle import ModelBundle
from tests.support.media import write_dng

pytest.importorskip("rawpy")
pytest.importorskip("tifffile")

RED, GREEN = (200, 40, 40), (40, 200, 40)


@pytest.fixture(scope="module")
def cfg(toyclip_bundle):
    return ModelBundle.load(toyclip_bundle).preprocess


def _flat(colour, size=(384, 256)) -> Image.Image:
    return Image.new("RGB", size, colour)


def _dominant(image: Image.Image) -> int:
    """The channel (0 R, 1 G, 2 B) that is brightest on average."""
    return int(np.argmax(np.asarray(image, dtype=np.float32).reshape(-1, 3).mean(axis=0)))


def test_a_big_enough_jpeg_preview_is_used_instead_of_the_sensor_data(tmp_path, cfg):
    path = write_dng(tmp_path / "a.dng", _flat(RED), preview=_flat(GREEN))  # tell them apart by colour
    assert raw_preview_used(path, cfg)
    decoded = decode_raw(path, cfg)
    assert _dominant(decoded.thumbnail) == 1
    assert (decoded.width, decoded.height) == (384, 256) and max(decoded.thumbnail.size) == 256
    assert photo_meta(decoded.width, decoded.height, decoded.exif).camera == "Acme R1"


def test_a_bitmap_preview_is_used_too(tmp_path, cfg):
    path = write_dng(tmp_path / "b.dng", _flat(RED), preview=_flat(GREEN), jpeg=False)
    assert raw_preview_used(path, cfg)
    assert _dominant(decode_raw(path, cfg).thumbnail) == 1


@pytest.mark.parametrize("case", ["none", "too small", "corrupt"])
def test_without_a_usable_preview_the_sensor_is_demosaiced(tmp_path, cfg, case):
    path = tmp_path / "c.dng"
    if case == "none":
        write_dng(path, _flat(RED))
    elif case == "too small":  # smaller than the thumbnail
        write_dng(path, _flat(RED), preview=_flat(GREEN, (96, 64)))
    else:
        write_dng(path, _flat(RED), preview=_flat(GREEN), corrupt_preview=True)
    assert not raw_preview_used(path, cfg)
    decoded = decode_raw(path, cfg)
    assert _dominant(decoded.thumbnail) == 0  # the sensor's red, not the preview's green
    assert (decoded.width, decoded.height) == (384, 256)
    assert decoded.pixels.shape == (3, *cfg.size) and np.isfinite(decoded.pixels).all()
    meta = photo_meta(decoded.width, decoded.height, decoded.exif)  # EXIF from the file, not the preview
    assert (meta.camera, meta.taken_at) == ("Acme R1", "2024-05-01T10:30:00")


@pytest.mark.parametrize("content, reason", [
    (b"", "empty file (0 bytes)"),
    (b"not a raw file " * 64, "not a RAW file, or a RAW format that cannot be read"),
])
def test_what_is_not_a_raw_file_fails_with_a_reason(tmp_path, cfg, content, reason):
    path = tmp_path / "x.cr2"
    path.write_bytes(content)
    with pytest.raises(UnreadableImage) as err:
        decode_raw(path, cfg)
    assert err.value.reason == reason


def test_a_truncated_raw_file_fails_with_a_reason(tmp_path, cfg):
    whole = write_dng(tmp_path / "whole.dng", _flat(RED))
    cut = tmp_path / "cut.dng"
    cut.write_bytes(whole.read_bytes()[:300])
    with pytest.raises(UnreadableImage) as err:
        decode_raw(cut, cfg)
    assert err.value.reason


def test_a_directory_named_like_a_raw_file_is_refused(tmp_path, cfg):
    (tmp_path / "d.nef").mkdir()
    with pytest.raises(UnreadableImage) as err:
        decode_raw(tmp_path / "d.nef", cfg)
    assert "not a regular file" in err.value.reason
