"""Turns what the user entered into core ``Query`` objects and results.

The controller holds the query state (mode, words, references, sketch,
weight, filters), builds a :class:`indexer.search.Query` and hands it to the
:class:`~app.services.search_service.SearchService`, which reports only the
newest search's outcome; results land in the
:class:`~app.item_models.results_model.ResultsModel`.  It never touches SQLite or
the model itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from PIL import Image
from PySide6.QtCore import QObject, Signal

from app.item_models.results_model import ResultsModel
from app.locale_months import locale_months
from app.query_types import Filters, ImageRef, Mode
from app.services.search_service import SearchResults, SearchService
from indexer.places.filter import PlaceFilter
from indexer.query.understanding import Understanding
from indexer.search import Query

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 300   # results asked for at first; scrolling to the end asks for this many more


def split_words(text: str) -> tuple[str, list[str]]:
    """``"beach -people -dogs"`` -> ``("beach", ["people", "dogs"])``."""
    positive, negatives = [], []
    for token in text.split():
        if token.startswith("-") and len(token) > 1:
            negatives.append(token[1:])
        else:
            positive.append(token)
    return " ".join(positive), negatives


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


def build_query(state: QueryState) -> Query | None:
    """The core query for ``state``, or None when there is nothing to search yet."""
    words, negatives = split_words(state.text)
    f = state.filters
    base = Query(negatives=negatives, folder=f.folder, after=f.after, before=f.before, limit=state.limit,
                 best_level=state.best_level, place=state.place)
    if state.mode == Mode.TEXT:
        return replace(base, text=words) if words else None
    if state.mode == Mode.IMAGE:
        if state.image_ref is None:
            return None
        # only "-word" terms apply here; words that change the photo belong to Image + edit
        return replace(base, image=state.image_ref.query_image())
    if state.mode == Mode.SKETCH:
        if state.sketch is None:
            return None
        return replace(base, sketch=state.sketch, text=words)
    if state.mode == Mode.EDIT:
        if state.edit_ref is None:
            return None
        return replace(base, image=state.edit_ref.query_image(), text=words,
                       weight=state.weight if words else None)
    return None


class QueryController(QObject):
    """Signals:
        searchStarted(): a query was sent.
        resultsChanged(int, float): number of hits and milliseconds, after the model updated.
        cleared(): there is nothing to search (the grid was emptied).
        failed(str): a readable message (unreadable query image, no model...).
        understood(object): how the last text query was read (``ParsedQuery``), or None for other modes.
    """

    searchStarted = Signal()
    resultsChanged = Signal(int, float)
    cleared = Signal()
    failed = Signal(str)
    understood = Signal(object)

    def __init__(self, search_service: SearchService, model: ResultsModel, parent: QObject | None = None):
        super().__init__(parent)
        self.state = QueryState()
        self._months = locale_months()
        self._search = search_service
        self._model = model
        self._sketch_source: Callable[[], Image.Image | None] = lambda: None
        self._searching = False
        self._continuing = False   # the search sent continues the one shown (more results, another cut)
        self.continued = False     # the results shown last kept the rows before them
        search_service.results.connect(self._on_results)
        search_service.failed.connect(self._on_failed)

    # ---- inputs ---------------------------------------------------------------
    def set_sketch_source(self, source: Callable[[], Image.Image | None]) -> None:
        self._sketch_source = source

    def set_mode(self, mode: Mode) -> None:
        self.state.mode = Mode(mode)
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
        return self.state.mode == Mode.TEXT and not split_words(self.state.text)[0]

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
            self.failed.emit(f"Could not use that query: {exc}")
            return
        if query is None:
            self._search.cancel()          # a search still running must not refill the grid
            self._searching = False
            self._model.clear()
            self.understood.emit(None)
            self.cleared.emit()
            return
        understanding = None
        if self.state.mode == Mode.TEXT:
            understanding = Understanding(keep_place=self.state.keep_place and self.state.place is None,
                                          keep_dates=self.state.keep_dates, months=self._months)
        self._search.search(query, understanding)
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
        self.understood.emit(results.parsed)
        self.resultsChanged.emit(len(results.hits), results.ms)

    def _on_failed(self, message: str) -> None:
        self._searching = False
        self.failed.emit(message)
