"""A photo fitted to its widget that zooms (the point under the mouse, or the centre, stays put) and pans
(drag, or :meth:`ZoomView.pan`), with the lines of text that matched outlined on it."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QWheelEvent
from PySide6.QtWidgets import QWidget

from app.widgets.photo_text_view import Box, paint_text_boxes

MAX_ZOOM = 16.0
ZOOM_STEP = 1.25
PAN_STEP = 0.1          # of the view, per key press


class ZoomView(QWidget):
    """Shows :attr:`image` fitted (zoom 1) or larger; :attr:`boxes` are outlined in the original's pixels."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)     # the viewer's keys start here
        self.setAccessibleName("Photo")
        self.image: QImage | None = None
        self.boxes: tuple[Box, ...] = ()  # lines to outline, in the original photo's pixels
        self.original: tuple[int, int] | None = None  # the original photo's (width, height)
        self.outlined = 0  # boxes drawn by the last paint
        self._zoom = 1.0
        self._centre = QPointF(0.5, 0.5)    # the point of the image (fractions of it) at the view's centre
        self._drag: QPointF | None = None

    # ---- zoom and pan ------------------------------------------------------------
    def zoom(self) -> float:
        return self._zoom

    def set_zoom(self, zoom: float) -> None:
        self._zoom = max(1.0, min(MAX_ZOOM, zoom))
        if self._zoom == 1.0:
            self._centre = QPointF(0.5, 0.5)
        self._clamp()
        self.update()

    def zoom_in(self) -> None:
        self.set_zoom(self._zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self._zoom / ZOOM_STEP)

    def fit(self) -> None:
        self.set_zoom(1.0)

    def centre(self) -> QPointF:
        return QPointF(self._centre)

    def pan(self, dx: float, dy: float) -> None:
        """Move the view over the image by ``dx``, ``dy`` view widths / heights."""
        r = self.image_rect()
        if r.width() <= 0 or r.height() <= 0:
            return
        self._centre += QPointF(dx * self.width() / r.width(), dy * self.height() / r.height())
        self._clamp()
        self.update()

    def _clamp(self) -> None:
        r = self.image_rect(clamped=False)
        if r.width() <= 0:
            return
        half_w = min(0.5, self.width() / r.width() / 2)
        half_h = min(0.5, self.height() / r.height() / 2)
        self._centre = QPointF(min(1 - half_w, max(half_w, self._centre.x())),
                               min(1 - half_h, max(half_h, self._centre.y())))

    def image_rect(self, *, clamped: bool = True) -> QRectF:
        """Where the image is drawn, in widget coordinates."""
        if self.image is None or self.image.isNull():
            return QRectF()
        fit = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        w, h = fit.width() * self._zoom, fit.height() * self._zoom
        if self._zoom == 1.0:
            return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
        return QRectF(self.width() / 2 - self._centre.x() * w, self.height() / 2 - self._centre.y() * h, w, h)

    # ---- mouse ---------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_in() if event.angleDelta().y() > 0 else self.zoom_out()
            event.accept()
            return
        super().wheelEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._zoom > 1.0:
            self._drag = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None:
            delta = self._drag - event.position()
            self._drag = event.position()
            self.pan(delta.x() / max(1, self.width()), delta.y() / max(1, self.height()))
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag = None
        self.unsetCursor()
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.fit() if self._zoom > 1.0 else self.set_zoom(2.0)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._clamp()

    # ---- painting --------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.outlined = 0
        if self.image is not None and not self.image.isNull():
            r = self.image_rect()
            p.drawImage(r, self.image)
            self.outlined = paint_text_boxes(p, r, self.original, self.boxes)
        else:
            p.setPen(QColor("#8a8f9c"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Loading…")
        p.end()
