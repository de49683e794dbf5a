"""A dismissible message strip above the results (errors, notices)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from app import theme
from app.outcomes import Operation, OpFailure
from app.plain_text import plain
from app.resources import icon
from app.widgets.icon_button import icon_button


class Banner(QFrame):
    """Shows one message at a time; errors stay until closed, notices fade after a while."""

    NOTICE_MS = 6000

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("Banner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.icon = QLabel()
        self.text = QLabel()
        plain(self.text)  # messages quote file names: never markup
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = icon_button("close", "Dismiss", size=14)
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 8, 8, 8)
        layout.addWidget(self.icon)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.close_button)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self._about: Operation | None = None   # the operation whose failure is shown, if any
        self.hide()

    def show_error(self, message: str, about: Operation | None = None) -> None:
        """Show ``message`` until closed; ``about``: the operation that failed (see :meth:`dismiss`)."""
        self._show(message, error=True)
        self._about = about

    def show_failure(self, failure: OpFailure) -> None:
        self.show_error(failure.message, failure.operation)

    def dismiss(self, operation: Operation) -> None:
        """Hide the failure of ``operation`` if that is what shows (it has since succeeded)."""
        if self.isVisible() and self._about is operation:
            self.hide()

    def failed_operation(self) -> Operation | None:
        """The operation whose failure shows, if one does."""
        return self._about if self.isVisible() else None

    def show_notice(self, message: str) -> None:
        self._show(message, error=False)
        self._about = None

    def message(self) -> str:
        return self.text.text() if self.isVisible() else ""

    def _show(self, message: str, *, error: bool) -> None:
        t = theme.current()
        color = t.tokens["danger"] if error else t.tokens["accent"]
        self.setStyleSheet(f"#Banner {{ background: {t.tokens['panel']}; border-bottom: 1px solid {t.tokens['border']};"
                           f" border-left: 4px solid {color}; }}")
        self.icon.setPixmap(icon("warning" if error else "image", color).pixmap(18, 18))
        self.text.setText(message)
        self.show()
        if error:
            self._timer.stop()
        else:
            self._timer.start(self.NOTICE_MS)
