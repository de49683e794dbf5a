"""The badge a video's cell carries in the results grid: a play mark and the video's length."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPolygonF

from app.durations import format_duration


def paint_video_badge(painter: QPainter, cell: QRectF, duration: float | None, font: QFont) -> None:
    """A dark pill in the top-left corner of ``cell``: a play triangle and the length."""
    small = QFont(font)
    small.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
    text = format_duration(duration)
    metrics = QFontMetricsF(small)
    height = metrics.height() + 6
    width = height + (metrics.horizontalAdvance(text) + 6 if text else 0)
    pill = QRectF(cell.left() + 7, cell.top() + 7, width, height)
    painter.save()
    path = QPainterPath()
    path.addRoundedRect(pill, height / 2, height / 2)
    painter.fillPath(path, QColor(0, 0, 0, 165))
    side = height * 0.42
    cx, cy = pill.left() + height / 2 + 1, pill.center().y()
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#ffffff"))
    painter.drawPolygon(QPolygonF([QPointF(cx - side / 2, cy - side / 2), QPointF(cx - side / 2, cy + side / 2),
                                   QPointF(cx + side / 2, cy)]))
    if text:
        painter.setPen(QColor("#ffffff"))
        painter.setFont(small)
        painter.drawText(pill.adjusted(height - 2, 0, -6, 0), Qt.AlignmentFlag.AlignVCenter, text)
    painter.restore()
