"""Generated photo-like test images (deterministic): gradients, shapes, texture, EXIF.

Each image is distinct enough that a random-weight CLIP still tells them apart,
and resized/recompressed copies stay close to their original.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

BASE_DATE = datetime(2021, 3, 14, 9, 30, 0)


def photo(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A photo-like RGB image: a lit gradient scene with a few shapes and sensor noise."""
    rng = np.random.default_rng(seed)
    w, h = size
    # Work at a small scale and upsample: cheap even for 12 MP, and smooth like a real photo.
    sw, sh = max(8, w // 8), max(8, h // 8)
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    c0, c1, c2 = (rng.uniform(0, 255, 3) for _ in range(3))
    angle = rng.uniform(0, np.pi)
    t = (np.cos(angle) * xx / sw + np.sin(angle) * yy / sh + 1) / 2
    base = (1 - t)[..., None] * c0 + t[..., None] * c1
    blob = np.exp(-(((xx / sw - rng.uniform(0.2, 0.8)) ** 2) + ((yy / sh - rng.uniform(0.2, 0.8)) ** 2)) * 8)
    base = base * (1 - 0.6 * blob[..., None]) + 0.6 * blob[..., None] * c2
    small = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(small)
    for _ in range(int(rng.integers(2, 6))):
        x0, y0 = rng.uniform(0, sw), rng.uniform(0, sh)
        r = rng.uniform(sw * 0.05, sw * 0.3)
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse([x0 - r, y0 - r, x0 + r, y0 + r], fill=color)
        else:
            draw.rectangle([x0 - r, y0 - r * 0.6, x0 + r, y0 + r * 0.6], fill=color)
    img = small.resize((w, h), Image.BICUBIC).filter(ImageFilter.GaussianBlur(radius=max(1, w // 400)))
    noise = rng.normal(0, 6, (h // 4 or 1, w // 4 or 1, 3)).astype(np.float32)
    noise_img = Image.fromarray(np.clip(noise + 128, 0, 255).astype(np.uint8)).resize((w, h), Image.NEAREST)
    arr = np.asarray(img, dtype=np.int16) + np.asarray(noise_img, dtype=np.int16) - 128
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def exif_for(seed: int, *, orientation: int | None = None, camera: tuple[str, str] = ("Acme", "Acme Z1")) -> Image.Exif:
    exif = Image.Exif()
    taken = BASE_DATE + timedelta(days=seed)
    exif[0x010F] = camera[0]  # Make
    exif[0x0110] = camera[1]  # Model
    exif[0x0132] = taken.strftime("%Y:%m:%d %H:%M:%S")  # DateTime
    exif.get_ifd(0x8769)[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")  # DateTimeOriginal
    if orientation:
        exif[0x0112] = orientation
    return exif


def taken_date(seed: int) -> datetime:
    return BASE_DATE + timedelta(days=seed)


def write_photo(path: Path, seed: int, size: tuple[int, int] = (640, 480), *, exif: bool = True, quality: int = 90) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = photo(seed, size)
    if path.suffix.lower() in (".jpg", ".jpeg"):
        img.save(path, "JPEG", quality=quality, exif=exif_for(seed) if exif else None)
    else:
        img.save(path)
    return path


def write_library(folder: Path, count: int, *, start_seed: int = 0, big: int = 0) -> list[Path]:
    """``count`` photos in a few subfolders (JPEG with EXIF and PNG, varied sizes); ``big`` of them 12 MP."""
    sizes = [(640, 480), (480, 640), (800, 533), (320, 320), (1024, 768)]
    out = []
    for i in range(count):
        seed = start_seed + i
        sub = folder / f"album{i % 3}"
        if i < big:
            out.append(write_photo(sub / f"big_{seed:04d}.jpg", seed, (4000, 3000)))
        elif i % 5 == 4:
            out.append(write_photo(sub / f"img_{seed:04d}.png", seed, sizes[i % len(sizes)]))
        else:
            out.append(write_photo(sub / f"img_{seed:04d}.jpg", seed, sizes[i % len(sizes)]))
    return out


def resized_copy(src: Path, dest: Path, scale: float = 0.5, quality: int = 70) -> Path:
    with Image.open(src) as im:
        im = im.convert("RGB")
        im = im.resize((max(1, int(im.width * scale)), max(1, int(im.height * scale))), Image.LANCZOS)
        dest.parent.mkdir(parents=True, exist_ok=True)
        im.save(dest, "JPEG", quality=quality)
    return dest
