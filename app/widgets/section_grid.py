"""A virtualised grid of square cells in titled sections ("March 2024", "Best matches (12)").

The layout is arithmetic: for each section a header band, then its rows of
``columns`` cells, so finding a cell, the cell under the mouse or the rows in
view costs a binary search over the sections, never a walk over the items.
Only the cells in view are painted, by the item delegate, so a model of a
million rows scrolls as smoothly as one of a hundred.

The sections come from the model when it has a ``sections()`` method
returning ``[(first row, title), ...]`` (and, optionally, a
``sectionsChanged`` signal); otherwise the grid is one section without a
header.  Screen readers see a list with one named item per row (see ``app.widgets.accessible``).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QFont, QMouseEvent, QPainter, QPaintEvent, QRegion
from PySide6.QtWidgets import QAbstractItemView, QStyle, QStyleOptionViewItem, QWidget

from app import theme
from app.widgets.accessible import announce_current
from app.widgets.accessible import install as install_accessible

HEADER_HEIGHT = 40


@dataclass(frozen=True)
class Section:
    first: int      # first row
    count: int      # rows of the model in it
    title: str      # "" = no header band
    top: int        # y of its header (or of its first cell row) in the content


class SectionGrid(QAbstractItemView):
    """Cells of ``cell`` x ``cell`` pixels, ``columns`` to a line, in sections with header bands."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.cell = 196
        self.columns = 1
        self._sections: list[Section] = []
        self._tops: list[int] = []
        self._height = 0
        self._hover = QModelIndex()
        self.setMouseTracking(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        install_accessible()            # screen readers get a list with one item per photo

    def currentChanged(self, current: QModelIndex | QPersistentModelIndex,  # noqa: N802
                       previous: QModelIndex | QPersistentModelIndex) -> None:
        super().currentChanged(current, previous)
        if current.isValid() and self.hasFocus():
            announce_current(self, current.row())

    # ---- model and layout ------------------------------------------------------
    def setModel(self, model) -> None:  # noqa: N802 - Qt's name
        old = self.model()
        if old is not None:
            for signal in ("rowsInserted", "rowsRemoved", "modelReset", "layoutChanged"):
                try:
                    getattr(old, signal).disconnect(self.relayout)
                except (RuntimeError, TypeError):
                    pass
            if hasattr(old, "sectionsChanged"):
                try:
                    old.sectionsChanged.disconnect(self.relayout)
                except (RuntimeError, TypeError):
                    pass
        super().setModel(model)
        if model is not None:
            for signal in ("rowsInserted", "rowsRemoved", "modelReset", "layoutChanged"):
                getattr(model, signal).connect(self.relayout)
            if hasattr(model, "sectionsChanged"):
                model.sectionsChanged.connect(self.relayout)
        self.relayout()

    def set_geometry(self, cell: int, columns: int) -> None:
        """Cells of ``cell`` pixels, ``columns`` to a line."""
        if (cell, columns) != (self.cell, self.columns):
            self.cell, self.columns = max(1, cell), max(1, columns)
            self.relayout()

    def relayout(self, *_args) -> None:
        """Recompute the sections' places (cheap: one step per section)."""
        model = self.model()
        rows = model.rowCount() if model is not None else 0
        given = list(model.sections()) if model is not None and hasattr(model, "sections") else []
        starts = [(max(0, min(int(first), rows)), str(title)) for first, title in given] or [(0, "")]
        if starts[0][0] != 0:
            starts.insert(0, (0, ""))
        sections: list[Section] = []
        y = 0
        for i, (first, title) in enumerate(starts):
            end = starts[i + 1][0] if i + 1 < len(starts) else rows
            count = max(0, end - first)
            if count == 0 and not title:
                continue
            sections.append(Section(first, count, title, y))
            y += (HEADER_HEIGHT if title else 0) + -(-count // self.columns) * self.cell
        self._sections = sections
        self._tops = [s.top for s in sections]
        self._height = y
        self.updateGeometries()
        self.viewport().update()

    def sections(self) -> list[Section]:
        return list(self._sections)

    def content_height(self) -> int:
        return self._height

    def _section_of_row(self, row: int) -> Section | None:
        firsts = [s.first for s in self._sections]
        i = bisect_right(firsts, row) - 1
        while i >= 0 and self._sections[i].count == 0:
            i -= 1
        return self._sections[i] if i >= 0 else None

    def _cell_rect(self, row: int) -> QRect:
        """The cell of ``row`` in content coordinates."""
        s = self._section_of_row(row)
        if s is None:
            return QRect()
        k = row - s.first
        y = s.top + (HEADER_HEIGHT if s.title else 0) + (k // self.columns) * self.cell
        return QRect((k % self.columns) * self.cell, y, self.cell, self.cell)

    def section_top(self, title_prefix: str) -> int | None:
        """The y (content) of the first section whose title starts with ``title_prefix``."""
        for s in self._sections:
            if s.title.startswith(title_prefix):
                return s.top
        return None

    def row_at_y(self, y: int) -> int:
        """The first row of the cell line at content height ``y`` (the nearest one in a header)."""
        if not self._sections:
            return 0
        i = max(0, bisect_right(self._tops, y) - 1)
        s = self._sections[i]
        body = y - s.top - (HEADER_HEIGHT if s.title else 0)
        line = max(0, body // self.cell)
        return min(s.first + line * self.columns, s.first + max(0, s.count - 1))

    # ---- QAbstractItemView -----------------------------------------------------
    def visualRect(self, index: QModelIndex | QPersistentModelIndex) -> QRect:  # noqa: N802
        if not index.isValid():
            return QRect()
        r = self._cell_rect(index.row())
        return r.translated(0, -self.verticalOffset()) if r.isValid() else r

    def indexAt(self, point: QPoint) -> QModelIndex:  # noqa: N802
        model = self.model()
        if model is None or not self._sections or point.x() < 0 or point.x() >= self.columns * self.cell:
            return QModelIndex()
        y = point.y() + self.verticalOffset()
        i = bisect_right(self._tops, y) - 1
        if i < 0:
            return QModelIndex()
        s = self._sections[i]
        body = y - s.top - (HEADER_HEIGHT if s.title else 0)
        if body < 0:
            return QModelIndex()  # on the header band
        k = (body // self.cell) * self.columns + point.x() // self.cell
        return model.index(s.first + k, 0) if k < s.count else QModelIndex()

    def scrollTo(  # noqa: N802
        self, index: QModelIndex | QPersistentModelIndex, hint=QAbstractItemView.ScrollHint.EnsureVisible
    ) -> None:
        r = self._cell_rect(index.row()) if index.isValid() else QRect()
        if not r.isValid():
            return
        bar, view = self.verticalScrollBar(), self.viewport().height()
        if hint == QAbstractItemView.ScrollHint.PositionAtTop:
            bar.setValue(r.top())
        elif hint == QAbstractItemView.ScrollHint.PositionAtCenter:
            bar.setValue(r.center().y() - view // 2)
        elif r.top() < bar.value():
            bar.setValue(r.top())
        elif r.bottom() > bar.value() + view:
            bar.setValue(r.bottom() - view + 1)

    def scroll_to_row(self, row: int) -> None:
        """Put the cell line of ``row`` (with its section's header, if it starts one) at the top."""
        s = self._section_of_row(row)
        if s is None:
            return
        y = s.top if row == s.first else self._cell_rect(row).top()
        self.verticalScrollBar().setValue(y)

    def horizontalOffset(self) -> int:  # noqa: N802
        return 0

    def verticalOffset(self) -> int:  # noqa: N802
        return self.verticalScrollBar().value()

    def isIndexHidden(self, index: QModelIndex | QPersistentModelIndex) -> bool:  # noqa: N802
        return False

    def moveCursor(self, action, modifiers) -> QModelIndex:  # noqa: N802
        model = self.model()
        if model is None or model.rowCount() == 0:
            return QModelIndex()
        rows = model.rowCount()
        current = self.currentIndex().row() if self.currentIndex().isValid() else -1
        per_page = max(1, self.viewport().height() // self.cell) * self.columns
        A = QAbstractItemView.CursorAction
        step = {A.MoveLeft: -1, A.MovePrevious: -1, A.MoveRight: 1, A.MoveNext: 1,
                A.MovePageUp: -per_page, A.MovePageDown: per_page}.get(action)
        if action == A.MoveHome:
            row = 0
        elif action == A.MoveEnd:
            row = rows - 1
        elif current < 0:
            row = 0
        elif action in (A.MoveUp, A.MoveDown):
            row = self.line_step(current, 1 if action == A.MoveDown else -1)
        else:
            row = current + (step or 0)
        return model.index(max(0, min(rows - 1, row)), 0)

    def line_step(self, row: int, direction: int) -> int:
        """The row one cell line below (``direction`` 1) or above (-1) ``row``, as the eye sees it: in the
        same column, crossing a section's header into the next section's first line (or the previous
        one's last), and on a shorter line the last cell of that line."""
        s = self._section_of_row(row)
        if s is None:
            return row
        k = row - s.first
        line, column = divmod(k, self.columns)
        lines = -(-s.count // self.columns)
        target_line = line + direction
        if 0 <= target_line < lines:
            return s.first + min(s.count - 1, target_line * self.columns + column)
        i = self._sections.index(s) + direction
        while 0 <= i < len(self._sections) and self._sections[i].count == 0:
            i += direction
        if not 0 <= i < len(self._sections):
            return row              # the first or last line of the grid: stay
        n = self._sections[i]
        start = 0 if direction > 0 else (-(-n.count // self.columns) - 1) * self.columns
        return n.first + min(n.count - 1, start + column)

    def setSelection(self, rect: QRect, flags) -> None:  # noqa: N802
        model = self.model()
        if model is None or not model.rowCount():
            return
        area = rect.normalized().translated(0, self.verticalOffset())
        first = self.row_at_y(max(0, area.top()) - self.cell)
        last = min(model.rowCount() - 1, self.row_at_y(area.bottom() + self.cell) + self.columns)
        selection = QItemSelection()
        for row in range(first, last + 1):
            if self._cell_rect(row).intersects(area):
                index = model.index(row, 0)
                selection.select(index, index)
        self.selectionModel().select(selection, QItemSelectionModel.SelectionFlag(flags))

    def visualRegionForSelection(self, selection: QItemSelection) -> QRegion:  # noqa: N802
        region = QRegion()
        top, bottom = self.verticalOffset(), self.verticalOffset() + self.viewport().height()
        for span in (selection.at(i) for i in range(selection.size())):
            for row in range(span.top(), span.bottom() + 1):
                r = self._cell_rect(row)
                if r.bottom() >= top and r.top() <= bottom:
                    region += r.translated(0, -top)
        return region

    def updateGeometries(self) -> None:  # noqa: N802
        bar = self.verticalScrollBar()
        view = self.viewport().height()
        bar.setRange(0, max(0, self._height - view))
        bar.setPageStep(max(1, view))
        bar.setSingleStep(max(24, self.cell // 4))
        super().updateGeometries()

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802
        self.viewport().update()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.updateGeometries()

    # ---- hover and painting ----------------------------------------------------
    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        index = self.indexAt(event.position().toPoint())
        if index != self._hover:
            old, self._hover = self._hover, index
            for i in (old, index):
                if i.isValid():
                    self.viewport().update(self.visualRect(i))
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802
        if self._hover.isValid():
            old, self._hover = self._hover, QModelIndex()
            self.viewport().update(self.visualRect(old))
        super().leaveEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        model = self.model()
        if model is None:
            return
        painter = QPainter(self.viewport())
        offset = self.verticalOffset()
        clip = event.rect()
        top, bottom = clip.top() + offset, clip.bottom() + offset
        first_section = max(0, bisect_right(self._tops, top) - 1)
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        selection = self.selectionModel()
        current = self.currentIndex()
        for s in self._sections[first_section:]:
            if s.top > bottom:
                break
            if s.title:
                self.paint_header(painter, QRect(0, s.top - offset, self.viewport().width(), HEADER_HEIGHT), s.title)
            body = s.top + (HEADER_HEIGHT if s.title else 0)
            first_line = max(0, (top - body) // self.cell)
            last_line = max(-1, (bottom - body) // self.cell)
            for row in range(s.first + first_line * self.columns,
                             min(s.first + s.count, s.first + (last_line + 1) * self.columns)):
                index = model.index(row, 0)
                option.rect = self._cell_rect(row).translated(0, -offset)
                option.state = QStyle.StateFlag.State_Enabled
                if selection is not None and selection.isSelected(index):
                    option.state |= QStyle.StateFlag.State_Selected
                if index == self._hover:
                    option.state |= QStyle.StateFlag.State_MouseOver
                if index == current and self.hasFocus():
                    option.state |= QStyle.StateFlag.State_HasFocus
                self.itemDelegate().paint(painter, option, index)
        painter.end()

    def paint_header(self, painter: QPainter, rect: QRect, title: str) -> None:
        """A section's title, in the band ``rect`` (viewport coordinates)."""
        t = theme.current()
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setWeight(QFont.Weight.DemiBold)
        painter.save()
        painter.setFont(font)
        painter.setPen(t.color("text"))
        painter.drawText(rect.adjusted(8, 0, -8, -4), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                         painter.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight, rect.width() - 16))
        painter.restore()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(640, 480)
