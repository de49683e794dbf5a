"""The library view shown when there is no query: every photo newest first, in months, with a scrubber.

``BrowseView`` keeps the ``BrowseModel`` filled from the ``BrowseService``
(the timeline for the current folder and date filters, then pages of rows as
the grid asks for them) and switches the results grid between the search
results and the library: ``show(browsing)``.  It holds no SQL and reads
nothing itself.

Signals:
    changed(): a new timeline arrived (the window decides what to show).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Signal

from app.item_models.browse_model import BrowseModel
from app.item_models.results_model import ResultsModel
from app.query_types import Filters
from app.services.browse_service import BrowseService, PageResult, TimelineRequest
from app.thumbnails import ThumbnailLoader
from app.widgets.date_scrubber import DateScrubber
from app.widgets.section_grid import SectionGrid
from indexer.timeline import Timeline

RELOAD_WHILE_INDEXING_S = 10.0   # at least this long between two reads of the timeline while indexing,
READ_SHARE = 0.05                # and long enough that reading it takes at most this share of the time


class BrowseView(QObject):
    changed = Signal()

    def __init__(self, service: BrowseService, grid: SectionGrid, results: ResultsModel,
                 thumbnails: ThumbnailLoader | None, parent: QObject | None = None):
        super().__init__(parent)
        self.service = service
        self.grid = grid
        self.results = results
        self.model = BrowseModel(thumbnails, self)
        self.scrubber = DateScrubber(grid)
        self.filters = Filters()
        self.model.pageWanted.connect(service.read_page)
        service.page.connect(self._on_page)
        service.timeline.connect(self._on_timeline)
        self._last_reload = 0.0
        self._read_s = 0.0   # how long the last timeline took to arrive
        self.reload()   # answered as soon as the service has a reader

    def set_filters(self, filters: Filters) -> None:
        """Show only the photos passing ``filters`` (``before`` exclusive, as the search's)."""
        if filters != self.filters:
            self.filters = filters
            self.reload()

    def reload(self) -> None:
        """Read the timeline again (photos were indexed, moved or removed)."""
        f = self.filters
        self._last_reload = time.monotonic()
        self.service.read_timeline(TimelineRequest(f.folder, f.after, f.before))

    def reload_now_and_then(self) -> None:
        """While indexing: read the timeline again now and then (a million photos take seconds to read)."""
        interval = max(RELOAD_WHILE_INDEXING_S, self._read_s / READ_SHARE)
        if time.monotonic() - self._last_reload >= interval:
            self.reload()

    def count(self) -> int:
        return self.model.rowCount()

    def show(self, browsing: bool) -> None:
        """The grid shows the library (``browsing``) or the search results."""
        model = self.model if browsing else self.results
        if self.grid.model() is not model:
            old = self.grid.selectionModel()
            self.grid.setModel(model)
            if old is not None:
                old.deleteLater()   # setModel makes a new one; the old one is the view's to delete
            self.grid.verticalScrollBar().setValue(0)
        self.scrubber.set_active(browsing)

    def is_showing(self) -> bool:
        return self.grid.model() is self.model

    def _on_timeline(self, timeline: Timeline) -> None:
        self._read_s = time.monotonic() - self._last_reload
        old = self.model.timeline()
        same = len(old) == len(timeline) and bool((old.ids == timeline.ids).all())
        if not same:
            value = self.grid.verticalScrollBar().value() if self.is_showing() else 0
            self.model.set_timeline(timeline)
            self.grid.verticalScrollBar().setValue(value)   # new photos: stay where the user was
        self.changed.emit()

    def _on_page(self, result: PageResult) -> None:
        self.model.set_page(result.generation, result.page, result.hits)
