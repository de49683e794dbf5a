"""A cold `photoseek search` keeps a fast-loading copy of the text tower for the next one."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from indexer.models import tower_layout
from tests.support.cli import run_photoseek
from tests.support.template import copy_template


def test_the_second_cold_search_loads_the_kept_copy_and_answers_the_same(template_library, tmp_path):
    lib = copy_template(template_library, tmp_path / "t").library
    layouts = Path(os.environ["XDG_CACHE_HOME"]) / "photoseek" / tower_layout.FOLDER
    first = run_photoseek("--verbose", "search", "a red circle", "--json", library=lib)
    assert first.returncode == 0, first.stderr
    kept = [p for p in layouts.iterdir() if not p.name.startswith(".")]
    assert len(kept) == 1 and (kept[0] / tower_layout.RECORD).is_file()
    second = run_photoseek("--verbose", "search", "a red circle", "--json", library=lib)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert f"loaded {kept[0] / tower_layout.GRAPH}" in second.stderr
    shutil.rmtree(layouts)
    image = run_photoseek("search", "--image", str(next(lib.parent.rglob("*.jpg"))), "--json", library=lib)
    assert image.returncode == 0, image.stderr
    assert not layouts.exists()  # an image query loads no text tower, so it keeps no copy of it
