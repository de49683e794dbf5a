"""What the status bar says while indexing: counts that add up, and an ETA from a smoothed recent rate.

``SmoothedRate`` follows the photos per second measured between progress
reports (an exponential moving average over about ``HALF_LIFE_S`` seconds),
so a fast start (photos already decoded, small files) or a pause does not
promise an end the run will not keep.  ``live_counts`` adds a run's progress
to the library's counts from before the run, so "N photos indexed" moves
with "Indexing D of T" instead of staying at its old value.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from indexer.progress import Progress
from indexer.status import LibraryStatus

HALF_LIFE_S = 8.0     # the weight of a rate measured this long ago is halved
WARM_UP_S = 3.0       # no ETA before the rate has been followed this long


class SmoothedRate:
    """Photos per second, smoothed over time; ``eta`` once it has been followed for a few seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        self._started: float | None = None
        self._last: tuple[float, int] | None = None
        self.rate = 0.0

    def update(self, done: int) -> float:
        """Record that ``done`` photos are done now; returns the smoothed rate."""
        now = self._clock()
        if self._last is None or done < self._last[1]:
            self._started, self._last, self.rate = now, (now, done), 0.0
            return self.rate
        then, before = self._last
        dt = now - then
        if dt <= 0:
            return self.rate
        instant = (done - before) / dt
        weight = 1.0 - math.pow(0.5, dt / HALF_LIFE_S)
        self.rate = instant if self.rate == 0.0 else self.rate + weight * (instant - self.rate)
        self._last = (now, done)
        return self.rate

    def eta(self, remaining: int) -> float | None:
        """Seconds left for ``remaining`` photos at the smoothed rate; None until it is known."""
        if self._started is None or self._last is None or self.rate <= 0:
            return None
        if self._last[0] - self._started < WARM_UP_S:
            return None
        return max(0, remaining) / self.rate


@dataclass(frozen=True)
class LiveCounts:
    photos: int
    indexed: int
    failed: int


def live_counts(before: LibraryStatus, progress: Progress) -> LiveCounts:
    """The library's counts now: those from before the run plus what the run has done so far."""
    if progress.total <= 0:
        return LiveCounts(before.photos, before.indexed, before.failed)
    indexed = before.indexed + max(0, progress.done - progress.failed)
    failed = before.failed + max(0, progress.failed)
    left = max(0, progress.total - progress.done)
    return LiveCounts(max(before.photos, indexed + failed + left), indexed, failed)
