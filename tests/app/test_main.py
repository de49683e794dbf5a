"""The entry point: run() opens the window, logs to a file, routes Qt messages; the crash handler."""

from __future__ import annotations

import logging
import sys
import threading

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

import app.main as main_module
from app.main import CrashHandler, qt_message_handler

pytestmark = pytest.mark.gui


@pytest.fixture
def restore_hooks():
    saved = sys.excepthook, threading.excepthook
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    sys.excepthook, threading.excepthook = saved
    for h in root.handlers[:]:
        if h not in handlers:
            root.removeHandler(h)
            h.close()
    root.setLevel(level)


def test_run_opens_the_window_and_returns_on_close(qapp, tmp_path, library_dir, monkeypatch, restore_hooks):
    monkeypatch.setattr(main_module.paths, "log_dir", lambda: tmp_path / "logs")
    monkeypatch.setattr(main_module, "qInstallMessageHandler", lambda handler: None)   # keep pytest-qt's
    shown = []

    def close_when_shown():
        windows = [w for w in QApplication.topLevelWidgets() if w.isVisible() and w.windowTitle() == "Photoseek"]
        if windows:
            shown.append(windows[0])
            windows[0].close()
            QApplication.exit(0)        # immediate; quit() would post an event a later test's loop gets
        else:
            QTimer.singleShot(100, close_when_shown)

    QTimer.singleShot(100, close_when_shown)
    quit_on_close = QApplication.quitOnLastWindowClosed()
    QApplication.setQuitOnLastWindowClosed(False)     # (closing would post a Quit event too)
    try:
        assert main_module.run(library_dir) == 0
    finally:
        QApplication.setQuitOnLastWindowClosed(quit_on_close)
    assert shown
    log = (tmp_path / "logs" / main_module.LOG_FILE).read_text()
    assert "window shown in" in log and "services stopped" in log


def test_qt_messages_go_to_logging(caplog):
    class Context:
        category = "qpa"
    with caplog.at_level(logging.WARNING, logger="qt"):
        qt_message_handler(main_module.QtMsgType.QtWarningMsg, Context(), "something odd")
    assert any(r.name == "qt.qpa" and r.getMessage() == "something odd" for r in caplog.records)


# QMessageBox fixes its own size when shown, which the offscreen platform plugin cannot pass on
@pytest.mark.qt_log_ignore(r"^This plugin does not support propagateSizeHints\(\)$")
def test_crash_handler_logs_and_shows_a_dialog(qtbot, tmp_path, caplog, restore_hooks):
    handler = CrashHandler(tmp_path / "photoseek-gui.log")
    handler.install()
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError:
        with caplog.at_level(logging.CRITICAL, logger="app.crash"):
            sys.excepthook(*sys.exc_info())
    assert any("boom in a slot" in r.getMessage() for r in caplog.records)
    box = handler._box
    qtbot.waitUntil(box.isVisible)
    assert "RuntimeError: boom in a slot" in box.text()
    assert str(tmp_path / "photoseek-gui.log") in box.informativeText()
    box.close()
