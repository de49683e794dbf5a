"""A generated photo world where the meaning of a query can be measured.

Every image is a *scene*: one to three objects of one shape and one colour,
small or large, placed on the left / in the middle / on the right (or spread
out when there are several), on one of six settings, by day or at night.
Scenes are rendered with photo-like variation (lighting gradient, sensor
noise, blur, small rotations, JPEG artefacts) and described by plain English
captions ("two small red stars on grass at night").

The world also renders **sketches**: dark, jittered hand-drawn-looking
strokes on white of the same shapes.  A sketch is drawn from the scene's
*attributes* (shape, count) with its own random layout, never from a photo's
pixels.

Everything is deterministic from integer seeds: ``render_photo(scene)`` gives
the same pixels for the same :class:`Scene`, and ``sample_scene(rng)`` the
same scenes for the same ``numpy.random.Generator`` state.

Attribute combinations listed in :data:`HELDOUT_COLOUR_SHAPE` and
:data:`HELDOUT_SHAPE_SETTING` are never used for training
(:func:`is_heldout`), so an evaluation on them measures composition rather
than memory.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

# --------------------------------------------------------------------------
# Vocabulary of the world
# --------------------------------------------------------------------------

SHAPES: tuple[str, ...] = (
    "circle", "square", "triangle", "star", "heart", "cross", "hexagon", "crescent", "diamond",
)
SHAPE_PLURALS: dict[str, str] = {
    "circle": "circles", "square": "squares", "triangle": "triangles", "star": "stars",
    "heart": "hearts", "cross": "crosses", "hexagon": "hexagons", "crescent": "crescents",
    "diamond": "diamonds",
}
# RGB of each named colour (the renderer jitters them slightly).
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 35),
    "orange": (245, 130, 20),
    "yellow": (245, 220, 40),
    "green": (40, 170, 60),
    "blue": (35, 80, 225),
    "purple": (135, 45, 175),
    "pink": (250, 130, 190),
    "white": (245, 245, 245),
    "brown": (120, 70, 30),
}
COLOUR_NAMES: tuple[str, ...] = tuple(COLOURS)
SETTINGS: tuple[str, ...] = ("plain", "sky", "grass", "water", "wood", "sand")
SETTING_PHRASES: dict[str, tuple[str, ...]] = {
    "plain": ("on a plain background", "on a grey background"),
    "sky": ("in the sky", "against the sky"),
    "grass": ("on grass", "on the grass"),
    "water": ("on water", "on the water"),
    "wood": ("on a wooden table", "on wood"),
    "sand": ("on sand", "on the beach"),
}
SIZES: tuple[str, ...] = ("small", "large")
SIZE_WORDS: dict[str, tuple[str, ...]] = {"small": ("small", "little"), "large": ("large", "big")}
COUNTS: tuple[int, ...] = (1, 2, 3)
COUNT_WORDS: dict[int, str] = {1: "one", 2: "two", 3: "three"}
POSITIONS: tuple[str, ...] = ("left", "middle", "right")   # single objects only
POSITION_PHRASES: dict[str, tuple[str, ...]] = {
    "left": ("on the left",), "middle": ("in the middle", "in the centre"), "right": ("on the right",),
}

# Held-out combinations: one per colour and one per shape (a diagonal), and one
# setting per shape.  Training never sees a scene with any of these.
HELDOUT_COLOUR_SHAPE: frozenset[tuple[str, str]] = frozenset(
    zip(COLOUR_NAMES, ("square", "star", "heart", "cross", "circle", "hexagon", "triangle",
                       "crescent", "diamond"))
)
HELDOUT_SHAPE_SETTING: frozenset[tuple[str, str]] = frozenset({
    ("circle", "water"), ("square", "grass"), ("triangle", "sky"), ("star", "wood"),
    ("heart", "sand"), ("cross", "plain"), ("hexagon", "sky"), ("crescent", "grass"),
    ("diamond", "water"),
})

PHOTO_SIZE = 128      # side of rendered photos (pixels)


@dataclass(frozen=True)
class Scene:
    """Attributes of one photo, plus the seed of everything not named."""

    shape: str
    colour: str
    count: int
    size: str
    position: str          # "left" | "middle" | "right" for one object, "spread" otherwise
    setting: str
    night: bool
    seed: int              # layout, lighting, noise, jitter

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Scene:
        return cls(**data)

    def with_(self, **changes) -> Scene:
        """The same scene (same seed) with some attributes changed.

        Changing the count to/from one keeps ``position`` consistent.
        """
        new = replace(self, **changes)
        if new.count == 1 and new.position == "spread":
            new = replace(new, position=POSITIONS[new.seed % 3])
        elif new.count > 1 and new.position != "spread":
            new = replace(new, position="spread")
        return new


def is_heldout(scene: Scene) -> bool:
    """True when the scene contains a held-out attribute combination."""
    return ((scene.colour, scene.shape) in HELDOUT_COLOUR_SHAPE
            or (scene.shape, scene.setting) in HELDOUT_SHAPE_SETTING)


def sample_scene(rng: np.random.Generator, *, heldout: bool | None = False) -> Scene:
    """Draw a random scene.

    heldout=False: only combinations seen in training; True: only scenes with
    a held-out combination; None: anything.
    """
    while True:
        count = int(rng.choice(COUNTS))
        scene = Scene(
            shape=str(rng.choice(SHAPES)),
            colour=str(rng.choice(COLOUR_NAMES)),
            count=count,
            size=str(rng.choice(SIZES)),
            position=str(rng.choice(POSITIONS)) if count == 1 else "spread",
            setting=str(rng.choice(SETTINGS)),
            night=bool(rng.random() < 0.25),
            seed=int(rng.integers(0, 2**31 - 1)),
        )
        if heldout is None or is_heldout(scene) == heldout:
            return scene


# --------------------------------------------------------------------------
# Captions
# --------------------------------------------------------------------------

def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _noun_phrase(scene: Scene, *, size_word: str | None, colour: bool = True) -> str:
    words = []
    if size_word:
        words.append(size_word)
    if colour:
        words.append(scene.colour)
    noun = scene.shape if scene.count == 1 else SHAPE_PLURALS[scene.shape]
    words.append(noun)
    body = " ".join(words)
    if scene.count == 1:
        return f"{_article(body)} {body}"
    return f"{COUNT_WORDS[scene.count]} {body}"


def caption(scene: Scene, variant: int = 0) -> str:
    """A caption naming every attribute; ``variant`` picks a paraphrase.

    variant 0 is the canonical form: "two small red stars on grass at night".
    """
    v = variant % 4
    size_word = SIZE_WORDS[scene.size][v % 2]
    setting = SETTING_PHRASES[scene.setting][v % 2]
    night = " at night" if scene.night else ""
    pos = ""
    if scene.count == 1 and v in (2, 3):
        pos = " " + POSITION_PHRASES[scene.position][v % len(POSITION_PHRASES[scene.position])]
    np_ = _noun_phrase(scene, size_word=size_word)
    if v == 0:
        return f"{np_} {setting}{night}"
    if v == 1:
        return f"a photo of {np_} {setting}{night}"
    if v == 2:
        return f"{np_}{pos} {setting}{night}"
    return f"a picture of {np_}{pos}, {setting}{night}"


# Generic prefixes that make the text tower robust to words that name nothing.
_FILLERS = ("", "", "", "a photo of ", "an image of ", "a picture of ", "this is ", "here is ",
            "a snapshot of ", "look at ")


def random_caption(scene: Scene, rng: np.random.Generator) -> str:
    """A training caption: full, or naming only some attributes (like web alt text)."""
    r = rng.random()
    if r < 0.5:
        return caption(scene, int(rng.integers(0, 4)))
    size_word = SIZE_WORDS[scene.size][int(rng.integers(0, 2))] if rng.random() < 0.4 else None
    use_colour = rng.random() < 0.75
    parts = [_noun_phrase(scene, size_word=size_word, colour=use_colour)]
    if scene.count == 1 and rng.random() < 0.3:
        parts.append(POSITION_PHRASES[scene.position][0])
    if rng.random() < 0.6:
        parts.append(SETTING_PHRASES[scene.setting][int(rng.integers(0, 2))])
    if scene.night and rng.random() < 0.8:
        parts.append("at night")
    text = " ".join(parts)
    if r > 0.93:                      # a bare attribute or two
        choices = [scene.colour, SHAPE_PLURALS[scene.shape] if scene.count > 1 else scene.shape,
                   SETTING_PHRASES[scene.setting][0]] + (["at night"] if scene.night else [])
        text = str(rng.choice(choices))
    filler = _FILLERS[int(rng.integers(0, len(_FILLERS)))]
    return filler + text


def drawing_caption(scene: Scene, rng: np.random.Generator) -> str:
    """Caption of a line drawing (only shape and count are visible)."""
    np_ = _noun_phrase(scene, size_word=None, colour=False)
    return str(rng.choice(["a drawing of ", "a sketch of ", "a line drawing of ", ""])) + np_


# Edit phrases for composed queries: (attribute, new value) -> text.
def edit_text(attribute: str, value, *, count: int = 1, variant: int = 0) -> str:
    """Plain-English edit that changes one attribute of a reference photo."""
    if attribute == "colour":
        it = "it" if count == 1 else "them"
        return (f"make {it} {value}", f"{value} instead", f"change the colour to {value}")[variant % 3]
    if attribute == "setting":
        phrase = SETTING_PHRASES[value][0]
        return (phrase, f"{phrase} instead", f"put it {phrase}")[variant % 3]
    if attribute == "night":
        return ("at night", "the same at night", "by night")[variant % 3] if value else "by day"
    if attribute == "count":
        if value == 1:
            return ("just one", "only one of them", "a single one")[variant % 3]
        return (f"{COUNT_WORDS[value]} of them", f"make it {COUNT_WORDS[value]}",
                f"{COUNT_WORDS[value]} instead")[variant % 3]
    if attribute == "shape":
        return (f"as {_article(value)} {value}", f"{value} instead", f"make it {_article(value)} {value}")[variant % 3]
    raise ValueError(f"unknown attribute {attribute!r}")


# --------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------

def shape_outline(shape: str, n: int = 48) -> np.ndarray:
    """Closed outline of a shape in unit coordinates (radius ~1), shape (k, 2)."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    if shape == "circle":
        return np.stack([np.cos(t), np.sin(t)], 1)
    if shape in ("square", "triangle", "hexagon", "diamond"):
        k, rot = {"square": (4, np.pi / 4), "triangle": (3, -np.pi / 2), "hexagon": (6, 0.0),
                  "diamond": (4, 0.0)}[shape]
        a = rot + np.arange(k) * 2 * np.pi / k
        pts = np.stack([np.cos(a), np.sin(a)], 1)
        if shape == "diamond":
            pts = pts * np.array([0.7, 1.05])
        if shape == "square":
            pts = pts * 1.1
        if shape == "triangle":
            pts = pts * 1.1 + np.array([0, 0.15])
        return pts
    if shape == "star":
        a = -np.pi / 2 + np.arange(10) * np.pi / 5
        r = np.where(np.arange(10) % 2 == 0, 1.05, 0.42)
        return np.stack([r * np.cos(a), r * np.sin(a)], 1)
    if shape == "heart":
        x = 16 * np.sin(t) ** 3
        y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
        return np.stack([x, y], 1) / 16.0
    if shape == "cross":
        w = 0.33
        return np.array([(-w, -1), (w, -1), (w, -w), (1, -w), (1, w), (w, w), (w, 1), (-w, 1),
                         (-w, w), (-1, w), (-1, -w), (-w, -w)], dtype=float)
    if shape == "crescent":
        # outer arc of the unit circle, inner arc of a shifted circle
        a = np.linspace(np.pi * 0.28, np.pi * 1.72, n // 2)
        outer = np.stack([np.cos(a), np.sin(a)], 1)
        b = np.linspace(np.pi * 1.62, np.pi * 0.38, n // 2)
        inner = np.stack([0.55 + 0.85 * np.cos(b), 0.85 * np.sin(b)], 1)
        return np.concatenate([outer, inner])
    raise ValueError(f"unknown shape {shape!r}")


def _transform(pts: np.ndarray, cx: float, cy: float, r: float, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    rot = pts @ np.array([[c, s], [-s, c]])
    return rot * r + np.array([cx, cy])


def _layout(scene: Scene, side: int, rng: np.random.Generator) -> list[tuple[float, float, float, float]]:
    """(cx, cy, radius, angle) per object, without overlaps."""
    base = (0.10 if scene.size == "small" else 0.19) * side
    if scene.count == 3 and scene.size == "large":
        base = 0.155 * side
    objs: list[tuple[float, float, float, float]] = []
    for _i in range(scene.count):
        r = base * float(rng.uniform(0.9, 1.1))
        angle = float(rng.uniform(-0.3, 0.3))
        for _attempt in range(200):
            if scene.count == 1:
                fx = {"left": 0.27, "middle": 0.5, "right": 0.73}[scene.position]
                cx = side * (fx + rng.uniform(-0.04, 0.04))
                cy = side * rng.uniform(0.38, 0.62)
            else:
                cx = rng.uniform(r + 2, side - r - 2)
                cy = rng.uniform(r + 2, side - r - 2)
            if all((cx - ox) ** 2 + (cy - oy) ** 2 > (r + orr + 3) ** 2 for ox, oy, orr, _ in objs):
                break
        objs.append((float(cx), float(cy), r, angle))
    return objs


# --------------------------------------------------------------------------
# Photo renderer
# --------------------------------------------------------------------------

def _smooth_noise(rng: np.random.Generator, side: int, scale: int) -> np.ndarray:
    small = rng.random((max(2, side // scale), max(2, side // scale))).astype(np.float32)
    img = Image.fromarray((small * 255).astype(np.uint8)).resize((side, side), Image.BICUBIC)
    return np.asarray(img, dtype=np.float32) / 255.0


def _background(setting: str, side: int, rng: np.random.Generator) -> np.ndarray:
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32) / side
    def col(rgb, jitter=12):
        return np.array(rgb, np.float32) + rng.uniform(-jitter, jitter, 3).astype(np.float32)
    if setting == "plain":
        c = col((175, 172, 165), 20)
        img = np.ones((side, side, 3), np.float32) * c
        img *= (1.0 - 0.15 * ((xx - 0.5) ** 2 + (yy - 0.5) ** 2))[..., None]
    elif setting == "sky":
        top, bottom = col((70, 130, 215)), col((170, 205, 240))
        img = top * (1 - yy[..., None]) + bottom * yy[..., None]
        clouds = _smooth_noise(rng, side, 16)
        mask = np.clip((clouds - 0.55) * 3.0, 0, 1)[..., None]
        img = img * (1 - mask) + 245 * mask
    elif setting == "grass":
        img = np.ones((side, side, 3), np.float32) * col((70, 135, 45))
        blades = rng.random((side, side)).astype(np.float32)
        blades = np.asarray(Image.fromarray((blades * 255).astype(np.uint8)).filter(
            ImageFilter.BoxBlur(0)).resize((side, side)), np.float32) / 255
        streak = np.asarray(Image.fromarray((blades * 255).astype(np.uint8)).resize(
            (side, side // 6)).resize((side, side), Image.BILINEAR), np.float32) / 255
        img *= (0.7 + 0.5 * streak)[..., None]
        img *= (0.85 + 0.3 * _smooth_noise(rng, side, 24))[..., None]
    elif setting == "water":
        base = col((30, 95, 150))
        phase = rng.uniform(0, 6.28)
        waves = np.sin(yy * 60 + 3 * np.sin(xx * 9 + phase) + phase)
        img = np.ones((side, side, 3), np.float32) * base
        img = img * (0.85 + 0.12 * waves)[..., None] + 60 * np.clip(waves - 0.85, 0, 1)[..., None] * 3
    elif setting == "wood":
        base = col((150, 100, 55))
        phase = rng.uniform(0, 6.28)
        grain = np.sin(yy * 90 + 4 * np.sin(xx * 5 + phase)) * 0.5 + 0.5
        img = np.ones((side, side, 3), np.float32) * base * (0.8 + 0.25 * grain)[..., None]
        plank = max(8, side // int(rng.integers(3, 6)))
        lines = (np.arange(side) % plank) < max(1, side // 64)
        img[lines, :, :] *= 0.55
    elif setting == "sand":
        base = col((215, 190, 140))
        speck = rng.normal(0, 1, (side, side)).astype(np.float32)
        img = np.ones((side, side, 3), np.float32) * base
        img *= (0.92 + 0.05 * speck + 0.12 * _smooth_noise(rng, side, 20))[..., None]
    else:
        raise ValueError(f"unknown setting {setting!r}")
    return np.clip(img, 0, 255)


def render_photo(scene: Scene, side: int = PHOTO_SIZE, *, jpeg: bool = False) -> Image.Image:
    """Render a scene as an RGB photo ``side`` x ``side``.

    ``jpeg=True`` passes the result through an in-memory JPEG round trip at a
    seeded quality (40-90), as training augmentation.
    """
    layout_rng = np.random.default_rng([scene.seed, 1, scene.count, SIZES.index(scene.size)])
    bg_rng = np.random.default_rng([scene.seed, 2, SETTINGS.index(scene.setting)])
    fx_rng = np.random.default_rng([scene.seed, 3])
    bg = _background(scene.setting, side, bg_rng)
    img = Image.fromarray(bg.astype(np.uint8))

    colour = np.array(COLOURS[scene.colour], np.float32) + fx_rng.uniform(-12, 12, 3)
    colour = tuple(int(c) for c in np.clip(colour, 0, 255))
    outline = tuple(int(c * 0.55) for c in colour)
    pts_unit = shape_outline(scene.shape)
    shadow = Image.new("L", (side, side), 0)
    sd = ImageDraw.Draw(shadow)
    layer = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    off = max(1, side // 40)
    for cx, cy, r, angle in _layout(scene, side, layout_rng):
        pts = _transform(pts_unit, cx, cy, r, angle)
        sd.polygon([(x + off, y + off) for x, y in pts], fill=110)
        d.polygon([tuple(p) for p in pts], fill=colour + (255,), outline=outline + (255,),
                  width=max(1, side // 96))
    img = Image.composite(Image.new("RGB", (side, side), (0, 0, 0)), img,
                          shadow.filter(ImageFilter.GaussianBlur(side / 128)))
    img.paste(layer, (0, 0), layer)

    # small global rotation (camera tilt), reflected edges
    tilt = float(fx_rng.uniform(-4, 4))
    img = img.rotate(tilt, resample=Image.BILINEAR, expand=False, fillcolor=None)
    a = np.asarray(img, np.float32)
    if abs(tilt) > 0:
        # rotate leaves black corners; fill them from the unrotated background
        black = a.sum(-1) < 1
        a[black] = bg[black]

    # lighting: directional gradient and exposure; night: dark blue tint
    ang = fx_rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32) / side - 0.5
    grad = 1.0 + fx_rng.uniform(0.05, 0.3) * (xx * np.cos(ang) + yy * np.sin(ang))
    a *= (grad * fx_rng.uniform(0.85, 1.1))[..., None]
    if scene.night:
        a = a * np.array([0.28, 0.32, 0.5], np.float32) + np.array([5, 8, 25], np.float32)
        glow = np.exp(-((xx - fx_rng.uniform(-0.3, 0.3)) ** 2 + (yy - fx_rng.uniform(-0.3, 0.3)) ** 2) / 0.08)
        a *= (1.0 + 0.5 * glow)[..., None]
    a += fx_rng.normal(0, fx_rng.uniform(1.5, 7.0), a.shape).astype(np.float32)
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    blur = float(fx_rng.uniform(0, 0.9)) * side / 128
    if blur > 0.2:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    if jpeg:
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=int(fx_rng.integers(40, 91)))
        img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return img


def render_drawing(scene: Scene, side: int = PHOTO_SIZE) -> Image.Image:
    """A clean line drawing of the scene's objects (training augmentation only).

    Deliberately unlike :func:`render_sketch`: exact outlines of uniform width,
    in a random ink colour, on a random light paper tone, laid out like the photo.
    """
    rng = np.random.default_rng([scene.seed, 5])
    paper = tuple(int(v) for v in rng.integers(225, 256, 3))
    ink = tuple(int(v) for v in rng.integers(0, 120, 3))
    img = Image.new("RGB", (side, side), paper)
    d = ImageDraw.Draw(img)
    width = int(rng.integers(max(1, side // 64), max(2, side // 32) + 1))
    for cx, cy, r, angle in _layout(scene, side, np.random.default_rng(
            [scene.seed, 1, scene.count, SIZES.index(scene.size)])):
        pts = [tuple(p) for p in _transform(shape_outline(scene.shape), cx, cy, r, angle)]
        d.line(pts + [pts[0]], fill=ink, width=width, joint="curve")
    return img


# --------------------------------------------------------------------------
# Sketch renderer
# --------------------------------------------------------------------------

def _resample_closed(pts: np.ndarray, n: int) -> np.ndarray:
    closed = np.concatenate([pts, pts[:1]])
    seg = np.linalg.norm(np.diff(closed, axis=0), axis=1)
    cum = np.concatenate([[0], np.cumsum(seg)])
    s = np.linspace(0, cum[-1], n, endpoint=False)
    return np.stack([np.interp(s, cum, closed[:, 0]), np.interp(s, cum, closed[:, 1])], 1)


def render_sketch(shape: str, count: int = 1, seed: int = 0, side: int = PHOTO_SIZE) -> Image.Image:
    """A hand-drawn-looking sketch: dark wobbly strokes on white.

    The layout is drawn from ``seed`` alone, so a sketch never copies a
    photo's pixels or its object positions.  Strokes are jittered with smooth
    noise, overshoot their start, vary in width, and are sometimes retraced.
    """
    rng = np.random.default_rng([seed, 7, SHAPES.index(shape), count])
    img = Image.new("RGB", (side, side), (255, 255, 255))
    d = ImageDraw.Draw(img)
    size = "large" if count == 1 or rng.random() < 0.5 else "small"
    fake = Scene(shape=shape, colour="red", count=count, size=size,
                 position=str(rng.choice(POSITIONS)) if count == 1 else "spread",
                 setting="plain", night=False, seed=int(rng.integers(0, 2**31 - 1)))
    for cx, cy, r, angle in _layout(fake, side, rng):
        pts = _transform(shape_outline(shape, 64), cx, cy, r * rng.uniform(0.9, 1.1),
                         angle + rng.uniform(-0.2, 0.2))
        for stroke in range(1 + int(rng.random() < 0.4)):
            n = 90
            path = _resample_closed(pts, n)
            # smooth jitter: low-frequency random walk along the outline
            walk = np.cumsum(rng.normal(0, 0.35, (n, 2)), axis=0)
            walk -= np.linspace(0, 1, n)[:, None] * walk[-1]           # closes the loop
            path = path + walk * (side / 128) + rng.normal(0, 0.3, (n, 2))
            start = int(rng.integers(0, n))
            path = np.roll(path, -start, axis=0)
            extra = int(rng.integers(2, 10))                                 # overshoot
            path = np.concatenate([path, path[:extra] + rng.normal(0, 1.0, (extra, 2))])
            gray = int(rng.integers(0, 70))
            base_w = rng.uniform(1.6, 3.4) * side / 128
            for i in range(len(path) - 1):
                w = max(1, int(round(base_w * (0.75 + 0.5 * math.sin(i / 7.0 + stroke)))))
                d.line([tuple(path[i]), tuple(path[i + 1])], fill=(gray, gray, gray), width=w)
    return img


def edge_map(photo: Image.Image) -> Image.Image:
    """Dark-on-white edge map of a photo (a stand-in sketch for domain statistics)."""
    gray = photo.convert("L").filter(ImageFilter.GaussianBlur(1))
    edges = np.asarray(gray.filter(ImageFilter.FIND_EDGES), np.float32)
    edges = np.clip(edges * 4.0, 0, 255)
    return Image.fromarray((255 - edges).astype(np.uint8)).convert("RGB")


# --------------------------------------------------------------------------
# Writing image sets to disk
# --------------------------------------------------------------------------

def write_photos(scenes: Sequence[Scene], folder: Path, *, side: int = PHOTO_SIZE,
                 prefix: str = "photo") -> list[dict]:
    """Write scenes as JPEG files plus ``manifest.json``; returns the manifest rows.

    Each row: {"file", "caption", **scene attributes}.  JPEG quality is seeded
    from the scene (60-95).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, scene in enumerate(scenes):
        name = f"{prefix}_{i:05d}.jpg"
        quality = 60 + scene.seed % 36
        render_photo(scene, side).save(folder / name, format="JPEG", quality=quality)
        rows.append({"file": name, "caption": caption(scene), **scene.to_json()})
    (folder / "manifest.json").write_text(json.dumps(rows, indent=1))
    return rows


def read_manifest(folder: Path) -> list[tuple[Path, Scene]]:
    """(path, scene) per row of a folder written by :func:`write_photos`."""
    folder = Path(folder)
    rows = json.loads((folder / "manifest.json").read_text())
    fields = set(Scene.__dataclass_fields__)
    return [(folder / r["file"], Scene.from_json({k: v for k, v in r.items() if k in fields}))
            for r in rows]


def sample_scenes(seed: int, n: int, *, heldout: bool | None = False) -> list[Scene]:
    """``n`` scenes drawn deterministically from ``seed``."""
    rng = np.random.default_rng(seed)
    return [sample_scene(rng, heldout=heldout) for _ in range(n)]


def scenes_matching(scenes: Iterable[Scene], **attrs) -> list[int]:
    """Indices of scenes whose attributes equal every given value."""
    return [i for i, s in enumerate(scenes) if all(getattr(s, k) == v for k, v in attrs.items())]
