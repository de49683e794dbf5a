"""What the results grid asks of the desktop: open, reveal, copy."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QMimeData, QObject, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication

from app.video_player import open_video_at

logger = logging.getLogger(__name__)


class Desktop(Protocol):
    """What the window asks of the desktop (``DesktopServices``, or a stand-in in tests)."""

    def open_path(self, path: Path) -> bool: ...

    def open_video_at(self, path: Path, seconds: float) -> bool: ...

    def reveal(self, path: Path) -> bool: ...

    def copy_paths(self, paths: Sequence[Path]) -> None: ...


class DesktopServices(QObject):
    """Opens files with the system viewer, reveals them in the file manager,
    and copies paths to the clipboard.  Methods return False on failure."""

    def open_path(self, path: Path) -> bool:
        ok = QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
        if not ok:
            logger.warning("the system could not open %s", path)
        return ok

    def open_video_at(self, path: Path, seconds: float) -> bool:
        """Play a video from ``seconds`` with a player that can (False when none is installed)."""
        return open_video_at(path, seconds)

    def reveal(self, path: Path) -> bool:
        path = Path(path)
        try:
            if sys.platform == "darwin":
                subprocess.Popen(["open", "-R", str(path)])
                return True
            if sys.platform == "win32":
                subprocess.Popen(["explorer", "/select,", str(path)])
                return True
            if self._reveal_freedesktop(path):
                return True
        except OSError as exc:
            logger.warning("reveal failed for %s: %s", path, exc)
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))

    @staticmethod
    def _reveal_freedesktop(path: Path) -> bool:
        """org.freedesktop.FileManager1.ShowItems selects the file (Nautilus, Dolphin, ...)."""
        try:
            from PySide6.QtDBus import QDBusConnection, QDBusInterface, QDBusMessage
        except ImportError:
            return False
        bus = QDBusConnection.sessionBus()
        if not bus.isConnected():
            return False
        iface = QDBusInterface("org.freedesktop.FileManager1", "/org/freedesktop/FileManager1",
                               "org.freedesktop.FileManager1", bus)
        if not iface.isValid():
            return False
        reply = iface.call("ShowItems", [QUrl.fromLocalFile(str(path)).toString()], "")
        return reply.type() != QDBusMessage.MessageType.ErrorMessage

    def copy_paths(self, paths: Sequence[Path]) -> None:
        mime = QMimeData()
        mime.setText("\n".join(str(p) for p in paths))
        mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
        QGuiApplication.clipboard().setMimeData(mime)


def dropped_folders(mime: QMimeData) -> list[Path]:
    """The local folders named by a drag-and-drop payload (files and remote URLs are ignored)."""
    return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile() and Path(u.toLocalFile()).is_dir()]
