"""A duplicate-finding test set built from real images: the Debian wallpapers (one file per artwork).

Every artwork becomes a *base photo* (long side 1600 px, JPEG q92, EXIF date and camera), then,
depending on a stable hash of its name, one of two families:

- copies: an exact copy (same bytes, another folder) and near copies: JPEG re-encodes (q 60-95),
  a 50% resize, a PNG re-save, a crop of 3-10%, an exposure/colour tweak, an EXIF-stripped
  re-save, and a copy rotated by its EXIF orientation (pixels turned, tag set, upright the same);
- burst: three more shots seconds after the base (shifted up to 2%, sensor noise, exposure +-5%),
  and one shot of the same scene ten minutes later, framed differently (not a duplicate).

Hard negatives, alone in their families: the other rendition of each artwork that has a light and
a dark one (GNOME ``-l``/``-d``, KDE ``images``/``images_dark``, MATE stripes), re-saved like the
base photos.  The Ubuntu MATE colour variants are artworks of their own, so they are negatives of
each other too.

``build(artworks, dest)`` writes the files and returns ``Item``s with their truth: ``family``
(photos of one family are duplicates of each other, of the family's ``kind``) and ``exact_of``
(the byte-identical twin's name).
"""

from __future__ import annotations

import hashlib
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance

from tests.quality.wallpapers import Artwork

BASE_SIDE = 1600
_DATE_TAG = 0x9003  # DateTimeOriginal
_EXIF_IFD = 0x8769


@dataclass(frozen=True)
class Item:
    path: Path
    family: str  # photos of one family are duplicates of each other
    kind: str  # the family's kind: "near" (copies), "burst", or "none" (a negative, alone)
    transform: str  # what was done to the base photo
    exact_of: str | None = None  # family member whose bytes this file repeats


def _seed(name: str) -> int:
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)


def is_burst_family(artwork: Artwork) -> bool:
    return _seed("burst:" + artwork.name) % 3 == 0


