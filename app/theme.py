"""Light and dark themes that follow the system colour scheme.

The style sheet (``resources/style.qss``) holds ``{{token}}`` placeholders;
:func:`apply` fills them from the light or dark token table, sets a matching
Fusion palette and re-applies itself when the system switches scheme.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from app.resource_files import resource_text

logger = logging.getLogger(__name__)

LIGHT = {
    "window": "#f4f5f8", "panel": "#ffffff", "base": "#ffffff", "field": "#f0f2f6",
    "border": "#e0e3ea", "borderStrong": "#c3c8d4", "text": "#1c2130", "muted": "#6b7385",
    "hover": "#e8ebf2", "pressed": "#dde1ea", "accent": "#4a63f0", "accentHover": "#3b53dc",
    "accentSoft": "#e3e8ff", "accentPhoto": "#f0a04b", "scroll": "#c9cdd6", "danger": "#c62f3c",
    "thumbBg": "#e6e8ee", "selection": "#4a63f0", "previewBg": "#15171c",
}
DARK = {
    "window": "#17191e", "panel": "#1f2228", "base": "#24272e", "field": "#2a2e36",
    "border": "#33373f", "borderStrong": "#4a4f5a", "text": "#e6e8ee", "muted": "#979eae",
    "hover": "#30343d", "pressed": "#3a3f49", "accent": "#6f82ff", "accentHover": "#8394ff",
    "accentSoft": "#2e3560", "accentPhoto": "#f0a04b", "scroll": "#454a55", "danger": "#ff6b76",
    "thumbBg": "#2a2d35", "selection": "#6f82ff", "previewBg": "#0e0f12",
}


@dataclass(frozen=True)
class Theme:
    dark: bool
    tokens: dict

    def color(self, token: str) -> QColor:
        return QColor(self.tokens[token])


_current = Theme(False, LIGHT)


def current() -> Theme:
    """The theme in effect (light until :func:`apply` runs)."""
    return _current


def system_prefers_dark(app: QGuiApplication) -> bool:
    hints = app.styleHints()
    scheme = hints.colorScheme() if hasattr(hints, "colorScheme") else Qt.ColorScheme.Unknown
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    # Unknown: judge by the platform palette's window colour.
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128


def style_sheet(theme: Theme) -> str:
    qss = resource_text("style.qss")
    return re.sub(r"\{\{(\w+)\}\}", lambda m: theme.tokens[m.group(1)], qss)


def palette_for(theme: Theme) -> QPalette:
    t = theme.tokens
    pal = QPalette()
    role = QPalette.ColorRole
    pal.setColor(role.Window, QColor(t["window"]))
    pal.setColor(role.WindowText, QColor(t["text"]))
    pal.setColor(role.Base, QColor(t["base"]))
    pal.setColor(role.AlternateBase, QColor(t["field"]))
    pal.setColor(role.Text, QColor(t["text"]))
    pal.setColor(role.Button, QColor(t["field"]))
    pal.setColor(role.ButtonText, QColor(t["text"]))
    pal.setColor(role.Highlight, QColor(t["accent"]))
    pal.setColor(role.HighlightedText, QColor("#ffffff"))
    pal.setColor(role.ToolTipBase, QColor(t["panel"]))
    pal.setColor(role.ToolTipText, QColor(t["text"]))
    pal.setColor(role.PlaceholderText, QColor(t["muted"]))
    pal.setColor(role.Link, QColor(t["accent"]))
    pal.setColor(role.Mid, QColor(t["border"]))
    pal.setColor(QPalette.ColorGroup.Disabled, role.Text, QColor(t["muted"]))
    pal.setColor(QPalette.ColorGroup.Disabled, role.ButtonText, QColor(t["muted"]))
    pal.setColor(QPalette.ColorGroup.Disabled, role.WindowText, QColor(t["muted"]))
    return pal


class ThemeManager(QObject):
    """Applies the theme and follows system scheme changes.

    Signals:
        changed(bool): the theme was (re)applied; the argument is ``dark``.
    """

    changed = Signal(bool)

    def __init__(self, app: QApplication, *, force: str | None = None):
        super().__init__(app)
        self._app = app
        self._force = force  # "light" | "dark" | None (follow the system)
        hints = app.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(lambda _scheme: self.apply())

    def apply(self) -> Theme:
        global _current
        dark = self._force == "dark" if self._force else system_prefers_dark(self._app)
        _current = Theme(dark, DARK if dark else LIGHT)
        self._app.setStyle("Fusion")
        self._app.setPalette(palette_for(_current))
        self._app.setStyleSheet(style_sheet(_current))
        logger.debug("theme applied: %s", "dark" if dark else "light")
        self.changed.emit(dark)
        return _current
