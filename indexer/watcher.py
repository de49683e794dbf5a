"""Follow changes in the library's folders: watchdog -> debounced, coalesced batches.

File-system events only name paths; the watcher only decides *when* to sync
and *what*: ``Library.sync(paths)`` reconciles those paths with the catalog
and embeds what is new.  Bursts are coalesced: a batch
is released once no event arrived for ``debounce`` seconds (or ``max_wait``
after its first event), so 1,000 copied files become a few batches and an
editor's write-temp-rename-delete dance becomes one change.  A periodic full
reconciliation catches what watching missed (network shares, overflowing
inotify queues).  When native watching cannot start (inotify limits), polling
takes over and the log says so.

A watch follows a directory, not a path: when a folder is deleted and
re-created, unmounted or remounted, no event says so and the old watch sees
nothing more.  So the watcher checks every folder's (device, inode) on each
turn; when one changes it re-arms the watches and reconciles that folder at
once.  Changes in the library's own folder or the models folder are ignored
(the catalog's own writes would otherwise trigger syncs forever).
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from indexer.cancel import CancelToken
from indexer.progress import Phase, Progress

if TYPE_CHECKING:
    from indexer.library import Library

logger = logging.getLogger(__name__)


class Clock(Protocol):
    """What a :class:`ChangeQueue` reads the time from and waits with (tests pass one that never sleeps)."""

    def now(self) -> float:
        """Seconds on a clock that never goes back."""

    def wait(self, cond: threading.Condition, seconds: float) -> None:
        """Wait on ``cond`` (held by the caller) for at most ``seconds``, or until it is notified."""


class MonotonicClock:
    """The real clock: ``time.monotonic`` and ``Condition.wait``."""

    def now(self) -> float:
        return time.monotonic()

    def wait(self, cond: threading.Condition, seconds: float) -> None:
        cond.wait(seconds)


class ChangeQueue(FileSystemEventHandler):
    """Collects changed paths from watchdog's thread; ``take`` releases them as one batch.

    Times (``debounce``, ``max_wait``, ``take``'s timeout) are read from ``clock``.
    """

    def __init__(self, debounce: float = 1.0, max_wait: float = 5.0, *, clock: Clock | None = None):
        self.debounce = debounce
        self.max_wait = max_wait
        self._clock: Clock = clock or MonotonicClock()
        self._paths: dict[str, None] = {}
        self._first = 0.0
        self._last = 0.0
        self._cond = threading.Condition()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        if event.is_directory and event.event_type in ("modified", "closed"):
            return  # "a directory's listing changed": the file events name what changed
        paths = [event.src_path]
        if getattr(event, "dest_path", ""):
            paths.append(event.dest_path)
        self.add(*(p.decode() if isinstance(p, bytes) else p for p in paths))

    def add(self, *paths: str) -> None:
        with self._cond:
            now = self._clock.now()
            if not self._paths:
                self._first = now
            self._last = now
            for p in paths:
                self._paths[p] = None
            self._cond.notify_all()

    def has_changes(self, ignore: Callable[[Path], bool]) -> bool:
        """Whether a change (to a path ``ignore`` does not skip) is waiting, settled or not."""
        with self._cond:
            paths = list(self._paths)
        return any(not ignore(Path(p)) for p in paths)

    def take(self, timeout: float) -> list[Path]:
        """Wait up to ``timeout`` for a settled batch; returns [] when there is none yet."""
        deadline = self._clock.now() + timeout
        with self._cond:
            while True:
                now = self._clock.now()
                if self._paths and (now - self._last >= self.debounce or now - self._first >= self.max_wait):
                    batch = [Path(p) for p in self._paths]
                    self._paths.clear()
                    return _drop_nested(batch)
                if now >= deadline:
                    return []
                wait = deadline - now
                if self._paths:
                    wait = min(wait, self.debounce - (now - self._last), self.max_wait - (now - self._first))
                self._clock.wait(self._cond, max(wait, 0.01))


def _drop_nested(paths: list[Path]) -> list[Path]:
    """A changed directory covers every path below it."""
    dirs = {p for p in paths if p.is_dir()}
    return [p for p in paths if not any(d in p.parents for d in dirs)]


def start_observer(folders: list[Path], handler: ChangeQueue, *, polling: bool = False) -> BaseObserver:
    """Start watching ``folders``; falls back to polling when native watches are exhausted.

    A folder that vanished meanwhile is left out (the watcher notices it and re-arms).
    """
    observer = PollingObserver(timeout=2.0) if polling else Observer()
    try:
        for folder in folders:
            observer.schedule(handler, str(folder), recursive=True)
        observer.start()
        return observer
    except OSError as exc:
        _stop(observer)
        if exc.errno in (errno.ENOENT, errno.ENOTDIR) and not all(f.is_dir() for f in folders):
            return start_observer([f for f in folders if f.is_dir()], handler, polling=polling)
        if polling:
            raise
        logger.warning(
            "native file watching failed (%s); falling back to polling every 2 s. On Linux, raise "
            "fs.inotify.max_user_watches to watch natively.",
            exc,
        )
        return start_observer(folders, handler, polling=True)


def _stop(observer: BaseObserver) -> None:
    try:
        observer.stop()
        observer.join(5)
    except Exception:  # noqa: BLE001 - it may not have started
        pass


FolderKeys = dict[Path, "tuple[int, int] | None"]


def watch(
    library: Library, cancel: CancelToken, *, poll_interval: float = 0.5, polling: bool = False
) -> Generator[Progress, None, None]:
    """Sync everything, then follow changes until ``cancel`` is cancelled. A generator of ``Progress``.

    Watching starts *before* the first full sync, so a change made while that sync runs is
    queued and synced right after it, never lost between the scan and the first event.
    """
    queue = ChangeQueue(debounce=library.settings.debounce_seconds)
    keys = _folder_keys(library)
    observer = start_observer(_present(keys), queue, polling=polling)
    excluder = library.excluder()
    last_reconcile = time.monotonic()
    reconcile_every = library.settings.reconcile_minutes * 60
    # The deferred stages (reading text) are the lowest priority: they run when no change is waiting, and
    # stop between photos as soon as one is (they resume after that change is embedded).
    deferred_due = True

    def run_deferred() -> Generator[Progress, None, None]:
        nonlocal deferred_due
        reported = False
        for p in library.deferred_stages(cancel=cancel, interrupt=lambda: queue.has_changes(excluder.is_own)):
            if p.total:
                reported = True
                yield p
        deferred_due = False  # until the next sync (an interrupted run resumes after the change that stopped it)
        if reported:
            yield Progress(Phase.WATCHING, message="up to date")  # idle again

    try:
        yield from library.sync(cancel=cancel, read_text=False)
        yield Progress(Phase.WATCHING, message=f"watching {len(_present(keys))} folder(s)")
        while not cancel.cancelled:
            if deferred_due:
                yield from run_deferred()
            batch = [p for p in queue.take(poll_interval) if not excluder.is_own(p)]
            current = _folder_keys(library)
            if current != keys:  # folders added or removed, or one deleted, re-created, unmounted, remounted
                changed = [p for p, key in current.items() if p not in keys or keys[p] != key]
                logger.info("folders changed (%s); watching again", ", ".join(str(p) for p in changed) or "removed")
                _stop(observer)
                keys = current
                observer = start_observer(_present(keys), queue, polling=polling)
                excluder = library.excluder()
                batch = changed + batch  # reconcile those folders right away (it can take them offline or back)
            if batch:
                yield from _quiet(library.sync(batch, cancel=cancel, read_text=False))
                deferred_due = True
            if time.monotonic() - last_reconcile >= reconcile_every:
                logger.info("periodic reconciliation scan")
                yield from _quiet(library.sync(cancel=cancel, read_text=False))
                deferred_due = True
                last_reconcile = time.monotonic()
    finally:
        _stop(observer)


def _folder_keys(library: Library) -> FolderKeys:
    """Every folder of the library, with the (device, inode) of its directory; None if there is none."""
    keys: FolderKeys = {}
    for folder in library.catalog.folders():
        try:
            st = os.stat(folder.path)
        except OSError:
            keys[folder.path] = None
            continue
        keys[folder.path] = (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None
    return keys


def _present(keys: FolderKeys) -> list[Path]:
    return [p for p, key in keys.items() if key is not None]


def _quiet(progress: Iterator[Progress]) -> Generator[Progress, None, None]:
    """A sync while watching: report only when it embeds something, then say we are up to date."""
    for p in progress:
        if p.phase is Phase.SCANNING or (p.phase is Phase.INDEXING and not p.total):
            continue
        if p.phase is Phase.DONE and not p.total:
            continue
        yield p
    yield Progress(Phase.WATCHING, message="up to date")
