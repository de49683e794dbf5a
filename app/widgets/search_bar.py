"""The search field and the mode switch."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLineEdit, QToolButton, QWidget

from app import theme
from app.query_types import Mode
from app.resources import icon
from app.widgets.accessible import ModeButton, install

TYPING_DELAY_MS = 300


class SearchBar(QLineEdit):
    """Query text.  Enter searches at once; typing searches after a pause.

    Signals:
        search(str): run a search with this text now.
        downPressed(): Down was pressed (the window moves into the results).
    """

    search = Signal(str)
    downPressed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("SearchBar")
        self.setClearButtonEnabled(True)
        self.setAccessibleName("Search")
        self.addAction(icon("search", theme.current().color("muted")), QLineEdit.ActionPosition.LeadingPosition)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(TYPING_DELAY_MS)
        self._timer.timeout.connect(self._fire)
        self.textEdited.connect(lambda _t: self._timer.start())
        self.returnPressed.connect(self._fire)
        # the clear button emits textChanged (not textEdited)
        self.textChanged.connect(self._on_text_changed)

    def _on_text_changed(self, text: str) -> None:
        if not text:
            self._timer.start()

    def _fire(self) -> None:
        self._timer.stop()
        self.search.emit(self.text().strip())

    def set_delay(self, ms: int) -> None:
        self._timer.setInterval(ms)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            return
        if event.key() == Qt.Key.Key_Down and not event.modifiers():
            self.downPressed.emit()
            return
        super().keyPressEvent(event)


class ModeSwitch(QWidget):
    """A segmented control with a button per search mode (Text | Image | Sketch | Image + edit).

    Signals:
        modeChanged(Mode)
    """

    modeChanged = Signal(Mode)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ModeSwitch")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self.buttons: dict[Mode, QToolButton] = {}
        install()               # the buttons are radio buttons to a screen reader
        layout = QHBoxLayout(self)
        layout.setContentsMargins(3, 3, 3, 3)
        layout.setSpacing(2)
        for i, mode in enumerate(Mode.all()):
            b = ModeButton(self)
            b.setText(mode.label)
            b.setIcon(icon(mode.icon_name, theme.current().color("muted"), checked_color="#ffffff"))
            b.setIconSize(QSize(16, 16))
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            b.setCheckable(True)
            b.setToolTip(f"{mode.label} search (Alt+{i + 1})")
            b.setShortcut(f"Alt+{i + 1}")
            b.setCursor(Qt.CursorShape.PointingHandCursor)
            self._group.addButton(b)
            self.buttons[mode] = b
            layout.addWidget(b)
            b.toggled.connect(lambda on, m=mode: self._toggled(on, m))
        self.buttons[Mode.TEXT].setChecked(True)

    def _toggled(self, on: bool, mode: Mode) -> None:
        if on:
            self.modeChanged.emit(mode)

    def mode(self) -> Mode:
        for mode, b in self.buttons.items():
            if b.isChecked():
                return mode
        return Mode.TEXT

    def set_mode(self, mode: Mode) -> None:
        self.buttons[mode].setChecked(True)
