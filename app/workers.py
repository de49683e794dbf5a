"""Qt workers that run the headless core off the GUI thread.

* :class:`Job` / :class:`JobRunner`: one-shot jobs on a thread pool (model
  download, import, export).  A ``QRunnable`` is not a ``QObject``, so each
  job carries a separate :class:`JobSignals` object; the runner keeps a
  reference to every running job.
* :class:`IndexService`: owns the *writer* ``Library`` on one dedicated
  thread.  Every write (folders, settings, indexing) runs there, in order.
* :class:`SearchService`: owns a *read-only* ``Library`` on its own thread
  (one SQLite connection per thread) and answers searches and read requests;
  stale queries are skipped so the newest query always wins.

Nothing here touches a widget.  Exceptions never vanish: they are logged and
emitted as signals with a readable message.  Threads stop by cancel tokens
and ``QThread.quit``/``wait`` -- never ``terminate()``.
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal, Slot

from indexer.cancel import CancelToken
from indexer.errors import Cancelled, IndexerError, ModelNotFound

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.1


def describe_error(exc: BaseException) -> str:
    """A one-line, user-readable message for ``exc``."""
    if isinstance(exc, IndexerError):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"File not found: {exc.filename or exc}"
    if isinstance(exc, PermissionError):
        return f"Permission denied: {exc.filename or exc}"
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    return f"Unexpected error: {type(exc).__name__}: {exc}"


# --------------------------------------------------------------------------
# one-shot jobs
# --------------------------------------------------------------------------
class JobSignals(QObject):
    """Signals of a :class:`Job`.

    Signals:
        progress(object): whatever the job reports (e.g. ``(done, total)``).
        result(object): the job's return value.
        error(str, object): a readable message and the exception.
        cancelled(): the job stopped because its token was cancelled.
        finished(): always emitted last.
    """

    progress = Signal(object)
    result = Signal(object)
    error = Signal(str, object)
    cancelled = Signal()
    finished = Signal()


class Job(QRunnable):
    """Runs ``fn(token, report)`` on a pool thread; ``report(x)`` emits progress."""

    def __init__(self, fn: Callable[[CancelToken, Callable[[Any], None]], Any], name: str = "job"):
        super().__init__()
        self.setAutoDelete(False)       # the runner owns it until `finished`
        self.fn = fn
        self.name = name
        self.token = CancelToken()
        self.signals = JobSignals()

    def cancel(self) -> None:
        self.token.cancel()

    def run(self) -> None:
        try:
            value = self.fn(self.token, self.signals.progress.emit)
        except Cancelled:
            self.signals.cancelled.emit()
        except Exception as exc:  # surfaced, never swallowed
            logger.warning("%s failed: %s", self.name, exc, exc_info=not isinstance(exc, IndexerError))
            self.signals.error.emit(describe_error(exc), exc)
        else:
            if self.token.cancelled:
                self.signals.cancelled.emit()
            else:
                self.signals.result.emit(value)
        finally:
            self.signals.finished.emit()


class JobRunner(QObject):
    """Starts :class:`Job`s and keeps them alive while they run."""

    def __init__(self, parent: QObject | None = None, *, threads: int = 2):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._running: set[Job] = set()

    def start(self, job: Job) -> Job:
        self._running.add(job)
        job.signals.finished.connect(lambda j=job: self._running.discard(j))
        self._pool.start(job)
        return job

    def running(self) -> int:
        return len(self._running)

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        for job in list(self._running):
            job.cancel()
        return self._pool.waitForDone(timeout_ms)


# --------------------------------------------------------------------------
# a QObject that lives on its own thread and runs requests in order
# --------------------------------------------------------------------------
class _ThreadWorker(QObject):
    requested = Signal(str, object)

    def __init__(self):
        super().__init__()
        self.requested.connect(self._handle)

    @Slot(str, object)
    def _handle(self, op: str, arg: object) -> None:
        method = getattr(self, f"op_{op}")
        try:
            method(arg)
        except Exception as exc:
            logger.warning("%s %s failed: %s", type(self).__name__, op, exc,
                           exc_info=not isinstance(exc, IndexerError))
            self.failed_op(op, arg, exc)

    def failed_op(self, op: str, arg: object, exc: BaseException) -> None:  # overridden
        raise NotImplementedError


BACKGROUND_NICE = 5


def lower_thread_priority() -> None:
    """Run the calling thread (and the threads it starts later: decode pool, ONNX Runtime)
    below the GUI thread, so painting and typing get the CPU first.

    Linux schedules threads individually: ``setpriority`` on the thread id
    nices only this thread, and new threads inherit it.  Elsewhere Qt's
    thread priority does the same job.
    """
    if sys.platform.startswith("linux"):
        try:
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, max(os.getpriority(os.PRIO_PROCESS, tid), BACKGROUND_NICE))
            return
        except OSError as exc:
            logger.debug("could not lower the indexing thread's priority: %s", exc)
    thread = QThread.currentThread()
    if thread is not None:
        thread.setPriority(QThread.Priority.LowPriority)


def _start_thread(worker: QObject, name: str, parent: QObject) -> QThread:
    thread = QThread(parent)
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.finished.connect(worker.deleteLater)
    thread.start()
    return thread


# --------------------------------------------------------------------------
# indexing: the one writer
# --------------------------------------------------------------------------
class _IndexWorker(_ThreadWorker):
    opened = Signal(object, object)  # library, status dict
    openFailed = Signal(str, object)
    progress = Signal(object)        # Progress
    activeChanged = Signal(bool)     # scanning/embedding (True) or idle/watching (False)
    runStarted = Signal()
    runFinished = Signal(bool, object)   # cancelled?, status dict
    foldersChanged = Signal(object)  # list[FolderInfo]
    statusChanged = Signal(object)   # dict
    error = Signal(str, str)         # operation, message
    modelMissing = Signal(str)       # no model installed/configured: indexing cannot start
    closed = Signal()

    def __init__(self, open_library: Callable[[], Any], watch: bool):
        super().__init__()
        self._open_library = open_library
        self._watch = watch
        self.library = None

    def failed_op(self, op: str, arg: object, exc: BaseException) -> None:
        if op == "open":
            self.openFailed.emit(describe_error(exc), exc)
        elif isinstance(exc, ModelNotFound):
            self.modelMissing.emit(describe_error(exc))
        else:
            self.error.emit(op, describe_error(exc))

    def _need(self):
        if self.library is None:
            raise IndexerError("the library is not open")
        return self.library

    def _publish(self) -> None:
        lib = self._need()
        self.foldersChanged.emit(lib.folders())
        self.statusChanged.emit(lib.status())

    def op_open(self, _arg: object) -> None:
        lower_thread_priority()
        self.library = self._open_library()
        self.opened.emit(self.library, self.library.status())
        self.foldersChanged.emit(self.library.folders())

    def op_add_folder(self, path: Path) -> None:
        self._need().add_folder(path)
        self._publish()

    def op_remove_folder(self, path: Path) -> None:
        self._need().remove_folder(path)
        self._publish()

    def op_call(self, arg: tuple[Callable[[Any], Any], Callable[[Any], None] | None]) -> None:
        fn, done = arg
        value = fn(self._need())
        if done is not None:
            done(value)
        self._publish()

    def op_index(self, token: CancelToken) -> None:
        lib = self._need()
        if token.cancelled:           # superseded before it started
            return
        if self._watch:
            from indexer.watcher import watch
            runs = watch(lib, token)
        else:
            runs = lib.index(cancel=token)
        self.runStarted.emit()
        cancelled = False
        active = False
        last = 0.0
        pending = None
        try:
            for progress in runs:
                busy = progress.phase in ("scanning", "indexing")
                if busy != active:
                    active = busy
                    if pending is not None:
                        self.progress.emit(pending)
                        pending = None
                    if not busy:
                        self._publish()       # counts first, so "idle" arrives with fresh status
                    self.activeChanged.emit(busy)
                now = time.monotonic()
                if now - last >= PROGRESS_INTERVAL_S or not busy:
                    self.progress.emit(progress)
                    last, pending = now, None
                else:
                    pending = progress
                if token.cancelled:
                    cancelled = True
                    break
        except Cancelled:
            cancelled = True
        finally:
            close = getattr(runs, "close", None)
            if close is not None:
                close()               # run the generator's cleanup here, on this thread
            if pending is not None:
                self.progress.emit(pending)
            status, folders = lib.status(), lib.folders()
            self.foldersChanged.emit(folders)
            self.statusChanged.emit(status)
            if active:
                self.activeChanged.emit(False)
            self.runFinished.emit(cancelled or token.cancelled, status)

    def op_close(self, _arg: object) -> None:
        try:
            if self.library is not None:
                try:
                    self.library.close()
                finally:
                    self.library = None
        finally:
            self.closed.emit()
            QThread.currentThread().quit()   # after the queued requests before this one


class IndexService(QObject):
    """Owns the writer library on a dedicated thread; the GUI's only way to change the library.

    With ``watch=True`` a run indexes everything and then follows changes in
    the folders until it is interrupted (by a folder change or shutdown).

    Signals:
        opened(object, dict): the library is open: the ``Library`` and its status.
        openFailed(str): the library could not be opened (e.g. in use by another process).
        indexingChanged(bool): scanning/embedding started (True) or stopped (False).
        runningChanged(bool): a run (index, or index + watch) started or ended.
        progress(object): ``Progress(done, total, rate, eta, current)`` at most ~10 times a second.
        finished(bool, dict): a run ended: cancelled?, library status.
        pausedChanged(bool)
        foldersChanged(list): ``FolderInfo`` list after any folder change or run.
        statusChanged(dict)
        error(str): a readable message for a failed request.
        modelMissing(str): indexing needs a model and none is installed or configured.
    """

    opened = Signal(object, object)
    openFailed = Signal(str)
    indexingChanged = Signal(bool)
    runningChanged = Signal(bool)
    progress = Signal(object)
    finished = Signal(bool, object)
    pausedChanged = Signal(bool)
    foldersChanged = Signal(object)
    statusChanged = Signal(object)
    error = Signal(str)
    modelMissing = Signal(str)

    def __init__(self, open_library: Callable[[], Any], parent: QObject | None = None, *, watch: bool = True):
        super().__init__(parent)
        self._worker = _IndexWorker(open_library, watch)
        w = self._worker
        w.opened.connect(self._on_opened)
        w.openFailed.connect(self._forward_open_failed)
        w.progress.connect(self.progress)
        w.runStarted.connect(self._on_run_started)
        w.activeChanged.connect(self._on_active)
        w.runFinished.connect(self._on_run_finished)
        w.foldersChanged.connect(self._on_folders)
        w.statusChanged.connect(self._on_status)
        w.error.connect(self._forward_error)
        w.modelMissing.connect(self.modelMissing)
        self._thread = _start_thread(w, "photoseek-index", self)
        self._token: CancelToken | None = None
        self._running = False
        self._active = False
        self._paused = False
        self._is_open = False
        self._closing = False
        self.last_status: dict = {}
        self.last_folders: list = []
        self.library = None   # for handing to the SearchService; never used on this thread

    # ---- requests ----------------------------------------------------------
    def _post(self, op: str, arg: object = None) -> None:
        if self._closing:
            return
        self._worker.requested.emit(op, arg)

    def open(self) -> None:
        self._post("open")

    def is_open(self) -> bool:
        return self._is_open

    def is_indexing(self) -> bool:
        """Scanning or embedding right now (not merely watching)."""
        return self._active

    def is_running(self) -> bool:
        return self._running

    def is_paused(self) -> bool:
        return self._paused

    def start_indexing(self) -> None:
        """Scan and embed every folder (restarting a run in progress)."""
        self._interrupt()
        self._token = CancelToken()
        self._post("index", self._token)

    def add_folder(self, path: Path) -> None:
        """Add a folder, then index (the run in progress stops at a batch boundary first)."""
        self._interrupt()
        self._post("add_folder", Path(path))
        self.start_indexing()

    def remove_folder(self, path: Path) -> None:
        self._interrupt()
        self._post("remove_folder", Path(path))
        self.start_indexing()

    def call(self, fn: Callable[[Any], Any], done: Callable[[Any], None] | None = None, *,
             reindex: bool = False) -> None:
        """Run ``fn(library)`` on the writer thread (``done(result)`` runs there too;
        use a signal in it to reach the GUI)."""
        if reindex:
            self._interrupt()
        self._post("call", (fn, done))
        if reindex:
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

    def _interrupt(self) -> None:
        if self._token is not None:
            self._token.cancel()
            self._token.resume()       # a paused run must wake up to see the cancel
        self.resume()

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Stop indexing at a batch boundary, close the library, end the thread."""
        if self._closing:
            return True
        self._interrupt()
        self._post("close")              # runs after what is queued, then ends the thread
        self._closing = True
        ok = self._thread.wait(timeout_ms)
        if not ok:
            logger.error("the indexing thread did not stop within %d ms", timeout_ms)
        return ok

    # ---- worker results (GUI thread) --------------------------------------
    # (slots return None: a slot that returns a bool trips a PySide6 refcount bug)
    def _forward_open_failed(self, message: str, _exc: object) -> None:
        self.openFailed.emit(message)

    def _forward_error(self, _op: str, message: str) -> None:
        self.error.emit(message)

    def _on_opened(self, library: object, status: dict) -> None:
        self._is_open = True
        self.library = library
        self.last_status = status
        self.opened.emit(library, status)

    def _on_run_started(self) -> None:
        self._running = True
        self.runningChanged.emit(True)

    def _on_active(self, active: bool) -> None:
        self._active = active
        self.indexingChanged.emit(active)

    def _on_run_finished(self, cancelled: bool, status: dict) -> None:
        self._running = False
        self.last_status = status
        self.runningChanged.emit(False)
        self.finished.emit(cancelled, status)
        self.statusChanged.emit(status)

    def _on_folders(self, folders: list) -> None:
        self.last_folders = list(folders)
        self.foldersChanged.emit(self.last_folders)

    def _on_status(self, status: dict) -> None:
        self.last_status = status
        self.statusChanged.emit(status)


