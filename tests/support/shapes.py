"""A small library of photos of shapes, for the tests that search by sketch.

The committed toy CLIP (tests/fixtures/toyclip) was trained on the generated
world of tests/quality/world.py: photos of coloured shapes on a few
settings, and line drawings of the same shapes.  The photos of the template
library (tests/support/photos.py) are gradients with blobs, where no sketch
has a right answer.  Here each of a few shapes is photographed twice (other
colours, other settings), so a test can draw one shape and check that a
photo of it ranks first.  The toy model tells drawn triangles and stars
apart reliably (measured: both photos of the drawn shape in its top three);
its circles, squares and crosses are too alike to test on.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from tests.quality.world import Scene, render_photo
from tests.support.indexing import index_without_text

SHAPES = ("circle", "square", "triangle", "star", "cross", "heart")
COLOURS = ("red", "blue", "green", "yellow")
SETTINGS = ("plain", "grass", "wood", "sand")
PHOTO_SIDE = 256
SKETCH_SIDE = 300


@dataclass(frozen=True)
class ShapesLibrary:
    photos: Path    # <shape>_<n>.jpg
    library: Path   # indexed with the toy CLIP, without reading text

    def copy(self, dest: Path) -> Path:
        """A private copy of the library (the photos are shared: leave them alone)."""
        shutil.copytree(self.library, dest)
        return dest


def shape_of(path: Path) -> str:
    """The shape a photo of this library shows (from its name)."""
    return Path(path).stem.rsplit("_", 1)[0]


def build_shapes_library(root: Path, bundle: Path) -> ShapesLibrary:
    """Write two photos of each shape under ``root / "Shapes"`` and index them with ``bundle``."""
    photos = root / "Shapes"
    photos.mkdir(parents=True)
    for i, shape in enumerate(SHAPES):
        for n in range(2):
            scene = Scene(shape=shape, colour=COLOURS[(i + n) % len(COLOURS)], count=1, size="large",
                          position="middle", setting=SETTINGS[(i + 2 * n) % len(SETTINGS)], night=False,
                          seed=100 * i + n)
            render_photo(scene, PHOTO_SIDE).save(photos / f"{shape}_{n}.jpg", quality=92)
    index_without_text(root / "library", photos, bundle)
    return ShapesLibrary(photos, root / "library")


def outline(shape: str, side: float = SKETCH_SIDE) -> list[tuple[float, float]]:
    """The corners of a drawn ``shape`` ("triangle" or "star") filling most of a ``side`` square."""
    c, r = side / 2, side * 0.4
    if shape == "triangle":
        return [(c, side * 0.1), (side * 0.9, side * 0.87), (side * 0.1, side * 0.87)]
    if shape == "star":
        return [(c + r * (1 if k % 2 == 0 else 0.45) * math.cos(-math.pi / 2 + k * math.pi / 5),
                 c + r * (1 if k % 2 == 0 else 0.45) * math.sin(-math.pi / 2 + k * math.pi / 5)) for k in range(10)]
    raise ValueError(f"no outline for {shape}")


def sketch(shape: str, *, transparent: bool = False, width: int = 6) -> Image.Image:
    """A line drawing of ``shape``: dark on white, or dark on transparent (as the app's canvas exports)."""
    if transparent:
        img = Image.new("RGBA", (SKETCH_SIDE, SKETCH_SIDE), (0, 0, 0, 0))
        ink: tuple[int, ...] = (0, 0, 0, 255)
    else:
        img = Image.new("RGB", (SKETCH_SIDE, SKETCH_SIDE), "white")
        ink = (0, 0, 0)
    ImageDraw.Draw(img).polygon(outline(shape), outline=ink, width=width)
    return img
