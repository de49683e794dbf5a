"""Service threads: a ``QObject`` that runs posted calls, in order, on a ``QThread`` of its own.

A service posts a :class:`Call` -- a closure plus what to do if it raises --
with :meth:`ServiceWorker.post`; the worker runs it on its thread in the
order posted.  Every call path is an ordinary method call inside a closure,
so readers and tools can follow it.  An exception is logged and handed to the
call's ``failed`` (which emits a readable error signal), never swallowed.
Threads stop by ``QThread.quit``/``wait`` -- never ``terminate()``.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QThread, Signal, Slot

from indexer.errors import IndexerError

logger = logging.getLogger(__name__)

BACKGROUND_NICE = 5


@dataclass(frozen=True)
class Call:
    """One request to a service thread."""

    what: str                                  # for the log, e.g. "add folder /photos"
    run: Callable[[], None]                    # runs on the service thread
    failed: Callable[[BaseException], None]    # runs there too when ``run`` raises


class ServiceWorker(QObject):
    """Lives on a service thread; runs each posted :class:`Call` there, in the order posted."""

    posted = Signal(Call)

    def __init__(self) -> None:
        super().__init__()
        self.posted.connect(self._run)

    def post(self, call: Call) -> None:
        """Queue ``call`` (from any thread)."""
        self.posted.emit(call)

    @Slot(Call)
    def _run(self, call: Call) -> None:
        try:
            call.run()
        except Exception as exc:  # surfaced through `failed`, never swallowed
            logger.warning("%s failed: %s", call.what, exc, exc_info=not isinstance(exc, IndexerError))
            call.failed(exc)


def start_thread(worker: QObject, name: str, parent: QObject) -> QThread:
    """Move ``worker`` to a new thread called ``name`` and start it (the worker is deleted with it)."""
    thread = QThread(parent)
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.finished.connect(worker.deleteLater)
    thread.start()
    return thread


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
