"""Hands what the user entered to the core, and its results to the grid.

The controller holds the query state (mode, words as typed, references,
sketch, weight, filters), has the core build the query of the mode's kind
(``typed_query``: the core reads ``-word``, ``not word`` and quoted phrases, as
for ``photoseek search``) and hands it to the
:class:`~app.services.search_service.SearchService`, which reports only the
newest search's outcome; results land in the
:class:`~app.item_models.results_model.ResultsModel`.  It never touches SQLite or
the model itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image
from PySide6.QtCore import QLocale, QObject, Signal

from app.item_models.results_model import ResultsModel
from app.outcomes import FailureKind, Operation, OpFailure
from app.payloads import PlaceChoice, Understood
from app.query_types import Filters, ImageRef, Mode
from app.services.search_service import SearchResults, SearchService
from indexer.places.filter import PlaceFilter
from indexer.query.grammar import read_terms
from indexer.query.kinds import Picture
from indexer.query.months import locale_months
from indexer.query.understanding import Understanding, typed_query
from indexer.search import Query

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 300   # results asked for at first; scrolling to the end asks for this many more


@dataclass
class QueryState:
    mode: Mode = Mode.TEXT
    text: str = ""
    image_ref: ImageRef | None = None
    edit_ref: ImageRef | None = None
    sketch: Image.Image | None = None
    weight: float | None = None
    filters: Filters = field(default_factory=Filters)
    limit: int = DEFAULT_LIMIT
    best_level: int = 0   # the best-matches cut: negative narrows, positive widens (indexer.best_matches)
    place: PlaceFilter | None = None  # chosen in the Places list
    keep_place: bool = True  # False: the user removed the place read from the words (its chip)
    keep_dates: bool = True  # False: the user removed the dates read from the words

    def picture(self) -> Picture | None:
        """The picture the mode's side panel supplies (None: none yet, or a mode of words only)."""
        source = {"image": self.image_ref, "edit": self.edit_ref, "sketch": self.sketch}.get(self.mode.panel or "")
        return source.query_image() if isinstance(source, ImageRef) else source


def build_query(state: QueryState) -> Query | None:
    """The core query for ``state`` (built by the core from the words as typed), or None when there is
    nothing to search yet."""
    f = state.filters
    query = typed_query(state.mode.kind, state.text, state.picture(),
                        filters=Filters(f.folder, f.after, f.before, place=state.place), limit=state.limit,
                        best_level=state.best_level, weight=state.weight if state.mode == Mode.EDIT else None)
    return query if query is not None and query.searchable() else None


