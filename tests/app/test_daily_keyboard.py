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


def focus_grid_at(qtbot, w, row: int) -> None:
    """From the search box into the results with Down, then Right to ``row``."""
    w.focus_search()
    QTest.keyClick(w.search_bar, Qt.Key.Key_Down)
    assert QApplication.focusWidget() is w.grid
    assert w.grid.currentIndex().row() == 0
    for _ in range(row):
        QTest.keyClick(w.grid, Qt.Key.Key_Right)
    assert w.grid.currentIndex().row() == row


def shown(qtbot, w) -> None:
    w.show()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)     # keys reach shortcuts in the active window only


def test_focus_starts_in_the_search_box_and_down_enters_the_results(make_app, qtbot, library_dir):
    app = make_app(library_dir)
    w = app.window
    shown(qtbot, w)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is w.search_bar, timeout=5000)
    qtbot.waitUntil(lambda: browse_ready(w), timeout=20000)
    QTest.keyClick(w.search_bar, Qt.Key.Key_Down)
    assert QApplication.focusWidget() is w.grid
    assert w.grid.currentIndex().row() == 0 and w.grid.selectionModel().isSelected(w.grid.currentIndex())


def test_up_and_down_keep_to_the_columns_across_section_breaks(make_app, qtbot, library_dir):
    app = make_app(library_dir)
    w = app.window
    shown(qtbot, w)
    w.resize(1100, 700)
    w.grid.set_cell_size(150)
    qtbot.waitUntil(lambda: browse_ready(w), timeout=20000)
    first, second = w.grid.sections()[:2]
    cols = w.grid.columns
    last = first.first + first.count - 1            # the last photo of the first month
    column = (last - first.first) % cols
    assert cols > 1 and second.count > column
    focus_grid_at(qtbot, w, last)
    QTest.keyClick(w.grid, Qt.Key.Key_Down)
    assert w.grid.currentIndex().row() == second.first + column       # same column, next month's first line
    assert second.first + column != last + cols                       # (not "one line's worth of cells on")
    QTest.keyClick(w.grid, Qt.Key.Key_Up)
    assert w.grid.currentIndex().row() == last


# a popup menu on the offscreen platform
@pytest.mark.qt_log_ignore(r"^This plugin does not support raise\(\)$",
                           r"^This plugin does not support grabbing the keyboard$")
def test_the_context_menu_opens_from_the_keyboard_and_back_returns(make_app, qtbot, library_dir):
    from PySide6.QtWidgets import QMenu

    from app.query_types import Mode

    app = make_app(library_dir)
    w = app.window
    shown(qtbot, w)
    qtbot.waitUntil(lambda: browse_ready(w), timeout=20000)
    focus_grid_at(qtbot, w, 3)
    path = w.grid.currentIndex().data(ResultsModel.PathRole)
    for key, modifier in ((Qt.Key.Key_Menu, Qt.KeyboardModifier.NoModifier),
                          (Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)):
        QTest.keyClick(w.grid, key, modifier)
        qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu), timeout=3000)
        menu = QApplication.activePopupWidget()
        names = [a.text() for a in menu.actions()]
        assert {"Find similar", "Use as reference for edit", "Reveal in folder"} <= set(names)
        if key == Qt.Key.Key_Menu:
            QTest.keyClick(menu, Qt.Key.Key_Escape)
            qtbot.waitUntil(lambda: QApplication.activePopupWidget() is None, timeout=3000)
    similar = next(a for a in menu.actions() if a.text() == "Find similar")
    menu.setActiveAction(similar)
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        QTest.keyClick(menu, Qt.Key.Key_Return)
    assert w.mode() == Mode.IMAGE and str(w.image_panel.chip.reference().path) == path
    shown(qtbot, w)         # the offscreen platform does not hand activation back when a popup closes

    QTest.keyClick(w.grid, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)     # back: the library, same photo
    assert w.mode() == Mode.TEXT
    qtbot.waitUntil(lambda: browse_ready(w) and w.grid.currentIndex().row() == 3, timeout=10000)


def test_backspace_in_the_results_goes_back_but_edits_in_the_search_box(make_app, qtbot, library_dir):
    app = make_app(library_dir)
    w = app.window
    shown(qtbot, w)
    qtbot.waitUntil(lambda: browse_ready(w), timeout=20000)
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        QTest.keyClicks(w.search_bar, "a sunset")
    QTest.keyClick(w.search_bar, Qt.Key.Key_Backspace)
    assert w.search_bar.text() == "a sunse"
    QTest.keyClick(w.search_bar, Qt.Key.Key_Down)
    QTest.keyClick(w.grid, Qt.Key.Key_Backspace)       # back from a search: the library
    assert w.search_bar.text() == ""
    qtbot.waitUntil(lambda: browse_ready(w), timeout=10000)


