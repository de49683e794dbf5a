"""The guarded way an image enters Photoseek: open it, check it, decode it upright in RGB.

Photos being indexed, query images, sketches, dropped or pasted pictures all
come in through here, and every failure is an ``UnreadableImage`` whose reason
a user can act on:

- Only a regular, non-empty file is opened (``open_image_file``): a directory,
  named pipe (FIFO), device or socket is refused from its ``stat`` before
  anything could block, and checked again on the opened descriptor.
- Memory stays bounded by the pixels *read* (``check_size``): an image whose
  decoded size would exceed ``max_pixels`` is refused before any pixel is
  decoded.  A JPEG is opened without Pillow's own bomb check, so that a
  caller who first shrinks it with ``draft()`` is measured at the scale
  actually decoded and a 200-megapixel panorama still goes through at an
  eighth of its size.
- An image more elongated than ``MAX_ASPECT``:1 (a line, a strip) is refused:
  it is not a picture, and scaling its short side up to a model's input would
  produce gigapixels.

``read_image`` runs a decode on the opened first frame and turns any decoder
failure into an ``UnreadableImage``; ``to_rgb`` converts any mode to upright
RGB (EXIF orientation applied, alpha composited over white, 16-bit and float
scaled to 8 bits); ``load_rgb`` puts these together for a full-size picture.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import re
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

import numpy as np
from PIL import Image, UnidentifiedImageError

from indexer.errors import UnreadableImage

logger = logging.getLogger(__name__)


@functools.cache
def heif_available() -> bool:
    """Register the HEIC/HEIF/AVIF opener with Pillow (once; every image is opened through this module,
    which calls it first) and say whether there is one.  Not at import: a search that decodes no image
    need not import pillow_heif (20-30 ms).  Optional at runtime, but listed as a dependency."""
    try:
        import pillow_heif
    except ImportError:  # pragma: no cover - depends on the installation
        return False
    pillow_heif.register_heif_opener()
    return True

ImageSource = str | Path | bytes | Image.Image
T = TypeVar("T")

# Decoded pixels allowed for one image (at the scale actually decoded):
# 100 MP of RGB is 300 MB, the most one decode worker should hold.
DEFAULT_MAX_PIXELS = 100_000_000
# The most elongated picture accepted, long side to short side.  A 20:1
# panorama is a picture (the model sees its centre, as open_clip's
# shortest-side crop does); a 1000x1 line or a 100000x1 strip is not, and
# scaling its short side up to the model's input would produce gigapixels.
MAX_ASPECT = 100
# EXIF orientations that turn the stored image a quarter turn (width <-> height).
ORIENTATION_SWAPS_AXES = {5, 6, 7, 8}
_JPEG_MAGIC = b"\xff\xd8\xff"
_EXIF_ORIENTATION = 0x0112
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def read_image(source: ImageSource, decode: Callable[[Image.Image, str], T]) -> T:
    """``decode(image, label)`` on ``source`` opened lazily (no pixels decoded yet).

    A file or bytes are opened with ``open_image`` and closed afterwards; a
    PIL image is passed as it is.  ``label`` names the source in reasons.  Any
    failure other than an ``UnreadableImage`` becomes one, with a reason a
    user can act on.
    """
    label = _label(source)
    try:
        if isinstance(source, Image.Image):
            return decode(source, label)
        with open_image(source) as image:
            return decode(image, label)
    except UnreadableImage:
        raise
    except Exception as exc:  # any decoder failure becomes a recorded reason
        raise UnreadableImage(label, _reason(exc)) from exc


def load_rgb(source: ImageSource, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Decode ``source`` at full resolution into a new upright RGB image.

    The same guards as every image (regular files only, ``max_pixels``,
    ``MAX_ASPECT``); raises ``UnreadableImage`` with the reason.
    """
    return read_image(source, lambda image, label: _full_rgb(image, max_pixels, label))


def _full_rgb(image: Image.Image, max_pixels: int, label: str) -> Image.Image:
    return decode_upright(image, label, max_pixels=max_pixels).rgb


@dataclass(frozen=True)
class Upright:
    """A decoded image, upright in RGB, and the upright size of the original (before any draft)."""

    rgb: Image.Image
    width: int
    height: int


def decode_upright(
    image: Image.Image,
    label: str,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    need: Callable[[int, int], tuple[int, int] | None] | None = None,
    own: bool = True,
) -> Upright:
    """Decode the first frame of a lazily opened ``image`` upright in RGB -- the one start-up every decode shares.

    ``need(width, height)``, given the original's upright size, returns the smallest upright size the caller
    needs decoded (None: the full size); a JPEG is then decoded at the smallest DCT scale (``draft``) that
    still covers it, and measured against ``max_pixels`` at that scale.  ``own=False`` saves a copy: ``rgb``
    may then be the file's own image, usable only until the file is closed.
    """
    orientation = exif_orientation(image)
    width, height = image.size
    if orientation in ORIENTATION_SWAPS_AXES:
        width, height = height, width
    frame = first_frame(image)
    wanted = need(width, height) if need is not None and frame.format in ("JPEG", "MPO") else None
    if wanted is not None:  # a no-op once pixels are loaded
        need_w, need_h = max(1, wanted[0]), max(1, wanted[1])
        if orientation in ORIENTATION_SWAPS_AXES:
            need_w, need_h = need_h, need_w
        before = frame.size
        frame.draft(frame.mode, (need_w, need_h))
        logger.debug("draft %s -> %s (need %dx%d)", before, frame.size, need_w, need_h)
    check_size(frame, max_pixels, original=(width, height), label=label)
    frame.load()
    rgb = to_rgb(frame, orientation)
    return Upright(rgb.copy() if own and rgb is frame else rgb, width, height)


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


@contextmanager
def open_image(source: str | Path | bytes) -> Iterator[Image.Image]:
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
    heif_available()
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
    heif_available()
    head = fp.read(3)
    fp.seek(0)
    if head == _JPEG_MAGIC:
        # Pillow's decompression-bomb check runs on the full size; a JPEG is
        # checked by check_size instead, after any draft(), at the size actually decoded.
        from PIL import JpegImagePlugin

        return JpegImagePlugin.jpeg_factory(fp, filename)
    return Image.open(fp)


def check_size(
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


def first_frame(image: Image.Image) -> Image.Image:
    """``image`` positioned on its first frame (an animation or a multi-page file)."""
    if getattr(image, "n_frames", 1) > 1 and image.tell() != 0:
        image.seek(0)
    return image


def exif_orientation(image: Image.Image) -> int:
    """The EXIF orientation (1-8) of ``image``; 1 when absent, invalid or unreadable."""
    try:
        value = image.getexif().get(_EXIF_ORIENTATION, 1)
        return int(value) if int(value) in range(1, 9) else 1
    except Exception:  # a corrupt EXIF block is not a reason to lose the photo
        logger.debug("unreadable EXIF orientation in %s", _label(image), exc_info=True)
        return 1


def read_exif(image: Image.Image) -> Image.Exif | None:
    """The raw EXIF of ``image``; None when it has none or it cannot be read."""
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
