"""A drawing canvas for sketch queries.

The canvas keeps its strokes as data (so undo is exact) and renders them into
a fixed-size square image.  It exports what a CLIP image encoder expects for
a sketch: dark strokes on white, cropped to the drawing and padded to a
square with a margin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from app import theme
from app.qimage import qimage_to_array, qimage_to_pil

CANVAS_PX = 512          # resolution strokes are rendered at
EXPORT_PX = 448          # side of the exported square (twice a 224 model input)
PAD_FRACTION = 0.12      # margin around the drawing in the export
CHANGE_DELAY_MS = 450    # `changed` fires this long after the last edit


@dataclass
class Stroke:
    points: list[QPointF] = field(default_factory=list)   # canvas coordinates
    color: QColor = field(default_factory=lambda: QColor("#111111"))
    width: float = 6.0
    eraser: bool = False


class SketchCanvas(QWidget):
    """Square drawing surface.

    Signals:
        changed(): emitted ``CHANGE_DELAY_MS`` after a stroke, undo or clear.
        strokesChanged(int): the number of strokes, immediately.

    Attributes:
        pen_width, pen_color, eraser: the current tool.
    """

    changed = Signal()
    strokesChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("SketchCanvas")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setMinimumSize(180, 180)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setAccessibleName("Sketch canvas")
        self.pen_width = 6.0
        self.pen_color = QColor("#111111")
        self.eraser = False
        self._strokes: list[Stroke] = []
        self._current: Stroke | None = None
        self._image = QImage(CANVAS_PX, CANVAS_PX, QImage.Format.Format_RGB32)
        self._image.fill(Qt.GlobalColor.white)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(CHANGE_DELAY_MS)
        self._timer.timeout.connect(self.changed)

    # ---- public API ---------------------------------------------------
    def sizeHint(self) -> QSize:
        return QSize(300, 300)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return width

    def is_empty(self) -> bool:
        return not any(not s.eraser for s in self._strokes)

    def stroke_count(self) -> int:
        return len(self._strokes)

    def set_change_delay(self, ms: int) -> None:
        self._timer.setInterval(ms)

    def undo(self) -> None:
        if self._strokes:
            self._strokes.pop()
            self._rerender()
            self._edited()

    def clear(self) -> None:
        if self._strokes:
            self._strokes.clear()
            self._rerender()
            self._edited()

    def canvas_image(self) -> QImage:
        """The full canvas as rendered (white background)."""
        return self._image.copy()

    def export_qimage(self) -> QImage:
        """Dark strokes on white, cropped to the drawing and padded square."""
        rgb = self._as_array()
        ink = rgb.min(axis=2) < 245
        out = QImage(EXPORT_PX, EXPORT_PX, QImage.Format.Format_RGB32)
        out.fill(Qt.GlobalColor.white)
        if not ink.any():
            return out
        ys, xs = np.nonzero(ink)
        x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
        side = max(x1 - x0, y1 - y0)
        side = max(side, CANVAS_PX // 6)      # a dot does not fill the frame
        pad = side * PAD_FRACTION
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        half = side / 2 + pad
        src = QRectF(cx - half, cy - half, 2 * half, 2 * half)
        painter = QPainter(out)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(QRectF(0, 0, EXPORT_PX, EXPORT_PX), self._image, src)
        painter.end()
        return out

    def export_pil(self) -> Image.Image:
        """:meth:`export_qimage` as an RGB PIL image (what ``Query.sketch`` takes)."""
        return qimage_to_pil(self.export_qimage())

    # ---- drawing ------------------------------------------------------
    def _to_canvas(self, pos: QPointF) -> QPointF:
        rect = self._target_rect()
        scale = CANVAS_PX / rect.width()
        return QPointF((pos.x() - rect.x()) * scale, (pos.y() - rect.y()) * scale)

    def _target_rect(self) -> QRectF:
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        self._timer.stop()
        width = self.pen_width * (3.0 if self.eraser else 1.0)
        self._current = Stroke([self._to_canvas(event.position())], QColor(self.pen_color), width, self.eraser)
        self._strokes.append(self._current)
        self._paint_segment(self._current, 0)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._current is None:
            return super().mouseMoveEvent(event)
        self._current.points.append(self._to_canvas(event.position()))
        self._paint_segment(self._current, len(self._current.points) - 2)
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._current is None or event.button() != Qt.MouseButton.LeftButton:
            return super().mouseReleaseEvent(event)
        self._current = None
        self._edited()
        event.accept()

    def _edited(self) -> None:
        self.strokesChanged.emit(len(self._strokes))
        self._timer.start()

    def _pen(self, stroke: Stroke) -> QPen:
        color = QColor(Qt.GlobalColor.white) if stroke.eraser else stroke.color
        return QPen(color, stroke.width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)

    def _paint_segment(self, stroke: Stroke, start: int) -> None:
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(self._pen(stroke))
        pts = stroke.points
        if len(pts) == 1 or start < 0:
            painter.drawPoint(pts[0])
        else:
            painter.drawLine(pts[start], pts[start + 1])
        painter.end()
        self.update()

    def _rerender(self) -> None:
        self._image.fill(Qt.GlobalColor.white)
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for stroke in self._strokes:
            painter.setPen(self._pen(stroke))
            if len(stroke.points) == 1:
                painter.drawPoint(stroke.points[0])
            else:
                path = QPainterPath(stroke.points[0])
                for p in stroke.points[1:]:
                    path.lineTo(p)
                painter.drawPath(path)
        painter.end()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.fillRect(self.rect(), theme.current().color("panel"))
        rect = self._target_rect()
        clip = QPainterPath()
        clip.addRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 10, 10)
        painter.setClipPath(clip)
        painter.drawImage(rect, self._image)
        if self.is_empty() and self._current is None:
            painter.setPen(QColor("#9aa0ad"))
            font = painter.font()
            font.setPointSizeF(font.pointSizeF() * 1.05)
            painter.setFont(font)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "Draw what you are looking for")
        painter.setClipping(False)
        painter.setPen(QPen(theme.current().color("border"), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 10, 10)
        painter.end()

    def _as_array(self) -> np.ndarray:
        return qimage_to_array(self._image)
