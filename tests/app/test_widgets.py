"""Widgets on their own: sketch canvas, reference chip, blend slider, search bar."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QImage
from PySide6.QtTest import QTest

from app.widgets.query_panels import BlendSlider
from app.widgets.reference_chip import ReferenceChip
from app.widgets.search_bar import SearchBar
from app.widgets.sketch_canvas import EXPORT_PX, SketchCanvas
from tests.support.photos import write_photo

pytestmark = pytest.mark.gui


def draw_stroke(widget, points) -> None:
    QTest.mousePress(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*points[0]))
    for p in points[1:]:
        QTest.mouseMove(widget, QPoint(*p))
    QTest.mouseRelease(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(*points[-1]))


def test_sketch_strokes_emit_changed_and_export_dark_on_white(qtbot):
    canvas = SketchCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(300, 300)
    canvas.show()
    qtbot.waitExposed(canvas)
    assert canvas.is_empty()
    with qtbot.waitSignal(canvas.changed, timeout=3000):
        draw_stroke(canvas, [(60, 60), (120, 80), (180, 140), (200, 220)])
    assert not canvas.is_empty() and canvas.stroke_count() == 1
    img = canvas.export_pil()
    assert img.size == (EXPORT_PX, EXPORT_PX) and img.mode == "RGB"
    arr = np.asarray(img)
    assert arr.min() < 60                        # dark ink
    assert (arr.reshape(-1, 3).min(axis=1) > 240).mean() > 0.8   # mostly white paper
    border = np.concatenate([arr[:8].reshape(-1, 3), arr[-8:].reshape(-1, 3)])
    assert border.min() > 240                    # padded: the drawing does not touch the edges


def test_sketch_undo_clear_and_eraser(qtbot):
    canvas = SketchCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(256, 256)
    canvas.show()
    draw_stroke(canvas, [(30, 30), (200, 200)])
    canvas.eraser = True
    draw_stroke(canvas, [(30, 200), (200, 30)])
    assert canvas.stroke_count() == 2
    with qtbot.waitSignal(canvas.changed, timeout=3000):
        canvas.undo()
    assert canvas.stroke_count() == 1 and not canvas.is_empty()
    canvas.clear()
    assert canvas.is_empty()
    assert np.asarray(canvas.export_pil()).min() == 255


def test_reference_chip_accepts_a_dropped_file_and_clears(qtbot, tmp_path):
    photo = write_photo(tmp_path / "ref.jpg", 3, (400, 300))
    chip = ReferenceChip()
    qtbot.addWidget(chip)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(chip.changed) as sig:
        chip.dropEvent(event)
    ref = sig.args[0]
    assert ref.path == photo and ref.preview is not None and ref.query_image() == photo
    with qtbot.waitSignal(chip.changed) as sig:
        chip.clear()
    assert sig.args[0] is None and chip.reference() is None


def test_reference_chip_takes_image_data_and_rejects_non_images(qtbot, tmp_path):
    chip = ReferenceChip()
    qtbot.addWidget(chip)
    image = QImage(64, 48, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.red)
    mime = QMimeData()
    mime.setImageData(image)
    assert chip.set_mime(mime)
    pil = chip.reference().query_image()
    assert pil.size == (64, 48) and pil.getpixel((5, 5)) == (255, 0, 0)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with qtbot.waitSignal(chip.error) as sig:
        assert not chip.set_path(text)
    assert "not an image" in sig.args[0]


def test_blend_slider_reports_weight_after_a_pause(qtbot):
    slider = BlendSlider(0.7)
    qtbot.addWidget(slider)
    assert slider.weight() == pytest.approx(0.7)
    with qtbot.waitSignal(slider.weightChanged, timeout=2000) as sig:
        slider.slider.setValue(25)
    assert sig.args[0] == pytest.approx(0.25)
    slider.reset()
    assert slider.weight() == pytest.approx(0.7)


def test_search_bar_debounces_typing_and_enter_searches_at_once(qtbot):
    bar = SearchBar()
    qtbot.addWidget(bar)
    bar.set_delay(200)
    seen = []
    bar.search.connect(seen.append)
    QTest.keyClicks(bar, "red")
    assert seen == []                            # not while typing
    qtbot.waitUntil(lambda: seen == ["red"], timeout=2000)
    QTest.keyClicks(bar, " car")
    QTest.keyClick(bar, Qt.Key.Key_Return)
    assert seen[-1] == "red car"
