"""Details seen on screen: whole button texts, text-only dialog buttons, placeholders, aligned counts,
and the model step naming the model that was installed."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.widgets.folder_list import FolderList
from app.widgets.folders_dialog import FoldersDialog
from app.widgets.model_getter import ModelGetter
from app.widgets.settings_dialog import SettingsChoice, SettingsDialog
from indexer.models.bundle import ModelBundle
from indexer.models.model_purpose import TEST_MODEL_LABEL
from indexer.status import FolderInfo
from tests.support.bundles import TOYCLIP

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore(r"^This plugin does not support propagateSizeHints\(\)$")]


def test_add_folder_shows_its_whole_text(qtbot):
    dlg = FoldersDialog([])
    qtbot.addWidget(dlg)
    dlg.show()
    button = dlg.add_button
    needed = button.fontMetrics().horizontalAdvance(button.text()) + button.iconSize().width()
    assert button.width() >= needed and button.minimumWidth() >= needed


def test_dialog_buttons_carry_no_stock_icons(qtbot):
    dlg = SettingsDialog(SettingsChoice(model="", providers=[], threads=0, excluded=[]), serving_model=None,
                         installed=[], providers=["CPUExecutionProvider"])
    qtbot.addWidget(dlg)
    from PySide6.QtWidgets import QDialogButtonBox
    boxes = dlg.findChildren(QDialogButtonBox)
    assert boxes and all(b.icon().isNull() for box in boxes for b in box.buttons())


def test_empty_folder_lists_say_what_to_do(qtbot, tmp_path):
    folders = FolderList()
    qtbot.addWidget(folders)
    folders.show()
    assert folders.placeholder.isVisible() and "No folders yet" in folders.placeholder.text()
    folders.add(tmp_path)
    assert not folders.placeholder.isVisible()
    dlg = FoldersDialog([])
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.placeholder.isVisible()
    dlg.set_folders([FolderInfo(tmp_path, True, 3, 2, 1)])
    assert not dlg.placeholder.isVisible()


def test_counts_line_up_under_their_headers(qtbot, tmp_path):
    dlg = FoldersDialog([FolderInfo(tmp_path, True, 3, 2, 1)])
    qtbot.addWidget(dlg)
    header, row = dlg.tree.headerItem(), dlg.tree.topLevelItem(0)
    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    for col in (1, 2, 3):
        assert Qt.AlignmentFlag(header.textAlignment(col)) == right == Qt.AlignmentFlag(row.textAlignment(col))


def test_the_model_step_names_the_model_that_was_installed(qtbot):
    getter = ModelGetter()
    qtbot.addWidget(getter)
    assert "ViT-B" in getter.description.text() or "LAION" in getter.description.text()
    bundle = ModelBundle.load(Path(TOYCLIP))
    getter.job_installed(bundle)
    assert getter.description.text() == f"{bundle.name} is installed and will be used: {TEST_MODEL_LABEL}."
