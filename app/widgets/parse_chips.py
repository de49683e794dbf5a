"""What the search box understood, as removable chips under it: "Lisbon, Portugal ×", "Winter 2025/26 ×".

People see why their results were narrowed to a place or to dates, and undo
either in one click: removing a chip searches again without that filter (its
words are then searched as words).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from app.plain_text import plain, tooltip

MAX_LABEL_CHARS = 60


def chip_text(label: str) -> str:
    """A chip's text: the label (shortened, ``&`` shown as itself, not as a shortcut marker) and ×."""
    if len(label) > MAX_LABEL_CHARS:
        label = label[:MAX_LABEL_CHARS - 1] + "…"
    return f"{label.replace('&', '&&')}  ×"


class ParseChips(QWidget):
    """Signals:
        placeRemoved(): the place chip was clicked away.
        datesRemoved(): the dates chip was clicked away.
    """

    placeRemoved = Signal()
    datesRemoved = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ParseChips")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.caption = QLabel("Understood:")
        plain(self.caption)
        self.place = self._chip("place")
        self.place.clicked.connect(lambda: self.placeRemoved.emit())
        self.dates = self._chip("dates")
        self.dates.clicked.connect(lambda: self.datesRemoved.emit())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 2, 10, 2)
        layout.setSpacing(6)
        layout.addWidget(self.caption)
        layout.addWidget(self.place)
        layout.addWidget(self.dates)
        layout.addStretch(1)
        self.set_parse(None, None)

    def _chip(self, what: str) -> QToolButton:
        chip = QToolButton()
        chip.setObjectName("ParseChip")
        chip.setCursor(Qt.CursorShape.PointingHandCursor)
        chip.setAutoRaise(False)
        chip.setProperty("filter", what)
        return chip

    def set_parse(self, place: str | None, dates: str | None) -> None:
        """Show the place and dates the query was narrowed to (None: that chip is hidden)."""
        for chip, label, what in ((self.place, place, "place"), (self.dates, dates, "dates")):
            chip.setVisible(label is not None)
            if label is not None:
                chip.setText(chip_text(label))
                chip.setToolTip(tooltip(f"Only photos from {label}. Click to search without this {what} filter."))
                chip.setAccessibleName(f"Remove the {what} filter {label}")
        self.setVisible(place is not None or dates is not None)
