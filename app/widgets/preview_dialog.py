"""The viewer: one photo large, from the results or the library, with previous / next, zoom and pan,
and an info panel (date, place, camera, size, and the text read in the photo).

The image is decoded off the GUI thread by the core's decoders (see ``app.viewer_image``); the
thumbnail shows until it arrives.  When the words of the query were found in the photo, the lines
that matched are outlined on it.  Every action has a visible, named button and a key.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, QSize, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.hit_captions import spoken_name, taken_text
from app.item_models.results_model import ResultsModel, media_note
from app.plain_text import plain
from app.thumbnails import ThumbnailLoader
from app.viewer_image import read_for_viewer
from app.widgets.photo_text_view import TextInPhotoPanel
from app.widgets.zoom_view import PAN_STEP, ZoomView

INFO_WIDTH = 260
_ZOOM_IN = {Qt.Key.Key_Plus, Qt.Key.Key_Equal}
_ZOOM_OUT = {Qt.Key.Key_Minus, Qt.Key.Key_Underscore}


def _button(text: str, tip: str) -> QToolButton:
    b = QToolButton()
    b.setText(text)
    b.setToolTip(tip)
    b.setAccessibleName(tip.split(" (")[0])
    b.setFocusPolicy(Qt.FocusPolicy.TabFocus)     # a click leaves the keys with the photo
    b.setAutoRaise(True)
    return b


class PreviewDialog(QDialog):
    """Shows row ``row`` of ``model`` large.  Left/Right (and the buttons) move, Ctrl+= / Ctrl+- / 0
    zoom, Shift+arrows or a drag pan, Enter opens in the system viewer, Esc or Space closes.

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
        self.setMinimumSize(640, 420)         # fixed: a long caption never resizes the dialog
        self._model = model
        self._row = row
        self._loader = ThumbnailLoader(self, threads=1, reader=read_for_viewer)
        self._loader.loaded.connect(self._on_loaded)
        self.view = ZoomView(self)

        self.prev_button = _button("‹ Previous", "Previous photo (Left)")
        self.next_button = _button("Next ›", "Next photo (Right)")
        self.zoom_out_button = _button("−", "Zoom out (Ctrl+-)")
        self.fit_button = _button("Fit", "Fit the photo to the window (0)")
        self.zoom_in_button = _button("+", "Zoom in (Ctrl+=)")
        self.open_button = _button("Open", "Open in the system viewer (Enter)")
        self.close_button = _button("Close", "Close the viewer (Esc)")
        self.position = QLabel()
        self.position.setObjectName("PreviewCaption")
        self.prev_button.clicked.connect(lambda: self.show_row(self._row - 1))
        self.next_button.clicked.connect(lambda: self.show_row(self._row + 1))
        self.zoom_out_button.clicked.connect(self.view.zoom_out)
        self.fit_button.clicked.connect(self.view.fit)
        self.zoom_in_button.clicked.connect(self.view.zoom_in)
        self.open_button.clicked.connect(self._open)
        self.close_button.clicked.connect(self.accept)
        bar = QHBoxLayout()
        for w in (self.prev_button, self.next_button, self.position):
            bar.addWidget(w)
        bar.addStretch(1)
        for w in (self.zoom_out_button, self.fit_button, self.zoom_in_button, self.open_button, self.close_button):
            bar.addWidget(w)

        self.caption = QLabel()     # file name, what else it is, folder
        self.caption.setObjectName("PreviewCaption")
        self.caption.setMinimumWidth(1)       # long paths are clipped, not a reason to widen
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info: dict[str, QLabel] = {}
        form = QFormLayout()
        for key in ("Date", "Place", "Camera", "Size", "Folder"):
            value = QLabel()
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.info[key] = value
            form.addRow(key, value)
        plain(self.caption, self.position, *self.info.values())  # file names: never markup
        self.text_panel = TextInPhotoPanel(self)
        side = QFrame()
        side.setObjectName("ViewerInfo")
        side.setFixedWidth(INFO_WIDTH)
        col = QVBoxLayout(side)
        col.setContentsMargins(8, 0, 0, 0)
        col.addLayout(form)
        col.addWidget(self.text_panel, 1)
        col.addStretch(0)

        body = QHBoxLayout()
        body.addWidget(self.view, 1)
        body.addWidget(side)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 10)
        layout.addLayout(bar)
        layout.addLayout(body, 1)
        layout.addWidget(self.caption)
        self.view.setFocus()
        self.show_row(row)

    def sizeHint(self) -> QSize:
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is None:
            return QSize(1100, 760)
        return QSize(int(screen.width() * 0.8), int(screen.height() * 0.85))

    def row(self) -> int:
        return self._row

    def show_row(self, row: int) -> None:
        if not 0 <= row < self._model.rowCount():
            return
        self._row = row
        idx = self._model.index(row, 0)
        path = idx.data(ResultsModel.PathRole)
        hit = idx.data(ResultsModel.HitRole)
        if not path or hit is None:    # a browsed row whose page is still being read
            return
        sources = (path, str(hit.thumbnail)) if hit.thumbnail else (path,)   # the stored one if it fails
        big = self._loader.get(path, sources)
        self.view.image = big if big is not None else idx.data(ResultsModel.ThumbnailRole)
        self.view.fit()
        self.view.boxes = tuple(hit.text_boxes or ())
        self.view.original = (hit.width, hit.height) if hit.width and hit.height else None
        self.view.setAccessibleName(f"Photo: {spoken_name(hit)}")
        self.text_panel.set_lines(hit.photo_text)
        where = hit.place or (f"{hit.lat:.4f}, {hit.lon:.4f}" if hit.lat is not None and hit.lon is not None
                              else None)
        values = {"Date": taken_text(hit.taken_at), "Place": where, "Camera": hit.camera,
                  "Size": f"{hit.width} × {hit.height}" if hit.width and hit.height else None,
                  "Folder": os.path.dirname(path)}
        for key, value in values.items():
            self.info[key].setText(value or "—")
        self.caption.setText("   ·   ".join(p for p in (os.path.basename(path), media_note(hit),
                                                       os.path.dirname(path)) if p))
        self.position.setText(f"{row + 1} of {self._model.rowCount()}")
        self.prev_button.setEnabled(row > 0)
        self.next_button.setEnabled(row + 1 < self._model.rowCount())
        self.setWindowTitle(os.path.basename(path))
        self.view.update()
        self.rowChanged.emit(row)

    def _on_loaded(self, key: str, image: QImage) -> None:
        if self._model.rowCount() > self._row and key == self._model.index(self._row, 0).data(ResultsModel.PathRole):
            self.view.image = image
            self.view.update()

    def _open(self) -> None:
        path = self._model.index(self._row, 0).data(ResultsModel.PathRole)
        if path:   # a browsed row whose page is still being read has none yet
            self.openRequested.emit(Path(path))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = Qt.Key(event.key()), event.modifiers()
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        arrows = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1),
                  Qt.Key.Key_Down: (0, 1)}
        if shift and key in arrows and self.view.zoom() > 1.0:
            dx, dy = arrows[key]
            self.view.pan(dx * PAN_STEP, dy * PAN_STEP)
        elif key in _ZOOM_IN:
            self.view.zoom_in()
        elif key in _ZOOM_OUT:
            self.view.zoom_out()
        elif key == Qt.Key.Key_0:
            self.view.fit()
        elif key in (Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_PageDown):
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
            self._open()
        else:
            super().keyPressEvent(event)

    def done(self, result: int) -> None:
        self._loader.shutdown(2000)
        super().done(result)
