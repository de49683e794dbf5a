"""Photo-like test images in the awkward formats a photo folder holds.

Content is synthetic but photo-like (sky gradient, hills, sun, shapes,
sensor noise) so that resizing, cropping and colour handling all matter.
``photo_array`` is deterministic for a given seed.  ``parity_photos`` writes
the set used by the preprocessing parity tests: large JPEGs with every EXIF
orientation, PNGs with alpha, a CMYK JPEG, palette, grey, 16-bit, and more.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

EXIF_ORIENTATION = 0x0112


def photo_array(width: int, height: int, seed: int = 0) -> np.ndarray:
    """An RGB uint8 (height, width, 3) picture: sky, hills, a sun, shapes and noise."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]
    hue = rng.uniform(0, 1, 3).astype(np.float32)
    img = np.empty((height, width, 3), dtype=np.float32)
    # sky: vertical gradient with a horizontal tint
    for c in range(3):
        img[..., c] = 255 * (0.35 + 0.5 * hue[c] * (1 - y) + 0.15 * x * (c == 0))
    # hills: two sine horizons with darker, textured ground
    for k, shade in ((1, 0.55), (2, 0.35)):
        phase, freq, level = rng.uniform(0, 6.28), rng.uniform(2, 7), 0.45 + 0.15 * k
        horizon = level + 0.08 * np.sin(freq * 6.28 * x + phase)  # (1, width)
        ground = (y > horizon)[..., None]  # (height, width, 1)
        texture = (0.85 + 0.15 * np.sin(40 * x + 25 * y * k))[..., None]
        colour = np.array([60 + 40 * k, 110 - 20 * k, 50], np.float32) * shade * 2
        img = np.where(ground, colour * texture, img)
    # sun
    cx, cy, r = rng.uniform(0.2, 0.8), rng.uniform(0.1, 0.35), rng.uniform(0.04, 0.09)
    sun = ((x - cx) ** 2 * (width / height) ** 2 + (y - cy) ** 2) < r**2
    img = np.where(sun[..., None], np.array([255, 230, 150], np.float32), img)
    # a few shapes (houses, trees)
    for _ in range(6):
        x0, y0 = rng.uniform(0, 0.9), rng.uniform(0.5, 0.9)
        w, h = rng.uniform(0.03, 0.1), rng.uniform(0.03, 0.12)
        cols = slice(int(x0 * width), int((x0 + w) * width))
        rows = slice(int(y0 * height), int((y0 + h) * height))
        img[rows, cols] = rng.uniform(20, 235, 3).astype(np.float32)
    noise = rng.integers(-12, 13, size=img.shape, dtype=np.int16)  # sensor noise
    img = img + noise
    return np.clip(img, 0, 255).astype(np.uint8)


def photo(width: int, height: int, seed: int = 0) -> Image.Image:
    return Image.fromarray(photo_array(width, height, seed), "RGB")


def exif_bytes(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    exif[0x010F] = "Photoseek Test Camera"  # Make
    return exif.tobytes()


def stored_for_orientation(upright: Image.Image, orientation: int) -> Image.Image:
    """The pixels a camera would store so that ``orientation`` shows ``upright``."""
    inverse = {
        1: None,
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_90,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_270,
    }[orientation]
    return upright if inverse is None else upright.transpose(inverse)


def write_jpeg(path: Path, image: Image.Image, *, orientation: int | None = None, quality: int = 90) -> Path:
    kwargs = {"quality": quality}
    if orientation is not None:
        kwargs["exif"] = exif_bytes(orientation)
    image.save(path, "JPEG", **kwargs)
    return path


def rgba_photo(width: int, height: int, seed: int = 0) -> Image.Image:
    """A photo with a soft transparent vignette and a fully transparent corner."""
    rgb = photo_array(width, height, seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    d = np.sqrt(((x - width / 2) / width) ** 2 + ((y - height / 2) / height) ** 2)
    alpha = np.clip(255 * (1.2 - 2.0 * d), 0, 255).astype(np.uint8)
    alpha[: height // 5, : width // 5] = 0
    return Image.fromarray(np.dstack([rgb, alpha]), "RGBA")


@dataclass(frozen=True)
class ParityPhoto:
    path: Path
    kind: str
    upright_size: tuple[int, int]  # (width, height) once EXIF orientation is applied


def parity_photos(directory: Path, *, large: tuple[int, int] = (2400, 1600)) -> list[ParityPhoto]:
    """Write the parity set into ``directory`` and describe each file."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    out: list[ParityPhoto] = []
    w, h = large
    for orientation in range(1, 9):
        upright = photo(w, h, seed=orientation)
        path = write_jpeg(directory / f"orient{orientation}.jpg",
                          stored_for_orientation(upright, orientation), orientation=orientation)
        out.append(ParityPhoto(path, f"jpeg-exif-{orientation}", (w, h)))
    portrait = photo(1200, 1800, seed=20)
    out.append(ParityPhoto(write_jpeg(directory / "portrait.jpg", portrait), "jpeg-portrait", portrait.size))
    rgba = rgba_photo(900, 700, seed=21)
    rgba.save(directory / "alpha.png")
    out.append(ParityPhoto(directory / "alpha.png", "png-rgba", rgba.size))
    cmyk = photo(1600, 1200, seed=22).convert("CMYK")
    cmyk.save(directory / "cmyk.jpg", "JPEG", quality=92)
    out.append(ParityPhoto(directory / "cmyk.jpg", "jpeg-cmyk", cmyk.size))
    pal = photo(800, 600, seed=23).convert("P", palette=Image.Palette.ADAPTIVE, colors=200)
    pal.save(directory / "palette.png")
    out.append(ParityPhoto(directory / "palette.png", "png-palette", pal.size))
    grey = photo(1000, 800, seed=24).convert("L")
    grey.save(directory / "grey.jpg", "JPEG", quality=90)
    out.append(ParityPhoto(directory / "grey.jpg", "jpeg-grey", grey.size))
    small = photo(180, 120, seed=25)
    small.save(directory / "small.png")
    out.append(ParityPhoto(directory / "small.png", "png-smaller-than-input", small.size))
    return out


def sixteen_bit_png(path: Path, width: int = 320, height: int = 240) -> Path:
    """A 16-bit greyscale PNG with a full-range horizontal ramp (opens as I;16)."""
    ramp = np.tile(np.linspace(0, 65535, width, dtype=np.float64), (height, 1)).astype(np.uint16)
    Image.fromarray(ramp).save(path)  # uint16 array -> mode I;16
    return path


def jpeg_bytes(image: Image.Image, **kwargs) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def reference_rgb(path: Path) -> Image.Image:
    """Upright RGB the way a careful open_clip user loads a file (alpha over white), for parity checks."""
    with Image.open(path) as opened:
        image = ImageOps.exif_transpose(opened)  # a new image, loaded: the file can close
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")  # before resizing: Pillow resizes palette images with NEAREST
