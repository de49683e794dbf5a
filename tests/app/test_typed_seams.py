"""The GUI's seams are typed: jobs hand back a T or an OpFailure, failures are dismissed by operation, and a
writer operation says what it changed."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.outcomes import Changed, FailureKind, LibraryChange, Operation, OpFailure
from app.services.jobs import Job, JobRunner
from app.widgets.banner import Banner
from indexer.errors import LibraryLocked, ModelNotFound, UsageError

pytestmark = pytest.mark.gui


@pytest.mark.parametrize(("exc", "kind"), [
    (ModelNotFound("no model"), FailureKind.MODEL_MISSING),
    (LibraryLocked(Path("/lib"), 123), FailureKind.LOCKED),
    (UsageError("bad"), FailureKind.REFUSED),
    (FileNotFoundError(2, "No such file", "/x.jpg"), FailureKind.FILE),
    (ZeroDivisionError("oops"), FailureKind.UNEXPECTED),
])
def test_a_failure_says_its_kind_and_a_readable_line(exc, kind):
    failure = OpFailure.of(Operation.SEARCH, exc)
    assert (failure.operation, failure.kind) == (Operation.SEARCH, kind)
    assert "\n" not in failure.message and failure.message


def test_a_job_hands_its_typed_result_and_progress_to_the_gui_thread(qtbot):
    runner = JobRunner()
    gui = threading.current_thread()
    seen: list[tuple[str, object, threading.Thread]] = []

    def work(_token, report) -> list[int]:
        report(1, 2)
        return [1, 2, 3]

    job: Job[list[int]] = Job(work, "count")
    job.on_progress(lambda done, total: seen.append(("progress", (done, total), threading.current_thread())))
    job.on_success(lambda value: seen.append(("success", value, threading.current_thread())))
    job.on_finished(lambda: seen.append(("finished", None, threading.current_thread())))
    runner.start(job)
    qtbot.waitUntil(lambda: len(seen) == 3, timeout=5000)
    assert [(what, value) for what, value, _ in seen] == [("progress", (1, 2)), ("success", [1, 2, 3]),
                                                          ("finished", None)]
    assert all(thread is gui for _, _, thread in seen)
    assert runner.shutdown(5000)


def test_a_failing_job_reports_a_typed_failure(qtbot):
    runner = JobRunner()
    failures: list[OpFailure] = []

    def work(_token, _report) -> int:
        raise UsageError("that folder is the library's own")

    job: Job[int] = Job(work, "add", Operation.CHANGE)
    job.on_success(lambda _v: pytest.fail("no result after a failure"))
    job.on_failure(failures.append)
    runner.start(job)
    qtbot.waitUntil(lambda: bool(failures), timeout=5000)
    assert failures == [OpFailure(Operation.CHANGE, FailureKind.REFUSED, "that folder is the library's own")]
    assert runner.shutdown(5000)


def test_the_banner_dismisses_a_failure_by_its_operation(qtbot):
    banner = Banner()
    qtbot.addWidget(banner)
    banner.show()
    banner.show_failure(OpFailure(Operation.CHANGE, FailureKind.FILE, "Permission denied: /photos"))
    banner.dismiss(Operation.SEARCH)          # a search worked: the folder failure stays
    assert banner.failed_operation() is Operation.CHANGE
    banner.show_error("The search failed: no model", Operation.SEARCH)
    banner.dismiss(Operation.SEARCH)
    assert banner.failed_operation() is None and not banner.isVisible()


def test_a_change_says_what_it_touched():
    change = LibraryChange(Changed.FOLDERS | Changed.PHOTOS)
    assert change.touches(Changed.PHOTOS) and not change.touches(Changed.SETTINGS | Changed.MODEL)
    assert not LibraryChange(Changed.SETTINGS).touches(Changed.PHOTOS | Changed.FOLDERS)
