"""Entry point of the desktop app: ``photoseek`` / ``photoseek gui`` call :func:`run`."""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, QtMsgType, Signal, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox

from app.compat import protect_bool_singletons
from app.display import display_problem
from app.escaping import EscapingFormatter
from app.log_file import PrivateLogFile
from app.plain_text import plain_message_box
from app.resources import app_icon
from app.theme import ThemeManager
from indexer import paths
from indexer.errors import IndexerError

if TYPE_CHECKING:
    from app.services.index_service import Serve

logger = logging.getLogger("app")

LOG_FILE = "photoseek-gui.log"
_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def setup_logging(log_dir: Path | None = None, *, verbose: bool = False) -> Path | None:
    """A rotating log file in the log dir, plus warnings on stderr. Returns the file."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # Escaped: file names in messages may hold control characters (terminal) or undecodable bytes (UTF-8 file).
    fmt = EscapingFormatter("%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s")
    log_path: Path | None = None
    try:
        log_dir = Path(log_dir) if log_dir else paths.log_dir()
        log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        log_path = log_dir / LOG_FILE
        handler = PrivateLogFile(log_path, what="log folder")  # 0600, never through a link
        handler.check()
        handler.setFormatter(fmt)
        root.addHandler(handler)
    except (OSError, IndexerError) as exc:
        sys.stderr.write(f"photoseek: cannot write the log file: {exc}\n")
        log_path = None
    console = logging.StreamHandler()
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(fmt)
    root.addHandler(console)
    return log_path


def qt_message_handler(mode: QtMsgType, context, message: str) -> None:
    """Qt's own warnings go to the ``qt`` logger instead of stderr."""
    category = getattr(context, "category", None) or "default"
    logging.getLogger(f"qt.{category}").log(_QT_LEVELS.get(mode, logging.WARNING), "%s", message)


class CrashHandler(QObject):
    """Logs uncaught exceptions (any thread) and shows them in a dialog on the GUI thread.

    Signals:
        crashed(str, str): summary, traceback text.
    """

    crashed = Signal(str, str)

    def __init__(self, log_path: Path | None, parent: QObject | None = None):
        super().__init__(parent)
        self.log_path = log_path
        self.crashed.connect(self._show)
        self._showing = False

    def install(self) -> None:
        sys.excepthook = self.excepthook
        threading.excepthook = lambda args: self.excepthook(args.exc_type, args.exc_value, args.exc_traceback)

    def excepthook(self, exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            QApplication.quit()
            return
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        logging.getLogger("app.crash").critical("uncaught exception:\n%s", text)
        self.crashed.emit(f"{exc_type.__name__}: {exc}", text)   # queued when raised off the GUI thread

    def _show(self, summary: str, details: str) -> None:
        if self._showing:
            return
        self._showing = True
        box = QMessageBox(QMessageBox.Icon.Critical, "Photoseek ran into a problem",
                          "Something went wrong. Photoseek keeps running, but the last action may not "
                          "have finished.\n\n" + summary)
        if self.log_path:
            box.setInformativeText(f"Details are in the log file:\n{self.log_path}")
        plain_message_box(box)  # the summary and the log path may quote file names: never markup
        box.setDetailedText(details)
        box.finished.connect(lambda _r: setattr(self, "_showing", False))
        box.open()
        self._box = box


# -- start-up check: can Photoseek write its library and models folders? ---------


def confirm_writable_folders(library_dir: Path | None = None, parent=None) -> bool:
    """Before the main window: when the library or models folder cannot be written,
    say why in a dialog.  Returns False when the user chooses to quit."""
    problems = paths.writable_problems(library_dir)
    if not problems:
        return True
    for problem in problems:
        logger.error("%s", problem)
    box = QMessageBox(QMessageBox.Icon.Warning, "Photoseek cannot write its folders",
                      "\n\n".join(problems), parent=parent)
    box.setInformativeText(
        "Photoseek keeps its catalog, thumbnails and settings in the library folder and downloaded "
        "models in the models folder. Without them it cannot index photos or install a model; it can "
        "only search a library that already exists.")
    plain_message_box(box)  # the problems quote folder paths: never markup
    quit_button = box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    box.addButton("Continue Anyway", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(quit_button)
    box.setEscapeButton(quit_button)
    box.exec()
    return box.clickedButton() is not quit_button


def install_signal_handlers(app: QApplication) -> QTimer:
    """Ctrl+C / SIGTERM close the app like its window does (workers stop at a batch boundary).

    Python runs signal handlers only between bytecodes, so a light timer lets
    the interpreter in while Qt's event loop idles.  Returns the timer (keep it)."""
    def request_quit(signum, _frame) -> None:
        logging.getLogger("app").info("signal %d: quitting", signum)
        app.closeAllWindows()
        app.quit()

    for name in ("SIGINT", "SIGTERM"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), request_quit)
    wake = QTimer(app)
    wake.setInterval(250)
    wake.timeout.connect(_noop)
    wake.start()
    return wake


def _noop() -> None:
    return None


def run(library_dir: Path | None = None, argv: list[str] | None = None, *, serve: Serve | None = None) -> int:
    """Open the desktop app on ``library_dir`` (default: ``$PHOTOSEEK_LIBRARY`` or the data dir).

    ``serve`` starts answering commands for the library once it is open (``photoseek gui`` passes
    the command line's warm server, so ``photoseek search`` asks the running app first).
    """
    started = time.perf_counter()
    problem = display_problem() if not isinstance(QApplication.instance(), QApplication) else None
    if problem is not None:     # before the QApplication, which aborts the process without a display
        sys.stderr.write(f"photoseek: error: the desktop app cannot start: {problem}\n")
        return 1
    verbose = bool(os.environ.get("PHOTOSEEK_DEBUG"))
    log_path = setup_logging(verbose=verbose)
    faulthandler.enable()
    protect_bool_singletons()
    qInstallMessageHandler(qt_message_handler)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Photoseek")
    app.setOrganizationName("photoseek")
    app.setDesktopFileName("photoseek")
    app.setWindowIcon(app_icon())
    ThemeManager(app, force=os.environ.get("PHOTOSEEK_THEME") or None).apply()
    crash = CrashHandler(log_path, app)
    crash.install()
    if not confirm_writable_folders(library_dir):
        return 1

    from app.application import PhotoseekApp  # after the QApplication: widgets need it

    photoseek = PhotoseekApp(library_dir, serve=serve)
    window = photoseek.start()
    logger.info("window shown in %.0f ms (library %s)", (time.perf_counter() - started) * 1000,
                photoseek.library_dir)
    app.aboutToQuit.connect(photoseek.shutdown)
    wake = install_signal_handlers(app)
    try:
        return app.exec()
    finally:
        wake.stop()
        photoseek.shutdown()
        window.deleteLater()