def test_thumbnail_size_and_quit_from_the_keyboard(make_app, qtbot, library_dir):
    app = make_app(library_dir)
    w = app.window
    shown(qtbot, w)
    qtbot.waitUntil(lambda: browse_ready(w), timeout=20000)
    size = w.size_slider.value()
    QTest.keyClick(w, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert w.size_slider.value() > size
    QTest.keyClick(w, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(w, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert w.size_slider.value() < size
    QTest.keyClick(w, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert w.size_slider.value() == size
    with qtbot.waitSignal(w.closing, timeout=5000):
        QTest.keyClick(w, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert not w.isVisible()


def test_f1_lists_every_shortcut_of_the_menu_bar(make_app, qtbot, library_dir):
    from app.widgets.shortcut_sheet import ShortcutSheet, action_name, shown_keys

    app = make_app(library_dir)
    w = app.window
    shown(qtbot, w)
    bar_actions = [a for m in w.menuBar().actions() for a in m.menu().actions() if not a.isSeparator()]
    assert {m.text().replace("&", "") for m in w.menuBar().actions()} >= {"File", "View", "Photo", "Help"}
    assert all(action_name(a) for a in bar_actions)
    for key, modifier in ((Qt.Key.Key_F1, Qt.KeyboardModifier.NoModifier),
                          (Qt.Key.Key_Question, Qt.KeyboardModifier.ControlModifier)):
        QTest.keyClick(w, key, modifier)
        qtbot.waitUntil(lambda: w.findChild(ShortcutSheet) is not None and w.findChild(ShortcutSheet).isVisible(),
                        timeout=3000)
        sheet = w.findChild(ShortcutSheet)
        listed = sheet.listed()
        for action in bar_actions:
            for keys in shown_keys(action):
                assert (action_name(action), keys) in listed
        for keys in ("Shift+F10", "Ctrl+Q", "Alt+Left", "Space", "Ctrl+=", "F1"):
            assert any(k == keys for _name, k in listed), keys
        QTest.keyClick(sheet.tree, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: not w.findChild(ShortcutSheet).isVisible(), timeout=3000)


def test_the_pause_button_stays_out_of_the_tab_order(make_app, qtbot, library_dir):
    app = make_app(library_dir)
    w = app.window
    shown(qtbot, w)
    w.index_status.set_indexing(True)       # as while indexing: the pause button shows
    assert w.index_status.pause_button.isVisible()
    seen = set()
    for _ in range(60):
        QTest.keyClick(QApplication.focusWidget() or w, Qt.Key.Key_Tab)
        seen.add(QApplication.focusWidget())
    assert w.index_status.pause_button not in seen and w.search_bar in seen
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    assert not w.index_status.pause_button.isChecked()


def test_the_viewer_moves_zooms_pans_and_returns_to_the_same_place(make_app, qtbot, library_dir):
    app = make_app(library_dir)
    w = app.window
    shown(qtbot, w)
    w.resize(1100, 700)
    qtbot.waitUntil(lambda: browse_ready(w), timeout=20000)
    focus_grid_at(qtbot, w, 2)
    QTest.keyClick(w.grid, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: w._preview is not None and w._preview.isVisible(), timeout=5000)
    viewer = w._preview
    model = w.grid.model()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is viewer.view, timeout=3000)
    keys = QApplication.focusWidget()
    QTest.keyClick(keys, Qt.Key.Key_Right)
    QTest.keyClick(keys, Qt.Key.Key_Right)
    QTest.keyClick(keys, Qt.Key.Key_Left)
    assert viewer.row() == 3 and viewer.position.text() == f"4 of {GUI_PHOTOS}"
    hit = model.index(3, 0).data(ResultsModel.HitRole)
    assert viewer.windowTitle() == hit.path.name
    assert viewer.view.accessibleName().startswith(f"Photo: {hit.path.name}")
    # the info panel: the date and size of the photo in words
    from app.hit_captions import taken_text
    assert viewer.info["Date"].text() == (taken_text(hit.taken_at) or "—")
    assert viewer.info["Size"].text() == f"{hit.width} × {hit.height}"
    # the photo itself, decoded off the GUI thread at its own size (not the thumbnail's)
    qtbot.waitUntil(lambda: viewer.view.image is not None and max(viewer.view.image.width(),
                                                                   viewer.view.image.height())
                    == max(hit.width, hit.height), timeout=10000)
    # zoom and pan from the keyboard, back to fit with 0
    QTest.keyClick(keys, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(keys, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert viewer.view.zoom() > 1.5
    before = viewer.view.centre()
    QTest.keyClick(keys, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert viewer.view.centre().x() > before.x() and viewer.row() == 3       # panned, did not move on
    QTest.keyClick(keys, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert 1.0 < viewer.view.zoom() < 1.5
    QTest.keyClick(keys, Qt.Key.Key_0)
    assert viewer.view.zoom() == 1.0
    # visible, named buttons that do the same
    for button in (viewer.prev_button, viewer.next_button, viewer.zoom_in_button, viewer.close_button):
        assert button.isVisible() and button.accessibleName()
    viewer.next_button.click()
    assert viewer.row() == 4
    QTest.keyClick(keys, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: w._preview is None, timeout=5000)
    # (the window's focus child: the offscreen platform does not activate the window again by itself)
    assert w.grid.currentIndex().row() == 4 and w.focusWidget() is w.grid


def test_the_top_bar_shows_where_the_keyboard_is(make_app, qtbot, library_dir):
    from app.theme import current as current_theme
    from app.theme import style_sheet

    QApplication.instance().setStyleSheet(style_sheet(current_theme()))   # the app's look, as it starts
    try:
        app = make_app(library_dir)
        w = app.window
        shown(qtbot, w)
        qtbot.waitUntil(lambda: QApplication.focusWidget() is w.search_bar, timeout=5000)
        buttons = [*w.mode_switch.buttons.values(), w.top_bar.duplicates_button, w.top_bar.settings_button]
        before = {b: (b.grab().toImage(), b.size()) for b in buttons}
        QTest.keyClick(w.search_bar, Qt.Key.Key_Tab)                   # the buttons after the search box
        assert QApplication.focusWidget() is w.top_bar.duplicates_button
        for button in buttons:                                        # each with a ring, none moving
            button.setFocus(Qt.FocusReason.TabFocusReason)
            assert button.grab().toImage() != before[button][0], button.accessibleName()
            assert button.size() == before[button][1]
    finally:
        QApplication.instance().setStyleSheet("")