# --------------------------------------------------------------------------
# searching: a reader of its own
# --------------------------------------------------------------------------
class _Latest:
    """The newest request id, shared by the GUI and the search thread."""

    def __init__(self):
        self._lock = threading.Lock()
        self._value = 0

    def set(self, value: int) -> None:
        with self._lock:
            self._value = value

    def get(self) -> int:
        with self._lock:
            return self._value


class _SearchWorker(_ThreadWorker):
    results = Signal(int, object, float)   # request id, hits, milliseconds
    failed = Signal(int, str)
    info = Signal(object, object)          # status, folders
    ready = Signal()

    def __init__(self, latest: _Latest):
        super().__init__()
        self._latest = latest
        self.library = None
        self._owned = False
        self._waiting: tuple[int, Any] | None = None   # a search that arrived before a library

    def failed_op(self, op: str, arg: object, exc: BaseException) -> None:
        rid = arg[0] if op == "search" else -1
        self.failed.emit(rid, describe_error(exc))

    def op_use(self, arg: tuple[Any, bool]) -> None:
        """Search ``library`` (owned: opened for this thread, closed by it)."""
        self.op_close(None)
        library, owned = arg
        if callable(library):          # an opener: open read-only here, on this thread
            library = library()
        self.library, self._owned = library, owned
        if self._waiting is not None:
            waiting, self._waiting = self._waiting, None
            self._handle("search", waiting)

    def op_warm(self, _arg: object) -> None:
        lib = self.library
        if lib is None:
            return
        lib.search  # noqa: B018 - presence check
        enc = lib.encoder()
        enc.encode_texts(["a photo"])  # loads the text tower and its session
        self.ready.emit()

    def op_search(self, arg: tuple[int, Any]) -> None:
        rid, query = arg
        if rid != self._latest.get():
            return                      # a newer query is queued: skip this one
        if self.library is None:
            self._waiting = arg
            return
        t0 = time.perf_counter()
        hits = self.library.search(query)
        self.results.emit(rid, hits, (time.perf_counter() - t0) * 1000)

    def op_info(self, _arg: object) -> None:
        if self.library is not None:
            self.info.emit(self.library.status(), self.library.folders())

    def op_quit(self, _arg: object) -> None:
        try:
            self.op_close(None)
        finally:
            QThread.currentThread().quit()

    def op_close(self, _arg: object) -> None:
        lib, self.library = self.library, None
        if lib is None:
            return
        if self._owned:
            lib.close()
        else:
            # a shared library: close only this thread's catalog connection
            catalog = getattr(getattr(lib, "_local", None), "catalog", None)
            if catalog is not None:
                try:
                    catalog.close()
                except Exception:  # noqa: BLE001 - best effort; the owner closes the rest
                    logger.debug("closing the search connection failed", exc_info=True)


