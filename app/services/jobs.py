"""One-shot background jobs (model download, import, export, listing models).

A ``QRunnable`` is not a ``QObject``, so each :class:`Job` carries a
separate :class:`JobSignals` object; the :class:`JobRunner` keeps a
reference to every running job until it finishes.  A job's exception is
logged and emitted as a readable message, never swallowed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from indexer.cancel import CancelToken
from indexer.errors import Cancelled, IndexerError

logger = logging.getLogger(__name__)

T = TypeVar("T", covariant=True)

Report = Callable[[object], None]
"""What a job calls to report progress (the value is emitted as ``progress``)."""


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


class JobSignals(QObject):
    """Signals of a :class:`Job` (emitted on its pool thread, delivered on the receiver's).

    Signals:
        progress(object): whatever the job reports (e.g. ``(done, total)`` bytes).
        result(object): the job's return value.
        error(str, Exception): a readable message and the exception.
        cancelled(): the job stopped because its token was cancelled.
        finished(): always emitted last.
    """

    progress = Signal(object)
    result = Signal(object)
    error = Signal(str, Exception)
    cancelled = Signal()
    finished = Signal()


class Job(QRunnable, Generic[T]):
    """Runs ``fn(token, report)`` on a pool thread; ``report(x)`` emits ``progress``."""

    def __init__(self, fn: Callable[[CancelToken, Report], T], name: str = "job"):
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
    """Starts jobs on a small private pool and keeps each one alive while it runs."""

    def __init__(self, parent: QObject | None = None, *, threads: int = 2):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)
        self._running: set[Job[object]] = set()

    def start(self, job: Job[T]) -> Job[T]:
        self._running.add(job)
        job.signals.finished.connect(lambda j=job: self._running.discard(j))
        self._pool.start(job)
        return job

    def running(self) -> int:
        return len(self._running)

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Cancel every job and wait for the pool (True when it emptied in time)."""
        for job in list(self._running):
            job.cancel()
        return self._pool.waitForDone(timeout_ms)