class QueryController(QObject):
    """Signals:
        searchStarted(): a query was sent.
        resultsChanged(int, float): number of hits and milliseconds, after the model updated.
        cleared(): there is nothing to search (the grid was emptied).
        failed(OpFailure): the query could not be built (an unreadable query image...) or the search failed
            (no model...); its message is readable.
        understood(Understood): how the last text query was read, or nothing (other modes, nothing to search).
    """

    searchStarted = Signal()
    resultsChanged = Signal(int, float)
    cleared = Signal()
    failed = Signal(OpFailure)
    understood = Signal(Understood)

    def __init__(self, search_service: SearchService, model: ResultsModel, parent: QObject | None = None):
        super().__init__(parent)
        self.state = QueryState()
        self._months = locale_months(QLocale.system().name())
        self._search = search_service
        self._model = model
        self._sketch_source: Callable[[], Image.Image | None] = lambda: None
        self._searching = False
        self._continuing = False   # the search sent continues the one shown (more results, another cut)
        self.continued = False     # the results shown last kept the rows before them
        search_service.results.connect(self._on_results)
        search_service.failure.connect(self._on_failed)

    # ---- inputs ---------------------------------------------------------------
    def set_sketch_source(self, source: Callable[[], Image.Image | None]) -> None:
        self._sketch_source = source

    def set_mode(self, mode: Mode) -> None:
        self.state.mode = mode
        self.refresh()

    def set_text(self, text: str) -> None:
        if text != self.state.text:
            self.state.keep_place = self.state.keep_dates = True  # new words: read their place and dates
        self.state.text = text
        self.refresh()

    def drop_place(self) -> None:
        """Search again without the place read from the words (they are searched as words)."""
        self.state.keep_place = False
        self.refresh()

    def drop_dates(self) -> None:
        """Search again without the dates read from the words."""
        self.state.keep_dates = False
        self.refresh()

    def set_place(self, place: PlaceFilter | None) -> None:
        """Only photos taken in ``place`` (the Places list), or anywhere."""
        self.state.place = place
        self.refresh()

    def choose_place(self, choice: PlaceChoice) -> None:
        """``set_place`` with the choice of the Places list (its ``placeChosen``)."""
        self.set_place(choice.place)

    def set_image_ref(self, ref: ImageRef | None) -> None:
        self.state.image_ref = ref
        if self.state.mode == Mode.IMAGE:
            self.refresh()

    def set_edit_ref(self, ref: ImageRef | None) -> None:
        self.state.edit_ref = ref
        if self.state.mode == Mode.EDIT:
            self.refresh()

    def set_weight(self, weight: float) -> None:
        self.state.weight = weight
        if self.state.mode == Mode.EDIT:
            self.refresh()

    def set_filters(self, filters: Filters) -> None:
        self.state.filters = filters
        self.refresh()

    def set_best_level(self, level: int) -> None:
        """Widen (positive) or narrow (negative) the best-matches cut of the results shown."""
        self.state.best_level = level
        if self._model.rowCount():
            self._continue()

    def load_more(self) -> None:
        """Ask for the next page of results (there is no ceiling: until the library ends)."""
        if self._searching or self._model.rowCount() < self.state.limit:
            return   # a search is on its way, or the last one already returned every photo there is
        self.state.limit += DEFAULT_LIMIT
        self._continue()

    def _continue(self) -> None:
        self.refresh(keep_limit=True)
        self._continuing = self._searching

    def sketch_changed(self) -> None:
        if self.state.mode == Mode.SKETCH:
            self.refresh()

    def wants_library(self) -> bool:
        """Whether the window should show the library: a text search with no words yet."""
        return self.state.mode == Mode.TEXT and not read_terms(self.state.text).words

    def is_searching(self) -> bool:
        return self._searching

    # ---- running ----------------------------------------------------------------
    def refresh(self, *, keep_limit: bool = False) -> None:
        """Search again with the current state (or clear the grid if it is empty); a new search asks for
        the first page of results again unless ``keep_limit``."""
        if not keep_limit:
            self.state.limit = DEFAULT_LIMIT
        if self.state.mode == Mode.SKETCH:
            self.state.sketch = self._sketch_source()
        self._continuing = False
        try:
            query = build_query(self.state)
        except Exception as exc:     # e.g. a pasted image that cannot be converted
            logger.warning("could not build the query: %s", exc)
            self.failed.emit(OpFailure(Operation.SEARCH, FailureKind.REFUSED, f"Could not use that query: {exc}"))
            return
        if query is None:
            self._search.cancel()          # a search still running must not refill the grid
            self._searching = False
            self._model.clear()
            self.understood.emit(Understood())
            self.cleared.emit()
            return
        self._search.search(query, Understanding(keep_place=self.state.keep_place, keep_dates=self.state.keep_dates,
                                                 months=self._months))
        self._searching = True
        self.searchStarted.emit()

    def _on_results(self, results: SearchResults) -> None:
        self._searching = False
        continuing, self._continuing = self._continuing, False   # before the model changes: that may ask for more
        if continuing:
            self.continued = self._model.update_hits(results.hits)
        else:
            self.continued = False
            self._model.set_hits(results.hits)
        self.understood.emit(Understood(results.parsed))
        self.resultsChanged.emit(len(results.hits), results.ms)

    def _on_failed(self, failure: OpFailure) -> None:
        self._searching = False
        self.failed.emit(failure)