class SearchService(QObject):
    """Runs searches on a dedicated thread.

    The library it searches is either shared with the :class:`IndexService`
    (:meth:`use_library`: the same vector index, so searches see photos as
    they are indexed; the core gives this thread its own SQLite connection)
    or a read-only library opened on the search thread
    (:meth:`use_readonly`, when another process is writing the library).
    Searches sent before either are held and run as soon as there is one.

    Signals:
        results(int, list, float): request id, hits (best first), milliseconds.
        failed(int, str): request id (-1: not a search), readable message.
        info(dict, list): status and folders, answering :meth:`request_info`.
        ready(): the model is loaded (answering :meth:`warm_up`).
    """

    results = Signal(int, object, float)
    failed = Signal(int, str)
    info = Signal(object, object)
    ready = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._latest = _Latest()
        self._ids = itertools.count(1)
        self._worker = _SearchWorker(self._latest)
        self._worker.results.connect(self._on_results)
        self._worker.failed.connect(self._on_failed)
        self._worker.info.connect(self.info)
        self._worker.ready.connect(self.ready)
        self._thread = _start_thread(self._worker, "photoseek-search", self)
        self._closing = False

    def _post(self, op: str, arg: object = None) -> None:
        if not self._closing:
            self._worker.requested.emit(op, arg)

    def use_library(self, library: Any) -> None:
        """Search the writer's ``library`` (shared; not closed by this service)."""
        self._post("use", (library, False))

    def use_readonly(self, opener: Callable[[], Any]) -> None:
        """Open a read-only library with ``opener()`` on the search thread and search it."""
        self._post("use", (opener, True))

    def search(self, query: Any) -> int:
        """Queue ``query``; earlier queries still waiting are dropped. Returns its id."""
        rid = next(self._ids)
        self._latest.set(rid)
        self._post("search", (rid, query))
        return rid

    def latest(self) -> int:
        return self._latest.get()

    def warm_up(self) -> None:
        """Load the model now, so the first search is quick."""
        self._post("warm")

    def request_info(self) -> None:
        self._post("info")

    def shutdown(self, timeout_ms: int = 15000) -> bool:
        """Skip queued searches, close this thread's connection, end the thread.
        Call it before the IndexService's shutdown (which closes a shared library)."""
        if self._closing:
            return True
        self._latest.set(-1)            # queued searches are skipped
        self._post("quit")               # closes this thread's connection, then ends the thread
        self._closing = True
        ok = self._thread.wait(timeout_ms)
        if not ok:
            logger.error("the search thread did not stop within %d ms", timeout_ms)
        return ok

    def _on_results(self, rid: int, hits: object, ms: float) -> None:
        if rid == self._latest.get():
            self.results.emit(rid, hits, ms)

    def _on_failed(self, rid: int, message: str) -> None:
        if rid in (-1, self._latest.get()):
            self.failed.emit(rid, message)
