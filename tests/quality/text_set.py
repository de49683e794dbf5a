"""A text-in-photo test set: phrases rendered on real photos nobody here made, plus generated
screenshots and documents.

- **Wallpapers** (Debian's wallpaper packages, ``tests/quality/wallpapers.py``), scaled to
  ``PHOTO_SIDE`` pixels on the long side, each with one unique phrase: fonts DejaVu and Noto
  (whichever are installed; ``fetch_fonts`` gets Noto with ``apt-get download``),
  text heights 12-96 px (the font's pixel size), colours picked against the background,
  light-on-dark plates (a sign), rotations up to +-15 degrees, and in some a blot covering part
  of the phrase (occlusion).  Each artwork keeps its tuning or held-out side (``split``).
- **Screenshots**: a settings window with a sidebar and many small lines (13-16 px).
- **Documents**: a page of 16-20 px lines.

Every image has one *key phrase* nothing else holds (the query of the R@1 figures); ``Sample``
records it with how it was drawn.  ``build(dest)`` writes the images and ``truth.json`` once and
reuses them afterwards.
"""

from __future__ import annotations

import json
import math
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tests.quality.wallpapers import artworks, split

PHOTO_SIDE = 1920
SIZES = (12, 16, 20, 28, 40, 64, 96)
MAX_ANGLE = 15.0
FONT_DIRS = (Path("/usr/share/fonts"), Path("/var/tmp/photoseek-fonts/x/usr/share/fonts"))
# Droid Sans Fallback (Debian's only Droid font) has no Latin letters, so Droid is not among them.
FONT_NAMES = ("DejaVuSans.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSansMono.ttf", "NotoSans-Regular.ttf",
              "NotoSerif-Italic.ttf", "NotoSans-Bold.ttf", "NotoSerif-Regular.ttf")
WORDS = (
    "amber harbor velvet canyon silver meadow copper lantern maple orbit crimson falcon marble glacier "
    "willow thunder cobalt prairie saffron beacon ember quartz juniper summit hollow cedar indigo "
    "tundra violet anchor raven topaz coral meadow pepper bramble sparrow granite lotus cinder "
    "harvest plume zephyr ivory basalt fennel heron mosaic pebble quiver rustic tango umber walnut "
    "yonder zenith café crème brûlée garçon niño façade jalapeño über smörgås"
).split()


@dataclass(frozen=True)
class Sample:
    file: str  # relative to the set's folder
    kind: str  # "photo" (a wallpaper with a phrase), "plain" (a wallpaper without), "screenshot", "document"
    phrase: str  # the key phrase ("" for plain)
    px: int  # text height of the key phrase (font pixel size; 0 for plain)
    font: str = ""
    angle: float = 0.0
    light_on_dark: bool = False
    occluded: bool = False
    part: str = "tune"  # "tune" or "held-out"


def fetch_fonts(dest: Path = Path("/var/tmp/photoseek-fonts")) -> Path:
    """Noto fonts from the Debian package (``apt-get download`` + ``dpkg-deb -x``)."""
    dest.mkdir(parents=True, exist_ok=True)
    for package in ("fonts-noto-core",):
        if not any(dest.glob(f"{package}_*.deb")):
            subprocess.run(["apt-get", "download", package], cwd=dest, check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for deb in dest.glob("*.deb"):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(dest / "x")], check=True)
    return dest


def fonts() -> list[Path]:
    found = []
    for name in FONT_NAMES:
        for root in FONT_DIRS:
            hit = next(iter(sorted(root.rglob(name))), None) if root.is_dir() else None
            if hit is not None:
                found.append(hit)
                break
    return found


def phrase(rng: np.random.Generator, used: set[str], vocabulary: list[str] = WORDS) -> str:
    """2-3 words of ``vocabulary`` and a number, not used before."""
    while True:
        words = list(rng.choice(vocabulary, size=int(rng.integers(2, 4)), replace=False))
        text = " ".join(words) + f" {int(rng.integers(10, 1000))}"
        if text not in used:
            used.add(text)
            return text


def _luminance(rgb: np.ndarray) -> float:
    return float(rgb @ np.array([0.299, 0.587, 0.114]))


