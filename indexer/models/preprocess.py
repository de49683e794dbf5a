"""Decode a photo once: model input (open_clip's preprocessing) plus a thumbnail.

``decode_image`` opens any file Pillow (and pillow_heif) can read, takes the
first frame, decodes JPEGs at a reduced scale with ``draft()`` (never below
twice the size the model or the thumbnail needs), applies the EXIF
orientation, converts any mode to RGB (alpha composited over white, 16-bit
scaled down), and then reproduces open_clip's inference transform exactly:
resize (``shortest`` + centre crop, ``squash``, ``longest`` + pad with
``fill_color``) with the configured interpolation, ``ToTensor`` and
``Normalize``.

This is the one way an image enters Photoseek -- photos being indexed, query
images, sketches, dropped or pasted pictures -- and every failure is an
``UnreadableImage`` whose reason a user can act on:

- Only a regular, non-empty file is opened: a directory, named pipe (FIFO),
  device or socket is refused from its ``stat`` before anything could block,
  and checked again on the opened descriptor.
- Memory stays bounded by the pixels *read*: an image whose decoded size would
  exceed ``max_pixels`` is refused before any pixel is decoded, but a JPEG is
  measured at the scale ``draft()`` decodes it, so a 200-megapixel panorama
  still goes through at an eighth of its size.
- Memory stays bounded by the pixels *produced*: an image more elongated than
  ``MAX_ASPECT``:1 (a line, a strip) is refused, and the shortest-side resize
  of an elongated picture resizes only the centre that the crop keeps, so a
  20:1 panorama is never scaled up to a 20:1 strip of model-sized rows first.
"""

from __future__ import annotations

import io
import logging
import math
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, UnidentifiedImageError

from indexer.errors import UnreadableImage
from indexer.models.bundle import PreprocessConfig

logger = logging.getLogger(__name__)

try:  # HEIC/HEIF/AVIF support is optional at runtime but listed as a dependency.
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_AVAILABLE = True
except ImportError:  # pragma: no cover - depends on the installation
    HEIF_AVAILABLE = False

ImageSource = str | Path | bytes | Image.Image

# Decoded pixels allowed for one image (at the scale actually decoded):
# 100 MP of RGB is 300 MB, the most one decode worker should hold.
DEFAULT_MAX_PIXELS = 100_000_000
# The most elongated picture accepted, long side to short side.  A 20:1
# panorama is a picture (the model sees its centre, as open_clip's
# shortest-side crop does); a 1000x1 line or a 100000x1 strip is not, and
# scaling its short side up to the model's input would produce gigapixels.
MAX_ASPECT = 100
# The model's resize produces at most this many times its input area before
# the centre crop; beyond it only the part the crop keeps is resized.
_RESIZE_AREA_FACTOR = 4
DEFAULT_THUMB_SIZE = 256
_JPEG_MAGIC = b"\xff\xd8\xff"
_EXIF_ORIENTATION = 0x0112
_ORIENTATION_SWAPS_AXES = {5, 6, 7, 8}
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_RESAMPLE = {
    "bicubic": Image.Resampling.BICUBIC,
    "bilinear": Image.Resampling.BILINEAR,
    "nearest": Image.Resampling.NEAREST,
    "lanczos": Image.Resampling.LANCZOS,
}


@dataclass
class DecodedImage:
    pixels: np.ndarray  # float32 (3, H, W): the model input, normalised
    thumbnail: Image.Image  # upright RGB, longest side <= thumb_size
    width: int  # upright size of the original image (before draft)
    height: int
    exif: Image.Exif | None  # raw EXIF of the file, for metadata


