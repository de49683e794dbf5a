"""What the results area shows when there are no results to show."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from app import theme
from app.plain_text import plain
from app.resources import icon


class EmptyState(QWidget):
    """Icon, title, explanation and an optional action button.

    Signals:
        actionClicked(str): the key given to :meth:`show_state`.
    """

    actionClicked = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.icon = QLabel()
        self.icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel()
        self.title.setObjectName("EmptyTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body = QLabel()
        self.body.setObjectName("EmptyState")
        self.body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.setWordWrap(True)
        plain(self.title, self.body)
        self.body.setFixedWidth(480)
        self.button = QPushButton()
        self.button.setObjectName("PrimaryButton")
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.button.clicked.connect(self._clicked)
        self._action = ""
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(6)
        layout.addWidget(self.title, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.body, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(10)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)

    def _clicked(self) -> None:
        self.actionClicked.emit(self._action)

    def show_state(self, icon_name: str, title: str, body: str, action: str = "", action_text: str = "") -> None:
        self.icon.setPixmap(icon(icon_name, theme.current().color("borderStrong")).pixmap(56, 56))
        self.title.setText(title)
        self.body.setText(body)
        self.body.setFixedHeight(self.body.heightForWidth(self.body.width()) if body else 0)
        self._action = action
        self.button.setText(action_text)
        self.button.setVisible(bool(action))