def _exif(taken: str, orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Photoseek Test"  # Make
    exif[0x0110] = "Burst 1"  # Model
    if orientation != 1:
        exif[0x0112] = orientation
    exif.get_ifd(_EXIF_IFD)[_DATE_TAG] = taken
    return exif


def _date(day: int, seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"2024:05:{1 + day % 28:02d} {8 + hours % 12:02d}:{rest // 60:02d}:{rest % 60:02d}"


def _base(path: Path) -> Image.Image:
    with Image.open(path) as im:
        im.draft("RGB", (BASE_SIDE, BASE_SIDE))
        if im.mode in ("RGBA", "LA", "P", "PA"):  # some artworks are white with the design in the alpha
            rgba = im.convert("RGBA")
            rgb = Image.new("RGB", rgba.size, (20, 24, 32))
            rgb.paste(rgba, mask=rgba.getchannel("A"))
        else:
            rgb = im.convert("RGB")
    scale = BASE_SIDE / max(rgb.size)
    if scale < 1:
        rgb = rgb.resize((round(rgb.width * scale), round(rgb.height * scale)), Image.Resampling.LANCZOS)
    return rgb


def _shift(image: Image.Image, rng: random.Random, most: float) -> Image.Image:
    w, h = image.size
    dx, dy = round(w * rng.uniform(-most, most)), round(h * rng.uniform(-most, most))
    box = (max(0, dx), max(0, dy), w + min(0, dx), h + min(0, dy))
    return image.crop(box).resize((w, h), Image.Resampling.BICUBIC)


def _noise(image: Image.Image, rng: random.Random, sigma: float) -> Image.Image:
    array = np.asarray(image, dtype=np.float32)
    noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, sigma, array.shape)
    return Image.fromarray(np.clip(array + noise, 0, 255).astype(np.uint8))


def _copies(base: Image.Image, out: Path, family: str, taken: str, rng: random.Random) -> list[Item]:
    items: list[Item] = []

    def jpeg(name: str, image: Image.Image, transform: str, quality: int = 92, exif: Image.Exif | None = None) -> None:
        path = out / f"{name}.jpg"
        image.save(path, "JPEG", quality=quality, exif=(exif if exif is not None else _exif(taken)).tobytes())
        items.append(Item(path, family, "near", transform))

    jpeg("original", base, "original")
    backup = out / "backup"
    backup.mkdir()
    shutil.copyfile(out / "original.jpg", backup / "original.jpg")
    items.append(Item(backup / "original.jpg", family, "near", "exact copy", exact_of="original"))
    quality = rng.randint(60, 95)
    jpeg("reencoded", base, f"JPEG q{quality}", quality)
    jpeg("half", base.resize((base.width // 2, base.height // 2), Image.Resampling.LANCZOS), "resize 50%")
    base.save(out / "resaved.png", "PNG")
    items.append(Item(out / "resaved.png", family, "near", "PNG re-save"))
    crop = rng.uniform(0.03, 0.10)
    left = rng.uniform(0, crop)
    top = rng.uniform(0, crop)
    w, h = base.size
    box = (round(w * left), round(h * top), round(w * (1 - crop + left)), round(h * (1 - crop + top)))
    jpeg("cropped", base.crop(box), f"crop {crop:.0%}")
    tweaked = ImageEnhance.Brightness(base).enhance(rng.uniform(0.85, 1.15))
    tweaked = ImageEnhance.Color(tweaked).enhance(rng.uniform(0.85, 1.15))
    tweaked = ImageEnhance.Contrast(tweaked).enhance(rng.uniform(0.9, 1.1))
    jpeg("tweaked", tweaked, "exposure/colour tweak")
    base.save(out / "no-exif.jpg", "JPEG", quality=90)
    items.append(Item(out / "no-exif.jpg", family, "near", "EXIF stripped"))
    jpeg("rotated", base.transpose(Image.Transpose.ROTATE_90), "EXIF orientation 6",
         exif=_exif(taken, orientation=6))
    return items


def _burst(base: Image.Image, out: Path, family: str, day: int, start: int, rng: random.Random) -> list[Item]:
    items: list[Item] = []
    for shot in range(4):
        image = base if shot == 0 else _noise(
            ImageEnhance.Brightness(_shift(base, rng, 0.02)).enhance(rng.uniform(0.95, 1.05)), rng, 3.0)
        path = out / f"shot{shot}.jpg"
        image.save(path, "JPEG", quality=90, exif=_exif(_date(day, start + shot * rng.randint(1, 2))).tobytes())
        items.append(Item(path, family, "burst", "burst shot" if shot else "original"))
    w, h = base.size
    corner = rng.choice([(0, 0), (w * 0.3, 0), (0, h * 0.3), (w * 0.3, h * 0.3)])
    later = base.crop((round(corner[0]), round(corner[1]), round(corner[0] + w * 0.7), round(corner[1] + h * 0.7)))
    later = later.resize((w, h), Image.Resampling.BICUBIC)
    path = out / "ten-minutes-later.jpg"
    later.save(path, "JPEG", quality=90, exif=_exif(_date(day, start + 600)).tobytes())
    items.append(Item(path, family + "/later", "none", "same scene 10 min later"))
    return items


def other_renditions(artwork: Artwork) -> list[Path]:
    """The other light/dark rendition of an artwork (its largest file), if it has one."""
    path = artwork.path
    if "contents" in path.parts:  # KDE: images/ vs images_dark/
        other = path.parent.parent / ("images" if path.parent.name == "images_dark" else "images_dark")
        files = sorted(other.glob("*.*"), key=lambda p: p.stat().st_size) if other.is_dir() else []
        return files[-1:]
    stem = path.stem
    for a, b in (("-d", "-l"), ("-l", "-d"), ("-Dark", "-Light"), ("-Light", "-Dark")):
        if stem.endswith(a):
            twin = path.with_name(stem[: -len(a)] + b + path.suffix)
            return [twin] if twin.exists() else []
    return []


def build(artworks: list[Artwork], dest: Path) -> list[Item]:
    """Write the test set for ``artworks`` under ``dest`` (emptied first); returns every file's truth."""
    if dest.exists():
        shutil.rmtree(dest)
    items: list[Item] = []
    for index, artwork in enumerate(artworks):
        rng = random.Random(_seed(artwork.name))
        out = dest / f"{index:02d}-{_seed(artwork.name) % 10_000:04d}"
        out.mkdir(parents=True)
        base = _base(artwork.path)
        start = rng.randrange(0, 3000)
        if is_burst_family(artwork):
            items += _burst(base, out, artwork.name, index, start, rng)
        else:
            items += _copies(base, out, artwork.name, _date(index, start), rng)
        for n, other in enumerate(other_renditions(artwork)):
            path = out / f"other-rendition-{n}.jpg"
            _base(other).save(path, "JPEG", quality=92)
            items.append(Item(path, f"{artwork.name}/other{n}", "none", "other rendition (light/dark)"))
    return items
