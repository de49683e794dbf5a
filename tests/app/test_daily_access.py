"""What a screen reader gets from the window, read through Qt's accessibility interfaces."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from app.item_models.results_model import ResultsModel
from tests.app.conftest import GUI_PHOTOS
from tests.app.test_daily_keyboard import browse_ready, shown

pytestmark = pytest.mark.gui

NAME = QAccessible.Text.Name


def unnamed(root: QWidget) -> list[str]:
    """The widgets shown under ``root`` that take keyboard focus but give a screen reader no name."""
    out = []
    for widget in [root, *root.findChildren(QWidget)]:
        if not widget.focusPolicy() & Qt.FocusPolicy.TabFocus or not widget.isEnabled():
            continue
        if not (widget is root or widget.isVisibleTo(root)) or widget.isWindow() and widget is not root:
            continue        # hidden (a chip with no filter yet, a closed list): out of reach until shown
        if widget.focusProxy() is not None:
            continue        # its proxy takes the focus (and is checked itself)
        iface = QAccessible.queryAccessibleInterface(widget)
        if iface is None or not (iface.text(NAME) or "").strip():
            out.append(f"{type(widget).__name__} {widget.objectName()!r} in {type(widget.parent()).__name__}")
    return out


def test_the_grid_names_every_photo(make_app, qtbot, library_dir):
    app = make_app(library_dir)
    w = app.window
    shown(qtbot, w)
    qtbot.waitUntil(lambda: browse_ready(w), timeout=20000)
    model = w.grid.model()
    qtbot.waitUntil(lambda: model.index(GUI_PHOTOS - 1, 0).data(ResultsModel.PathRole) is not None, timeout=10000)
    grid = QAccessible.queryAccessibleInterface(w.grid)
    assert grid.role() == QAccessible.Role.List
    assert grid.childCount() == GUI_PHOTOS
    names = [grid.child(i).text(NAME) for i in range(grid.childCount())]
    assert len(set(names)) == GUI_PHOTOS
    last = names[-1]
    assert last == "img_0000.jpg, 14 March 2021"            # file name, date (and place, when known)
    cell = grid.child(3)
    assert cell.role() == QAccessible.Role.ListItem and cell.parent().object() is w.grid
    assert grid.indexOfChild(cell) == 3
    QTest.keyClick(w.search_bar, Qt.Key.Key_Down)
    QTest.keyClick(w.grid, Qt.Key.Key_Right)
    focus = grid.focusChild()
    assert focus is not None and focus.text(NAME) == names[1]
    assert focus.state().focused and focus.state().selected

    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        QTest.keyClicks(w.search_bar, "a sunset")
    grid = QAccessible.queryAccessibleInterface(w.grid)
    assert grid.childCount() == w.results.rowCount() > 0
    assert "score" not in grid.child(0).text(NAME) and grid.child(0).text(NAME).split(",")[0].endswith(
        (".jpg", ".png"))


def test_every_control_has_a_name_and_the_right_role(make_app, qtbot, library_dir):
    app = make_app(library_dir)
    w = app.window
    shown(qtbot, w)
    qtbot.waitUntil(lambda: browse_ready(w), timeout=20000)
    for mode_button in w.mode_switch.buttons.values():
        role = QAccessible.queryAccessibleInterface(mode_button).role()
        assert role in (QAccessible.Role.RadioButton, QAccessible.Role.PageTab), role
    inks = [QAccessible.queryAccessibleInterface(b).text(NAME) for b in w.sketch_panel.color_buttons]
    assert inks and all("#" not in n and n.strip() for n in inks), inks
    for i in range(len(w.mode_switch.buttons)):      # each mode shows its own panel
        QTest.keyClick(w, Qt.Key(Qt.Key.Key_1 + i), Qt.KeyboardModifier.AltModifier)
        assert unnamed(w) == [], f"mode {i + 1}: " + "; ".join(unnamed(w))
    assert w.mode_switch.buttons[w.mode()].isChecked() and len({w.mode()}) == 1
    QTest.keyClick(w.search_bar, Qt.Key.Key_Down)
    QTest.keyClick(w.grid, Qt.Key.Key_Space)            # the viewer
    qtbot.waitUntil(lambda: w._preview is not None and w._preview.isVisible(), timeout=5000)
    assert unnamed(w._preview) == [], unnamed(w._preview)
    QTest.keyClick(w._preview.view, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: w._preview is None, timeout=5000)
    dialogs = [app.show_settings(), app.show_folders(), app.show_failures(), app.show_duplicates()]
    w.commands.show_sheet()
    dialogs.append(w.commands._sheet)
    for dialog in dialogs:
        assert dialog is not None
        assert unnamed(dialog) == [], (type(dialog).__name__, unnamed(dialog))
        dialog.close()
    QApplication.processEvents()
