"""The desktop app's start-up check: a library or models folder it cannot write is
explained in a dialog before the main window.  Offscreen Qt."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.main import confirm_writable_folders

pytestmark = [
    pytest.mark.gui,
    # The offscreen platform plugin says so whenever a dialog is shown (a limit of the headless plugin,
    # not of the app); every other Qt warning still fails the test.
    pytest.mark.qt_log_ignore(r"^This plugin does not support propagateSizeHints\(\)$"),
]


def _answer(button_text: str, seen: dict) -> None:
    """Click ``button_text`` on the dialog once it is up, remembering what it said."""
    box = QApplication.activeModalWidget()
    if not isinstance(box, QMessageBox):
        QTimer.singleShot(20, lambda: _answer(button_text, seen))
        return
    seen["title"] = box.windowTitle()
    seen["text"] = box.text()
    seen["informative"] = box.informativeText()
    seen["buttons"] = [b.text() for b in box.buttons()]
    next(b for b in box.buttons() if b.text() == button_text).click()


def test_writable_folders_start_without_a_dialog(qapp, tmp_path, monkeypatch):
    monkeypatch.setenv("PHOTOSEEK_MODELS", str(tmp_path / "models"))
    assert confirm_writable_folders(tmp_path / "library") is True
    assert QApplication.activeModalWidget() is None


@pytest.mark.parametrize(("button", "expected"), [("Quit", False), ("Continue Anyway", True)])
def test_unwritable_library_is_explained_before_the_window(qapp, tmp_path, monkeypatch, button, expected):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("PHOTOSEEK_MODELS", str(tmp_path / "models"))
    seen: dict = {}
    QTimer.singleShot(0, lambda: _answer(button, seen))
    assert confirm_writable_folders(blocker / "library") is expected
    assert seen["title"] == "Photoseek cannot write its folders"
    assert f"cannot create the library folder {blocker / 'library'}: {blocker} is a file, not a folder" in seen["text"]
    assert "PHOTOSEEK_LIBRARY" in seen["text"]
    assert "models folder" not in seen["text"]  # only what is wrong is reported
    assert set(seen["buttons"]) == {"Quit", "Continue Anyway"}


def test_unwritable_models_folder_is_explained_too(qapp, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("PHOTOSEEK_MODELS", str(blocker / "models"))
    seen: dict = {}
    QTimer.singleShot(0, lambda: _answer("Quit", seen))
    assert confirm_writable_folders(tmp_path / "library") is False
    assert "cannot create the models folder" in seen["text"] and "PHOTOSEEK_MODELS" in seen["text"]
