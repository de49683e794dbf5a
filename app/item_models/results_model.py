"""The search results as a Qt list model: a thin adapter over the core's ``Hit`` values.

Thumbnails come from the library's thumbnail file named on each hit; only a
hit without one falls back to the photo itself.  Either way the file is read
by the ``ThumbnailLoader``'s pool, never on the GUI thread.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QImage

from app.durations import format_duration
from app.hit_captions import spoken_name
from app.thumbnails import ThumbnailLoader
from indexer.search import Hit

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


def thumbnail_sources(hit: Hit) -> tuple[str]:
    """The file to make ``hit``'s thumbnail from: the library's thumbnail, or the photo when it has none."""
    return (str(hit.thumbnail if hit.thumbnail is not None else hit.path),)


class ResultsModel(QAbstractListModel):
    """One row per hit, best first.

    Roles: ``PathRole`` (str), ``ScoreRole`` (float), ``RankRole`` (int,
    1-based), ``PhotoIdRole`` (int), ``ThumbnailRole`` (QImage or None while
    loading), ``SizeRole`` ((w, h) or None), ``TakenRole`` (datetime or None),
    ``HitRole`` (the core's Hit), ``KindRole`` ("photo", "raw", "video"),
    ``VideoTimeRole`` and ``DurationRole`` (a video's best moment and length,
    seconds, or None).  ``DisplayRole`` is the file name and ``ToolTipRole``
    the score, rank, location and what the hit is besides a photo.

    Sections (for the grid): "Best matches (N)" over the leading block of hits
    inside the query's cut, then "More like this"; none when no hit is a best
    match.

    Signals:
        sectionsChanged(): the best-matches boundary moved.
    """

    sectionsChanged = Signal()

    PathRole = Qt.ItemDataRole.UserRole + 1
    ScoreRole = Qt.ItemDataRole.UserRole + 2
    RankRole = Qt.ItemDataRole.UserRole + 3
    PhotoIdRole = Qt.ItemDataRole.UserRole + 4
    ThumbnailRole = Qt.ItemDataRole.UserRole + 5
    SizeRole = Qt.ItemDataRole.UserRole + 6
    TakenRole = Qt.ItemDataRole.UserRole + 7
    HitRole = Qt.ItemDataRole.UserRole + 8
    FailedRole = Qt.ItemDataRole.UserRole + 9
    KindRole = Qt.ItemDataRole.UserRole + 20  # "photo", "raw" or "video"
    VideoTimeRole = Qt.ItemDataRole.UserRole + 21  # a video: seconds to its best frame, or None
    DurationRole = Qt.ItemDataRole.UserRole + 22  # a video: its length in seconds, or None

    def __init__(self, thumbnails: ThumbnailLoader | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._hits: list[Hit] = []
        self._paths: list[str] = []
        self._thumb_keys: list[str] = []  # the thumbnail's own file: a video's differs with its best frame
        self._rows_by_thumb: dict[str, list[int]] = {}
        self._thumbs = thumbnails
        if thumbnails is not None:
            thumbnails.loaded.connect(self._thumbnail_ready)
            thumbnails.failed.connect(self._thumbnail_ready)

    def roleNames(self) -> dict[int, QByteArray]:
        names = super().roleNames()
        names.update({role: QByteArray(name) for role, name in (
            (self.PathRole, b"path"), (self.ScoreRole, b"score"), (self.RankRole, b"rank"),
            (self.PhotoIdRole, b"photoId"), (self.ThumbnailRole, b"thumbnail"), (self.SizeRole, b"size"),
            (self.TakenRole, b"taken"), (self.HitRole, b"hit"), (self.FailedRole, b"failed"),
            (self.KindRole, b"kind"), (self.VideoTimeRole, b"videoTime"), (self.DurationRole, b"duration"),
        )})
        return names

    # ---- content ------------------------------------------------------------
    def set_hits(self, hits: Sequence[Hit]) -> None:
        self.beginResetModel()
        self._hits = list(hits)
        self._paths = [str(h.path) for h in self._hits]
        self._thumb_keys = [thumbnail_sources(h)[0] for h in self._hits]
        self._rows_by_thumb = {}
        for row, key in enumerate(self._thumb_keys):
            self._rows_by_thumb.setdefault(key, []).append(row)
        if self._thumbs is not None:
            self._thumbs.cancel_pending()
        self.endResetModel()
        self.sectionsChanged.emit()

    def update_hits(self, hits: Sequence[Hit]) -> bool:
        """Take ``hits``, keeping the rows shown when the new list starts with them (more results were
        loaded, or the best-matches cut moved): no reset, so the view keeps its place.  Otherwise
        the same as ``set_hits``.  Returns whether the rows were kept."""
        new = list(hits)
        shown = len(self._hits)
        if not shown or len(new) < shown or [str(h.path) for h in new[:shown]] != self._paths:
            self.set_hits(new)
            return False
        self._hits[:shown] = new[:shown]
        self.dataChanged.emit(self.index(0), self.index(shown - 1))
        if len(new) > shown:
            self.beginInsertRows(_ROOT, shown, len(new) - 1)
            for row, hit in enumerate(new[shown:], start=shown):
                self._hits.append(hit)
                self._paths.append(str(hit.path))
                self._thumb_keys.append(thumbnail_sources(hit)[0])
                self._rows_by_thumb.setdefault(self._thumb_keys[-1], []).append(row)
            self.endInsertRows()
        self.sectionsChanged.emit()
        return True

    def best_count(self) -> int:
        """How many of the leading hits are best matches."""
        count = 0
        for hit in self._hits:
            if not hit.best:
                break
            count += 1
        return count

    def sections(self) -> list[tuple[int, str]]:
        best = self.best_count()
        if not best:
            return []
        return [(0, f"Best matches ({best})")] + ([(best, "More like this")] if best < len(self._hits) else [])

    def clear(self) -> None:
        self.set_hits([])

    def hits(self) -> list[Hit]:
        return list(self._hits)

    def hit(self, row: int) -> Hit:
        return self._hits[row]

    def path(self, row: int) -> Path:
        return Path(self._paths[row])

    def rowCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._hits):
            return None
        hit = self._hits[index.row()]
        path = self._paths[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return os.path.basename(path)
        if role == self.PathRole:
            return path
        if role == self.ScoreRole:
            return float(hit.score)
        if role == self.RankRole:
            return hit.rank
        if role == self.PhotoIdRole:
            return hit.photo_id
        if role in (self.ThumbnailRole, Qt.ItemDataRole.DecorationRole):
            if self._thumbs is None:
                return None
            return self._thumbs.get(self._thumb_keys[index.row()], thumbnail_sources(hit))
        if role == self.FailedRole:
            return self._thumbs.is_failed(self._thumb_keys[index.row()]) if self._thumbs is not None else False
        if role == self.SizeRole:
            return (hit.width, hit.height) if hit.width and hit.height else None
        if role == self.TakenRole:
            return _as_datetime(hit.taken_at)
        if role == self.HitRole:
            return hit
        if role == self.KindRole:
            return hit.kind
        if role == self.VideoTimeRole:
            return hit.time
        if role == self.DurationRole:
            return hit.duration
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(index.row(), hit, path)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return spoken_name(hit)
        return None

    def _tooltip(self, row: int, hit: Hit, path: str) -> str:
        lines = [f"<b>{_esc(os.path.basename(path))}</b>",
                 f"Score {float(hit.score):.3f} &nbsp;·&nbsp; #{self.data(self.index(row), self.RankRole)}"]
        extra = []
        size = self.data(self.index(row), self.SizeRole)
        if size:
            extra.append(f"{size[0]}×{size[1]}")
        taken = _as_datetime(hit.taken_at)
        if taken:
            extra.append(taken.strftime("%d %b %Y"))
        note = media_note(hit)
        if note:
            extra.append(_esc(note))
        if extra:
            lines.append(" · ".join(extra))
        if hit.text is not None:  # words in the photo matched the query
            shown = hit.text if len(hit.text) <= 200 else hit.text[:199] + "…"
            lines.append(f"Text: “{_esc(shown)}”")
        lines.append(f"<span style='color:gray'>{_esc(os.path.dirname(path))}</span>")
        return "<br>".join(lines)

    # ---- drag out ------------------------------------------------------------
    def flags(self, index: _Index) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list", "text/plain"]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        mime = QMimeData()
        rows = sorted({i.row() for i in indexes if i.isValid()})
        paths = [self._paths[r] for r in rows]
        mime.setUrls([QUrl.fromLocalFile(p) for p in paths])
        mime.setText("\n".join(paths))
        return mime

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction | Qt.DropAction.LinkAction

    # ---- thumbnails ------------------------------------------------------------
    def _thumbnail_ready(self, key: str, _image: QImage | None = None) -> None:
        for row in self._rows_by_thumb.get(key, ()):
            idx = self.index(row)
            self.dataChanged.emit(idx, idx, [self.ThumbnailRole, Qt.ItemDataRole.DecorationRole])


def media_note(hit: Hit) -> str:
    """What a hit is besides a photo, in words: a video's best moment, a photo's other files; else empty."""
    if hit.kind == "video" and hit.time is not None:
        return f"video, best match at {format_duration(hit.time)} of {format_duration(hit.duration) or '?'}"
    if hit.companions:
        return "with " + ", ".join(os.path.basename(str(p)) for p, _role in hit.companions)
    return ""


def _as_datetime(value: str | None) -> datetime | None:
    """``Hit.taken_at`` (ISO 8601) as a datetime; None when missing or unreadable."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
