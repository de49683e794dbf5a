"""Real images nobody here made: Debian's wallpaper packages, one file per artwork.

The quality scripts (text in photos, duplicates, ...) build their test sets from these so that no
figure is measured on images this project drew or tuned on. ``fetch(dest)`` downloads and unpacks
the packages with ``apt-get download`` + ``dpkg-deb -x`` (Debian/Ubuntu only; no root needed for
the download itself); ``artworks(dest)`` lists one file per artwork (the largest rendition), each
with the series it belongs to, and ``split`` divides them into a tuning part and a held-out part by
a stable hash of the artwork's name, so the held-out part never changes between runs.

    python -m tests.quality.wallpapers /var/tmp/photoseek-wallpapers   # fetch and list
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

PACKAGES = ("gnome-backgrounds", "mate-backgrounds", "desktop-base", "sway-backgrounds",
            "plasma-workspace-wallpapers", "lomiri-wallpapers", "cinnamon-desktop-data")
SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
MIN_SIDE = 1000            # icons, logos and previews are not photos
_VARIANT = re.compile(r"([-_](l|d|light|dark|day|night|portrait|\d+x\d+))+$", re.IGNORECASE)
_SKIP_PARTS = {"plymouth", "grub", "previews", "look-and-feel"}


@dataclass(frozen=True)
class Artwork:
    """One artwork: its largest rendition, its name, and the series (package folder) it is in."""

    path: Path
    name: str
    series: str


def fetch(dest: Path, packages: tuple[str, ...] = PACKAGES) -> Path:
    """Download and unpack the wallpaper packages under ``dest`` (skipping ones already there)."""
    debs = dest / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    for package in packages:
        if not any(debs.glob(f"{package}_*.deb")):
            subprocess.run(["apt-get", "download", package], cwd=debs, check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for deb in debs.glob("*.deb"):
        out = dest / "x" / deb.stem
        if not out.exists():
            out.mkdir(parents=True)
            subprocess.run(["dpkg-deb", "-x", str(deb), str(out)], check=True)
    return dest


def _artwork_key(path: Path) -> tuple[str, str]:
    """(artwork name, series) of one rendition file."""
    parts = path.parts
    if "contents" in parts:                       # KDE layout: wallpapers/<Name>/contents/images*/WxH
        i = parts.index("contents")
        return parts[i - 1], parts[i - 2]
    return _VARIANT.sub("", path.stem).lower(), path.parent.name


def artworks(root: Path) -> list[Artwork]:
    """One file per artwork found under ``root``: the rendition with the most pixels."""
    best: dict[str, tuple[int, Path, str]] = {}
    for path in sorted(root.rglob("*")):
        if (path.suffix.lower() not in SUFFIXES or _SKIP_PARTS & set(path.parts) or path.is_symlink()
                or not path.is_file()):
            continue
        if path.name == "screenshot.png":
            continue
        try:
            with Image.open(path) as im:
                w, h = im.size
        except OSError:
            continue
        if min(w, h) < MIN_SIDE:
            continue
        name, series = _artwork_key(path)
        if name not in best or w * h > best[name][0]:
            best[name] = (w * h, path, series)
    return [Artwork(p, name, series) for name, (_, p, series) in sorted(best.items())]


def split(items: list[Artwork], held_out: float = 0.3) -> tuple[list[Artwork], list[Artwork]]:
    """(tuning, held_out): each artwork's side is fixed by a hash of its name."""
    tune: list[Artwork] = []
    hold: list[Artwork] = []
    for a in items:
        h = int(hashlib.sha256(a.name.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        (hold if h < held_out else tune).append(a)
    return tune, hold


if __name__ == "__main__":
    root = fetch(Path(sys.argv[1] if len(sys.argv) > 1 else "/var/tmp/photoseek-wallpapers"))
    found = artworks(root)
    tune, hold = split(found)
    for a in found:
        print(f"{'held-out' if a in hold else 'tune    '}  {a.series:24s} {a.name:40s} {a.path}")
    print(f"{len(found)} artworks: {len(tune)} to tune on, {len(hold)} held out", file=sys.stderr)
