"""Camera RAW files, through LibRaw (``rawpy``): the embedded preview when it is big enough, else a
half-size demosaic.

Most cameras embed a full-size JPEG preview in the RAW file: when it covers
both the model's input and the thumbnail it is decoded instead of the sensor
data (tens of milliseconds instead of a second), through the same guarded
loader as every JPEG.  A preview that is missing, too small or cannot be
decoded (a corrupt one) falls back to LibRaw's half-size demosaic, which
reads a quarter of the sensor's pixels.  The orientation is LibRaw's (the
camera's) and the EXIF (date, camera, GPS) is read from the file itself when
it is TIFF-based (most RAW formats), else from the preview.

Cost is bounded: files over ``MAX_RAW_BYTES`` and sensors over
``MAX_SENSOR_PIXELS`` are refused before LibRaw decodes them, and every LibRaw
or decoder failure is an ``UnreadableImage`` with a reason.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from indexer.errors import UnreadableImage
from indexer.media.kinds import check_media_file
from indexer.models.bundle import PreprocessConfig
from indexer.models.image_input import (
    DEFAULT_MAX_PIXELS,
    ORIENTATION_SWAPS_AXES,
    check_size,
    read_exif,
    read_image,
)
from indexer.models.preprocess import DEFAULT_THUMB_SIZE, DecodedImage, model_input, to_rgb

logger = logging.getLogger(__name__)

MAX_RAW_BYTES = 1 << 30  # the largest RAW files (medium format, 150 MP) are a few hundred MB
EXIF_HEAD_BYTES = 4 << 20  # where TIFF-based RAW files keep their EXIF (IFD0, the EXIF and GPS IFDs)
MAX_SENSOR_PIXELS = 400_000_000  # sensor photosites; the half-size demosaic holds a quarter of them in RGB
# LibRaw's flip (the camera's orientation) as an EXIF orientation
_FLIP_TO_ORIENTATION = {0: 1, 3: 3, 5: 8, 6: 6}


def decode_raw(path: Path, cfg: PreprocessConfig, *, thumb_size: int = DEFAULT_THUMB_SIZE) -> DecodedImage:
    """Decode the RAW file ``path`` into model pixels, a thumbnail, its size and EXIF (see module doc)."""
    label = os.fspath(path)
    check_media_file(path, label, "a RAW file", MAX_RAW_BYTES)
    import rawpy

    try:
        with _libraw(path) as raw:
            sizes = raw.sizes
            if sizes.raw_width * sizes.raw_height > MAX_SENSOR_PIXELS:
                raise UnreadableImage(label, f"RAW sensor is too large to decode safely "
                                             f"({sizes.raw_width}x{sizes.raw_height})")
            orientation = _FLIP_TO_ORIENTATION.get(int(sizes.flip), 1)
            decoded = _from_preview(raw, label, cfg, thumb_size, orientation)
            if decoded is None:
                decoded = _demosaic(raw, cfg, thumb_size)
    except UnreadableImage:
        raise
    except rawpy.LibRawFileUnsupportedError as exc:
        raise UnreadableImage(label, "not a RAW file, or a RAW format that cannot be read") from exc
    except rawpy.LibRawError as exc:
        raise UnreadableImage(label, f"cannot decode RAW file ({_text(exc)})") from exc
    except MemoryError as exc:
        raise UnreadableImage(label, "not enough memory to decode this RAW file") from exc
    width, height = sizes.width, sizes.height
    if orientation in ORIENTATION_SWAPS_AXES:
        width, height = height, width
    exif = _file_exif(path) or decoded.exif
    return DecodedImage(decoded.pixels, decoded.thumbnail, width, height, exif)


def raw_preview_used(path: Path, cfg: PreprocessConfig, *, thumb_size: int = DEFAULT_THUMB_SIZE) -> bool:
    """Whether ``decode_raw`` would use the embedded preview of ``path`` (for measurements and tests)."""
    with _libraw(path) as raw:
        sizes = raw.sizes
        orientation = _FLIP_TO_ORIENTATION.get(int(sizes.flip), 1)
        return _from_preview(raw, os.fspath(path), cfg, thumb_size, orientation) is not None


@contextmanager
def _libraw(path: Path) -> Iterator[Any]:
    import rawpy

    raw = rawpy.imread(os.fspath(path))
    try:
        yield raw
    finally:
        raw.close()


def _needed_side(cfg: PreprocessConfig, thumb_size: int) -> int:
    """The shortest side a preview must have to cover the model's input and the thumbnail."""
    return max(max(cfg.size), thumb_size)


