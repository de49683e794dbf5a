"""The library newest first as a Qt list model, paged: a million rows without a million objects.

The model is sized from a ``Timeline`` (ids and months only).  The rows
themselves (path, size, date, thumbnail file) are read a page at a time, off
the GUI thread, when a view first asks for a row of that page: ``data``
then returns None (the grid paints a placeholder) and emits ``pageWanted``;
``set_page`` fills the page in.  Only the most recently used pages are
kept.  The roles are ``ResultsModel``'s, so the same grid, delegate and
preview serve both; a browsed photo has no score (``ScoreRole`` is None).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QUrl,
    Signal,
)

from app.hit_captions import spoken_name
from app.item_models.results_model import ResultsModel, _as_datetime, thumbnail_sources
from app.payloads import PhotoIds
from app.thumbnails import ThumbnailLoader
from indexer.search import Hit
from indexer.timeline import Timeline, month_title

PAGE_ROWS = 256
KEPT_PAGES = 64          # pages held in memory (16k rows); the rest are read again when scrolled back to

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


class BrowseModel(QAbstractListModel):
    """Signals:
        pageWanted(int, int, PhotoIds): generation, page number and the ids of a page to read.
        sectionsChanged(): the month sections changed (a new timeline).
    """

    pageWanted = Signal(int, int, PhotoIds)
    sectionsChanged = Signal()

    def __init__(self, thumbnails: ThumbnailLoader | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._timeline = Timeline(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32))
        self._sections: list[tuple[int, str]] = []
        self._generation = 0
        self._pages: OrderedDict[int, list[Hit | None]] = OrderedDict()
        self._asked: set[int] = set()
        self._rows_by_path: dict[str, int] = {}
        self._thumbs = thumbnails
        if thumbnails is not None:
            thumbnails.loaded.connect(self._thumbnail_ready)
            thumbnails.failed.connect(self._thumbnail_ready)

    # ---- content --------------------------------------------------------------
    @property
    def generation(self) -> int:
        """Changes with every timeline: pages read for an older one are dropped."""
        return self._generation

    def set_timeline(self, timeline: Timeline) -> None:
        self.beginResetModel()
        self._generation += 1
        self._timeline = timeline
        self._sections = [(first, month_title(month)) for first, month in timeline.sections()]
        self._pages.clear()
        self._asked.clear()
        self._rows_by_path.clear()
        self.endResetModel()
        self.sectionsChanged.emit()

    def timeline(self) -> Timeline:
        return self._timeline

    def sections(self) -> list[tuple[int, str]]:
        """(first row, month title) of each month."""
        return list(self._sections)

    def set_page(self, generation: int, page: int, hits: Sequence[Hit]) -> None:
        """The rows of ``page`` (read for ``generation``; ignored if the timeline changed since)."""
        if generation != self._generation:
            return
        self._asked.discard(page)
        first = page * PAGE_ROWS
        ids = self._timeline.ids[first:first + PAGE_ROWS].tolist()
        by_id = {h.photo_id: h for h in hits}
        rows: list[Hit | None] = [by_id.get(pid) for pid in ids]
        self._pages[page] = rows
        self._pages.move_to_end(page)
        for offset, hit in enumerate(rows):
            if hit is not None:
                self._rows_by_path[str(hit.path)] = first + offset
        while len(self._pages) > KEPT_PAGES:
            old, dropped = self._pages.popitem(last=False)
            for hit in dropped:
                if hit is not None:
                    self._rows_by_path.pop(str(hit.path), None)
        if ids:
            self.dataChanged.emit(self.index(first), self.index(first + len(ids) - 1))

    def hit(self, row: int) -> Hit | None:
        """The row's photo, or None while its page is being read."""
        page = self._pages.get(row // PAGE_ROWS)
        if page is None:
            self._want(row // PAGE_ROWS)   # answered later (the browse thread), or at once (tests, benchmarks)
            page = self._pages.get(row // PAGE_ROWS)
            if page is None:
                return None
        self._pages.move_to_end(row // PAGE_ROWS)
        return page[row % PAGE_ROWS]

    def _want(self, page: int) -> None:
        if page in self._asked:
            return
        self._asked.add(page)
        first = page * PAGE_ROWS
        self.pageWanted.emit(self._generation, page, PhotoIds(self._timeline.ids[first:first + PAGE_ROWS].tolist()))

    def rowCount(self, parent: _Index = _ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._timeline)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._timeline):
            return None
        hit = self.hit(index.row())
        if hit is None:
            return None
        path = str(hit.path)
        if role == Qt.ItemDataRole.DisplayRole:
            return os.path.basename(path)
        if role == ResultsModel.PathRole:
            return path
        if role == ResultsModel.PhotoIdRole:
            return hit.photo_id
        if role == ResultsModel.RankRole:
            return index.row() + 1
        if role in (ResultsModel.ThumbnailRole, Qt.ItemDataRole.DecorationRole):
            return self._thumbs.get(path, thumbnail_sources(hit)) if self._thumbs is not None else None
        if role == ResultsModel.FailedRole:
            return self._thumbs.is_failed(path) if self._thumbs is not None else False
        if role == ResultsModel.SizeRole:
            return (hit.width, hit.height) if hit.width and hit.height else None
        if role == ResultsModel.TakenRole:
            return _as_datetime(hit.taken_at)
        if role == ResultsModel.HitRole:
            return hit
        if role == Qt.ItemDataRole.ToolTipRole:
            taken = _as_datetime(hit.taken_at)
            return os.path.basename(path) + (taken.strftime("  ·  %d %b %Y") if taken else "")
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return spoken_name(hit)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return ["text/uri-list", "text/plain"]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:  # noqa: N802
        """The dragged photos as file URLs and paths (rows still being read are left out)."""
        mime = QMimeData()
        paths = [str(hit.path) for hit in (self.hit(r) for r in sorted({i.row() for i in indexes if i.isValid()}))
                 if hit is not None]
        mime.setUrls([QUrl.fromLocalFile(p) for p in paths])
        mime.setText("\n".join(paths))
        return mime

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.CopyAction | Qt.DropAction.LinkAction

    def _thumbnail_ready(self, key: str, _image: object = None) -> None:
        row = self._rows_by_path.get(key)
        if row is not None:
            idx = self.index(row)
            self.dataChanged.emit(idx, idx, [ResultsModel.ThumbnailRole, Qt.ItemDataRole.DecorationRole])
