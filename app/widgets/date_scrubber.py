"""A year/month scrubber beside a ``SectionGrid`` of months: click or drag to jump through the library.

The strip stands in for the grid's scroll bar while the library is browsed.
Years are labelled where their first month starts (as far down the strip as
that month is down the library); a marker shows where the view is, and while
the pointer is over the strip a bubble names the month under it.
"""

from __future__ import annotations

from bisect import bisect_right

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QRectF, Qt
from PySide6.QtGui import QFont, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from app import theme
from app.widgets.section_grid import SectionGrid

WIDTH = 64
LABEL_GAP = 18   # pixels between two year labels at least


def short_title(title: str) -> str:
    """``"Sep 2023"`` for ``"September 2023"`` (the bubble is narrow); other titles as they are."""
    words = title.split()
    return f"{words[0][:3]} {words[1]}" if len(words) == 2 and words[1].isdigit() else title


class DateScrubber(QWidget):
    """Lives on the right edge of ``grid`` (a child of it); ``set_active`` shows it in place of the scroll bar."""

    def __init__(self, grid: SectionGrid):
        super().__init__(grid)
        self.grid = grid
        self.setObjectName("DateScrubber")
        self.setAccessibleName("Jump to a date")
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self._hover_y: int | None = None
        self._active = False
        grid.installEventFilter(self)
        grid.verticalScrollBar().valueChanged.connect(lambda _v: self.update())
        self.hide()

    # ---- placement ------------------------------------------------------------
    def set_active(self, active: bool) -> None:
        """Show the strip (the library is browsed) or hide it (search results: the scroll bar is back)."""
        if active == self._active:
            return
        self._active = active
        margins = self.grid.viewportMargins()
        margins.setRight(WIDTH if active else 0)
        self.grid.setViewportMargins(margins)
        self.grid.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff if active
                                             else Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVisible(active)
        self._place()

    def is_active(self) -> bool:
        return self._active

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.grid and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self._place()
        return False

    def _place(self) -> None:
        frame = self.grid.frameWidth()
        self.setGeometry(self.grid.width() - frame - WIDTH, frame, WIDTH, self.grid.height() - 2 * frame)
        self.raise_()

    # ---- mapping ----------------------------------------------------------------
    def _content_y(self, y: int) -> int:
        height = max(1, self.height())
        return int(max(0.0, min(1.0, y / height)) * self.grid.content_height())

    def _strip_y(self, content_y: int) -> int:
        return int(content_y / max(1, self.grid.content_height()) * self.height())

    def title_at(self, y: int) -> str:
        """The title of the section at strip height ``y``."""
        sections = self.grid.sections()
        if not sections:
            return ""
        i = max(0, bisect_right([s.top for s in sections], self._content_y(y)) - 1)
        return sections[i].title

    def jump_to(self, y: int) -> None:
        """Scroll the grid to the place at strip height ``y`` (the start of the month there)."""
        sections = self.grid.sections()
        target = self._content_y(y)
        if sections:
            i = max(0, bisect_right([s.top for s in sections], target) - 1)
            target = sections[i].top
        self.grid.verticalScrollBar().setValue(target)

    def year_marks(self) -> list[tuple[int, str]]:
        """(strip y, year) where each year's first section starts, leaving out labels that would overlap."""
        marks: list[tuple[int, str]] = []
        seen: set[str] = set()
        for s in self.grid.sections():
            year = s.title.rsplit(" ", 1)[-1] if s.title else ""
            if not year or year in seen:
                continue
            seen.add(year)
            y = self._strip_y(s.top)
            if not marks or y - marks[-1][0] >= LABEL_GAP:
                marks.append((y, year if year.isdigit() else "—"))
        return marks

    # ---- events -------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.jump_to(int(event.position().y()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._hover_y = int(event.position().y())
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.jump_to(self._hover_y)
        self.update()

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802
        self._hover_y = None
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        t = theme.current()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 0.85)
        p.setFont(font)
        p.setPen(t.color("muted"))
        for y, year in self.year_marks():
            p.drawText(QRect(0, max(0, y), WIDTH - 10, 16), Qt.AlignmentFlag.AlignRight, year)
        bar = self.grid.verticalScrollBar()
        view = self.grid.viewport().height()
        top = self._strip_y(bar.value())
        span = max(6, self._strip_y(bar.value() + view) - top)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(t.color("accent"))
        p.drawRoundedRect(QRectF(WIDTH - 6, top, 4, span), 2, 2)
        if self._hover_y is not None:
            title = short_title(self.title_at(self._hover_y))
            if title:
                self._bubble(p, QPoint(WIDTH - 8, self._hover_y), title)
        p.end()

    def _bubble(self, p: QPainter, anchor: QPoint, text: str) -> None:
        t = theme.current()
        fm = p.fontMetrics()
        w = min(WIDTH - 4, fm.horizontalAdvance(text) + 10)
        box = QRectF(anchor.x() - w, anchor.y() - 10, w, 20)
        p.setBrush(t.color("text"))
        p.drawRoundedRect(box, 6, 6)
        p.setPen(t.color("panel"))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, fm.elidedText(text, Qt.TextElideMode.ElideRight, w - 6))
