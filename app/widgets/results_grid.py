"""The results grid: a virtualised grid of thumbnails in titled sections (``SectionGrid``).

Only visible cells are painted, and painting asks the model for a thumbnail,
which loads in the background (a placeholder shows meanwhile), so a million
photos scroll smoothly.  Sections come from the model: "Best matches (N)" and
"More like this" for a search, months for the library.  The grid emits intent signals; the window connects
them to the desktop and search services.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QContextMenuEvent,
    QFont,
    QImage,
    QKeyEvent,
    QKeySequence,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from app import theme
from app.item_models.results_model import ResultsModel
from app.payloads import Paths
from app.resources import icon
from app.widgets.section_grid import SectionGrid
from app.widgets.video_badge import paint_video_badge

MIN_CELL, MAX_CELL, DEFAULT_CELL = 120, 360, 196
GAP = 8
SCROLLBAR_RESERVE = 14
RADIUS = 10.0
TILE_CACHE = 600


class ThumbnailDelegate(QStyledItemDelegate):
    """Paints a rounded, crop-to-fill thumbnail; on hover a caption with the score."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.cell = DEFAULT_CELL
        self._tiles: OrderedDict[tuple, QPixmap] = OrderedDict()

    def _tile(self, key: str, image: QImage, size, ratio: float) -> QPixmap:
        """The thumbnail cropped to fill ``size``, with rounded corners, scaled once and cached
        (painting is then a plain blit: scrolling and repaints stay cheap)."""
        w, h = max(1, round(size.width() * ratio)), max(1, round(size.height() * ratio))
        cache_key = (key, image.cacheKey(), w, h)
        tile = self._tiles.get(cache_key)
        if tile is not None:
            self._tiles.move_to_end(cache_key)
            return tile
        iw, ih = image.width(), image.height()
        scale = max(w / iw, h / ih)
        sw, sh = w / scale, h / scale
        src = QRectF((iw - sw) / 2, (ih - sh) / 2, sw, sh)
        out = QImage(w, h, QImage.Format.Format_ARGB32_Premultiplied)
        out.fill(Qt.GlobalColor.transparent)
        p = QPainter(out)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, w, h), RADIUS * ratio, RADIUS * ratio)
        p.setClipPath(path)
        p.drawImage(QRectF(0, 0, w, h), image, src)
        p.end()
        tile = QPixmap.fromImage(out)
        tile.setDevicePixelRatio(ratio)
        self._tiles[cache_key] = tile
        while len(self._tiles) > TILE_CACHE:
            self._tiles.popitem(last=False)
        return tile

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(self.cell, self.cell)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        t = theme.current()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(option.rect).adjusted(GAP / 2, GAP / 2, -GAP / 2, -GAP / 2)
        radius = RADIUS
        image = index.data(ResultsModel.ThumbnailRole)
        if image is not None and not image.isNull():
            ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
            painter.drawPixmap(r.topLeft(), self._tile(index.data(ResultsModel.PathRole), image, r.size(), ratio))
        else:
            path = QPainterPath()
            path.addRoundedRect(r, radius, radius)
            painter.fillPath(path, t.color("thumbBg"))
            failed = bool(index.data(ResultsModel.FailedRole))
            ic = icon("warning" if failed else "image", t.color("borderStrong"))
            side = min(36, int(r.width() / 4))
            ic.paint(painter, QRect(int(r.center().x() - side / 2), int(r.center().y() - side / 2), side, side))
        if index.data(ResultsModel.KindRole) == "video":
            paint_video_badge(painter, r, index.data(ResultsModel.DurationRole), option.font)
        clip = QPainterPath()
        clip.addRoundedRect(r, radius, radius)

        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if hovered or selected:
            painter.setClipPath(clip)
            band = QRectF(r.x(), r.bottom() - 44, r.width(), 44)
            grad = QLinearGradient(band.topLeft(), band.bottomLeft())
            grad.setColorAt(0, QColor(0, 0, 0, 0))
            grad.setColorAt(1, QColor(0, 0, 0, 170))
            painter.fillRect(band, grad)
            painter.setPen(QColor("#ffffff"))
            font = QFont(option.font)
            font.setPointSizeF(max(7.5, font.pointSizeF() * 0.9))
            painter.setFont(font)
            name = option.fontMetrics.elidedText(index.data(Qt.ItemDataRole.DisplayRole) or "",
                                                 Qt.TextElideMode.ElideMiddle, int(r.width() - 70))
            painter.drawText(band.adjusted(9, 0, -8, -7),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, name)
            self._score_badge(painter, r, index.data(ResultsModel.ScoreRole), font)
        painter.setClipping(False)
        if selected:
            painter.setPen(QPen(t.color("selection"), 3))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(r.adjusted(1.5, 1.5, -1.5, -1.5), radius - 1, radius - 1)
        painter.restore()

    def _score_badge(self, painter: QPainter, r: QRectF, score, font: QFont) -> None:
        if score is None:
            return
        text = f"{float(score):.2f}"
        fm = painter.fontMetrics()
        w = fm.horizontalAdvance(text) + 12
        badge = QRectF(r.right() - w - 7, r.bottom() - 25, w, 19)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(255, 255, 255, 225))
        painter.drawRoundedRect(badge, 9.5, 9.5)
        painter.setPen(QColor("#1c2130"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)


class ResultsGrid(SectionGrid):
    """Thumbnail grid.

    Signals:
        openRequested(Path): open in the system viewer (double-click, Enter).
        openVideoRequested(Path, float): a video instead: open it at this time (seconds), its best frame.
        previewRequested(int): show the large preview for this row (Space).
        The menu of the current photo opens with Shift+F10 or the Menu key.
        revealRequested(Path), copyPathsRequested(Paths), findSimilarRequested(Path),
        useAsReferenceRequested(Path): context-menu intents.
    """

    openRequested = Signal(Path)
    openVideoRequested = Signal(Path, float)
    previewRequested = Signal(int)
    revealRequested = Signal(Path)
    copyPathsRequested = Signal(Paths)
    findSimilarRequested = Signal(Path)
    useAsReferenceRequested = Signal(Path)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ResultsGrid")
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setMouseTracking(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAccessibleName("Results")
        self.delegate = ThumbnailDelegate(self)
        self.setItemDelegate(self.delegate)
        self._target_cell = DEFAULT_CELL
        self.doubleClicked.connect(self.open_index)
        self.setContentsMargins(0, 0, 0, 0)
        self.setViewportMargins(6, 6, 0, 6)

    # ---- geometry: columns fill the width ----------------------------------
    def set_cell_size(self, px: int) -> None:
        self._target_cell = max(MIN_CELL, min(MAX_CELL, px))
        self._relayout()

    def cell_size(self) -> int:
        return self.delegate.cell

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._relayout()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._relayout()

    def _relayout(self) -> None:
        # room for the columns: the widget minus frame, margins and a scroll bar (reserved even
        # when it is hidden, so columns do not jump when results start to scroll)
        m = self.viewportMargins()
        reserve = max(SCROLLBAR_RESERVE, self.verticalScrollBar().sizeHint().width())
        width = self.width() - 2 * self.frameWidth() - m.left() - m.right() - reserve
        width = max(1, width)
        cols = max(1, round(width / self._target_cell))
        cell = max(MIN_CELL // 2, width // cols)
        self.delegate.cell = cell
        self.set_geometry(cell, cols)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            step = 24 if event.angleDelta().y() > 0 else -24
            self.set_cell_size(self._target_cell + step)
            event.accept()
            return
        super().wheelEvent(event)

    # ---- keys and menu ---------------------------------------------------
    def open_index(self, index: QModelIndex) -> None:
        """Open ``index`` in the system viewer (a video at its best moment)."""
        if not index.data(ResultsModel.PathRole):   # a browsed row whose page is still being read has none yet
            return
        time = index.data(ResultsModel.VideoTimeRole)
        if time is not None:  # a video: at its best frame
            self.openVideoRequested.emit(self.path_of(index), float(time))
            return
        self.openRequested.emit(self.path_of(index))

    def path_of(self, index: QModelIndex) -> Path:
        """The file of ``index``."""
        return Path(index.data(ResultsModel.PathRole))

    def selected_paths(self) -> list[Path]:
        rows = sorted(i.row() for i in self.selectionModel().selectedIndexes())
        paths = (self.model().index(r, 0).data(ResultsModel.PathRole) for r in rows)
        return [Path(p) for p in paths if p]

    def keyPressEvent(self, event: QKeyEvent) -> None:
        idx = self.currentIndex()
        if idx.isValid() and not idx.data(ResultsModel.PathRole):
            idx = QModelIndex()   # its row is still being read: nothing to open, preview or copy yet
        if idx.isValid() and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.open_index(idx)
            return
        if idx.isValid() and event.key() == Qt.Key.Key_Space:
            self.previewRequested.emit(idx.row())
            return
        menu_key = event.key() == Qt.Key.Key_Menu or (
            event.key() == Qt.Key.Key_F10 and event.modifiers() == Qt.KeyboardModifier.ShiftModifier)
        if menu_key:
            if idx.isValid():
                self.show_menu(idx)
            event.accept()      # (also when there is none: the platform would open one at the mouse)
            return
        if event.matches(QKeySequence.StandardKey.Copy) and idx.isValid():
            self.copyPathsRequested.emit(Paths(self.selected_paths() or [self.path_of(idx)]))
            return
        super().keyPressEvent(event)

    def build_context_menu(self, index: QModelIndex) -> QMenu:
        """The menu for ``index`` (separate from ``exec`` so it can be tested)."""
        path = self.path_of(index)
        menu = QMenu(self)
        def add(name: str, text: str, slot, shortcut: str | None = None) -> QAction:
            # keys only named: bound to the menu, Enter would open the photo, not the highlighted item
            act = menu.addAction(icon(name), f"{text}\t{shortcut}" if shortcut else text)
            act.setObjectName(name)
            def run(_checked: bool = False, f=slot) -> None:   # slots return None (PySide6)
                f()
            act.triggered.connect(run)
            return act
        add("open", "Open", lambda: self.openRequested.emit(path), "Enter")
        for other, role in getattr(index.data(ResultsModel.HitRole), "companions", ()):  # a RAW, a Live Photo's movie
            label = f"Open the RAW file ({other.name})" if role == "raw" else f"Play the motion ({other.name})"
            add("open", label, lambda p=other: self.openRequested.emit(p))
        add("image", "Preview", lambda: self.previewRequested.emit(index.row()), "Space")
        add("reveal", "Reveal in folder", lambda: self.revealRequested.emit(path))
        add("copy", "Copy path", lambda: self.copyPathsRequested.emit(Paths(self.selected_paths() or [path])), "Ctrl+C")
        menu.addSeparator()
        add("similar", "Find similar", lambda: self.findSimilarRequested.emit(path))
        add("edit", "Use as reference for edit", lambda: self.useAsReferenceRequested.emit(path))
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        index = self.indexAt(event.pos())
        if not index.isValid() or not index.data(ResultsModel.PathRole):
            return
        if not self.selectionModel().isSelected(index):
            self.setCurrentIndex(index)
        self.show_menu(index, event.globalPos())

    def show_menu(self, index: QModelIndex, at: QPoint | None = None) -> QMenu:
        """Open the menu of ``index`` at ``at`` (global), by default over its cell (from the keyboard)."""
        if at is None:
            self.scrollTo(index)
            at = self.viewport().mapToGlobal(self.visualRect(index).center())
        menu = self.build_context_menu(index)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(at)
        return menu
