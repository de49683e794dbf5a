"""More results as the grid nears its end: there is no ceiling, the next page is asked for until the library ends."""

from __future__ import annotations

from PySide6.QtCore import QObject

from app.item_models.results_model import ResultsModel
from app.query_controller import QueryController
from app.widgets.section_grid import SectionGrid

NEAR_END_SCREENS = 2   # ask for more when less than this many screens of results are left below


class ResultsPaging(QObject):
    """Watches the grid's scrolling while it shows search results and asks the controller for more."""

    def __init__(self, grid: SectionGrid, results: ResultsModel, controller: QueryController,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.grid, self.results, self.controller = grid, results, controller
        grid.verticalScrollBar().valueChanged.connect(self.check)
        grid.verticalScrollBar().rangeChanged.connect(lambda _lo, _hi: self.check())

    def check(self, *_args: object) -> None:
        if self.grid.model() is not self.results or not self.results.rowCount():
            return
        bar = self.grid.verticalScrollBar()
        if bar.maximum() - bar.value() < NEAR_END_SCREENS * max(1, self.grid.viewport().height()):
            self.controller.load_more()
