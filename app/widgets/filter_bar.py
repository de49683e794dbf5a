"""Folder and date-range filters above the results."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QWidget,
)

from app.plain_text import tooltip
from app.query_types import Filters
from app.resources import icon
from app.widgets.icon_button import icon_button
from app.widgets.places_filter import PlacesFilter
from indexer.status import FolderInfo


def _as_date(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


class FilterBar(QWidget):
    """Signals:
        changed(Filters)
    """

    changed = Signal(Filters)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("FilterBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.folder = QComboBox()
        self.folder.setAccessibleName("Folder filter")
        self.folder.setMinimumContentsLength(18)
        self.folder.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.folder.addItem(icon("folder"), "All folders", None)
        self.folder.currentIndexChanged.connect(self._emit)
        self.places = PlacesFilter()  # the places of the library's photos, with counts (hidden when none)

        today = QDate.currentDate()
        self.after_check = QCheckBox("From")
        self.after = QDateEdit(today.addYears(-1))
        self.before_check = QCheckBox("To")
        self.before = QDateEdit(today)
        self.after.setAccessibleName("From date")
        self.before.setAccessibleName("To date")
        for check, edit in ((self.after_check, self.after), (self.before_check, self.before)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("d MMM yyyy")
            edit.setEnabled(False)
            check.toggled.connect(edit.setEnabled)
            check.toggled.connect(self._emit)
            edit.dateChanged.connect(self._emit)

        self.reset_button = icon_button("close", "Clear the filters", size=14)
        self.reset_button.clicked.connect(self.reset)

        filt = QLabel()
        filt.setPixmap(icon("filter").pixmap(16, 16))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 6, 10, 6)
        layout.setSpacing(8)
        layout.addWidget(filt)
        layout.addWidget(self.folder)
        layout.addWidget(self.places)
        layout.addSpacing(8)
        layout.addWidget(self.after_check)
        layout.addWidget(self.after)
        layout.addWidget(self.before_check)
        layout.addWidget(self.before)
        layout.addWidget(self.reset_button)
        layout.addStretch(1)
        self._update_reset()

    def set_folders(self, folders: Sequence[FolderInfo]) -> None:
        current = self.folder.currentData()
        self.folder.blockSignals(True)
        while self.folder.count() > 1:
            self.folder.removeItem(1)
        for info in folders:
            p = info.path
            self.folder.addItem(icon("folder"), p.name or str(p), str(p))
            self.folder.setItemData(self.folder.count() - 1, tooltip(str(p)), Qt.ItemDataRole.ToolTipRole)
        i = self.folder.findData(current) if current else 0
        self.folder.setCurrentIndex(max(0, i))
        self.folder.blockSignals(False)
        if current and i < 0:
            self._emit()

    def filters(self) -> Filters:
        folder = self.folder.currentData()
        return Filters(
            folder=Path(folder) if folder else None,
            after=_as_date(self.after.date()) if self.after_check.isChecked() else None,
            before=_as_date(self.before.date()) if self.before_check.isChecked() else None,
        )

    def reset(self) -> None:
        for w in (self.folder, self.after_check, self.before_check):
            w.blockSignals(True)
        self.folder.setCurrentIndex(0)
        self.after_check.setChecked(False)
        self.before_check.setChecked(False)
        self.after.setEnabled(False)
        self.before.setEnabled(False)
        for w in (self.folder, self.after_check, self.before_check):
            w.blockSignals(False)
        self._emit()

    def _emit(self, *_args) -> None:
        self._update_reset()
        self.changed.emit(self.filters())

    def _update_reset(self) -> None:
        self.reset_button.setVisible(self.filters().active())
