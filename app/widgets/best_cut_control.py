"""Fewer / more best matches: widens or narrows the per-query best-matches cut of the results shown."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from indexer.best_matches import LEVELS


class BestCutControl(QWidget):
    """Two small buttons, "Fewer" and "More", beside the words "Best matches".

    Signals:
        levelChanged(int): the new level (``indexer.best_matches.LEVELS``; 0 is the default).
    """

    levelChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("BestCutControl")
        self._level = 0
        label = QLabel("Best matches:")
        label.setObjectName("Muted")
        self.fewer = QPushButton("Fewer")
        self.more = QPushButton("More")
        for button, tip, step in ((self.fewer, "Narrow the best matches to the closest photos", -1),
                                  (self.more, "Widen the best matches to more photos", 1)):
            button.setObjectName("SmallButton")
            button.setToolTip(tip)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.clicked.connect(lambda _checked=False, s=step: self.step(s))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(label)
        row.addWidget(self.fewer)
        row.addWidget(self.more)
        self._update()

    def level(self) -> int:
        return self._level

    def set_level(self, level: int) -> None:
        self._level = max(LEVELS[0], min(LEVELS[-1], level))
        self._update()

    def step(self, delta: int) -> None:
        level = max(LEVELS[0], min(LEVELS[-1], self._level + delta))
        if level != self._level:
            self._level = level
            self._update()
            self.levelChanged.emit(level)

    def _update(self) -> None:
        self.fewer.setEnabled(self._level > LEVELS[0])
        self.more.setEnabled(self._level < LEVELS[-1])