def _from_preview(
    raw: Any, label: str, cfg: PreprocessConfig, thumb_size: int, orientation: int
) -> DecodedImage | None:
    """The decoded embedded preview, or None when there is none big enough or it cannot be decoded."""
    import rawpy

    try:
        thumb = raw.extract_thumb()
    except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
        return None
    except rawpy.LibRawError as exc:
        logger.debug("%s: unreadable preview (%s)", label, _text(exc))
        return None
    need = _needed_side(cfg, thumb_size)
    try:
        if thumb.format == rawpy.ThumbFormat.JPEG:
            return _jpeg_preview(bytes(thumb.data), label, cfg, thumb_size, orientation, need)
        if thumb.format == rawpy.ThumbFormat.BITMAP:
            array = np.asarray(thumb.data)
            if array.ndim != 3 or array.shape[2] != 3 or min(array.shape[:2]) < need:
                return None
            rgb = to_rgb(Image.fromarray(array.astype(np.uint8), "RGB"), orientation)
            return _decoded_from_rgb(rgb, cfg, thumb_size, None)
    except UnreadableImage as exc:
        logger.info("%s: the embedded preview cannot be decoded (%s); demosaicing instead", label, exc.reason)
    return None


def _jpeg_preview(
    data: bytes, label: str, cfg: PreprocessConfig, thumb_size: int, orientation: int, need: int
) -> DecodedImage | None:
    """Decode a JPEG preview at the smallest scale still twice what is needed, turned by the camera's flip."""
    def decode(image: Image.Image, _label: str) -> DecodedImage | None:
        w, h = image.size
        if min(w, h) < need:
            return None
        scale = min(1.0, 2.0 * need / min(w, h))
        image.draft("RGB", (max(1, int(w * scale)), max(1, int(h * scale))))
        check_size(image, DEFAULT_MAX_PIXELS, original=(w, h), label=label)
        exif = read_exif(image)
        image.load()
        return _decoded_from_rgb(to_rgb(image, orientation), cfg, thumb_size, exif)

    return read_image(data, decode)


def _demosaic(raw: Any, cfg: PreprocessConfig, thumb_size: int) -> DecodedImage:
    rgb = raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8, user_flip=None)
    image = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8), "RGB")
    return _decoded_from_rgb(image, cfg, thumb_size, None)


def _decoded_from_rgb(
    rgb: Image.Image, cfg: PreprocessConfig, thumb_size: int, exif: Image.Exif | None
) -> DecodedImage:
    thumbnail = rgb.copy()
    thumbnail.thumbnail((thumb_size, thumb_size), Image.Resampling.BICUBIC)
    return DecodedImage(model_input(rgb, cfg), thumbnail, rgb.width, rgb.height, exif)


def _file_exif(path: Path) -> Image.Exif | None:
    """The EXIF of a TIFF-based RAW file (CR2, NEF, ARW, DNG, PEF, ...), read from its first
    ``EXIF_HEAD_BYTES``; None for the others (CR3, RAF: their preview's EXIF is used)."""
    try:
        with open(path, "rb") as f:
            head = f.read(EXIF_HEAD_BYTES)
        if head[:4] not in (b"II*\x00", b"MM\x00*"):
            return None
        exif = Image.Exif()
        exif.load(head)
        return exif if len(exif) else None
    except Exception:  # noqa: BLE001 - unreadable EXIF is no reason to lose the photo
        logger.debug("unreadable EXIF in %s", path, exc_info=True)
        return None


def _text(exc: BaseException) -> str:
    text = exc.args[0] if exc.args else type(exc).__name__
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text)