def decode_image(
    source: ImageSource,
    cfg: PreprocessConfig,
    *,
    draft: bool = True,
    thumb_size: int = DEFAULT_THUMB_SIZE,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> DecodedImage:
    """Decode ``source`` into model pixels and a thumbnail (see module doc).

    Raises ``UnreadableImage(source, reason)`` for anything that is not a
    readable image, including images too large to decode within ``max_pixels``.
    """
    label = _label(source)
    try:
        if isinstance(source, Image.Image):
            return _decode_opened(source, cfg, draft, thumb_size, max_pixels, label)
        with _open(source) as image:
            return _decode_opened(image, cfg, draft, thumb_size, max_pixels, label)
    except UnreadableImage:
        raise
    except Exception as exc:  # any decoder failure becomes a recorded reason
        raise UnreadableImage(label, _reason(exc)) from exc


def load_rgb(source: ImageSource, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Decode ``source`` at full resolution into a new upright RGB image.

    The same guards as ``decode_image`` (regular files only, ``max_pixels``,
    ``MAX_ASPECT``); raises ``UnreadableImage`` with the reason.
    """
    label = _label(source)
    try:
        if isinstance(source, Image.Image):
            return _full_rgb(source, max_pixels, label)
        with _open(source) as image:
            return _full_rgb(image, max_pixels, label)
    except UnreadableImage:
        raise
    except Exception as exc:
        raise UnreadableImage(label, _reason(exc)) from exc


def _full_rgb(image: Image.Image, max_pixels: int, label: str) -> Image.Image:
    orientation = _orientation(image)
    frame = _first_frame(image)
    _check_size(frame, max_pixels, label=label)
    frame.load()
    rgb = to_rgb(frame, orientation)
    return rgb.copy() if rgb is frame else rgb  # never hand out the (soon closed) file's image


def model_input(image: Image.Image, cfg: PreprocessConfig) -> np.ndarray:
    """open_clip's eval transform on an upright RGB image -> float32 (3, H, W)."""
    target_h, target_w = cfg.size
    resample = _RESAMPLE[cfg.interpolation]
    w, h = image.size
    if cfg.resize_mode == "squash":
        resized = image.resize((target_w, target_h), resample)
    elif cfg.resize_mode == "longest":
        ratio = max(h / target_h, w / target_w)
        # at least one pixel: open_clip would fail on a strip thinner than that
        size = (max(1, round(w / ratio)), max(1, round(h / ratio)))
        resized = _center_crop_or_pad(image.resize(size, resample), target_h, target_w, cfg.fill_color)
    elif target_h == target_w:
        # torchvision Resize(int): shortest side to size, long side truncated
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = target_h, int(target_h * long / short)
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
        resized = _resize_center_crop(image, (new_w, new_h), resample, target_h, target_w)
    else:
        # open_clip's ResizeKeepRatio for a non-square target (always bicubic there)
        ratio = min(h / target_h, w / target_w)
        size = (round(w / ratio), round(h / ratio))
        resized = _resize_center_crop(image, size, Image.Resampling.BICUBIC, target_h, target_w)
    array = np.asarray(resized.convert("RGB"), dtype=np.float32) / np.float32(255.0)
    mean = np.asarray(cfg.mean, dtype=np.float32)
    std = np.asarray(cfg.std, dtype=np.float32)
    array = (array - mean) / std
    return np.ascontiguousarray(array.transpose(2, 0, 1), dtype=np.float32)


def to_rgb(image: Image.Image, orientation: int = 1) -> Image.Image:
    """Upright RGB copy of ``image``: alpha over white, 16-bit and float scaled to 8 bits."""
    mode = image.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        rgb = Image.alpha_composite(white, rgba).convert("RGB")
    elif mode == "RGB":
        rgb = image
    elif mode.startswith("I;16") or mode == "I":
        rgb = Image.fromarray(_scale_to_8bit(np.asarray(image)), "L").convert("RGB")
    elif mode == "F":
        array = np.asarray(image, dtype=np.float32)
        if np.nanmax(array, initial=0.0) <= 1.0:
            array = array * 255.0
        array = np.nan_to_num(array)
        rgb = Image.fromarray(np.clip(array + 0.5, 0, 255).astype(np.uint8), "L").convert("RGB")
    else:  # 1, L, P, CMYK, YCbCr, LAB, HSV, ...
        rgb = image.convert("RGB")
    method = _TRANSPOSE.get(orientation)
    if method is not None:
        rgb = rgb.transpose(method)
    return rgb


# --- internals -------------------------------------------------------------------


@contextmanager
def _open(source: str | Path | bytes) -> Iterator[Image.Image]:
    """Open ``source`` lazily (no pixels decoded yet); closes what it opened."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if not data:
            raise UnreadableImage("<bytes>", "empty file (0 bytes)")
        with _open_stream(io.BytesIO(data), None) as image:
            yield image
        return
    path = Path(source)
    with open_image_file(path) as fh, _open_stream(fh, os.fspath(path)) as image:
        yield image


def open_image_file(path: str | Path) -> IO[bytes]:
    """``path`` opened for binary reading, if it is a non-empty regular file.

    A directory, named pipe, device or socket raises ``UnreadableImage``
    without being opened (opening a FIFO blocks until a writer comes; reading
    a device never ends), and the opened descriptor is checked again, so a
    file swapped for a pipe in between is refused too.  Symbolic links are
    followed: what counts is the file they lead to.
    """
    label = os.fspath(path)
    _require_regular(label, os.stat(path))
    fh = open(path, "rb", opener=_open_nonblocking)  # returned open: the caller closes it
    try:
        info = os.fstat(fh.fileno())
        _require_regular(label, info)
        if info.st_size == 0:
            raise UnreadableImage(label, "empty file (0 bytes)")
    except BaseException:
        fh.close()
        raise
    return fh


def _open_nonblocking(path: str, flags: int) -> int:
    """``open()``'s opener: never wait on a pipe, never adopt a terminal."""
    for name in ("O_NONBLOCK", "O_NOCTTY"):  # POSIX only
        flags |= getattr(os, name, 0)
    return os.open(path, flags)


def _require_regular(label: str, info: os.stat_result) -> None:
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        reason = "is a directory, not an image"
    elif stat.S_ISFIFO(mode):
        reason = "is a named pipe (FIFO), not an image file"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        reason = "is a device, not an image file"
    elif stat.S_ISSOCK(mode):
        reason = "is a socket, not an image file"
    else:
        reason = "is not a regular file, so it cannot be an image"
    raise UnreadableImage(label, reason)


def _open_stream(fp: IO[bytes], filename: str | None) -> Image.Image:
    head = fp.read(3)
    fp.seek(0)
    if head == _JPEG_MAGIC:
        # Pillow's decompression-bomb check runs on the full size; a JPEG is
        # checked here after draft() instead, at the size actually decoded.
        from PIL import JpegImagePlugin

        return JpegImagePlugin.jpeg_factory(fp, filename)
    return Image.open(fp)


def _decode_opened(
    image: Image.Image, cfg: PreprocessConfig, draft: bool, thumb_size: int, max_pixels: int, label: str
) -> DecodedImage:
    orientation = _orientation(image)
    exif = _exif(image)
    width, height = image.size
    if orientation in _ORIENTATION_SWAPS_AXES:
        width, height = height, width
    frame = _first_frame(image)
    if draft and frame.format in ("JPEG", "MPO"):  # a no-op once pixels are loaded
        _apply_draft(frame, (width, height), orientation, cfg, thumb_size)
    _check_size(frame, max_pixels, original=(width, height), label=label)
    frame.load()
    rgb = to_rgb(frame, orientation)
    pixels = model_input(rgb, cfg)
    thumbnail = _thumbnail(rgb, thumb_size)
    return DecodedImage(pixels=pixels, thumbnail=thumbnail, width=width, height=height, exif=exif)


def _thumbnail(image: Image.Image, thumb_size: int) -> Image.Image:
    w, h = image.size
    scale = thumb_size / max(w, h)
    if scale >= 1.0:
        return image.copy()
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return image.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)


def _apply_draft(
    image: Image.Image,
    upright: tuple[int, int],
    orientation: int,
    cfg: PreprocessConfig,
    thumb_size: int,
) -> None:
    """Ask libjpeg for the smallest 1/2, 1/4, 1/8 scale still >= 2x what is needed."""
    w, h = upright
    target_h, target_w = cfg.size
    if cfg.resize_mode == "longest":
        model_scale = min(target_w / w, target_h / h)
    else:  # shortest and squash both need each axis covered
        model_scale = max(target_w / w, target_h / h)
    scale = max(2.0 * model_scale, thumb_size / max(w, h))
    if scale >= 0.5:
        return
    need_w, need_h = max(1, math.ceil(w * scale)), max(1, math.ceil(h * scale))
    if orientation in _ORIENTATION_SWAPS_AXES:
        need_w, need_h = need_h, need_w
    before = image.size
    image.draft(image.mode, (need_w, need_h))
    logger.debug("draft %s -> %s (need %dx%d)", before, image.size, need_w, need_h)


def _check_size(
    image: Image.Image, max_pixels: int, original: tuple[int, int] | None = None, label: str | None = None
) -> None:
    """Refuse, before decoding, what would take too much memory to decode or to resize.

    ``image.size`` is what will be decoded (after any draft); ``original`` the
    picture's own size, which decides the aspect ratio and names it in reasons.
    """
    label = label or _label(image)
    w, h = image.size
    if w < 1 or h < 1:
        raise UnreadableImage(label, f"image has no pixels ({w}x{h})")
    ow, oh = original or (w, h)
    if w * h > max_pixels:
        raise UnreadableImage(
            label,
            f"image is too large to decode safely ({ow}x{oh} = {ow * oh / 1e6:.0f} megapixels; "
            f"limit {max_pixels / 1e6:.0f} megapixels) - possibly a decompression bomb",
        )
    if max(ow, oh) > MAX_ASPECT * max(1, min(ow, oh)):
        raise UnreadableImage(
            label,
            f"image is {ow}x{oh} pixels, too elongated to be searched as a picture "
            f"(its long side is over {MAX_ASPECT} times its short side)",
        )


def _first_frame(image: Image.Image) -> Image.Image:
    if getattr(image, "n_frames", 1) > 1 and image.tell() != 0:
        image.seek(0)
    return image


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(_EXIF_ORIENTATION, 1)
        return int(value) if int(value) in range(1, 9) else 1
    except Exception:  # a corrupt EXIF block is not a reason to lose the photo
        logger.debug("unreadable EXIF orientation in %s", _label(image), exc_info=True)
        return 1


def _exif(image: Image.Image) -> Image.Exif | None:
    try:
        exif = image.getexif()
    except Exception:
        logger.debug("unreadable EXIF in %s", _label(image), exc_info=True)
        return None
    return exif if len(exif) else None


def _scale_to_8bit(array: np.ndarray) -> np.ndarray:
    array = array.astype(np.float64)
    peak = float(array.max(initial=0.0))
    if peak > 255.0:  # 16-bit data (or 32-bit ints holding 16-bit values)
        divisor = 257.0 if peak <= 65535.0 else peak / 255.0
        array = array / divisor
    return np.clip(array + 0.5, 0, 255).astype(np.uint8)


def _resize_center_crop(
    image: Image.Image, size: tuple[int, int], resample: Image.Resampling, target_h: int, target_w: int
) -> Image.Image:
    """Resize to ``size``, then centre-crop (or pad) to the target: open_clip's order.

    When the resized image would be more than ``_RESIZE_AREA_FACTOR`` times
    the target (an elongated picture), only the region the crop keeps is
    resized -- Pillow's ``box``, whose filter still reads the pixels around
    it -- so the pixels produced stay bounded by the target, whatever the
    aspect ratio.  That matches open_clip's crop to within Pillow's rounding
    (at most 2 levels of 255); ordinary photos take the exact path.
    """
    new_w, new_h = size
    if (new_w, new_h) == image.size:
        return _center_crop_or_pad(image, target_h, target_w, 0)
    if new_w * new_h <= _RESIZE_AREA_FACTOR * target_w * target_h:
        return _center_crop_or_pad(image.resize(size, resample), target_h, target_w, 0)
    out_w, out_h = min(new_w, target_w), min(new_h, target_h)
    left = int(round((new_w - target_w) / 2.0)) if new_w > target_w else 0
    top = int(round((new_h - target_h) / 2.0)) if new_h > target_h else 0
    sx, sy = image.width / new_w, image.height / new_h
    box = (left * sx, top * sy, (left + out_w) * sx, (top + out_h) * sy)
    return _center_crop_or_pad(image.resize((out_w, out_h), resample, box=box), target_h, target_w, 0)


def _center_crop_or_pad(image: Image.Image, target_h: int, target_w: int, fill: int) -> Image.Image:
    """torchvision center_crop / open_clip center_crop_or_pad on a PIL image."""
    w, h = image.size
    if target_w > w or target_h > h:
        left = (target_w - w) // 2 if target_w > w else 0
        top = (target_h - h) // 2 if target_h > h else 0
        right = (target_w - w + 1) // 2 if target_w > w else 0
        bottom = (target_h - h + 1) // 2 if target_h > h else 0
        canvas = Image.new(image.mode, (w + left + right, h + top + bottom), (fill,) * len(image.getbands()))
        canvas.paste(image, (left, top))
        image = canvas
        w, h = image.size
        if (w, h) == (target_w, target_h):
            return image
    top = int(round((h - target_h) / 2.0))
    left = int(round((w - target_w) / 2.0))
    if (left, top, w, h) == (0, 0, target_w, target_h):
        return image
    return image.crop((left, top, left + target_w, top + target_h))


def _label(source: object) -> str:
    if isinstance(source, (str, Path)):
        return str(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "<bytes>"
    if isinstance(source, Image.Image):
        return getattr(source, "filename", "") or "<image>"
    return repr(source)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return "file not found (it may have been moved or deleted)"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not an image"
    if isinstance(exc, UnidentifiedImageError):
        return "not an image, or an image format that cannot be read"
    if isinstance(exc, Image.DecompressionBombError):  # Pillow's own check, at open: say it in our words
        found = re.search(r"\((\d+) pixels\)", str(exc))
        size = f" ({int(found.group(1)) / 1e6:.0f} megapixels)" if found else ""
        return f"image is too large to decode safely{size} - possibly a decompression bomb"
    if isinstance(exc, MemoryError):
        return "not enough memory to decode this image"
    text = str(exc).strip() or type(exc).__name__
    if "truncated" in text.lower():
        return f"file is truncated or corrupt ({text})"
    return f"cannot decode image ({text})"
