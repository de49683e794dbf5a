"""A phone-like mix of 12 MP JPEGs made from real images, for the benchmarks that index everything.

    python -m tests.benchmarks.phone_mix DIR [--photos 48]

Each photo is one of Debian's wallpaper artworks (``tests/quality/wallpapers.py``: nobody here drew them),
cropped to 4:3 and scaled to 4000x3000, with a phone's sensor grain, saved as a JPEG (quality 88-92) with
EXIF: the camera, the date taken and a GPS position (a city of a short list, so places have work to do).
One photo in ``TEXT_EVERY`` carries a sign: a phrase of ``tests/quality/text_set.py``'s words drawn at
``SIGN_PX`` pixels (the size of 20-64 px text on a 1920-px photo, scaled to 4000 px), on a plate every
other time.  The rest hold no text the benchmark put there (a wallpaper may have a little of its own).

The set is a pure function of the wallpapers installed and ``n``: photo ``i`` is the same in every run.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from tests.support.geo_photos import gps_exif

SIZE = (4000, 3000)
TEXT_EVERY = 8  # one photo in eight has a sign
SIGN_PX = (42, 58, 84, 133)  # 20, 28, 40 and 64 px on a 1920-px photo, at 4000 px
WALLPAPERS = Path(os.environ.get("PHOTOSEEK_WALLPAPERS", "/var/tmp/photoseek-wallpapers"))
CITIES = ((38.72, -9.14), (64.15, -21.94), (-1.29, 36.82), (48.86, 2.35), (40.71, -74.0), (35.68, 139.69))


def has_sign(i: int) -> bool:
    """Whether photo ``i`` of the mix carries a sign."""
    return i % TEXT_EVERY == TEXT_EVERY - 1


def _base(path: Path) -> Image.Image:
    with Image.open(path) as im:
        rgb = im.convert("RGB")
    w, h = rgb.size
    if w * 3 > h * 4:  # wider than 4:3: keep the middle
        cw = h * 4 // 3
        rgb = rgb.crop(((w - cw) // 2, 0, (w - cw) // 2 + cw, h))
    else:
        ch = w * 3 // 4
        rgb = rgb.crop((0, (h - ch) // 2, w, (h - ch) // 2 + ch))
    return rgb.resize(SIZE, Image.Resampling.BICUBIC)


def make_mix(folder: Path, n: int) -> list[Path]:
    """``n`` photos of the mix in ``folder`` (made once; those already there are kept)."""
    from tests.quality import text_set
    from tests.quality.wallpapers import artworks, fetch

    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"IMG_{i:05d}.jpg" for i in range(n)]
    if all(p.exists() for p in paths):
        return paths
    if not any(WALLPAPERS.glob("x/*")):
        fetch(WALLPAPERS)
    arts = sorted(artworks(WALLPAPERS), key=lambda a: a.name)
    faces = text_set.fonts()
    used: set[str] = set()
    for i, path in enumerate(paths):
        if path.exists():
            continue
        rng = np.random.default_rng(5000 + i)
        image = _base(arts[(i * 7) % len(arts)].path)
        if has_sign(i):
            k = i // TEXT_EVERY
            image = text_set.render_phrase(image, text_set.phrase(rng, used), faces[k % len(faces)],
                                           SIGN_PX[k % len(SIGN_PX)], rng, angle=float(rng.uniform(-8, 8)),
                                           plate=k % 2 == 1, occlude=False)
        grain = rng.integers(-6, 7, size=(SIZE[1], SIZE[0], 1), dtype=np.int16)
        pixels = np.clip(np.asarray(image, dtype=np.int16) + grain, 0, 255).astype(np.uint8)
        lat, lon = CITIES[i % len(CITIES)]
        taken = f"2024:{1 + i % 12:02d}:{1 + i % 28:02d} 1{i % 10}:00:00"
        tmp = path.with_suffix(".tmp")
        Image.fromarray(pixels).save(tmp, "JPEG", quality=88 + i % 5,
                                     exif=gps_exif(lat + (i % 7) * 0.01, lon, taken).tobytes())
        os.replace(tmp, path)
    return paths


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dest", type=Path)
    p.add_argument("--photos", type=int, default=48)
    args = p.parse_args(argv)
    paths = make_mix(args.dest, args.photos)
    print(f"{len(paths)} photos in {args.dest}; {sum(has_sign(i) for i in range(len(paths)))} with a sign")
    return 0


if __name__ == "__main__":
    sys.exit(main())
