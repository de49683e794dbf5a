"""The real window on a real (test) library and model, driven like a user would."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QMimeData, QPointF, QSize, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.item_models.results_model import ResultsModel
from app.outcomes import Operation
from app.query_types import Mode
from indexer.library import Library
from indexer.progress import Phase
from tests.app.conftest import GUI_PHOTOS, RecordingDesktop
from tests.app.test_widgets import draw_stroke
from tests.support.shapes import outline, shape_of

pytestmark = pytest.mark.gui


def result_paths(window) -> list[Path]:
    m = window.results
    return [Path(m.data(m.index(r), ResultsModel.PathRole)) for r in range(m.rowCount())]


def result_scores(window) -> list[float]:
    m = window.results
    return [m.data(m.index(r), ResultsModel.ScoreRole) for r in range(m.rowCount())]


def drop_on(qtbot, widget, mime: QMimeData) -> None:
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)


def test_typing_a_query_fills_the_grid(make_app, qtbot, library_dir):
    app = make_app(library_dir)
    w = app.window
    assert w.mode() == Mode.TEXT
    QTest.keyClick(w, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000) as sig:
        QTest.keyClicks(w.search_bar, "a photo of a sunset")       # no Enter: the pause searches
    assert sig.args[0] == GUI_PHOTOS == w.results.rowCount()       # limit 300 > 60 photos
    assert w.results_stack.currentWidget() is w.grid
    scores = result_scores(w)
    assert scores == sorted(scores, reverse=True)
    assert "60 photos" in w.results_label.text()
    # thumbnails arrive in the background for what the grid shows
    qtbot.waitUntil(lambda: w.results.data(w.results.index(0), ResultsModel.ThumbnailRole) is not None,
                    timeout=10000)


def test_dropping_an_image_runs_an_image_query(make_app, qtbot, library_dir, gui_photos):
    app = make_app(library_dir)
    w = app.window
    photo = sorted(gui_photos.rglob("*.jpg"))[4]
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        drop_on(qtbot, w, mime)
    assert w.mode() == Mode.IMAGE
    assert w.image_panel.chip.reference().path == photo
    paths = result_paths(w)
    assert paths and photo not in paths             # the query photo itself is left out
    assert len(paths) == GUI_PHOTOS - 1             # every other photo: filters never drop results


# the file is corrupt on purpose, and Qt's JPEG decoder says so while the chip tries a preview
@pytest.mark.qt_log_ignore(r"^Corrupt JPEG data", r"^JPEG datastream contains no image$")
def test_dropping_a_non_image_shows_a_readable_error(make_app, qtbot, library_dir, tmp_path):
    app = make_app(library_dir)
    w = app.window
    bogus = tmp_path / "broken.jpg"
    bogus.write_bytes(b"\xff\xd8 this is not really a jpeg")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(bogus))])
    with qtbot.waitSignal(w.controller.failed, timeout=20000,
                          check_params_cb=lambda failure: failure.operation is Operation.SEARCH):
        drop_on(qtbot, w, mime)
    qtbot.waitUntil(lambda: w.banner.isVisible())
    assert "broken.jpg" in w.banner.message()
    assert w.isVisible()


def draw_shape(canvas, shape: str) -> None:
    """Draw ``shape``'s outline as one closed stroke across the canvas's square drawing area."""
    side = min(canvas.width(), canvas.height())
    left, top = (canvas.width() - side) / 2, (canvas.height() - side) / 2
    corners = [(round(left + x), round(top + y)) for x, y in outline(shape, side)]
    draw_stroke(canvas, [*corners, corners[0]])


def test_drawing_strokes_runs_a_sketch_query(make_app, qtbot, shapes_library, tmp_path):
    app = make_app(shapes_library.copy(tmp_path / "shapes"))
    w = app.window
    w.set_mode(Mode.SKETCH)
    canvas = w.sketch_panel.canvas
    canvas.set_change_delay(100)
    qtbot.waitExposed(w)
    assert w.results.rowCount() == 0
    for shape in ("triangle", "star"):
        canvas.clear()
        with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000) as sig:
            draw_shape(canvas, shape)
        found = result_paths(w)
        assert sig.args[0] == len(found) == 12                      # every photo, best first
        assert shape_of(found[0]) == shape, [p.name for p in found[:4]]


def test_slider_changes_image_plus_edit_results(make_app, qtbot, library_dir, gui_photos):
    app = make_app(library_dir)
    w = app.window
    photo = sorted(gui_photos.rglob("*.jpg"))[10]
    w.set_mode(Mode.EDIT)
    w.edit_panel.chip.set_path(photo)
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        w.search_bar.setText("at night in the snow")
        QTest.keyClick(w.search_bar, Qt.Key.Key_Return)
    words_heavy = list(zip(result_paths(w), result_scores(w)))
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        w.edit_panel.blend.slider.setValue(5)        # "more like the photo"
    photo_heavy = list(zip(result_paths(w), result_scores(w)))
    assert words_heavy and photo_heavy
    assert [p for p, _ in words_heavy[:10]] != [p for p, _ in photo_heavy[:10]] or \
        [round(s, 4) for _, s in words_heavy[:10]] != [round(s, 4) for _, s in photo_heavy[:10]]


def test_context_menu_actions_call_the_right_services(make_app, qtbot, library_dir):
    desktop = RecordingDesktop()
    app = make_app(library_dir, desktop=desktop)
    w = app.window
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        w.search_bar.setText("a red circle")
        QTest.keyClick(w.search_bar, Qt.Key.Key_Return)
    index = w.results.index(2)
    path = Path(index.data(ResultsModel.PathRole))
    w.grid.setCurrentIndex(index)

    def trigger(name: str, row: int = 2) -> None:
        menu = w.grid.build_context_menu(w.results.index(row))
        action = next(a for a in menu.actions() if a.objectName() == name)
        action.trigger()
        menu.deleteLater()

    trigger("open")
    trigger("reveal")
    trigger("copy")
    assert desktop.calls == [("open", path), ("reveal", path), ("copy", [path])]

    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        trigger("similar")
    assert w.mode() == Mode.IMAGE and w.image_panel.chip.reference().path == path
    assert path not in result_paths(w)

    other = result_paths(w)[0]
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)                # focus is only real in the active window
    w.grid.setFocus()
    qtbot.waitUntil(w.grid.hasFocus)
    trigger("edit", row=0)
    assert w.mode() == Mode.EDIT and w.edit_panel.chip.reference().path == other
    qtbot.waitUntil(w.search_bar.hasFocus)           # ready to type the change
    assert QApplication.focusWidget() is w.search_bar


def test_enter_opens_and_space_previews_with_arrow_navigation(make_app, qtbot, library_dir):
    desktop = RecordingDesktop()
    app = make_app(library_dir, desktop=desktop)
    w = app.window
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        w.search_bar.setText("green")
        QTest.keyClick(w.search_bar, Qt.Key.Key_Return)
    w.grid.setFocus()
    w.grid.setCurrentIndex(w.results.index(0))
    QTest.keyClick(w.grid, Qt.Key.Key_Return)
    assert desktop.calls == [("open", result_paths(w)[0])]
    QTest.keyClick(w.grid, Qt.Key.Key_Space)
    preview = w._preview
    assert preview is not None and preview.row() == 0
    QTest.keyClick(preview, Qt.Key.Key_Right)
    QTest.keyClick(preview, Qt.Key.Key_Right)
    QTest.keyClick(preview, Qt.Key.Key_Left)
    assert preview.row() == 1 and w.grid.currentIndex().row() == 1
    qtbot.waitUntil(lambda: preview.view.image is not None)
    QTest.keyClick(preview, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: w._preview is None)


def test_folder_filter_limits_results(make_app, qtbot, library_dir, gui_photos):
    app = make_app(library_dir)
    w = app.window
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        w.search_bar.setText("a blue square")
        QTest.keyClick(w.search_bar, Qt.Key.Key_Return)
    assert w.results.rowCount() == GUI_PHOTOS
    # the library watches the parent folder: filter by it gives everything
    i = w.filter_bar.folder.findData(str(gui_photos))
    assert i > 0
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        w.filter_bar.folder.setCurrentIndex(i)
    assert w.results.rowCount() == GUI_PHOTOS
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        w.filter_bar.after_check.setChecked(True)     # from a year ago: EXIF dates are in 2021,
    pngs = sorted(gui_photos.rglob("*.png"))          # PNGs have none and fall back to the file time
    assert sorted(result_paths(w)) == pngs
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        w.filter_bar.after_check.setChecked(False)
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        w.filter_bar.before.setDate(QDate(2021, 3, 20))
        w.filter_bar.before_check.setChecked(True)   # photo n was taken on 14 March 2021 + n days
    assert sorted(p.name for p in result_paths(w)) == [f"img_{n:04d}.jpg" for n in (0, 1, 2, 3, 5, 6)]
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        w.filter_bar.before.setDate(QDate(2001, 1, 1))
    assert w.results.rowCount() == 0
    assert w.results_stack.currentWidget() is w.empty and w.empty.title.text() == "No matches"


def test_adding_a_folder_starts_indexing_and_the_status_bar_moves(make_app, qtbot, empty_library_dir, tmp_path):
    from tests.support.photos import write_library
    folder = tmp_path / "new-photos"
    write_library(folder, 40, start_seed=500)
    app = make_app(empty_library_dir)
    w = app.window
    qtbot.waitUntil(lambda: w.empty.title.text() == "Add your photo folders")
    assert w.results_stack.currentWidget() is w.empty
    seen = []
    app.index.progress.connect(lambda p: seen.append((p.phase, p.done, p.total)))
    with qtbot.waitSignal(app.index.indexingChanged, timeout=20000, check_params_cb=lambda on: on):
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(folder))])
        drop_on(qtbot, w, mime)                       # dropping a folder on the window adds it
    assert w.index_status.bar.isVisibleTo(w)
    with qtbot.waitSignal(app.index.indexingChanged, timeout=60000, check_params_cb=lambda on: not on):
        pass
    done = [d for phase, d, t in seen if phase is Phase.INDEXING]
    assert done and done[-1] == 40 and done == sorted(done), seen
    assert "40 photos indexed" in w.index_status.summary.text()
    assert not w.index_status.bar.isVisibleTo(w)
    assert w.filter_bar.folder.findData(str(folder)) > 0


def test_closing_during_indexing_leaves_a_consistent_library(make_app, qtbot, empty_library_dir, tmp_path):
    from tests.support.photos import write_library
    folder = tmp_path / "many"
    write_library(folder, 80, start_seed=900)
    app = make_app(empty_library_dir)
    progress = []
    app.index.progress.connect(lambda p: progress.append(p))
    app.window.add_folder(folder)
    qtbot.waitUntil(lambda: any(p.phase is Phase.INDEXING and p.done >= 16 for p in progress), timeout=60000)
    app.window.close()                               # stops the writer at a batch boundary
    assert not app.index._thread.isRunning() and not app.search._thread.isRunning()
    lib = Library.open(empty_library_dir)            # the lock was released
    try:
        status = lib.status()
        assert status.photos == 80
        assert 16 <= status.indexed <= 80
        assert status.indexed + status.pending + status.failed == status.photos
        assert len(lib.store(lib.encoder())) == status.indexed
        for _ in lib.index():                        # and it resumes where it stopped
            pass
        assert lib.status().indexed == 80
    finally:
        lib.close()


def test_mode_and_geometry_are_remembered(make_app, qtbot, library_dir, ui_settings):
    app = make_app(library_dir)
    app.window.set_mode(Mode.SKETCH)
    size = QSize(900, 566)      # the offscreen screen is narrower than the window's minimum width
    app.window.resize(size)
    app.window.close()
    again = make_app(library_dir)
    assert again.window.mode() == Mode.SKETCH
    assert again.window.sketch_panel.isVisibleTo(again.window)
    assert again.window.height() == size.height()


def test_watching_picks_up_a_new_photo(make_app, qtbot, empty_library_dir, tmp_path):
    from tests.support.photos import write_library, write_photo
    folder = tmp_path / "watched"
    write_library(folder, 10, start_seed=700)
    app = make_app(empty_library_dir, watch=True)
    phases = []
    app.index.progress.connect(lambda p: phases.append(p.phase))
    app.window.add_folder(folder)
    qtbot.waitUntil(lambda: Phase.WATCHING in phases, timeout=60000)
    assert app.index.last_status.indexed == 10 and app.index.is_running()
    write_photo(folder / "new" / "fresh.jpg", 7777, (320, 240))
    qtbot.waitUntil(lambda: app.index.last_status.indexed == 11, timeout=30000)
    assert "11 photos indexed" in app.window.index_status.summary.text()


def test_pause_button_pauses_and_resumes_indexing(make_app, qtbot, empty_library_dir, tmp_path):
    from tests.support.photos import write_library
    folder = tmp_path / "to-pause"
    write_library(folder, 96, start_seed=1300)
    app = make_app(empty_library_dir)
    w = app.window
    done = []

    def on_progress(p) -> None:
        if p.phase is Phase.INDEXING:
            done.append(p.done)

    app.index.progress.connect(on_progress)
    w.add_folder(folder)
    qtbot.waitUntil(lambda: bool(done) and done[-1] >= 1, timeout=60000)
    w.index_status.pause_button.click()                  # the status bar's pause control
    assert app.index.is_paused()
    qtbot.waitUntil(app.index.is_held, timeout=30000)     # the run stopped at its pause point (the batch in
    QApplication.sendPostedEvents()                       # flight landed); its last reports are delivered
    settled = done[-1]
    QApplication.sendPostedEvents()
    assert app.index.is_held() and done[-1] == settled < 96   # nothing moves while paused
    assert "paused" in w.index_status.activity.text()
    assert w.index_status.pause_button.toolTip() == "Resume indexing"
    with qtbot.waitSignal(app.index.indexingChanged, timeout=60000, check_params_cb=lambda on: not on):
        w.index_status.pause_button.click()
    assert not app.index.is_paused() and app.index.last_status.indexed == 96
