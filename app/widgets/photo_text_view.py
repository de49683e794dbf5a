"""The text found in a photo, as the preview shows it: the matched lines outlined on the image, and
a "Text in photo" panel whose text can be selected and copied.

The text was read from a file on disk by OCR, so it is shown as plain text only (a read-only
plain-text editor; the outline is drawn, never rendered as markup).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from app.plain_text import plain

Box = Sequence[tuple[float, float]]
OUTLINE = QColor(255, 196, 0)
MAX_PANEL_CHARS = 100_000  # a photo's text shown in the panel (the catalog keeps at most 500 lines)


def paint_text_boxes(painter: QPainter, target: QRectF, original: tuple[int, int] | None, boxes: Sequence[Box]) -> int:
    """Outline ``boxes`` (corners in the original image's pixels, ``original`` = its width and
    height) on the image drawn in ``target``.  Returns how many were drawn."""
    if not boxes or not original or original[0] <= 0 or original[1] <= 0:
        return 0
    sx, sy = target.width() / original[0], target.height() / original[1]
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(255, 196, 0, 40))
    drawn = 0
    for box in boxes:
        if len(box) < 3:
            continue
        polygon = QPolygonF([QPointF(target.x() + x * sx, target.y() + y * sy) for x, y in box])
        for width, colour in ((4.0, QColor(0, 0, 0, 140)), (2.0, OUTLINE)):  # a dark halo: visible on any photo
            painter.setPen(QPen(colour, width))
            painter.drawPolygon(polygon)
        drawn += 1
    painter.restore()
    return drawn


class TextInPhotoPanel(QWidget):
    """"Text in photo": the lines read in the photo, selectable, with a button that copies them all.
    Hidden when the photo has no text."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("TextInPhoto")
        self.title = QLabel("Text in photo")
        self.title.setObjectName("PreviewCaption")
        plain(self.title)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setAccessibleName("Text in photo")
        self.text.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # arrow keys keep moving between photos
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.text.setMaximumHeight(110)
        self.copy_button = QPushButton("Copy text")
        self.copy_button.setAccessibleName("Copy the text in the photo")
        self.copy_button.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.copy_button.clicked.connect(self.copy_all)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.title, 1)
        top.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.text)
        self.set_lines(())

    def set_lines(self, lines: Sequence[str]) -> None:
        content = "\n".join(lines)[:MAX_PANEL_CHARS]
        self.text.setPlainText(content)
        self.setVisible(bool(content))

    def plain_text(self) -> str:
        return self.text.toPlainText()

    def copy_all(self) -> None:
        QGuiApplication.clipboard().setText(self.plain_text())
