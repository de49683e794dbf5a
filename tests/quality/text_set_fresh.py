"""A fresh held-out part for the text-in-photo set (``text_set.py``): new key phrases on the
held-out wallpapers, for judging a choice made after the first held-out part had been looked at.

The phrases draw on ``FRESH_WORDS`` (none of them in ``text_set.WORDS``, which the ranking was
tuned on and the screenshots' and pages' filler text uses) with their own seed; sizes, fonts,
colours, plates, rotations and blots follow the same cycle as the main set (``text_set.build``),
so the distributions match.  The images (``images/fresh<SEED>_NNNN.jpg``,
``images/fresh<SEED>_screenshot_NN.png``) go into the same folder as the main set, so R@1 is
measured among all of its photos; their truth is ``fresh-<SEED>.json``.  The main set's images
and ``truth.json`` are not touched.

    python -m tests.quality.text_in_photos --set DIR --fresh-heldout 2026
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from tests.quality.text_set import Sample, _scaled, fonts, phrase, phrase_photo, screenshot
from tests.quality.wallpapers import artworks, split

FRESH_PART = "fresh held-out"
FRESH_WORDS = (
    "acorn badger bistro blossom cactus candle canvas castle cherry comet cricket dagger dolphin "
    "eagle ferry fjord gadget garnet ginger goblin harp hazel iris island jasper kettle lagoon "
    "lemon linen magnet mango meteor nectar nickel oasis olive onyx otter paddle panda parrot "
    "pixel plaza pumpkin radish ribbon rocket saddle salmon satin spruce tablet tiger timber "
    "tulip turtle valley vapor wagon whisker yarn zinnia château naïve piñata crêpe fiancée "
    "résumé señora müsli"
).split()


def fresh_phrase(rng: np.random.Generator, used: set[str]) -> str:
    """2-3 fresh words and a number, not used before (drawn as ``text_set.phrase`` draws them)."""
    return phrase(rng, used, FRESH_WORDS)


def build_fresh(dest: Path, seed: int, *, variants: int = 3, screenshots: int = 4,
                wallpapers: Path = Path("/var/tmp/photoseek-wallpapers")) -> list[Sample]:
    """Write the fresh held-out images under ``dest/images`` (once) and return their samples."""
    truth = dest / f"fresh-{seed}.json"
    if truth.exists():
        return [Sample(**s) for s in json.loads(truth.read_text())]
    rng = np.random.default_rng(seed)
    used: set[str] = set()
    faces = fonts()
    _, held = split(artworks(wallpapers))
    samples: list[Sample] = []
    (dest / "images").mkdir(parents=True, exist_ok=True)
    n = 0
    for art in held:
        base = _scaled(art.path)
        for _ in range(variants):
            name = f"images/fresh{seed}_{n:04d}.jpg"
            samples.append(phrase_photo(base, n, rng, lambda: fresh_phrase(rng, used), faces, dest, name,
                                         FRESH_PART))
            n += 1
    for i in range(screenshots):
        key, px = fresh_phrase(rng, used), (13, 14, 16)[i % 3]
        name = f"images/fresh{seed}_screenshot_{i:02d}.png"
        screenshot(rng, key, px).save(dest / name)
        samples.append(Sample(name, "screenshot", key, px, faces[0].name, part=FRESH_PART))
    truth.write_text(json.dumps([asdict(s) for s in samples], ensure_ascii=False, indent=1))
    return samples
