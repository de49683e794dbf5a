"""The app and ``photoseek search`` hand the core the same words and get the same query back."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from app.cli.parser import build_parser
from app.cli.search_terms import search_query
from app.query_controller import QueryState, build_query
from app.query_types import ImageRef, Mode
from indexer.query.kinds import EditQuery, SketchQuery, TextQuery, kind_named
from indexer.query.understanding import understand

TODAY = date(2026, 11, 29)


def _same(gui, cli) -> None:
    assert gui is not None
    assert (gui.kind, gui.negatives, gui.filters) == (cli.kind, cli.negatives, cli.filters)


@pytest.mark.parametrize("text", ["beach -people", 'sign "open late" not cars', "snow last winter -dog",
                                  'not "red car" street 2019', "t-shirt on a chair"])
def test_a_text_query_is_the_same_from_the_app_and_the_command_line(text):
    gui = build_query(QueryState(text=text))
    cli = search_query(build_parser().parse_args(["search", text]))
    _same(gui, cli)
    assert isinstance(gui.kind, TextQuery)
    gui_final, gui_parsed = understand(gui, None, today=TODAY)
    cli_final, cli_parsed = understand(cli, None, today=TODAY)
    _same(gui_final, cli_final)
    assert gui_parsed == cli_parsed


def test_beach_minus_people_searches_beach_away_from_people():
    cli = search_query(build_parser().parse_args(["search", "beach -people"]))
    final, parsed = understand(cli, None, today=TODAY)
    assert (final.kind, final.negatives, parsed.negatives) == (TextQuery("beach"), ["people"], ("people",))


def test_an_edit_and_a_sketch_are_the_same_from_the_app_and_the_command_line(tmp_path: Path):
    photo = tmp_path / "p.jpg"
    gui = build_query(QueryState(mode=Mode.EDIT, text="at night -people", edit_ref=ImageRef("p", photo)))
    cli = search_query(build_parser().parse_args(["search", "at night -people", "--image", str(photo)]))
    _same(gui, cli)
    assert gui.kind == EditQuery(photo, "at night")
    drawing = tmp_path / "s.png"
    Image.new("RGB", (8, 8), "white").save(drawing)
    with Image.open(drawing) as opened:
        sketch = opened.copy()
    gui = build_query(QueryState(mode=Mode.SKETCH, text='"red car" not people', sketch=sketch))
    cli = search_query(build_parser().parse_args(["search", '"red car" not people', "--sketch", str(drawing)]))
    assert isinstance(gui.kind, SketchQuery) and isinstance(cli.kind, SketchQuery)
    assert (gui.kind.text, gui.negatives) == (cli.kind.text, cli.negatives) == ('"red car"', ["people"])


def test_the_modes_come_from_the_registry():
    assert [m.value for m in Mode.all()] == ["text", "image", "sketch", "edit"]
    assert [m.label for m in Mode.all()] == ["Text", "Image", "Sketch", "Image + edit"]
    assert all(m.kind is kind_named(m.value) and m.placeholder for m in Mode.all())
    assert Mode.named("edit") == Mode.EDIT and Mode.TEXT.panel is None and Mode.SKETCH.panel == "sketch"
    with pytest.raises(ValueError):
        Mode.named("words")  # a kind the app does not offer as a mode


def test_nothing_to_search_in_the_app():
    assert build_query(QueryState(text="-people")) is None  # only words to avoid: the library is shown
    assert build_query(QueryState(mode=Mode.IMAGE, text="at night")) is None  # no photo yet
    image = build_query(QueryState(mode=Mode.IMAGE, text="at night -people", image_ref=ImageRef("p", Path("/p.jpg"))))
    assert (image.text, image.negatives) == ("", ["people"])  # only the words to avoid apply to an image
