"""Background thumbnail loading for the results grid.

Decoding happens on a small private ``QThreadPool`` with ``QImageReader``
(scaled JPEG decoding, EXIF orientation applied); only ``QImage`` crosses
threads, never ``QPixmap`` or widgets.  Requests are served newest first, so
the rows on screen now load before rows the user scrolled past, and the queue
is bounded so fast scrolling through 100k results does not pile up work.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader

from indexer.thumbnails import THUMB_SIZE

logger = logging.getLogger(__name__)

THUMB_PX = THUMB_SIZE  # the stored thumbnails' size: photos without one are read at it too
MAX_PENDING = 256
CACHE_ITEMS = 1500


def read_first(sources: Sequence[str], max_px: int = THUMB_PX) -> QImage:
    """The thumbnail from the first source that reads (a stored thumbnail, then the photo)."""
    for source in sources:
        if source and os.path.isfile(source):  # a regular file: reading a pipe or a device would never end
            image = read_thumbnail(source, max_px)
            if not image.isNull():
                return image
    return QImage()


def read_thumbnail(path: str | Path, max_px: int = THUMB_PX) -> QImage:
    """A downscaled, upright thumbnail of ``path`` (a null QImage on failure)."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid():
        if min(size.width(), size.height()) > max_px:   # never upscale
            # decode at the size that *covers* a square cell (the grid crops to fill)
            target = size.scaled(QSize(max_px, max_px), Qt.AspectRatioMode.KeepAspectRatioByExpanding)
            reader.setScaledSize(target)
    image = reader.read()
    if image.isNull():
        return image
    if image.format() not in (QImage.Format.Format_RGB32, QImage.Format.Format_ARGB32_Premultiplied):
        image = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
    return image


class _Signals(QObject):
    loaded = Signal(str, QImage)
    failed = Signal(str)


class _Drain(QRunnable):
    """Takes jobs from the loader's queue until it is empty."""

    def __init__(self, loader: ThumbnailLoader):
        super().__init__()
        self._loader = loader

    def run(self) -> None:  # worker thread: no widgets, no QPixmap
        loader = self._loader
        while True:
            job = loader._take()
            if job is None:
                return
            key, sources = job
            try:
                image = loader._reader(sources)
            except Exception:  # a broken file must not stop the loader
                logger.exception("thumbnail failed for %s", key)
                image = QImage()
            if loader._stopping.is_set():
                return
            if image.isNull():
                loader._signals.failed.emit(key)
            else:
                loader._signals.loaded.emit(key, image)


class ThumbnailLoader(QObject):
    """Loads thumbnails in the background and caches them (LRU).

    Signals:
        loaded(str, QImage): the thumbnail of a path is ready.
        failed(str): a path could not be read (the grid keeps its placeholder).
    """

    loaded = Signal(str, QImage)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None, *, threads: int = 2,
                 reader: Callable[[Sequence[str]], QImage] | None = None):
        super().__init__(parent)
        self._reader = reader or read_first
        self._sources: dict[str, tuple[str, ...]] = {}
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._threads = threads
        self._lock = threading.Lock()
        self._queue: deque[str] = deque()
        self._queued: set[str] = set()
        self._loading: set[str] = set()      # taken by a pool thread, not reported yet
        self._active = 0
        self._stopping = threading.Event()
        self._cache: OrderedDict[str, QImage] = OrderedDict()
        self._failed: set[str] = set()
        self._signals = _Signals()
        self._signals.loaded.connect(self._on_loaded)
        self._signals.failed.connect(self._on_failed)

    def get(self, key: str, sources: Sequence[str] | None = None) -> QImage | None:
        """The cached thumbnail of ``key``, or None after queueing a load (placeholder now).

        ``sources`` are the files to try, in order (default: ``key`` itself)."""
        image = self._cache.get(key)
        if image is not None:
            self._cache.move_to_end(key)
            return image
        if key in self._failed or self._stopping.is_set():
            return None
        with self._lock:
            if key in self._loading:
                return None                     # being read now: one read per key
            if key in self._queued:
                # move to the front: it is wanted now
                try:
                    self._queue.remove(key)
                except ValueError:
                    pass
                self._queue.append(key)
                return None
            self._queue.append(key)
            self._queued.add(key)
            self._sources[key] = tuple(sources) if sources else (key,)
            while len(self._queue) > MAX_PENDING:
                dropped = self._queue.popleft()
                self._queued.discard(dropped)
                self._sources.pop(dropped, None)
            start = self._active < self._threads
            if start:
                self._active += 1
        if start:
            self._pool.start(_Drain(self))
        return None

    def is_failed(self, key: str) -> bool:
        return key in self._failed

    def cancel_pending(self) -> None:
        """Forget queued (not yet started) loads, e.g. when results change."""
        with self._lock:
            self._queue.clear()
            self._queued.clear()
            self._sources.clear()

    def pending(self) -> int:
        with self._lock:
            return len(self._queue) + self._active

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        self._stopping.set()
        self.cancel_pending()
        return self._pool.waitForDone(timeout_ms)

    # called from pool threads
    def _take(self) -> tuple[str, tuple[str, ...]] | None:
        with self._lock:
            if self._queue and not self._stopping.is_set():
                key = self._queue.pop()           # newest first
                self._queued.discard(key)
                self._loading.add(key)
                return key, self._sources.pop(key, (key,))
            self._active -= 1
            return None

    def _on_loaded(self, key: str, image: QImage) -> None:
        with self._lock:
            self._loading.discard(key)
        self._cache[key] = image
        self._cache.move_to_end(key)
        while len(self._cache) > CACHE_ITEMS:
            self._cache.popitem(last=False)
        self.loaded.emit(key, image)

    def _on_failed(self, key: str) -> None:
        with self._lock:
            self._loading.discard(key)
        self._failed.add(key)
        self.failed.emit(key)
