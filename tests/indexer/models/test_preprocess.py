"""decode_image: open_clip's transform exactly, EXIF, modes, draft, bad files."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from indexer.errors import ModelError, UnreadableImage
from indexer.models.bundle import PreprocessConfig
from indexer.models.preprocess import _draft_need, _open, decode_image, load_rgb, model_input, to_rgb
from tests.support.images import (
    exif_bytes,
    parity_photos,
    photo,
    reference_rgb,
    rgba_photo,
    sixteen_bit_png,
    stored_for_orientation,
    write_jpeg,
)


def _apply_draft(image, upright, orientation, cfg, thumb):
    """Draft ``image`` as ``decode_image`` does for a model and a thumbnail."""
    need = _draft_need(*upright, cfg, thumb, 0)
    if need is not None:
        image.draft(image.mode, need[::-1] if orientation in (5, 6, 7, 8) else need)


CONFIGS = [
    PreprocessConfig(),
    PreprocessConfig(resize_mode="squash"),
    PreprocessConfig(resize_mode="longest", fill_color=128),
    PreprocessConfig(size=(224, 320)),
    PreprocessConfig(size=(256, 192), resize_mode="longest", interpolation="bilinear"),
    PreprocessConfig(size=(240, 200), resize_mode="squash", interpolation="bilinear"),
]


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    return parity_photos(tmp_path_factory.mktemp("parity-photos"), large=(1280, 960))


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"{c.size[0]}x{c.size[1]}-{c.resize_mode}-{c.interpolation}")
def test_pixels_equal_open_clip_transform(photos, cfg):
    transform_mod = pytest.importorskip("open_clip.transform")
    transform = transform_mod.image_transform_v2(
        transform_mod.PreprocessCfg(
            size=cfg.size, mean=cfg.mean, std=cfg.std, interpolation=cfg.interpolation,
            resize_mode=cfg.resize_mode, fill_color=cfg.fill_color,
        ),
        is_train=False,
    )
    for item in photos:
        expected = transform(reference_rgb(item.path)).numpy()
        got = decode_image(item.path, cfg, draft=False).pixels
        assert got.dtype == np.float32 and got.shape == (3, *cfg.size)
        np.testing.assert_allclose(got, expected, atol=1e-5, err_msg=item.kind)
        if cfg == CONFIGS[0]:
            drafted = decode_image(item.path, cfg, draft=True).pixels
            assert np.abs(drafted - expected).mean() < 0.02, item.kind


def test_every_exif_orientation_gives_the_upright_picture(tmp_path):
    upright = photo(640, 400, seed=3)
    cfg = PreprocessConfig()
    expected = decode_image(write_jpeg(tmp_path / "upright.png.jpg", upright, quality=100), cfg, draft=False)
    for orientation in range(1, 9):
        path = write_jpeg(tmp_path / f"o{orientation}.jpg", stored_for_orientation(upright, orientation),
                          orientation=orientation, quality=100)
        decoded = decode_image(path, cfg, draft=False)
        assert (decoded.width, decoded.height) == (640, 400), orientation
        assert decoded.thumbnail.size == (256, 160), orientation
        assert decoded.exif is not None and decoded.exif[0x0112] == orientation
        # JPEG blocks differ once rotated; the picture must still be the same one
        assert np.abs(decoded.pixels - expected.pixels).mean() < 0.05, orientation


def test_alpha_is_composited_over_white():
    rgba = rgba_photo(200, 100)
    rgb = to_rgb(rgba)
    assert rgb.mode == "RGB"
    assert rgb.getpixel((0, 0)) == (255, 255, 255)  # fully transparent corner
    la = Image.new("LA", (10, 10), (0, 0))
    assert to_rgb(la).getpixel((5, 5)) == (255, 255, 255)
    half = Image.new("RGBA", (4, 4), (0, 0, 0, 128))
    assert to_rgb(half).getpixel((1, 1)) == (127, 127, 127)


def test_palette_with_transparency_and_modes(tmp_path):
    pal = Image.new("P", (20, 20), 0)
    pal.putpalette([10, 20, 30, 200, 100, 50] + [0] * 762)
    pal.paste(1, (10, 0, 20, 20))
    pal.info["transparency"] = 0
    rgb = to_rgb(pal)
    assert rgb.getpixel((0, 0)) == (255, 255, 255) and rgb.getpixel((15, 5)) == (200, 100, 50)
    for mode in ("1", "L", "CMYK", "YCbCr", "I", "F", "RGBA", "LA", "P"):
        image = photo(64, 48).convert(mode)
        assert to_rgb(image).mode == "RGB", mode


def test_sixteen_bit_is_scaled_not_clipped(tmp_path):
    path = sixteen_bit_png(tmp_path / "ramp16.png")
    with Image.open(path) as stored:
        assert stored.mode.startswith("I")
    rgb = load_rgb(path)
    row = np.asarray(rgb)[0, :, 0]
    assert row[0] == 0 and row[-1] == 255 and 120 < row[len(row) // 2] < 135
    assert np.all(np.diff(row.astype(int)) >= 0)


def test_cmyk_jpeg_decodes_to_the_same_colours(tmp_path):
    original = photo(320, 240, seed=5)
    original.convert("CMYK").save(tmp_path / "cmyk.jpg", quality=95)
    rgb = load_rgb(tmp_path / "cmyk.jpg")
    assert rgb.mode == "RGB"
    assert np.abs(np.asarray(rgb, np.int16) - np.asarray(original, np.int16)).mean() < 8


def test_animated_gif_and_multipage_tiff_use_the_first_frame(tmp_path):
    frames = [Image.new("RGB", (64, 64), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    frames[0].save(tmp_path / "pages.tiff", save_all=True, append_images=frames[1:])
    for name in ("anim.gif", "pages.tiff"):
        rgb = load_rgb(tmp_path / name)
        assert rgb.getpixel((10, 10))[0] > 200 and rgb.getpixel((10, 10))[1] < 50, name
        decoded = decode_image(tmp_path / name, PreprocessConfig())
        assert decoded.width == 64
    with Image.open(tmp_path / "anim.gif") as opened:
        opened.seek(2)
        assert load_rgb(opened).getpixel((1, 1))[0] > 200  # a seeked image is rewound


def test_heic_decodes(tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif")
    original = photo(320, 240, seed=9)
    try:
        pillow_heif.from_pillow(original).save(tmp_path / "photo.heic", quality=90)
    except (RuntimeError, ValueError, OSError) as exc:  # wheel without an HEVC encoder
        pytest.skip(f"cannot write HEIC here: {exc}")
    decoded = decode_image(tmp_path / "photo.heic", PreprocessConfig())
    assert (decoded.width, decoded.height) == (320, 240)
    assert np.abs(np.asarray(load_rgb(tmp_path / "photo.heic"), np.int16) - np.asarray(original, np.int16)).mean() < 10


def test_draft_decodes_at_no_less_than_twice_the_input(tmp_path):
    path = write_jpeg(tmp_path / "big.jpg", photo(3200, 2400))
    for cfg, thumb in ((PreprocessConfig(), 256), (PreprocessConfig(size=(384, 384)), 256),
                       (PreprocessConfig(resize_mode="longest"), 1024)):
        with _open(path) as image:
            _apply_draft(image, image.size, 1, cfg, thumb)
            w, h = image.size
        assert (w, h) != (3200, 2400)
        if cfg.resize_mode == "longest":
            assert max(w / cfg.size[1], h / cfg.size[0]) >= 2 and max(w, h) >= thumb
        else:
            assert w >= 2 * cfg.size[1] and h >= 2 * cfg.size[0]
    decoded = decode_image(path, PreprocessConfig())
    assert (decoded.width, decoded.height) == (3200, 2400)  # the original size, not the drafted one
    assert max(decoded.thumbnail.size) == 256


def test_rotated_draft_covers_the_upright_axes(tmp_path):
    # stored 3000x600 rotated to a 600x3000 portrait; model needs 448 on each upright axis
    stored = stored_for_orientation(photo(600, 3000), 6)
    path = write_jpeg(tmp_path / "tall.jpg", stored, orientation=6)
    decoded = decode_image(path, PreprocessConfig())
    assert (decoded.width, decoded.height) == (600, 3000)
    with _open(path) as image:
        _apply_draft(image, (600, 3000), 6, PreprocessConfig(), 256)
        assert min(image.size) >= 448


def test_huge_jpeg_goes_through_draft_but_huge_png_is_refused(tmp_path):
    big = photo(3000, 2000)
    write_jpeg(tmp_path / "pano.jpg", big)
    big.save(tmp_path / "pano.png", compress_level=1)
    budget = 1_000_000  # 6 MP source: a JPEG drafts to 1/4 (0.4 MP), a PNG cannot shrink
    decoded = decode_image(tmp_path / "pano.jpg", PreprocessConfig(), max_pixels=budget)
    assert (decoded.width, decoded.height) == (3000, 2000)
    with pytest.raises(UnreadableImage, match="too large"):
        decode_image(tmp_path / "pano.png", PreprocessConfig(), max_pixels=budget)
    with pytest.raises(UnreadableImage, match="too large"):
        decode_image(tmp_path / "pano.jpg", PreprocessConfig(), draft=False, max_pixels=budget)


def _png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_decompression_bombs_are_refused_with_a_reason(tmp_path):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_claiming(100_000, 100_000))
    with pytest.raises(UnreadableImage, match="too large.*decompression bomb") as info:
        decode_image(bomb, PreprocessConfig())
    assert info.value.source == str(bomb)
    # a JPEG header claiming 60000x60000 (3.6 gigapixels) with almost no data
    data = bytearray(write_jpeg(tmp_path / "seed.jpg", photo(64, 64)).read_bytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 60000, 60000)
    (tmp_path / "bomb.jpg").write_bytes(bytes(data))
    with pytest.raises(UnreadableImage, match="too large"):
        decode_image(tmp_path / "bomb.jpg", PreprocessConfig(), max_pixels=20_000_000)


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "empty file"),
        (b"this is not an image at all", "not an image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20, "cannot decode|truncated|not an image"),
    ],
)
def test_bad_files_are_unreadable_images(tmp_path, content, reason):
    path = tmp_path / "bad.jpg"
    path.write_bytes(content)
    with pytest.raises(UnreadableImage, match=reason):
        decode_image(path, PreprocessConfig())


def test_truncated_jpeg_and_missing_file(tmp_path):
    data = write_jpeg(tmp_path / "full.jpg", photo(800, 600)).read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(UnreadableImage, match="truncated"):
        decode_image(tmp_path / "cut.jpg", PreprocessConfig(), draft=False)
    with pytest.raises(UnreadableImage, match="not found"):
        decode_image(tmp_path / "gone.jpg", PreprocessConfig())
    with pytest.raises(UnreadableImage, match="directory"):
        decode_image(tmp_path, PreprocessConfig())


def test_bytes_and_pil_sources(tmp_path):
    image = photo(500, 300)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=95, exif=exif_bytes(1))
    from_bytes = decode_image(buf.getvalue(), PreprocessConfig(), draft=False)
    from_pil = decode_image(Image.open(io.BytesIO(buf.getvalue())), PreprocessConfig(), draft=False)
    np.testing.assert_array_equal(from_bytes.pixels, from_pil.pixels)
    assert (from_bytes.width, from_bytes.height) == (500, 300)
    with pytest.raises(UnreadableImage, match="empty"):
        decode_image(b"", PreprocessConfig())


def test_model_input_pads_small_images_for_longest():
    cfg = PreprocessConfig(resize_mode="longest", fill_color=0, mean=(0, 0, 0), std=(1, 1, 1))
    pixels = model_input(Image.new("RGB", (400, 100), (255, 255, 255)), cfg)
    assert pixels.shape == (3, 224, 224)
    assert pixels[:, 0, :].max() == 0.0 and pixels[:, 112, :].min() == 1.0  # padded band, picture band


def test_preprocess_config_validation():
    assert PreprocessConfig.from_dict({"size": 336}).size == (336, 336)
    cfg = PreprocessConfig.from_dict({"size": [256, 320], "interpolation": "random", "mean": 0.5, "std": [0.5]})
    assert cfg.size == (256, 320) and cfg.interpolation == "bicubic" and cfg.mean == (0.5, 0.5, 0.5)
    with pytest.raises(ModelError, match="resize_mode"):
        PreprocessConfig.from_dict({"resize_mode": "stretch"})
    with pytest.raises(ModelError, match="interpolation"):
        PreprocessConfig.from_dict({"interpolation": "cubic-spline"})
    with pytest.raises(ModelError, match="size"):
        PreprocessConfig.from_dict({"size": [1, 2, 3]})
    with pytest.raises(ModelError, match="mean"):
        PreprocessConfig.from_dict({"mean": [1, 2]})


@pytest.mark.slow
def test_200_megapixel_panorama_decodes_within_a_small_memory_budget(tmp_path):
    """A real 20000x10000 JPEG: drafted to 1/8 (3 MP) before any pixel is decoded."""
    import subprocess
    import sys
    import textwrap

    tile = photo(2000, 1000, seed=11)
    pano = Image.new("RGB", (20000, 10000))
    for x in range(0, 20000, 2000):
        for y in range(0, 10000, 1000):
            pano.paste(tile, (x, y))
    pano.save(tmp_path / "pano.jpg", quality=85)
    del pano
    script = textwrap.dedent(
        f"""
        import resource
        from indexer.models.bundle import PreprocessConfig
        from indexer.models.preprocess import decode_image
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        decoded = decode_image({str(tmp_path / "pano.jpg")!r}, PreprocessConfig(), max_pixels=20_000_000)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(decoded.width, decoded.height, (after - before) // 1024)
        """
    )
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=root)
    width, height, grown_mb = (int(v) for v in out.stdout.split())
    assert (width, height) == (20000, 10000)
    assert grown_mb < 150, f"decoding grew the process by {grown_mb} MB"
