"""Cancel and pause tokens for long-running core work (thread-safe)."""

from __future__ import annotations

import threading

from indexer.errors import Cancelled


class CancelToken:
    """Checked by long operations between units of work.

    ``cancel()`` asks the operation to stop at its next check; ``pause()``
    makes ``wait_if_paused()`` block until ``resume()`` or ``cancel()``.
    ``held`` says whether the operation has reached such a pause point and
    is waiting there: from then on it does nothing until it is resumed.
    """

    def __init__(self) -> None:
        self._cancelled = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._lock = threading.Lock()
        self._waiting = 0  # threads blocked in wait_if_paused

    def cancel(self) -> None:
        self._cancelled.set()
        self._running.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def raise_if_cancelled(self) -> None:
        if self._cancelled.is_set():
            raise Cancelled("cancelled")

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def held(self) -> bool:
        """Paused, and the operation is waiting at a pause point (not merely asked to pause)."""
        with self._lock:
            return self._waiting > 0 and self.paused

    def wait_if_paused(self, timeout: float | None = None) -> None:
        """Block while paused; raise ``Cancelled`` if cancelled meanwhile."""
        if not self._running.is_set():
            with self._lock:
                self._waiting += 1
            try:
                self._running.wait(timeout)
            finally:
                with self._lock:
                    self._waiting -= 1
        self.raise_if_cancelled()

    def sleep(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if cancelled meanwhile."""
        return self._cancelled.wait(seconds)
