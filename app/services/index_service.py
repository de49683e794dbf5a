"""``IndexService``: the one writer ``Library``, on a thread of its own.

Every change to the library -- opening it, folders, settings, the model,
indexing and watching -- runs on one dedicated thread, in the order the GUI
asked for it.  The GUI never holds the ``Library``: the writer thread
publishes what the GUI shows (status, folders, a copy of the settings,
progress) by signal, and hands a ``LibraryReader`` of the library to whoever
searches (``readerReady``).

With ``watch=True`` a run indexes everything and then follows changes in the
folders until it is interrupted (by a folder change, a settings change or
shutdown).  Runs stop at a batch boundary through a cancel token.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from app.outcomes import Changed, FailureKind, LibraryChange, Operation, OpFailure
from app.payloads import Folders
from app.services.threads import Call, ServiceWorker, lower_thread_priority, start_thread
from indexer.cancel import CancelToken
from indexer.config import Settings
from indexer.errors import Cancelled, IndexerError
from indexer.library import Library
from indexer.library_reader import LibraryReader
from indexer.local_channel import ChannelServer
from indexer.progress import Activity, Phase, Progress
from indexer.status import LibraryStatus
from indexer.watcher import watch

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.1
Serve = Callable[[Library], ChannelServer | None]  # starts answering commands for an open library


@dataclass(frozen=True)
class SettingsChange:
    """What the user changed in the settings (``model`` empty: keep the current model)."""

    providers: list[str] = field(default_factory=list)
    threads: int = 0
    excluded: list[str] = field(default_factory=list)
    model: str = ""


class _IndexWorker(ServiceWorker):
    """The writer thread's half of :class:`IndexService`: every method runs on that thread."""

    readerReady = Signal(LibraryReader)
    opened = Signal(LibraryStatus)
    openFailed = Signal(OpFailure)
    settingsChanged = Signal(Settings)
    progress = Signal(Progress)
    activeChanged = Signal(bool)          # scanning/embedding (True) or idle/watching (False)
    runStarted = Signal()
    runFinished = Signal(bool, LibraryStatus)   # cancelled?, status
    foldersChanged = Signal(Folders)
    statusChanged = Signal(LibraryStatus)
    changed = Signal(LibraryChange)       # what a request or a run changed
    error = Signal(OpFailure)
    modelMissing = Signal(OpFailure)      # no model installed/configured: indexing cannot start

    def __init__(self, open_library: Callable[[], Library], watch: bool, serve: Serve | None = None):
        super().__init__()
        self._open_library = open_library
        self._serve = serve
        self._watch = watch
        self._lib: Library | None = None
        self._channel: ChannelServer | None = None

    # ---- failures -------------------------------------------------------------
    def report(self, exc: BaseException) -> None:
        failure = OpFailure.of(Operation.CHANGE, exc)
        if failure.kind is FailureKind.MODEL_MISSING:
            self.modelMissing.emit(failure)
        else:
            self.error.emit(failure)

    def report_open_failure(self, exc: BaseException) -> None:
        self.openFailed.emit(OpFailure.of(Operation.OPEN, exc))

    # ---- requests ---------------------------------------------------------------
    def open(self) -> None:
        lower_thread_priority()
        lib = self._lib = self._open_library()
        if self._serve is not None:  # `photoseek search|status` ask the app; answered off the GUI thread
            self._channel = self._serve(lib)
        self.readerReady.emit(lib.reader())
        self._publish_settings()
        self.opened.emit(lib.status())
        self.foldersChanged.emit(Folders(lib.folders()))

    def add_folder(self, path: Path) -> None:
        self._library().add_folder(path)
        self._publish(LibraryChange(Changed.FOLDERS, (path,)))

    def remove_folder(self, path: Path) -> None:
        self._library().remove_folder(path)
        self._publish(LibraryChange(Changed.FOLDERS | Changed.PHOTOS | Changed.FAILURES, (path,)))

    def retry_failures(self, paths: list[Path]) -> None:
        self._library().retry_failures(paths)
        self._publish(LibraryChange(Changed.FAILURES))

    def use_model(self, ref: str) -> None:
        self._library().use_model(ref)
        self._publish_settings()
        self._publish(LibraryChange(Changed.SETTINGS | Changed.MODEL))

    def change_settings(self, change: SettingsChange) -> None:
        lib = self._library()
        settings = lib.settings
        current = settings.model or lib.status().model
        settings.providers = list(change.providers)
        settings.threads = int(change.threads)
        settings.excluded = list(change.excluded)
        lib.save_settings()
        what = Changed.SETTINGS
        if change.model and change.model != current:
            lib.use_model(change.model)
            what |= Changed.MODEL
        self._publish_settings()
        self._publish(LibraryChange(what))

    def run(self, token: CancelToken) -> None:
        """Index every folder (and then watch them, with ``watch=True``) until ``token`` is cancelled."""
        lib = self._library()
        if token.cancelled:           # superseded before it started
            return
        before = lib.status()
        runs = watch(lib, token) if self._watch else lib.index(cancel=token)
        self.runStarted.emit()
        cancelled = False
        active = False
        try:
            active = self._follow(runs, token)
        except Cancelled:
            cancelled = True
        finally:
            runs.close()              # the generator's cleanup runs here, on this thread
            status = lib.status()
            self.foldersChanged.emit(Folders(lib.folders()))
            self.statusChanged.emit(status)
            if status != before:      # photos came, went or failed (the counts say so)
                self.changed.emit(LibraryChange(Changed.PHOTOS | Changed.FAILURES))
            if active:
                self.activeChanged.emit(False)
            self.runFinished.emit(cancelled or token.cancelled, status)

    def call(self, fn: Callable[[Library], None]) -> None:
        fn(self._library())           # it reports what it changed itself
        self._publish()

    def close(self) -> None:
        try:
            if self._channel is not None:
                self._channel.stop()
                self._channel = None
            if self._lib is not None:
                try:
                    self._lib.close()
                finally:
                    self._lib = None
        finally:
            QThread.currentThread().quit()   # after the requests queued before this one

    # ---- helpers ------------------------------------------------------------------
    def _follow(self, runs: Iterator[Progress], token: CancelToken) -> bool:
        """Forward ``runs``' progress (at most ~10 a second while busy). Returns: still busy?"""
        active = False
        last = 0.0
        pending: Progress | None = None
        try:
            previous: Activity | None = None
            for progress in runs:
                busy = progress.phase.busy  # each stage says whether it is busy work
                if pending is not None and progress.phase is not previous:
                    self.progress.emit(pending)  # a stage's last count, before the next stage's first
                    pending = None
                if busy != active:
                    active = busy
                    if not busy:
                        self._publish()       # counts first, so "idle" arrives with fresh status
                    self.activeChanged.emit(busy)
                elif previous is Phase.INDEXING and progress.phase is not Phase.INDEXING:
                    self._publish()           # embedding is done: fresh counts while the later stages run
                if pending is not None and pending.phase is not progress.phase:
                    self.progress.emit(pending)   # a stage's last count is never dropped for the next's
                    pending = None
                now = time.monotonic()
                if now - last >= PROGRESS_INTERVAL_S or not busy or progress.phase is not previous:  # a stage's first
                    self.progress.emit(progress)
                    last, pending = now, None
                else:
                    pending = progress
                previous = progress.phase
                if token.cancelled:
                    break
        finally:
            if pending is not None:
                self.progress.emit(pending)
        return active

    def _library(self) -> Library:
        if self._lib is None:
            raise IndexerError("the library is not open")
        return self._lib

    def _publish(self, change: LibraryChange | None = None) -> None:
        lib = self._library()
        self.foldersChanged.emit(Folders(lib.folders()))
        self.statusChanged.emit(lib.status())
        if change is not None:
            self.changed.emit(change)

    def _publish_settings(self) -> None:
        self.settingsChanged.emit(copy.deepcopy(self._library().settings))   # the writer keeps its own


