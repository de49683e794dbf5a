"""File, folder and model names are shown as text in the GUI, never rendered as HTML.

Each widget that can show such a name is given a hostile one; what Qt would
render (plain text, or the text of the HTML it guesses) must hold the raw markup.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from app.item_models.results_model import ResultsModel
from app.widgets.banner import Banner
from app.widgets.filter_bar import FilterBar
from app.widgets.folders_dialog import FoldersDialog
from app.widgets.index_status import IndexStatus
from app.widgets.model_getter import ModelGetter
from app.widgets.preview_dialog import PreviewDialog
from app.widgets.reference_chip import ReferenceChip
from indexer.progress import Phase, Progress
from indexer.search import Hit
from indexer.status import FolderInfo, LibraryStatus
from tests.support.photos import write_photo

pytestmark = pytest.mark.gui

MARKUP = '<h1 style="color:red">VIRUS FOUND'
FOLDER_MARKUP = "<i>x"


def rendered(text: str, fmt: Qt.TextFormat = Qt.TextFormat.AutoText) -> str:
    """What a label (or tooltip) with ``text`` and ``fmt`` shows, as plain text."""
    if fmt == Qt.TextFormat.PlainText or (fmt == Qt.TextFormat.AutoText and not GuiQt.mightBeRichText(text)):
        return text
    doc = QTextDocument()
    doc.setHtml(text)
    return doc.toPlainText()


def shows(label: QLabel, raw: str) -> bool:
    return raw in rendered(label.text(), label.textFormat())


@pytest.fixture
def hostile(tmp_path) -> Path:
    """A real photo whose folder and file name are HTML."""
    folder = tmp_path / FOLDER_MARKUP
    folder.mkdir()
    return write_photo(folder / f"{MARKUP}.jpg", 1, (64, 48))


def test_the_preview_caption_and_results_tooltip_show_the_name(qtbot, hostile):
    model = ResultsModel()
    model.set_hits([Hit(1, hostile, 0.5, 1, 64, 48, None)])
    dlg = PreviewDialog(model, 0)
    qtbot.addWidget(dlg)
    assert shows(dlg.caption, MARKUP) and shows(dlg.caption, FOLDER_MARKUP)
    assert dlg.windowTitle() == hostile.name
    tip = rendered(model.data(model.index(0), Qt.ItemDataRole.ToolTipRole))
    assert MARKUP in tip and FOLDER_MARKUP in tip


def test_the_indexing_status_shows_the_name(qtbot, hostile):
    status = IndexStatus()
    qtbot.addWidget(status)
    status.set_indexing(True)
    status.set_progress(Progress(Phase.INDEXING, 1, 2, current=hostile))
    assert status.current.textFormat() == Qt.TextFormat.PlainText
    assert "VIRUS" in rendered(status.current.text(), status.current.textFormat())
    assert str(hostile) in rendered(status.current.toolTip())
    status.set_summary(LibraryStatus(photos=1, indexed=1, folders=1, model=f"{MARKUP} model"))
    assert shows(status.summary, MARKUP)


def test_the_reference_chip_shows_the_name(qtbot, hostile):
    chip = ReferenceChip()
    qtbot.addWidget(chip)
    assert chip.set_path(hostile)
    assert shows(chip.name_label, MARKUP)
    assert str(hostile) in rendered(chip.name_label.toolTip())


def test_banner_messages_show_the_name(qtbot, hostile):
    parent = QWidget()  # inside a window, as in the app (a top-level banner would be a window of its own)
    qtbot.addWidget(parent)
    banner = Banner(parent)
    banner.show_error(f"{hostile} is no longer there")
    assert shows(banner.text, f"{hostile} is no longer there")
    banner.show_notice(f"{MARKUP} ready")
    assert shows(banner.text, f"{MARKUP} ready")


def test_folder_filter_tooltips_show_the_path(qtbot, hostile):
    bar = FilterBar()
    qtbot.addWidget(bar)
    folder = hostile.parent
    bar.set_folders([FolderInfo(folder, True, 1, 1, 0)])
    assert bar.folder.itemText(1) == FOLDER_MARKUP
    assert rendered(bar.folder.itemData(1, Qt.ItemDataRole.ToolTipRole)) == str(folder)


def test_model_getter_messages_show_the_name(qtbot):
    getter = ModelGetter()
    qtbot.addWidget(getter)
    getter.job_started(f"Importing {MARKUP}…")
    assert shows(getter.progress_label, MARKUP)
    getter.job_failed(f"model bundle /m/{MARKUP} is incomplete")
    assert shows(getter.error_label, MARKUP)
    assert getter.description.textFormat() == Qt.TextFormat.PlainText


def test_the_remove_folders_question_shows_the_path(qtbot, hostile, monkeypatch):
    folder = hostile.parent.parent / f"{MARKUP}"
    folder.mkdir()
    dlg = FoldersDialog([FolderInfo(folder, True, 0, 0, 0)])
    qtbot.addWidget(dlg)
    asked: list[tuple[str, Qt.TextFormat]] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: asked.append((box.text(), box.textFormat())) or 0)
    monkeypatch.setattr(QMessageBox, "question", staticmethod(  # never a modal wait, whatever the code calls
        lambda _parent, _title, text, *_a: asked.append((text, Qt.TextFormat.AutoText)) or QMessageBox.StandardButton.No))
    dlg.tree.topLevelItem(0).setSelected(True)
    removed: list[Path] = []
    dlg.removeRequested.connect(removed.append)
    dlg.remove_selected()
    (text, fmt), = asked
    assert fmt == Qt.TextFormat.PlainText and str(folder) in text
    assert removed == []  # not confirmed


# QMessageBox fixes its own size when shown, which the offscreen platform plugin cannot pass on
@pytest.mark.qt_log_ignore(r"^This plugin does not support propagateSizeHints\(\)$")
def test_message_boxes_of_the_app_show_paths(qtbot, monkeypatch, tmp_path):
    from app import main

    crash = main.CrashHandler(tmp_path / f"{MARKUP}.log")
    crash._show(f"OSError: cannot read {MARKUP}.jpg", "details")
    box = crash._box
    assert box.textFormat() == Qt.TextFormat.PlainText and MARKUP in box.text()
    assert MARKUP in box.informativeText()
    box.close()

    asked: list[tuple[str, Qt.TextFormat]] = []
    monkeypatch.setattr(main.paths, "writable_problems", lambda *_a, **_k: [f"cannot write to {MARKUP}: denied"])
    monkeypatch.setattr(QMessageBox, "exec", lambda b: asked.append((b.text(), b.textFormat())) or 0)
    main.confirm_writable_folders(tmp_path)
    (text, fmt), = asked
    assert f"cannot write to {MARKUP}" in rendered(text, fmt)
