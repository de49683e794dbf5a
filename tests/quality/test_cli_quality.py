"""End to end through the `photoseek` command with the committed toy CLIP:
the right photos come first for text, sketch and image + edit queries.

A small world library (one index run per module) is built from scenes whose
attribute combinations the model never saw in training where it matters
(red squares are held out), and the command is run as a real subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.quality import world
from tests.support.bundles import TOYCLIP as BUNDLE
from tests.support.cli import run_photoseek


def photoseek(*args: str, library: Path, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PHOTOSEEK_MODELS=str(library.parent / "models"), **(env_extra or {}))
    proc = run_photoseek(*args, library=library, env=env, timeout=120)
    if proc.returncode != 0:
        raise AssertionError(f"photoseek {' '.join(args)} -> {proc.returncode}\n{proc.stderr}")
    return proc


def search(library: Path, *args: str) -> list[Path]:
    out = photoseek("search", *args, "--json", "--model", str(BUNDLE), "--limit", "10", library=library)
    hits = json.loads(out.stdout)
    assert [h["rank"] for h in hits] == list(range(1, len(hits) + 1))
    return [Path(h["path"]) for h in hits]


@pytest.fixture(scope="module")
def world_library(tmp_path_factory):
    """~60 world photos: a few of each thing the tests look for, among many others."""
    root = tmp_path_factory.mktemp("world-cli")
    rng = np.random.default_rng(5)
    scenes: list[world.Scene] = []
    # red circles (single), in several settings and sizes
    for setting in ("plain", "grass", "sand", "wood"):
        scenes.append(world.sample_scene(rng, heldout=None).with_(
            shape="circle", colour="red", count=1, setting=setting))
    # stars of several colours, mostly single
    for colour, count in (("yellow", 1), ("blue", 1), ("white", 2), ("green", 1), ("pink", 3), ("orange", 1)):
        scenes.append(world.sample_scene(rng, heldout=None).with_(shape="star", colour=colour, count=count))
    # the image + edit pair: a blue square and the same scene in red (a held-out pair)
    blue_square = world.sample_scene(rng, heldout=None).with_(
        shape="square", colour="blue", count=1, size="large", setting="grass", night=False)
    scenes += [blue_square, blue_square.with_(colour="red")]
    # distractors: nothing above, drawn at random
    while len(scenes) < 60:
        s = world.sample_scene(rng, heldout=None)
        if s.shape in ("star", "square") or (s.shape == "circle" and s.colour == "red"):
            continue
        scenes.append(s)
    photos = root / "photos"
    world.write_photos(scenes, photos)
    library = root / "library"
    photoseek("index", str(photos), "--model", str(BUNDLE), library=library)
    by_name = {f"photo_{i:05d}.jpg": s for i, s in enumerate(scenes)}
    return library, photos, by_name, root


def _scenes(paths: list[Path], by_name: dict) -> list[world.Scene]:
    return [by_name[p.name] for p in paths]


def test_text_query_puts_red_circles_first(world_library):
    library, _, by_name, _ = world_library
    hits = _scenes(search(library, "a red circle"), by_name)
    assert (hits[0].shape, hits[0].colour) == ("circle", "red")
    top4 = [(s.shape, s.colour) for s in hits[:4]]
    assert top4.count(("circle", "red")) >= 3, top4


def test_sketch_of_a_star_finds_stars(world_library):
    library, _, by_name, root = world_library
    found = []
    for seed in range(3):                       # three different hand-drawn stars
        sketch = root / f"star-sketch-{seed}.png"
        world.render_sketch("star", 1, seed=seed).save(sketch)
        top5 = [s.shape for s in _scenes(search(library, "--sketch", str(sketch)), by_name)[:5]]
        assert "star" in top5, (seed, top5)     # every sketch finds a star among its first five
        found += top5
    # 6 of 60 photos are stars: a random ranking puts 1.5 of them in these 15 places
    assert found.count("star") >= 4, found


def test_blue_square_plus_make_it_red_finds_red_squares(world_library):
    library, photos, by_name, _ = world_library
    reference = next(photos / n for n, s in by_name.items() if (s.shape, s.colour) == ("square", "blue"))
    paths = search(library, "make it red", "--image", str(reference))
    hits = _scenes(paths, by_name)
    assert (hits[0].shape, hits[0].colour) == ("square", "red"), [(s.shape, s.colour) for s in hits[:5]]
    assert reference.name not in [p.name for p in paths]      # the query photo itself is left out
