"""A line of grey text in an empty list ("No folders yet..."), hidden as soon as the list has items."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QLabel

from app.plain_text import plain


class ListPlaceholder(QLabel):
    """Shown over ``view``'s viewport while its model has no rows."""

    def __init__(self, view: QAbstractItemView, text: str):
        super().__init__(text, view.viewport())
        self.view = view
        self.setObjectName("PanelHint")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        plain(self)
        view.viewport().installEventFilter(self)
        model = view.model()
        if model is not None:
            model.rowsInserted.connect(self.refresh)
            model.rowsRemoved.connect(self.refresh)
            model.modelReset.connect(self.refresh)
        self.refresh()

    def refresh(self, *_args: object) -> None:
        model = self.view.model()
        self.setVisible(model is None or model.rowCount() == 0)
        self.setGeometry(self.view.viewport().rect().adjusted(16, 0, -16, 0))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize:
            self.refresh()
        return False
