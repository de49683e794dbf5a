"""The generated photo world: deterministic, captions say what is drawn,
sketches are drawings and not photo copies."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from tests.quality import world


def _pixels(img: Image.Image) -> np.ndarray:
    return np.asarray(img, dtype=np.int16)


def test_world_has_the_required_variety():
    assert len(world.SHAPES) >= 8
    assert len(world.COLOURS) >= 8
    assert len(world.SETTINGS) >= 6
    assert world.COUNTS == (1, 2, 3)
    assert set(world.SHAPE_PLURALS) == set(world.SHAPES)
    for shape in world.SHAPES:                       # every shape has a closed outline
        pts = world.shape_outline(shape)
        assert pts.ndim == 2 and pts.shape[1] == 2 and len(pts) >= 3


def test_scenes_and_renders_are_deterministic_from_seed():
    a = world.sample_scenes(7, 12, heldout=None)
    b = world.sample_scenes(7, 12, heldout=None)
    assert a == b
    assert world.sample_scenes(8, 12, heldout=None) != a
    for scene in a[:4]:
        assert np.array_equal(_pixels(world.render_photo(scene)), _pixels(world.render_photo(scene)))
        sk1 = world.render_sketch(scene.shape, scene.count, seed=3)
        sk2 = world.render_sketch(scene.shape, scene.count, seed=3)
        assert np.array_equal(_pixels(sk1), _pixels(sk2))
    # a different seed gives a different photo of the same attributes
    s = a[0]
    other = world.render_photo(s.with_(seed=s.seed + 1))
    assert np.abs(_pixels(other) - _pixels(world.render_photo(s))).mean() > 3


def test_captions_name_every_attribute():
    for scene in world.sample_scenes(3, 60, heldout=None):
        text = world.caption(scene)
        noun = scene.shape if scene.count == 1 else world.SHAPE_PLURALS[scene.shape]
        assert f"{scene.colour} {noun}" in text
        assert scene.size in text
        assert world.SETTING_PHRASES[scene.setting][0] in text
        assert ("at night" in text) == scene.night
        if scene.count > 1:
            assert text.startswith(world.COUNT_WORDS[scene.count] + " ")
        else:
            assert text.split()[0] in ("a", "an")
        # every paraphrase still names colour and shape
        for v in range(4):
            assert noun in world.caption(scene, v) and scene.colour in world.caption(scene, v)


def test_example_caption_reads_as_plain_english():
    scene = world.Scene(shape="star", colour="red", count=2, size="small", position="spread",
                        setting="grass", night=True, seed=1)
    assert world.caption(scene) == "two small red stars on grass at night"
    one = world.Scene(shape="circle", colour="orange", count=1, size="large", position="left",
                      setting="plain", night=False, seed=1)
    assert world.caption(one) == "a large orange circle on a plain background"


def test_colour_is_rendered_where_the_caption_says():
    """The dominant non-background colour of a plain-background photo is the named colour."""
    for colour in world.COLOURS:
        scene = world.Scene(shape="square", colour=colour, count=1, size="large", position="middle",
                            setting="plain", night=False, seed=11)
        a = _pixels(world.render_photo(scene)).astype(np.float32)
        centre = a[54:74, 54:74].reshape(-1, 3).mean(0)
        nearest = min(world.COLOURS, key=lambda c: np.sum((np.array(world.COLOURS[c]) - centre) ** 2))
        assert nearest == colour, (colour, centre)


def test_count_and_position_change_the_picture():
    base = world.Scene(shape="circle", colour="red", count=1, size="small", position="left",
                       setting="plain", night=False, seed=5)
    red = np.array(world.COLOURS["red"], np.float32)

    def red_mask(scene):
        a = _pixels(world.render_photo(scene)).astype(np.float32)
        return np.linalg.norm(a - red, axis=-1) < 60

    left = red_mask(base)
    right = red_mask(base.with_(position="right"))
    assert left[:, :64].sum() > 5 * left[:, 64:].sum()
    assert right[:, 64:].sum() > 5 * right[:, :64].sum()
    three = red_mask(base.with_(count=3))
    assert three.sum() > 2.2 * left.sum()


def test_night_is_darker_than_day():
    scene = world.sample_scenes(1, 1, heldout=None)[0].with_(night=False)
    day = _pixels(world.render_photo(scene)).mean()
    night = _pixels(world.render_photo(scene.with_(night=True))).mean()
    assert night < 0.6 * day


def test_heldout_combinations_are_never_sampled_for_training():
    scenes = world.sample_scenes(0, 500, heldout=False)
    assert not any(world.is_heldout(s) for s in scenes)
    held = world.sample_scenes(0, 50, heldout=True)
    assert all(world.is_heldout(s) for s in held)
    # each colour and each shape occurs in a held-out colour+shape pair
    assert {c for c, _ in world.HELDOUT_COLOUR_SHAPE} == set(world.COLOUR_NAMES)
    assert {s for _, s in world.HELDOUT_COLOUR_SHAPE} == set(world.SHAPES)


def test_sketches_are_dark_strokes_on_white_and_not_photo_copies():
    for scene in world.sample_scenes(4, 12, heldout=None):
        photo = _pixels(world.render_photo(scene)).astype(np.float32)
        sketch = _pixels(world.render_sketch(scene.shape, scene.count, seed=scene.seed)).astype(np.float32)
        gray = sketch.mean(-1)
        ink = gray < 128
        assert 0.005 < ink.mean() < 0.25                 # mostly white paper, some strokes
        assert (gray > 240).mean() > 0.7
        assert np.allclose(sketch[..., 0], sketch[..., 1])  # no colour
        # not a copy of the photo, nor of its edge map
        assert np.corrcoef(photo.mean(-1).ravel(), gray.ravel())[0, 1] < 0.5
        edges = _pixels(world.edge_map(world.render_photo(scene))).astype(np.float32).mean(-1)
        assert np.corrcoef(edges.ravel(), gray.ravel())[0, 1] < 0.5


def test_sketch_strokes_are_jittered_not_exact_outlines():
    a = _pixels(world.render_sketch("square", 1, seed=1)).mean(-1) < 128
    b = _pixels(world.render_sketch("square", 1, seed=2)).mean(-1) < 128
    assert not np.array_equal(a, b)
    # strokes vary in width: some ink runs across are thicker than others
    runs = [int(r.sum()) for r in a if r.any()]
    assert max(runs) > min(runs)


def test_write_photos_writes_jpegs_and_a_manifest(tmp_path):
    scenes = world.sample_scenes(9, 5, heldout=True)
    rows = world.write_photos(scenes, tmp_path)
    assert len(rows) == 5
    files = sorted(tmp_path.glob("*.jpg"))
    assert len(files) == 5
    with Image.open(files[0]) as img:
        assert img.format == "JPEG" and img.size == (world.PHOTO_SIZE, world.PHOTO_SIZE)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest[0]["caption"] == world.caption(scenes[0])
    assert [s for _, s in world.read_manifest(tmp_path)] == scenes


@pytest.mark.parametrize("attribute,value,expected", [
    ("colour", "blue", "make it blue"),
    ("night", True, "at night"),
    ("count", 3, "three of them"),
    ("setting", "grass", "on grass"),
])
def test_edit_texts(attribute, value, expected):
    assert world.edit_text(attribute, value) == expected
