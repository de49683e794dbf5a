"""The text found in photos in the GUI: the tooltip names the matched words, the preview outlines
them and shows "Text in photo" (selectable, copyable, never markup), and the status bar shows
text reading apart from embedding."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication

from app.item_models.results_model import ResultsModel
from app.widgets.index_status import IndexStatus
from app.widgets.photo_text_view import OUTLINE
from app.widgets.preview_dialog import PreviewDialog
from indexer.progress import Phase, Progress
from indexer.search import Hit
from indexer.text.stage import READING_TEXT
from tests.support.text_images import write_text_image

pytestmark = pytest.mark.gui

LINES = ("Network settings", "WiFi password: <b>hunter2</b>")


@pytest.fixture
def text_hits(tmp_path: Path) -> list[Hit]:
    shot = tmp_path / "shot.png"
    boxes = write_text_image(shot, list(LINES), size=(640, 400))
    left, top, right, bottom = boxes[1]
    box = ((left - 4.0, top - 4.0), (right + 4.0, top - 4.0), (right + 4.0, bottom + 4.0), (left - 4.0, bottom + 4.0))
    plain = tmp_path / "plain.png"
    write_text_image(plain, [], size=(640, 400))
    return [
        Hit(1, shot, 1.3, 1, 640, 400, text=LINES[1], text_boxes=(box,), photo_text=LINES),
        Hit(2, plain, 0.3, 2, 640, 400),
    ]


def test_the_tooltip_names_the_matched_words_as_text(qapp, text_hits: list[Hit]) -> None:
    model = ResultsModel()
    model.set_hits(text_hits)
    tip = model.data(model.index(0), Qt.ItemDataRole.ToolTipRole)
    assert "Text: “WiFi password: &lt;b&gt;hunter2&lt;/b&gt;”" in tip
    assert "Text:" not in model.data(model.index(1), Qt.ItemDataRole.ToolTipRole)


def test_the_preview_outlines_the_words_and_shows_the_text(qtbot, text_hits: list[Hit]) -> None:
    model = ResultsModel()
    model.set_hits(text_hits)
    dlg = PreviewDialog(model, 0)
    qtbot.addWidget(dlg)
    dlg.resize(900, 800)
    dlg.show()
    qtbot.waitUntil(lambda: dlg.view.image is not None and not dlg.view.image.isNull(), timeout=10_000)
    shot = dlg.view.grab().toImage()
    assert dlg.view.outlined == 1
    # the outline lies where the line was drawn, scaled into the view
    image = dlg.view.image.size().scaled(dlg.view.size(), Qt.AspectRatioMode.KeepAspectRatio)
    scale = image.width() / 640
    x0 = (dlg.view.width() - image.width()) / 2
    y0 = (dlg.view.height() - image.height()) / 2
    (left, top), (right, _), (_, bottom), _ = text_hits[0].text_boxes[0]  # type: ignore[index]
    mid_y = int(y0 + (top + bottom) / 2 * scale)
    colours = {shot.pixelColor(int(x0 + left * scale) + dx, mid_y).name() for dx in (-1, 0, 1)}
    assert OUTLINE.name() in colours
    assert QColor(shot.pixelColor(int(x0 + (left + right) / 2 * scale), int(y0 + 5)).name()) != OUTLINE

    panel = dlg.text_panel
    assert panel.isVisible() and panel.plain_text() == "\n".join(LINES)  # markup shown literally
    assert panel.text.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    panel.copy_all()
    assert QGuiApplication.clipboard().text() == "\n".join(LINES)

    dlg.show_row(1)  # no words in this one: no outline, no panel
    dlg.view.grab()
    assert dlg.view.outlined == 0 and not panel.isVisible()
    dlg.reject()


def test_the_status_bar_shows_text_reading_apart_from_embedding(qtbot) -> None:
    status = IndexStatus()
    qtbot.addWidget(status)
    status.set_indexing(True)
    status.set_progress(Progress(Phase.INDEXING, 4, 10, rate=2.0, eta=3.0))
    assert status.activity.text().startswith("Indexing 4 of 10")
    status.set_progress(Progress(READING_TEXT, 3, 12, rate=0.5, eta=18.0))
    text = status.activity.text()
    # its own count, and its own rate: the embedding's rate is not carried over (it is measured anew)
    assert text.startswith("Reading text in photos 3 of 12") and "photos/s" not in text
    assert status.bar.maximum() == 12 and status.bar.value() == 3
    assert status.activity.accessibleName() == "Reading text in photos progress"
