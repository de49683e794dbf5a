"""Decode a photo once into model input (open_clip's preprocessing) plus a thumbnail.

``decode_image`` opens the photo through the guarded loader in
``image_input`` (regular files only, bounded pixels and aspect, first frame),
decodes a JPEG at a reduced scale with ``draft()`` (never below twice the size
the model or the thumbnail needs, and measured against ``max_pixels`` at that
scale), applies the EXIF orientation, converts to RGB, and then reproduces
open_clip's inference transform exactly in ``model_input``: resize
(``shortest`` + centre crop, ``squash``, ``longest`` + pad with
``fill_color``) with the configured interpolation, ``ToTensor`` and
``Normalize``.

Memory stays bounded by the pixels *produced*: the shortest-side resize of an
elongated picture resizes only the centre that the crop keeps, so a 20:1
panorama is never scaled up to a 20:1 strip of model-sized rows first.

The loader's public names (``load_rgb``, ``to_rgb``, ``open_image_file``,
``ImageSource``, ``MAX_ASPECT``, ...) are importable from here too.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from indexer.models.bundle import PreprocessConfig
from indexer.models.image_input import (
    DEFAULT_MAX_PIXELS,
    MAX_ASPECT,
    ImageSource,
    decode_upright,
    heif_available,
    load_rgb,
    open_image,
    open_image_file,
    read_exif,
    read_image,
    to_rgb,
)
from indexer.thumbnails import THUMB_SIZE

DEFAULT_THUMB_SIZE = THUMB_SIZE  # the longest side of the thumbnail made with each decode

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_THUMB_SIZE",
    "heif_available",
    "MAX_ASPECT",
    "DecodedImage",
    "ImageSource",
    "decode_image",
    "load_rgb",
    "model_input",
    "open_image_file",
    "to_rgb",
]

logger = logging.getLogger(__name__)

# A JPEG is decoded at the smallest DCT scale whose image is still this many times the model's input.
DRAFT_MARGIN = 2.0

_open = open_image  # its former name here, which tests/indexer/models/test_preprocess.py still imports

# The model's resize produces at most this many times its input area before
# the centre crop; beyond it only the part the crop keeps is resized.
_RESIZE_AREA_FACTOR = 4
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
    # The upright image at up to ``detail_side`` pixels on its long side, for photo steps that need more than
    # the thumbnail (reading text); None when not asked for.  The pipeline drops it once its steps have run.
    detail: Image.Image | None = field(default=None, kw_only=True)


def decode_image(
    source: ImageSource,
    cfg: PreprocessConfig,
    *,
    draft: bool = True,
    thumb_size: int = DEFAULT_THUMB_SIZE,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    detail_side: int = 0,
) -> DecodedImage:
    """Decode ``source`` into model pixels and a thumbnail (see module doc), and with ``detail_side`` the
    upright image at up to that many pixels on its long side (``DecodedImage.detail``).

    Raises ``UnreadableImage(source, reason)`` for anything that is not a
    readable image, including images too large to decode within ``max_pixels``.
    """
    return read_image(
        source, lambda image, label: _decode_opened(image, cfg, draft, thumb_size, max_pixels, detail_side, label))


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


# --- internals -------------------------------------------------------------------


def _decode_opened(
    image: Image.Image, cfg: PreprocessConfig, draft: bool, thumb_size: int, max_pixels: int, detail_side: int,
    label: str,
) -> DecodedImage:
    exif = read_exif(image)
    need = (lambda w, h: _draft_need(w, h, cfg, thumb_size, detail_side)) if draft else None
    upright = decode_upright(image, label, max_pixels=max_pixels, need=need, own=False)
    rgb = upright.rgb
    detail = None
    if detail_side > 0:
        detail = shrink(rgb, detail_side)
        if min(detail.size) >= DRAFT_MARGIN * min(cfg.size) and max(detail.size) >= thumb_size:
            rgb = detail  # big enough for the model and the thumbnail, and far cheaper to resize than the photo
        if detail is upright.rgb:
            detail = detail.copy()  # it may be the file's own image, closed with it
    pixels = model_input(rgb, cfg)
    thumbnail = make_thumbnail(rgb, thumb_size)
    return DecodedImage(pixels=pixels, thumbnail=thumbnail, width=upright.width, height=upright.height, exif=exif,
                        detail=detail)


def shrink(image: Image.Image, side: int) -> Image.Image:
    """``image`` with its long side brought down to ``side`` pixels (bilinear); itself when it is no longer."""
    long_side = max(image.size)
    if long_side <= side:
        return image
    scale = side / long_side
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                        Image.Resampling.BILINEAR, reducing_gap=2.0)


def make_thumbnail(image: Image.Image, thumb_size: int = THUMB_SIZE) -> Image.Image:
    """A new upright thumbnail of ``image``: its long side brought down to ``thumb_size`` (bicubic)."""
    w, h = image.size
    scale = thumb_size / max(w, h)
    if scale >= 1.0:
        return image.copy()
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return image.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)


def _draft_need(w: int, h: int, cfg: PreprocessConfig, thumb_size: int, detail_side: int) -> tuple[int, int] | None:
    """The upright size a JPEG must be decoded at: the smallest 1/2, 1/4, 1/8 scale still ``DRAFT_MARGIN`` times
    what the model needs and the thumbnail's size -- and, with ``detail_side``, the scale ``draft_for_side`` picks
    for it, so the detail image is the same pixels as a decode for that side alone.  None: the full size."""
    target_h, target_w = cfg.size
    if cfg.resize_mode == "longest":
        model_scale = min(target_w / w, target_h / h)
    else:  # shortest and squash both need each axis covered
        model_scale = max(target_w / w, target_h / h)
    scale = max(DRAFT_MARGIN * model_scale, thumb_size / max(w, h))
    if scale >= 0.5:
        return None
    need = (math.ceil(w * scale), math.ceil(h * scale))
    if detail_side <= 0:
        return need
    detail = draft_for_side(w, h, detail_side)
    return None if detail is None else (max(need[0], detail[0]), max(need[1], detail[1]))


def draft_for_side(w: int, h: int, side: int) -> tuple[int, int] | None:
    """What a decode for an image of at most ``side`` pixels on its long side asks of a w x h JPEG: the full size
    (None) unless it is more than twice as long, else ``side``'s share of it."""
    scale = side / max(w, h)
    if scale >= 0.5:
        return None
    return math.ceil(w * scale), math.ceil(h * scale)


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
