"""The window's top bar: logo and title, the mode switch, the search field, folders and settings."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from app.resources import app_icon
from app.widgets.icon_button import icon_button
from app.widgets.search_bar import ModeSwitch, SearchBar


def _button(name: str, tip: str) -> QToolButton:
    return icon_button(name, tip, size=20, accessible_name=tip.split("…")[0])


class TopBar(QFrame):
    """Holds :attr:`mode_switch`, :attr:`search_bar`, :attr:`duplicates_button`, :attr:`folders_button` and
    :attr:`settings_button`."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("TopBar")
        self.mode_switch = ModeSwitch()
        self.search_bar = SearchBar()
        self.folders_button = _button("folder", "Folders… (Ctrl+Shift+O)")
        self.settings_button = _button("settings", "Settings… (Ctrl+,)")
        self.duplicates_button = _button("similar", "Duplicates… (Ctrl+Shift+D)")
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(26, 26))
        title = QLabel("Photoseek")
        title.setObjectName("AppTitle")
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 10, 10, 10)
        row.setSpacing(10)
        row.addWidget(logo)
        row.addWidget(title)
        row.addSpacing(6)
        row.addWidget(self.mode_switch)
        row.addSpacing(6)
        row.addWidget(self.search_bar, 1)
        row.addSpacing(4)
        row.addWidget(self.duplicates_button)
        row.addWidget(self.folders_button)
        row.addWidget(self.settings_button)