class IndexService(QObject):
    """The GUI's only way to change the library; owns the writer on a dedicated thread.

    Signals:
        readerReady(LibraryReader): the library is open; a reader of it for searching.
        opened(LibraryStatus): the library is open (its status).
        openFailed(OpFailure): the library could not be opened (e.g. in use by another process).
        settingsChanged(Settings): a copy of the library's settings, after opening and each change.
        indexingChanged(bool): scanning/embedding started (True) or stopped (False).
        runningChanged(bool): a run (index, or index + watch) started or ended.
        progress(Progress): at most ~10 times a second while busy, and each phase change.
        finished(bool, LibraryStatus): a run ended: cancelled?, library status.
        pausedChanged(bool)
        foldersChanged(Folders): the library's folders after any folder change or run.
        statusChanged(LibraryStatus)
        changed(LibraryChange): what a request or a run changed (views refresh that, not everything).
        error(OpFailure): a request failed.
        modelMissing(OpFailure): indexing needs a model and none is installed or configured.
    """

    readerReady = Signal(LibraryReader)
    opened = Signal(LibraryStatus)
    openFailed = Signal(OpFailure)
    settingsChanged = Signal(Settings)
    indexingChanged = Signal(bool)
    runningChanged = Signal(bool)
    progress = Signal(Progress)
    finished = Signal(bool, LibraryStatus)
    pausedChanged = Signal(bool)
    foldersChanged = Signal(Folders)
    statusChanged = Signal(LibraryStatus)
    changed = Signal(LibraryChange)
    error = Signal(OpFailure)
    modelMissing = Signal(OpFailure)

    def __init__(self, open_library: Callable[[], Library], parent: QObject | None = None, *, watch: bool = True,
                 serve: Serve | None = None):
        super().__init__(parent)
        w = self._worker = _IndexWorker(open_library, watch, serve)
        w.readerReady.connect(self.readerReady)
        w.opened.connect(self._on_opened)
        w.openFailed.connect(self.openFailed)
        w.settingsChanged.connect(self._on_settings)
        w.progress.connect(self.progress)
        w.runStarted.connect(self._on_run_started)
        w.activeChanged.connect(self._on_active)
        w.runFinished.connect(self._on_run_finished)
        w.foldersChanged.connect(self._on_folders)
        w.statusChanged.connect(self._on_status)
        w.changed.connect(self.changed)
        w.error.connect(self.error)
        w.modelMissing.connect(self.modelMissing)
        self._thread = start_thread(w, "photoseek-index", self)
        self._token: CancelToken | None = None
        self._running = False
        self._active = False
        self._paused = False
        self._is_open = False
        self._closing = False
        self.last_status = LibraryStatus()
        self.last_folders = Folders()
        self.settings: Settings | None = None   # the latest copy published by the writer

    # ---- state -------------------------------------------------------------------
    def is_open(self) -> bool:
        return self._is_open

    def is_indexing(self) -> bool:
        """Scanning or embedding right now (not merely watching)."""
        return self._active

    def is_running(self) -> bool:
        return self._running

    def is_paused(self) -> bool:
        return self._paused

    def is_held(self) -> bool:
        """Paused, and the run has stopped at its pause point: it does no work until resumed."""
        return self._paused and self._token is not None and self._token.held

    # ---- requests (each runs on the writer thread, in order) ------------------------
    def open(self) -> None:
        w = self._worker
        self._post(Call("open the library", w.open, w.report_open_failure))

    def start_indexing(self) -> None:
        """Scan and embed every folder (restarting a run in progress)."""
        self._interrupt()
        token = self._token = CancelToken()
        self._post(Call("index", lambda: self._worker.run(token), self._worker.report))

    def add_folder(self, path: Path) -> None:
        """Add a folder, then index (the run in progress stops at a batch boundary first)."""
        path = Path(path)
        self._interrupt()
        self._post(Call(f"add folder {path}", lambda: self._worker.add_folder(path), self._worker.report))
        self.start_indexing()

    def remove_folder(self, path: Path) -> None:
        path = Path(path)
        self._interrupt()
        self._post(Call(f"remove folder {path}", lambda: self._worker.remove_folder(path), self._worker.report))
        self.start_indexing()

    def retry_failures(self, paths: Sequence[Path]) -> None:
        """Read these unreadable files again (then index)."""
        files = [Path(p) for p in paths]
        self._interrupt()
        self._post(Call(f"retry {len(files)} file(s)", lambda: self._worker.retry_failures(files), self._worker.report))
        self.start_indexing()

    def use_model(self, ref: str) -> None:
        """Make ``ref`` the library's model (its vectors are built by the next run)."""
        self._post(Call(f"use model {ref}", lambda: self._worker.use_model(ref), self._worker.report))

    def change_settings(self, change: SettingsChange) -> None:
        """Save ``change`` (switching the model if it names another), then index again."""
        self._interrupt()
        self._post(Call("change settings", lambda: self._worker.change_settings(change), self._worker.report))
        self.start_indexing()

    def run_on_writer(self, what: str, fn: Callable[[Library], None],
                      failed: Callable[[BaseException], None]) -> None:
        """Run ``fn(library)`` on the writer's thread (the run in progress stops at a batch boundary
        first; indexing starts again after it).  ``fn`` and ``failed`` run on that thread: they
        report back by signal."""
        self._interrupt()
        self._post(Call(what, lambda: self._worker.call(fn), failed))
        self.start_indexing()

    def pause(self) -> None:
        if self._token is not None and not self._paused:
            self._token.pause()
            self._paused = True
            self.pausedChanged.emit(True)

    def resume(self) -> None:
        if self._paused:
            if self._token is not None:
                self._token.resume()
            self._paused = False
            self.pausedChanged.emit(False)

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Stop indexing at a batch boundary, close the library, end the thread."""
        if self._closing:
            return True
        self._interrupt()
        self._post(Call("close the library", self._worker.close, self._worker.report))
        self._closing = True
        ok = self._thread.wait(timeout_ms)
        if not ok:
            logger.error("the indexing thread did not stop within %d ms", timeout_ms)
        return ok

    def _post(self, call: Call) -> None:
        if not self._closing:
            self._worker.post(call)

    def _interrupt(self) -> None:
        if self._token is not None:
            self._token.cancel()
            self._token.resume()       # a paused run must wake up to see the cancel
        self.resume()

    # ---- the writer's reports (GUI thread) ---------------------------------------------
    # (slots return None: a slot that returns a bool trips a PySide6 refcount bug)
    def _on_opened(self, status: LibraryStatus) -> None:
        self._is_open = True
        self.last_status = status
        self.opened.emit(status)

    def _on_settings(self, settings: Settings) -> None:
        self.settings = settings
        self.settingsChanged.emit(settings)

    def _on_run_started(self) -> None:
        self._running = True
        self.runningChanged.emit(True)

    def _on_active(self, active: bool) -> None:
        self._active = active
        self.indexingChanged.emit(active)

    def _on_run_finished(self, cancelled: bool, status: LibraryStatus) -> None:
        self._running = False
        self.last_status = status
        self.runningChanged.emit(False)
        self.finished.emit(cancelled, status)

    def _on_folders(self, folders: Folders) -> None:
        self.last_folders = folders
        self.foldersChanged.emit(folders)

    def _on_status(self, status: LibraryStatus) -> None:
        self.last_status = status
        self.statusChanged.emit(status)
