"""The window driven from the keyboard alone: preview, focus, arrows, menus, shortcuts."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.item_models.results_model import ResultsModel
from tests.app.conftest import GUI_PHOTOS

pytestmark = pytest.mark.gui


def browse_ready(w, count: int = GUI_PHOTOS) -> bool:
    return (w.browse is not None and w.browse.count() == count and w.grid.model() is w.browse.model
            and w.grid.model().data(w.grid.model().index(0, 0), ResultsModel.PathRole) is not None)


def test_space_on_a_library_photo_opens_its_preview(make_app, qtbot, library_dir):
    app = make_app(library_dir)
    w = app.window
    w.show()
    qtbot.waitUntil(lambda: browse_ready(w), timeout=20000)
    w.grid.setFocus()
    QTest.keyClick(w.grid, Qt.Key.Key_Right)
    QTest.keyClick(w.grid, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: w._preview is not None and w._preview.isVisible(), timeout=5000)
    preview = w._preview
    name = w.grid.model().index(1, 0).data(ResultsModel.PathRole).rsplit("/", 1)[-1]
    assert preview.windowTitle() == name
    assert "score" not in preview.caption.text()
    QTest.keyClick(preview, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: w._preview is None, timeout=5000)
    assert QApplication.activeModalWidget() is None
