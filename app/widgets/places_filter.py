"""The Places list of the filter bar: the places the library's photos were taken in, with their counts."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QWidget

from app.payloads import PlaceChoice
from app.plain_text import tooltip
from indexer.places.filter import PlaceFilter
from indexer.places.tables import PlaceCount

MAX_PLACES = 500  # listed, most photos first (a library from everywhere still gets a usable list)


class PlacesFilter(QComboBox):
    """Signals:
        placeChosen(PlaceChoice): the place chosen, or none ("Anywhere").
    """

    placeChosen = Signal(PlaceChoice)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAccessibleName("Place filter")
        self.setMinimumContentsLength(16)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.addItem("Anywhere", None)
        self.currentIndexChanged.connect(lambda _i: self.placeChosen.emit(PlaceChoice(self.currentData())))
        self.setVisible(False)  # until the library has photos with a place

    def set_places(self, places: Sequence[PlaceCount]) -> None:
        """List ``places`` (keeps the chosen one when it is still there)."""
        current: PlaceFilter | None = self.currentData()
        self.blockSignals(True)
        while self.count() > 1:
            self.removeItem(1)
        for count in places[:MAX_PLACES]:
            self.addItem(f"{count.place.label} ({count.photos})", PlaceFilter.of_place(count.place))
            self.setItemData(self.count() - 1, tooltip(count.place.label), Qt.ItemDataRole.ToolTipRole)
        index = self.findData(current) if current is not None else 0
        self.setCurrentIndex(max(0, index))
        self.blockSignals(False)
        self.setVisible(bool(places))
        if current is not None and index < 0:
            self.placeChosen.emit(PlaceChoice())  # the place is gone: the filter with it

    def place(self) -> PlaceFilter | None:
        data: PlaceFilter | None = self.currentData()
        return data