def render_phrase(image: Image.Image, text: str, font_path: Path, px: int, rng: np.random.Generator, *,
                  angle: float, plate: bool, occlude: bool) -> Image.Image:
    """``image`` with ``text`` drawn somewhere inside it (rotated by ``angle``; on a dark plate if
    ``plate``; part of it covered by a blot if ``occlude``)."""
    face = ImageFont.truetype(str(font_path), px)
    left, top, right, bottom = face.getbbox(text)
    pad = max(4, px // 3)
    layer = Image.new("RGBA", (right - left + 2 * pad, bottom - top + 2 * pad), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    rotated_w = int(abs(layer.width * math.cos(math.radians(angle))) + abs(layer.height * math.sin(math.radians(angle))))
    rotated_h = int(abs(layer.width * math.sin(math.radians(angle))) + abs(layer.height * math.cos(math.radians(angle))))
    x = int(rng.integers(0, max(1, image.width - rotated_w)))
    y = int(rng.integers(0, max(1, image.height - rotated_h)))
    patch = np.asarray(image.crop((x, y, x + rotated_w, y + rotated_h)).convert("RGB"), dtype=np.float64)
    background = patch.reshape(-1, 3).mean(axis=0) if patch.size else np.array([128.0, 128, 128])
    if plate:
        draw.rectangle((0, 0, layer.width, layer.height), fill=(20, 24, 30, 225))
        colour = tuple(int(c) for c in rng.integers(200, 256, 3))
    else:
        dark = _luminance(background) > 128
        base = rng.integers(0, 70, 3) if dark else rng.integers(190, 256, 3)
        colour = tuple(int(c) for c in base)
        outline = (255, 255, 255) if dark else (0, 0, 0)
        draw.text((pad - left, pad - top), text, font=face, fill=outline + (90,), stroke_width=max(1, px // 16))
    draw.text((pad - left, pad - top), text, font=face, fill=colour + (255,))
    if occlude:  # a blot of the background's colour over the phrase's last fifth
        bx = int(layer.width * 0.8)
        draw.ellipse((bx, -pad, layer.width + pad, layer.height + pad), fill=tuple(int(c) for c in background) + (255,))
    turned = layer.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    out = image.convert("RGB").copy()
    out.paste(turned, (x, y), turned)
    return out


def _scaled(path: Path) -> Image.Image:
    with Image.open(path) as im:
        im.draft("RGB", (PHOTO_SIDE, PHOTO_SIDE))
        rgb = im.convert("RGB")
    scale = PHOTO_SIDE / max(rgb.size)
    return rgb.resize((round(rgb.width * scale), round(rgb.height * scale)), Image.Resampling.LANCZOS)


def screenshot(rng: np.random.Generator, key: str, px: int) -> Image.Image:
    """A settings window: title bar, sidebar of menu entries, rows of small text, one row the key."""
    img = Image.new("RGB", (1280, 800), (246, 246, 248))
    d = ImageDraw.Draw(img)
    small = ImageFont.truetype(str(fonts()[0]), 13)
    d.rectangle((0, 0, 1280, 36), fill=(52, 56, 64))
    d.text((16, 10), "Settings", font=small, fill=(235, 235, 235))
    d.rectangle((0, 36, 220, 800), fill=(232, 233, 236))
    for i in range(14):
        d.text((18, 56 + i * 30), " ".join(rng.choice(WORDS, 2)).title(), font=small, fill=(40, 40, 40))
    key_row = int(rng.integers(0, 16))
    for i in range(18):
        y = 60 + i * 38
        if i == key_row:
            d.text((250, y), key, font=ImageFont.truetype(str(fonts()[0]), px), fill=(20, 20, 20))
        else:
            d.text((250, y), " ".join(rng.choice(WORDS, 4)), font=small, fill=(70, 70, 80))
    return img


def document(rng: np.random.Generator, key: str, px: int) -> Image.Image:
    img = Image.new("RGB", (1240, 1754), (255, 255, 255))
    d = ImageDraw.Draw(img)
    face = ImageFont.truetype(str(fonts()[1 if len(fonts()) > 1 else 0]), px)
    key_row = int(rng.integers(2, 30))
    for i in range(34):
        words = key if i == key_row else " ".join(rng.choice(WORDS, 7))
        d.text((110, 120 + i * (px * 2 + 6)), words, font=face, fill=(25, 25, 25))
    return img


def phrase_photo(base: Image.Image, n: int, rng: np.random.Generator, next_phrase: Callable[[], str],
                 faces: list[Path], dest: Path, name: str, part: str) -> Sample:
    """The ``n``-th phrase photo of a set: its size, font, rotation, plate and blot follow one cycle
    (so every part of the set has the same mix); written to ``dest / name``."""
    px = SIZES[n % len(SIZES)]
    font_path = faces[n % len(faces)]
    angle = float(rng.uniform(-MAX_ANGLE, MAX_ANGLE)) if n % 3 else 0.0
    plate, occlude = n % 4 == 1, n % 5 == 2
    key = next_phrase()
    render_phrase(base, key, font_path, px, rng, angle=angle, plate=plate, occlude=occlude).save(
        dest / name, quality=90)
    return Sample(name, "photo", key, px, font_path.name, round(angle, 1), plate, occlude, part)


def build(dest: Path, *, variants: int = 3, screenshots: int = 30, documents: int = 20,
          wallpapers: Path = Path("/var/tmp/photoseek-wallpapers")) -> list[Sample]:
    """Write the set under ``dest`` (once) and return its samples."""
    truth = dest / "truth.json"
    if truth.exists():
        return [Sample(**s) for s in json.loads(truth.read_text())]
    rng = np.random.default_rng(12)
    used: set[str] = set()
    faces = fonts()
    tune, held = split(artworks(wallpapers))
    samples: list[Sample] = []
    (dest / "images").mkdir(parents=True, exist_ok=True)
    n = 0
    for art in tune + held:
        part = "held-out" if art in held else "tune"
        base = _scaled(art.path)
        name = f"images/plain_{len(samples):04d}.jpg"
        base.save(dest / name, quality=90)
        samples.append(Sample(name, "plain", "", 0, part=part))
        for _ in range(variants):
            name = f"images/photo_{len(samples):04d}.jpg"
            samples.append(phrase_photo(base, n, rng, lambda: phrase(rng, used), faces, dest, name, part))
            n += 1
    for i in range(screenshots):
        key, px = phrase(rng, used), (13, 14, 16)[i % 3]
        name = f"images/screenshot_{i:03d}.png"
        screenshot(rng, key, px).save(dest / name)
        samples.append(Sample(name, "screenshot", key, px, faces[0].name, part="tune" if i % 3 else "held-out"))
    for i in range(documents):
        key, px = phrase(rng, used), (16, 18, 20)[i % 3]
        name = f"images/document_{i:03d}.png"
        document(rng, key, px).save(dest / name)
        samples.append(Sample(name, "document", key, px, faces[min(1, len(faces) - 1)].name,
                              part="tune" if i % 3 else "held-out"))
    truth.write_text(json.dumps([asdict(s) for s in samples], ensure_ascii=False, indent=1))
    return samples
