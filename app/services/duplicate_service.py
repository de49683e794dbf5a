"""Duplicate finding and cleaning for the GUI, off the GUI thread.

Finding groups only reads: it runs as a :class:`~app.services.jobs.Job` on
the job pool through the library's reader (``LibraryReader.duplicates``).
Trashing and undoing change the library: they run on the writer's thread
through :meth:`IndexService.run_on_writer` (between indexing batches), and
their reports come back by signal.

Signals:
    scanProgress(int, int): photos compared, of all.
    groupsFound(DuplicateScan): the groups, their stored thumbnails, photos not fingerprinted yet.
    scanFailed(OpFailure): why finding duplicates failed.
    cleaned(CleanupReport): the writer's report after a trash.
    undone(UndoReport): the writer's report after an undo.
    cleanupFailed(OpFailure): why a trash or an undo failed.
    changed(LibraryChange): a trash or an undo removed or restored photos.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from app.outcomes import Changed, LibraryChange, Operation, OpFailure
from app.payloads import CleanupPlan, ScanRequest
from app.services.index_service import IndexService
from app.services.jobs import Job, JobRunner, Report
from indexer.cancel import CancelToken
from indexer.duplicates.cleanup import CleanupReport, UndoReport
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
                report(p.done, p.total)
        except StopIteration as stop:
            groups: list[DuplicateGroup] = stop.value
        finally:
            reader.close_thread()  # this pool thread's connection
        thumbs = {p.id: str(reader.thumbnail_path(p.id)) for g in groups for p in g.photos}
        return DuplicateScan(groups, thumbs, reader.unfingerprinted())

    return Job(run, "find duplicates", Operation.DUPLICATES)


class DuplicateService(QObject):
    """See the module doc."""

    scanProgress = Signal(int, int)
    groupsFound = Signal(DuplicateScan)
    scanFailed = Signal(OpFailure)
    cleaned = Signal(CleanupReport)
    undone = Signal(UndoReport)
    cleanupFailed = Signal(OpFailure)
    changed = Signal(LibraryChange)
    # emitted on the writer's thread; each is connected to its public twin, which is so emitted on the GUI
    # thread (a receiver without a thread of its own -- a lambda -- runs there, not on the writer's)
    _cleanedThere = Signal(CleanupReport)
    _undoneThere = Signal(UndoReport)
    _cleanupFailedThere = Signal(OpFailure)
    _changedThere = Signal(LibraryChange)

    def __init__(self, index: IndexService, jobs: JobRunner, parent: QObject | None = None):
        super().__init__(parent)
        self._index = index
        self._jobs = jobs
        self._reader: LibraryReader | None = None
        self._job: Job[DuplicateScan] | None = None
        self._cleanedThere.connect(self._on_cleaned)
        self._undoneThere.connect(self._on_undone)
        self._cleanupFailedThere.connect(self._on_cleanup_failed)
        self._changedThere.connect(self._on_changed)

    def use_reader(self, reader: LibraryReader) -> None:
        self._reader = reader

    def scan(self, request: ScanRequest) -> None:
        """Find duplicate groups (of the kind asked for, or all); the scan in progress, if any, is cancelled."""
        if self._reader is None:
            self.scanFailed.emit(OpFailure.not_ready(Operation.DUPLICATES))
            return
        if self._job is not None:
            self._job.cancel()
        job = self._job = scan_job(self._reader, request.kind)
        job.on_progress(self.scanProgress.emit).on_failure(self.scanFailed.emit)
        job.on_success(lambda scan, j=job: self._on_result(j, scan))  # type: ignore[misc]
        self._jobs.start(job)

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None

    def trash(self, plan: CleanupPlan) -> None:
        """Move the photos of ``plan`` ((photo kept, [ids]) per group) to the trash, on the writer's thread."""
        def run(lib: Library) -> None:
            report = lib.trash_photos(plan)
            self._cleanedThere.emit(report)
            if report.removed_ids or report.already_gone:
                self._changedThere.emit(LibraryChange(Changed.PHOTOS))
        self._index.run_on_writer("trash duplicates", run, self._failed)

    def undo(self, action_id: int | None = None) -> None:
        def run(lib: Library) -> None:
            report = lib.undo_cleanup(action_id)
            self._undoneThere.emit(report)
            if report.restored:
                self._changedThere.emit(LibraryChange(Changed.PHOTOS))
        self._index.run_on_writer("undo a clean-up", run, self._failed)

    def _failed(self, exc: BaseException) -> None:  # on the writer's thread: signals cross to the GUI's
        self._cleanupFailedThere.emit(OpFailure.of(Operation.CLEANUP, exc))

    # ---- the writer's reports, on the GUI thread ----------------------------------------
    def _on_cleaned(self, report: CleanupReport) -> None:
        self.cleaned.emit(report)

    def _on_undone(self, report: UndoReport) -> None:
        self.undone.emit(report)

    def _on_cleanup_failed(self, failure: OpFailure) -> None:
        self.cleanupFailed.emit(failure)

    def _on_changed(self, change: LibraryChange) -> None:
        self.changed.emit(change)

    def _on_result(self, job: Job[DuplicateScan], scan: DuplicateScan) -> None:
        if job is self._job:  # a newer scan replaced it: drop it
            self._job = None
            self.groupsFound.emit(scan)
