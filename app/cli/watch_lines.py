"""What ``photoseek watch`` prints: a start line, then one line per batch of changes.

The watcher reports ``Progress``; the writer's ``last_scan`` says what the
reconciliation of a batch found (moved, removed, copied).  A batch that
changed nothing prints nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from indexer.progress import Phase, Progress
from indexer.scanner import ScanResult
from indexer.text.stage import READING_TEXT

UP_TO_DATE = "up to date"  # the watcher's message after each batch


def start_line(folders: int, library: str) -> str:
    return f"watching {folders} folder(s) of the library {library}; indexing what changed first (Ctrl+C to stop)"


def batch_line(indexed: int, moved: int, removed: int, failed: int) -> str:
    """``changes: indexed N, moved M, removed R, failed F`` (failed points at ``photoseek failures``)."""
    text = f"changes: indexed {indexed}, moved {moved}, removed {removed}, failed {failed}"
    return f"{text} (see `photoseek failures`)" if failed else text


class WatchLines:
    """Turns the watcher's progress into lines, written with ``write`` (one line each, no newline)."""

    def __init__(self, write: Callable[[str], None], last_scan: Callable[[], ScanResult]):
        self._write = write
        self._last_scan = last_scan
        self._watching = False  # the first full sync is over
        self._embedded = 0
        self._failed = 0
        self._reading_text = False  # the watcher is reading text in photos: no change to report after it

    def feed(self, progress: Progress) -> None:
        if progress.phase is READING_TEXT:
            self._reading_text = True
            return
        if progress.phase is Phase.DONE:
            self._embedded, self._failed = progress.done - progress.failed, progress.failed
            if not self._watching:
                self._write(f"indexed {self._embedded} photo(s)" + (
                    f", {self._failed} failed (see `photoseek failures`)" if self._failed else ""))
            return
        if progress.phase is not Phase.WATCHING:
            return
        if not self._watching:
            self._watching = True
            self._write(f"{progress.message}; waiting for changes")
            self._embedded = self._failed = 0
            return
        if progress.message == UP_TO_DATE and self._reading_text:
            self._reading_text = False  # idle again after reading text: no batch of changes
            return
        if progress.message == UP_TO_DATE:
            scan = self._last_scan()
            indexed = self._embedded + scan.copied
            if indexed or scan.moved or scan.deleted or self._failed:
                self._write(batch_line(indexed, scan.moved, scan.deleted, self._failed))
            self._embedded = self._failed = 0
