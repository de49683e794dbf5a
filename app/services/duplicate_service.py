"""Duplicate finding and cleaning for the GUI, off the GUI thread.

Finding groups only reads: it runs as a :class:`~app.services.jobs.Job` on
the job pool through the library's reader (``LibraryReader.duplicates``).
Trashing and undoing change the library: they run on the writer's thread
through :meth:`IndexService.run_on_writer` (between indexing batches), and
their reports come back by signal.

Signals:
    scanProgress(int, int): photos compared, of all.
    groupsFound(object): a :class:`DuplicateScan` (groups, stored thumbnails, photos not fingerprinted yet).
    scanFailed(str): why finding duplicates failed.
    cleaned(object): the writer's ``CleanupReport`` after a trash.
    undone(object): the writer's ``UndoReport`` after an undo.
    cleanupFailed(str): why a trash or an undo failed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.services.index_service import IndexService
from app.services.jobs import Job, JobRunner, Report, describe_error
from indexer.cancel import CancelToken
from indexer.duplicates.groups import DuplicateGroup
from indexer.library import Library
from indexer.library_reader import LibraryReader

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DuplicateScan:
    groups: list[DuplicateGroup]
    thumbnails: dict[int, str] = field(default_factory=dict)  # photo id -> its stored thumbnail
    waiting: int = 0  # indexed photos not fingerprinted yet


def scan_job(reader: LibraryReader, kind: str | None) -> Job[DuplicateScan]:
    def run(token: CancelToken, report: Report) -> DuplicateScan:
        gen = reader.duplicates(kind=kind, cancel=token)
        try:
            while True:
                p = next(gen)
                report((p.done, p.total))
        except StopIteration as stop:
            groups: list[DuplicateGroup] = stop.value
        finally:
            reader.close_thread()  # this pool thread's connection
        thumbs = {p.id: str(reader.thumbnail_path(p.id)) for g in groups for p in g.photos}
        return DuplicateScan(groups, thumbs, reader.unfingerprinted())

    return Job(run, "find duplicates")


class DuplicateService(QObject):
    """See the module doc."""

    scanProgress = Signal(int, int)
    groupsFound = Signal(object)
    scanFailed = Signal(str)
    cleaned = Signal(object)
    undone = Signal(object)
    cleanupFailed = Signal(str)

    def __init__(self, index: IndexService, jobs: JobRunner, parent: QObject | None = None):
        super().__init__(parent)
        self._index = index
        self._jobs = jobs
        self._reader: LibraryReader | None = None
        self._job: Job[DuplicateScan] | None = None

    def use_reader(self, reader: LibraryReader) -> None:
        self._reader = reader

    def scan(self, kind: str | None = None) -> None:
        """Find duplicate groups (of ``kind``, or all); the scan in progress, if any, is cancelled."""
        if self._reader is None:
            self.scanFailed.emit("The library is not open yet")
            return
        if self._job is not None:
            self._job.cancel()
        job = self._job = scan_job(self._reader, kind)
        job.signals.progress.connect(lambda p: self.scanProgress.emit(int(p[0]), int(p[1])))
        job.signals.result.connect(lambda scan, j=job: self._on_result(j, scan))
        job.signals.error.connect(lambda message, _exc: self.scanFailed.emit(message))
        self._jobs.start(job)

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None

    def trash(self, plan: list[tuple[Path, list[int]]]) -> None:
        """Move the photos of ``plan`` ((photo kept, [ids]) per group) to the trash, on the writer's thread."""
        def run(lib: Library) -> None:
            self.cleaned.emit(lib.trash_photos(plan))
        self._index.run_on_writer("trash duplicates", run, self._failed)

    def undo(self, action_id: int | None = None) -> None:
        def run(lib: Library) -> None:
            self.undone.emit(lib.undo_cleanup(action_id))
        self._index.run_on_writer("undo a clean-up", run, self._failed)

    def _failed(self, exc: BaseException) -> None:  # on the writer's thread: signals cross to the GUI's
        self.cleanupFailed.emit(describe_error(exc))

    def _on_result(self, job: Job[DuplicateScan], scan: DuplicateScan) -> None:
        if job is self._job:  # a newer scan replaced it: drop it
            self._job = None
            self.groupsFound.emit(scan)
