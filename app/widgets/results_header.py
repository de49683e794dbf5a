"""The line above the results: how many photos matched and how fast, and the thumbnail size."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

from app.plain_text import plain
from app.resources import icon
from app.widgets.best_cut_control import BestCutControl
from app.widgets.results_grid import MAX_CELL, MIN_CELL


class ResultsHeader(QWidget):
    """Holds :attr:`label` (the count and time), :attr:`best_cut` (fewer or more best matches) and
    :attr:`size_slider` (the grid's cell size)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = QLabel()
        self.label.setObjectName("ResultsHeader")
        plain(self.label)
        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setObjectName("PlainSlider")
        self.size_slider.setRange(MIN_CELL, MAX_CELL)
        self.size_slider.setFixedWidth(120)
        self.size_slider.setToolTip("Thumbnail size (Ctrl+wheel)")
        self.size_slider.setAccessibleName("Thumbnail size")
        self.best_cut = BestCutControl()
        self.best_cut.hide()
        size_icon = QLabel()
        size_icon.setPixmap(icon("image").pixmap(14, 14))
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 8, 14, 2)
        row.addWidget(self.label, 1)
        row.addWidget(self.best_cut)
        row.addSpacing(12)
        row.addWidget(size_icon)
        row.addWidget(self.size_slider)
