"""The status bar's numbers: counts that add up during a run, and an ETA from a smoothed recent rate."""

from __future__ import annotations

import pytest

from app.progress_estimate import HALF_LIFE_S, SmoothedRate, live_counts
from indexer.progress import Phase, Progress
from indexer.status import LibraryStatus


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_eta_follows_the_recent_rate_not_a_fast_start():
    clock = Clock()
    rate = SmoothedRate(clock)
    rate.update(0)
    assert rate.eta(96) is None
    clock.now, done = 1.0, 19      # a fast start: 19 photos in the first second
    rate.update(done)
    assert rate.eta(96 - done) is None   # too early to promise anything
    for _ in range(6 * int(HALF_LIFE_S)):  # then 6 photos a second
        clock.now += 1.0
        done += 6
        rate.update(done)
    assert rate.rate == pytest.approx(6.0, rel=0.05)
    assert rate.eta(600) == pytest.approx(100.0, rel=0.05)


def test_a_new_run_starts_the_rate_again():
    clock = Clock()
    rate = SmoothedRate(clock)
    for t in range(10):
        clock.now = float(t)
        rate.update(t * 10)
    clock.now = 11.0
    rate.update(0)                # done went back: another run
    assert rate.rate == 0.0 and rate.eta(50) is None


def test_counts_add_up_while_a_run_is_going():
    before = LibraryStatus(photos=0, indexed=0, failed=0, folders=1)
    counts = live_counts(before, Progress(Phase.INDEXING, done=48, total=96, failed=2))
    assert (counts.photos, counts.indexed, counts.failed) == (96, 46, 2)
    after_scan = LibraryStatus(photos=100, indexed=4, failed=1, folders=1)
    counts = live_counts(after_scan, Progress(Phase.INDEXING, done=10, total=95))
    assert (counts.photos, counts.indexed, counts.failed) == (100, 14, 1)
    idle = live_counts(after_scan, Progress(Phase.DONE))
    assert (idle.photos, idle.indexed, idle.failed) == (100, 4, 1)


@pytest.mark.qt_log_ignore(r"^This plugin does not support propagateSizeHints\(\)$")
def test_the_status_bar_counts_agree_with_the_progress(qtbot):
    from app.widgets.index_status import IndexStatus

    bar = IndexStatus()
    qtbot.addWidget(bar)
    bar.show()
    bar.set_summary(LibraryStatus(photos=0, indexed=0, folders=1, model="m"))   # before the folder was scanned
    bar.set_indexing(True)
    bar.set_progress(Progress(Phase.INDEXING, done=48, total=96))
    assert bar.summary.text().startswith("48 photos indexed of 96 ·") and "Indexing 48 of 96" in bar.activity.text()
    bar.set_summary(LibraryStatus(photos=96, indexed=48, folders=1, model="m"))  # fresh counts mid-run
    assert bar.summary.text().startswith("48 photos indexed of 96 ·")
    bar.set_progress(Progress(Phase.INDEXING, done=60, total=96, failed=1))
    assert bar.summary.text().startswith("59 photos indexed of 96 ·") and bar.unreadable.text() == "1 unreadable"
    bar.set_summary(LibraryStatus(photos=96, indexed=95, failed=1, folders=1, model="m"))
    bar.set_indexing(False)
    assert bar.summary.text().startswith("95 photos indexed ·")
