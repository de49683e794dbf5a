"""The reference-image slot used by Image and Image + edit modes.

A reference is a file path (dropped, opened or picked from the results) or
in-memory image data (dropped from a browser or pasted).  The chip shows a
preview, the name, and a clear button.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QMimeData, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QImageReader,
    QKeySequence,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QShortcut,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import theme
from app.plain_text import plain, tooltip
from app.query_types import ImageRef
from app.resources import icon
from app.widgets.icon_button import icon_button

logger = logging.getLogger(__name__)

PREVIEW_PX = 512
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".heic", ".heif", ".avif"}
IMAGE_FILTER = "Images (" + " ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES)) + ")"


def load_preview(path: Path, max_px: int = PREVIEW_PX) -> QImage | None:
    """A downscaled, upright preview of ``path``, or None if Qt cannot read it."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > max_px:
        reader.setScaledSize(size.scaled(max_px, max_px, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    return None if image.isNull() else image


def ref_from_path(path: Path) -> ImageRef:
    """Raises ValueError with a readable message when ``path`` is not usable."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path} is not a file")
    preview = load_preview(path)
    if preview is None and path.suffix.lower() not in IMAGE_SUFFIXES:
        raise ValueError(f"{path.name} is not an image Photoseek can read")
    return ImageRef(path.name, path, preview)


def ref_from_mime(mime: QMimeData) -> ImageRef | None:
    """The image in a drop or the clipboard: a local image file, or image data."""
    for url in mime.urls():
        if url.isLocalFile():
            p = Path(url.toLocalFile())
            if p.is_file():
                return ref_from_path(p)
    if mime.hasImage():
        data = mime.imageData()
        image = data if isinstance(data, QImage) else QImage(data)
        if not image.isNull():
            if max(image.width(), image.height()) > PREVIEW_PX * 2:
                image = image.scaled(PREVIEW_PX * 2, PREVIEW_PX * 2, Qt.AspectRatioMode.KeepAspectRatio,
                                     Qt.TransformationMode.SmoothTransformation)
            return ImageRef("Pasted image", None, image)
    if any(not u.isLocalFile() for u in mime.urls()):
        raise ValueError("Only local files can be used; save the image first, or copy the image itself")
    return None


def mime_has_image(mime: QMimeData) -> bool:
    if mime.hasImage():
        return True
    return any(u.isLocalFile() and Path(u.toLocalFile()).suffix.lower() in IMAGE_SUFFIXES for u in mime.urls())


class _Preview(QWidget):
    """Rounded preview thumbnail with a placeholder when empty."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.image: QImage | None = None
        self.has_ref = False
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setMinimumSize(120, 110)

    def sizeHint(self) -> QSize:
        return QSize(280, self.heightForWidth(280))

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return max(110, int(width * 0.75))

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        r = QRectF(self.rect()).adjusted(2, 2, -2, -2)
        t = theme.current()
        if self.image is not None and not self.image.isNull():
            s = self.image.size().scaled(r.size().toSize(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRectF(r.x() + (r.width() - s.width()) / 2, r.y() + (r.height() - s.height()) / 2,
                            s.width(), s.height())
            path = QPainterPath()
            path.addRoundedRect(target, 8, 8)
            p.setClipPath(path)
            p.drawImage(target, self.image)
        else:
            ic = icon("image", t.color("muted"))
            side = 40
            ir = QRectF(r.center().x() - side / 2, r.center().y() - side / 2 - 14, side, side)
            ic.paint(p, ir.toRect())
            p.setPen(t.color("muted"))
            text = "Preview unavailable" if self.has_ref else "Drop a photo here\nor paste (Ctrl+V)"
            p.drawText(r.adjusted(8, side + 4, -8, 0), Qt.AlignmentFlag.AlignCenter, text)
        p.end()


class ReferenceChip(QFrame):
    """Holds one reference image.

    Signals:
        changed(ImageRef): the new reference, or None when cleared.
        error(str): a readable message (unreadable file, remote URL...).
    """

    changed = Signal(ImageRef)       # or None when cleared
    error = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, title: str = "Reference photo"):
        super().__init__(parent)
        self.setObjectName("ReferenceChip")
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setProperty("hasImage", False)
        self.setProperty("dragActive", False)
        self.setAccessibleName(title)
        self._ref: ImageRef | None = None

        self.preview = _Preview(self)
        self.name_label = QLabel("No photo chosen")
        self.name_label.setObjectName("ChipName")
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.name_label.setMinimumWidth(40)
        plain(self.name_label)  # file names: never markup
        self.open_button = self._button("folder", "Choose a photo…")
        self.open_button.clicked.connect(self.open_dialog)
        self.paste_button = self._button("paste", "Paste an image (Ctrl+V)")
        self.paste_button.clicked.connect(self.paste)
        self.clear_button = self._button("close", "Clear the reference")
        self.clear_button.clicked.connect(self.clear)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        row.addWidget(self.name_label, 1)
        row.addWidget(self.open_button)
        row.addWidget(self.paste_button)
        row.addWidget(self.clear_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 6)
        layout.setSpacing(6)
        layout.addWidget(self.preview, 1)
        layout.addLayout(row)

        paste = QShortcut(QKeySequence.StandardKey.Paste, self)
        paste.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        paste.activated.connect(self.paste)
        self._refresh()

    def _button(self, name: str, tip: str) -> QToolButton:
        return icon_button(name, tip, size=17)

    # ---- state ------------------------------------------------------------
    def reference(self) -> ImageRef | None:
        return self._ref

    def set_reference(self, ref: ImageRef | None) -> None:
        self._ref = ref
        self._refresh()
        self.changed.emit(ref)

    def set_path(self, path: Path) -> bool:
        """Use ``path`` as the reference; reports problems through ``error``."""
        try:
            self.set_reference(ref_from_path(Path(path)))
            return True
        except ValueError as exc:
            self.error.emit(str(exc))
            return False

    def set_mime(self, mime: QMimeData) -> bool:
        try:
            ref = ref_from_mime(mime)
        except ValueError as exc:
            self.error.emit(str(exc))
            return False
        if ref is None:
            self.error.emit("That is not an image")
            return False
        self.set_reference(ref)
        return True

    def clear(self) -> None:
        if self._ref is not None:
            self.set_reference(None)

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None or not (mime.hasImage() or mime.hasUrls()):
            self.error.emit("The clipboard holds no image")
            return
        self.set_mime(mime)

    def open_dialog(self) -> None:
        start = str(self._ref.path.parent) if self._ref and self._ref.path else ""
        name, _ = QFileDialog.getOpenFileName(self, "Choose a photo", start, IMAGE_FILTER)
        if name:
            self.set_path(Path(name))

    def _refresh(self) -> None:
        ref = self._ref
        self.preview.image = ref.preview if ref else None
        self.preview.has_ref = ref is not None
        self.name_label.setText(ref.label if ref else "No photo chosen")
        self.name_label.setToolTip(tooltip(str(ref.path)) if ref and ref.path else "")
        self.clear_button.setEnabled(ref is not None)
        self._set_prop("hasImage", ref is not None)
        self.preview.update()

    def _set_prop(self, name: str, value: bool) -> None:
        if self.property(name) != value:
            self.setProperty(name, value)
            self.style().unpolish(self)
            self.style().polish(self)

    # ---- drag and drop ------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if mime_has_image(event.mimeData()):
            self._set_prop("dragActive", True)
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:
        self._set_prop("dragActive", False)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_prop("dragActive", False)
        if self.set_mime(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()
