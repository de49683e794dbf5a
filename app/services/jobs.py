"""One-shot background jobs (model download, import, export, listing models, finding duplicates).

Like Anki's ``QueryOp[T]``, a :class:`Job` is typed by what it returns: its
callbacks take a ``T`` (``on_success``), an
:class:`~app.outcomes.OpFailure` (``on_failure``) or counts
(``on_progress``), and run on the GUI thread.  The Qt signals underneath
carry no untyped payload: the job keeps its result itself and only says
that it succeeded.  A ``QRunnable`` is not a ``QObject``, so each job has a
separate :class:`JobSignals` object; the :class:`JobRunner` keeps a
reference to every running job until it finishes.  A job's exception is
logged and reported as an ``OpFailure``, never swallowed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from app.outcomes import Operation, OpFailure
from indexer.cancel import CancelToken
from indexer.errors import Cancelled, IndexerError

logger = logging.getLogger(__name__)

T = TypeVar("T")

Report = Callable[[int, int], None]
"""What a job calls to report progress: ``(done, total)`` (bytes, photos...)."""


C = TypeVar("C", bound=Callable[..., None])


def alive(callbacks: list[C]) -> list[C]:
    """The callbacks whose object, if it is a Qt object, still exists (a dialog closed meanwhile does not)."""
    return [fn for fn in callbacks
            if not isinstance(owner := getattr(fn, "__self__", None), QObject) or shiboken6.isValid(owner)]


class JobSignals(QObject, Generic[T]):
    """Signals of a :class:`Job` (emitted on its pool thread), and its callbacks, which this object -- created
    on the GUI thread with the job -- runs there when the signals arrive.

    Signals:
        progress(int, int): done, of total.
        succeeded(): the job returned (its value is in ``value``).
        failed(OpFailure): the job raised.
        cancelled(): the job stopped because its token was cancelled.
        finished(): always emitted last.
    """

    progress = Signal(int, int)
    succeeded = Signal()
    failed = Signal(OpFailure)
    cancelled = Signal()
    finished = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.value: T | None = None   # set on the pool thread before ``succeeded``
        self.success: list[Callable[[T], None]] = []
        self.failure: list[Callable[[OpFailure], None]] = []
        self.progressed: list[Callable[[int, int], None]] = []
        self.stopped: list[Callable[[], None]] = []
        self.ended: list[Callable[[], None]] = []
        # connected to this object's methods: queued to the GUI thread, whatever thread emits
        self.progress.connect(self._on_progress)
        self.succeeded.connect(self._on_succeeded)
        self.failed.connect(self._on_failed)
        self.cancelled.connect(self._on_cancelled)
        self.finished.connect(self._on_finished)

    def _on_progress(self, done: int, total: int) -> None:
        for fn in alive(self.progressed):
            fn(done, total)

    def _on_succeeded(self) -> None:
        for fn in alive(self.success):
            fn(self.value)  # type: ignore[arg-type]  # set before `succeeded` (T may itself be None)

    def _on_failed(self, failure: OpFailure) -> None:
        for fn in alive(self.failure):
            fn(failure)

    def _on_cancelled(self) -> None:
        for fn in alive(self.stopped):
            fn()

    def _on_finished(self) -> None:
        for fn in alive(self.ended):
            fn()


class Job(QRunnable, Generic[T]):
    """Runs ``fn(token, report)`` on a pool thread; the callbacks registered with ``on_*`` run on the
    GUI thread (create the job there), in the order registered."""

    def __init__(self, fn: Callable[[CancelToken, Report], T], name: str = "job",
                 operation: Operation = Operation.MODEL):
        super().__init__()
        self.setAutoDelete(False)       # the runner owns it until `finished`
        self.fn = fn
        self.name = name
        self.operation = operation
        self.token = CancelToken()
        self.signals: JobSignals[T] = JobSignals()

    # ---- typed callbacks (GUI thread) --------------------------------------------
    def on_success(self, fn: Callable[[T], None]) -> Job[T]:
        self.signals.success.append(fn)
        return self

    def on_failure(self, fn: Callable[[OpFailure], None]) -> Job[T]:
        self.signals.failure.append(fn)
        return self

    def on_progress(self, fn: Callable[[int, int], None]) -> Job[T]:
        self.signals.progressed.append(fn)
        return self

    def on_cancelled(self, fn: Callable[[], None]) -> Job[T]:
        self.signals.stopped.append(fn)
        return self

    def on_finished(self, fn: Callable[[], None]) -> Job[T]:
        self.signals.ended.append(fn)
        return self

    def cancel(self) -> None:
        self.token.cancel()

    # ---- the pool thread ----------------------------------------------------------
    def run(self) -> None:
        try:
            value = self.fn(self.token, self.signals.progress.emit)
        except Cancelled:
            self.signals.cancelled.emit()
        except Exception as exc:  # surfaced, never swallowed
            logger.warning("%s failed: %s", self.name, exc, exc_info=not isinstance(exc, IndexerError))
            self.signals.failed.emit(OpFailure.of(self.operation, exc))
        else:
            if self.token.cancelled:
                self.signals.cancelled.emit()
            else:
                self.signals.value = value     # before the signal: its queued delivery reads it
                self.signals.succeeded.emit()
        finally:
            self.signals.finished.emit()


class JobRunner(QObject):
    """Starts jobs on a small private pool and keeps each one alive while it runs."""

    def __init__(self, parent: QObject | None = None, *, threads: int = 2):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._running: set[Job[object]] = set()

    def start(self, job: Job[T]) -> Job[T]:
        self._running.add(job)  # type: ignore[arg-type]  # kept only to be kept alive
        job.on_finished(lambda j=job: self._running.discard(j))  # type: ignore[misc]
        self._pool.start(job)
        return job

    def running(self) -> int:
        return len(self._running)

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Cancel every job and wait for the pool (True when it emptied in time)."""
        for job in list(self._running):
            job.cancel()
        return self._pool.waitForDone(timeout_ms)
