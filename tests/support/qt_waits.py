"""Event-driven waits for tests of Qt services: prove that something did *not* happen without sleeping.

A service thread emits its reports as queued signals, which the GUI thread
delivers in the order they were posted.  :func:`drain` posts one more call
to the service's worker that answers with a queued signal of its own; when
that answer arrives, every report the worker emitted before it has been
delivered (or dropped) on the GUI thread, so a test can then assert that a
report never came.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.services.threads import Call, ServiceWorker


class _Echo(QObject):
    """Lives on the GUI thread; ``ping`` emitted from another thread is delivered here, queued."""

    ping = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.answered = False
        self.ping.connect(self._answer)

    def _answer(self) -> None:
        self.answered = True


def drain(qtbot, worker: ServiceWorker, timeout: int = 10000) -> None:
    """Wait until ``worker`` ran every call posted to it so far and the GUI thread received every signal
    it emitted meanwhile."""
    echo = _Echo()
    worker.post(Call("tests: drain", echo.ping.emit, lambda exc: None))
    qtbot.waitUntil(lambda: echo.answered, timeout=timeout)
