"""A large in-app preview of one result, with arrow-key navigation.

When the words of the query were found in the photo, the lines that matched are outlined on it;
the text read in the photo is shown below it ("Text in photo"), selectable and copyable.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.hit_captions import where_and_when
from app.item_models.results_model import ResultsModel, media_note
from app.plain_text import plain
from app.thumbnails import ThumbnailLoader, read_first
from app.widgets.photo_text_view import Box, TextInPhotoPanel, paint_text_boxes

PREVIEW_MAX_PX = 2048


class _ImageView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.image: QImage | None = None
        self.boxes: tuple[Box, ...] = ()  # lines to outline, in the original photo's pixels
        self.original: tuple[int, int] | None = None  # the original photo's (width, height)
        self.outlined = 0  # boxes drawn by the last paint

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.outlined = 0
        if self.image is not None and not self.image.isNull():
            s = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            r = QRectF((self.width() - s.width()) / 2, (self.height() - s.height()) / 2, s.width(), s.height())
            p.drawImage(r, self.image)
            self.outlined = paint_text_boxes(p, r, self.original, self.boxes)
        else:
            p.setPen(QColor("#8a8f9c"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Loading…")
        p.end()


class PreviewDialog(QDialog):
    """Shows row ``row`` of ``model`` large.  Left/Right move, Space/Esc close,
    Enter opens in the system viewer.

    Signals:
        openRequested(Path)
        rowChanged(int)
    """

    openRequested = Signal(Path)
    rowChanged = Signal(int)

    def __init__(self, model: QAbstractItemModel, row: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("PreviewDialog")
        self.setWindowTitle("Preview")
        self.setModal(True)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setMinimumSize(480, 360)         # fixed: a long caption never resizes the dialog
        self._model = model
        self._row = row
        self._loader = ThumbnailLoader(self, threads=1, reader=lambda sources: read_first(sources, PREVIEW_MAX_PX))
        self._loader.loaded.connect(self._on_loaded)
        self.view = _ImageView(self)
        self.caption = QLabel()
        self.caption.setObjectName("PreviewCaption")
        self.caption.setMinimumWidth(1)       # long paths are clipped, not a reason to widen
        self.position = QLabel()
        self.position.setObjectName("PreviewCaption")
        plain(self.caption, self.position)  # file names: never markup
        self.text_panel = TextInPhotoPanel(self)
        bottom = QHBoxLayout()
        bottom.addWidget(self.caption, 1)
        bottom.addWidget(self.position)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 10)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.text_panel)
        layout.addLayout(bottom)
        self.show_row(row)

    def sizeHint(self) -> QSize:
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is None:
            return QSize(1000, 760)
        return QSize(int(screen.width() * 0.75), int(screen.height() * 0.8))

    def row(self) -> int:
        return self._row

    def show_row(self, row: int) -> None:
        if not 0 <= row < self._model.rowCount():
            return
        self._row = row
        idx = self._model.index(row, 0)
        path = idx.data(ResultsModel.PathRole)
        big = self._loader.get(path)
        self.view.image = big if big is not None else idx.data(ResultsModel.ThumbnailRole)
        score = idx.data(ResultsModel.ScoreRole)
        hit = idx.data(ResultsModel.HitRole)
        self.view.boxes = tuple(hit.text_boxes or ()) if hit is not None else ()
        self.view.original = (hit.width, hit.height) if hit is not None and hit.width and hit.height else None
        self.text_panel.set_lines(hit.photo_text if hit is not None else ())
        details = where_and_when(hit) if hit is not None else ""
        note = media_note(hit) if hit is not None else ""  # a video's best moment, a RAW or motion beside it
        scored = f"score {score:.3f}" if score is not None else ""   # a browsed photo has no score
        self.caption.setText("   ·   ".join(p for p in (os.path.basename(path), details, scored, note,
                                                       os.path.dirname(path)) if p))
        self.position.setText(f"{row + 1} / {self._model.rowCount()}")
        self.setWindowTitle(os.path.basename(path))
        self.view.update()
        self.rowChanged.emit(row)

    def _on_loaded(self, key: str, image: QImage) -> None:
        if self._model.rowCount() > self._row and key == self._model.index(self._row, 0).data(ResultsModel.PathRole):
            self.view.image = image
            self.view.update()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_PageDown):
            self.show_row(self._row + 1)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_PageUp):
            self.show_row(self._row - 1)
        elif key == Qt.Key.Key_Home:
            self.show_row(0)
        elif key == Qt.Key.Key_End:
            self.show_row(self._model.rowCount() - 1)
        elif key in (Qt.Key.Key_Space, Qt.Key.Key_Escape):
            self.accept()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            path = self._model.index(self._row, 0).data(ResultsModel.PathRole)
            if path:   # a browsed row whose page is still being read has none yet
                self.openRequested.emit(Path(path))
        else:
            super().keyPressEvent(event)

    def done(self, result: int) -> None:
        self._loader.shutdown(2000)
        super().done(result)
