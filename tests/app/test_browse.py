"""With no query the window shows the library newest first, in months, with a scrubber; results page on."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.item_models.results_model import ResultsModel
from indexer.search import Hit
from tests.app.conftest import GUI_PHOTOS

pytestmark = pytest.mark.gui


def browse_ready(w, count: int = GUI_PHOTOS) -> bool:
    return w.browse is not None and w.browse.count() == count and w.grid.model() is w.browse.model


def test_with_no_query_the_window_shows_the_library_newest_first(make_app, qtbot, library_dir, gui_photos):
    app = make_app(library_dir)
    w = app.window
    qtbot.waitUntil(lambda: browse_ready(w), timeout=20000)
    assert w.results_stack.currentWidget() is w.grid
    assert w.results_label.text() == "60 photos  ·  newest first"
    titles = [s.title for s in w.grid.sections()]
    assert titles[-3:] == ["May 2021", "April 2021", "March 2021"]    # EXIF dates: 14 March 2021 + n days
    assert len(titles) == 4 and titles[0].endswith(tuple("0123456789"))  # the PNGs: their file time, this month
    model = w.browse.model
    qtbot.waitUntil(lambda: model.data(model.index(GUI_PHOTOS - 1), ResultsModel.PathRole) is not None, timeout=10000)
    dated = [model.data(model.index(r), ResultsModel.TakenRole) for r in range(GUI_PHOTOS)]
    dated = [d for d in dated if d is not None]
    assert dated == sorted(dated, reverse=True) and len(dated) == 48
    assert Path(model.data(model.index(GUI_PHOTOS - 1), ResultsModel.PathRole)).name == "img_0000.jpg"
    assert w.browse.scrubber.isVisible() and "2021" in [year for _, year in w.browse.scrubber.year_marks()]

    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        QTest.keyClicks(w.search_bar, "a sunset")
    assert w.grid.model() is w.results and not w.browse.scrubber.isVisible()
    w.search_bar.clear()
    QTest.keyClick(w.search_bar, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.grid.model() is w.browse.model, timeout=10000)
    assert w.results_stack.currentWidget() is w.grid


def test_the_scrubber_jumps_to_a_month(make_app, qtbot, library_dir):
    app = make_app(library_dir)
    w = app.window
    w.resize(900, 500)
    w.grid.set_cell_size(240)
    qtbot.waitUntil(lambda: browse_ready(w), timeout=20000)
    scrubber = w.browse.scrubber
    qtbot.waitUntil(lambda: w.grid.verticalScrollBar().maximum() > 0, timeout=5000)
    scrubber.jump_to(scrubber.height() - 1)
    last = w.grid.sections()[-1]
    assert w.grid.verticalScrollBar().value() == min(last.top, w.grid.verticalScrollBar().maximum())
    assert scrubber.title_at(scrubber.height() - 1) == "March 2021"
    scrubber.jump_to(0)
    assert w.grid.verticalScrollBar().value() == 0


def test_folder_and_date_filters_apply_to_the_library(make_app, qtbot, library_dir, gui_photos):
    app = make_app(library_dir)
    w = app.window
    qtbot.waitUntil(lambda: browse_ready(w), timeout=20000)
    w.filter_bar.after_check.setChecked(True)     # from a year ago: the PNGs (no EXIF date: their file time)
    pngs = len(list(gui_photos.rglob("*.png")))
    qtbot.waitUntil(lambda: w.browse.count() == pngs, timeout=10000)
    assert w.results_label.text() == f"{pngs} photos  ·  newest first"
    w.filter_bar.after_check.setChecked(False)
    w.filter_bar.folder.setCurrentIndex(w.filter_bar.folder.findData(str(gui_photos)))
    qtbot.waitUntil(lambda: w.browse.count() == GUI_PHOTOS, timeout=10000)


def hit(n: int, best: bool) -> Hit:
    return Hit(n, Path(f"/p/{n}.jpg"), 1.0 - n / 100, n + 1, best=best)


def test_results_are_sectioned_into_best_matches_and_more(qtbot):
    model = ResultsModel()
    assert model.sections() == []
    model.set_hits([hit(n, n < 3) for n in range(10)])
    assert model.sections() == [(0, "Best matches (3)"), (3, "More like this")]
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    with qtbot.waitSignal(model.rowsInserted):
        assert model.update_hits([hit(n, n < 5) for n in range(20)])  # a wider cut and a second page
    assert not resets and model.rowCount() == 20 and model.sections()[0] == (0, "Best matches (5)")
    assert not model.update_hits([hit(n + 1, False) for n in range(20)])  # another list: a reset
    assert resets and model.sections() == []


def test_scrolling_to_the_end_loads_more_results_without_a_ceiling(make_app, qtbot, library_dir, monkeypatch):
    monkeypatch.setattr("app.query_controller.DEFAULT_LIMIT", 20)
    app = make_app(library_dir)
    w = app.window
    w.resize(900, 500)
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        QTest.keyClicks(w.search_bar, "a sunset")
    assert w.results.rowCount() == 20
    for _ in range(10):
        if w.results.rowCount() == GUI_PHOTOS:
            break
        bar = w.grid.verticalScrollBar()
        bar.setValue(bar.maximum())
        qtbot.wait(200)
    assert w.results.rowCount() == GUI_PHOTOS           # every photo, in pages of 20
    assert w.controller.state.limit >= GUI_PHOTOS


def test_fewer_or_more_best_matches_searches_again_in_place(make_app, qtbot, library_dir):
    app = make_app(library_dir)
    w = app.window
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        QTest.keyClicks(w.search_bar, "a sunset")
    assert w.results_header.best_cut.isVisible()
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        w.results_header.best_cut.more.click()
    assert w.controller.state.best_level == 1 and w.controller.continued
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        w.results_header.best_cut.fewer.click()
    assert w.controller.state.best_level == 0
