"""The paged library model: sized from a timeline, rows read a page at a time, old pages dropped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.item_models.browse_model import KEPT_PAGES, PAGE_ROWS, BrowseModel
from app.item_models.results_model import ResultsModel
from app.payloads import PhotoIds
from indexer.search import Hit
from indexer.timeline import Timeline

pytestmark = pytest.mark.gui


def timeline(n: int) -> Timeline:
    return Timeline(np.arange(1000, 1000 + n, dtype=np.int64), np.repeat(np.int32(202401), n))


def test_rows_are_asked_for_a_page_at_a_time_and_filled_in(qtbot):
    model = BrowseModel()
    asked: list[tuple[int, int, PhotoIds]] = []
    model.pageWanted.connect(lambda g, p, ids: asked.append((g, p, ids)))
    model.set_timeline(timeline(3 * PAGE_ROWS + 5))
    assert model.rowCount() == 3 * PAGE_ROWS + 5 and model.sections() == [(0, "January 2024")]
    index = model.index(PAGE_ROWS + 3)
    assert index.data(ResultsModel.PathRole) is None and model.index(PAGE_ROWS + 4).data() is None
    assert len(asked) == 1                                    # one request for the whole page
    generation, page, ids = asked[0]
    assert page == 1 and ids == PhotoIds(range(1000 + PAGE_ROWS, 1000 + 2 * PAGE_ROWS))
    model.set_page(generation - 1, page, [Hit(i, Path(f"/p/{i}.jpg"), 0.0, 0) for i in ids])   # stale: ignored
    assert index.data(ResultsModel.PathRole) is None
    with qtbot.waitSignal(model.dataChanged):
        model.set_page(generation, page, [Hit(i, Path(f"/p/{i}.jpg"), 0.0, 0) for i in ids if i % 2 == 0])
    assert index.data(ResultsModel.PathRole) is None          # odd ids: gone from the catalog meanwhile
    assert model.index(PAGE_ROWS + 2).data(ResultsModel.PathRole) == f"/p/{1000 + PAGE_ROWS + 2}.jpg"
    assert model.index(PAGE_ROWS + 2).data(ResultsModel.ScoreRole) is None    # browsing: no score
    mime = model.mimeData([model.index(PAGE_ROWS + 2), index])
    assert mime.text() == f"/p/{1000 + PAGE_ROWS + 2}.jpg"


def test_only_recent_pages_are_kept(qtbot):
    model = BrowseModel()
    model.pageWanted.connect(lambda g, p, ids: model.set_page(g, p, [Hit(i, Path(f"/p/{i}.jpg"), 0.0, 0)
                                                                      for i in ids]))
    model.set_timeline(timeline((KEPT_PAGES + 5) * PAGE_ROWS))
    for page in range(KEPT_PAGES + 5):
        assert model.index(page * PAGE_ROWS).data(ResultsModel.PathRole) is not None
    assert len(model._pages) == KEPT_PAGES
    asked = []
    model.pageWanted.connect(lambda g, p, ids: asked.append(p))
    assert model.index(0).data(ResultsModel.PathRole) is not None   # read again when scrolled back to
    assert asked == [0]
