"""Figures: the GUI thread is never blocked while 1,000 photos index; the window shows fast."""

from __future__ import annotations

import os
import time

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest

from tests.support.photos import photo

pytestmark = pytest.mark.gui

TICK_MS = 20
LIMIT_S = 0.100
FREEZE_S = 0.500


class LatenessProbe:
    """A GUI-thread timer that measures how late each of its own ticks fires."""

    def __init__(self, interval_ms: int = TICK_MS):
        self.interval = interval_ms / 1000
        self.samples: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self._last = 0.0

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.samples.append(max(0.0, now - self._last - self.interval))
        self._last = now

    def worst(self) -> float:
        return max(self.samples)

    def p99(self) -> float:
        s = sorted(self.samples)
        return s[int(0.99 * (len(s) - 1))]


def write_small_photos(folder, n: int) -> None:
    for i in range(n):
        sub = folder / f"roll{i // 250}"
        sub.mkdir(parents=True, exist_ok=True)
        photo(10_000 + i, (320, 240)).save(sub / f"p{i:04d}.jpg", quality=85)


def test_gui_thread_lateness_while_1000_photos_index(make_app, qtbot, empty_library_dir, tmp_path, capsys):
    folder = tmp_path / "thousand"
    write_small_photos(folder, 1000)
    app = make_app(empty_library_dir)
    w = app.window
    qtbot.waitExposed(w)
    with qtbot.waitSignal(app.search.ready, timeout=30000):    # start-up model load: not indexing
        pass
    # a user typing queries while indexing runs
    words = iter(["red", "a beach", "night sky", "green circle", "sunset", "blue square"] * 50)
    typing = QTimer()
    typing.setInterval(700)
    typing.timeout.connect(lambda: (w.search_bar.setText(next(words)), QTest.keyClick(w.search_bar, Qt.Key.Key_Return)))
    probe = LatenessProbe()
    probe.start()
    typing.start()
    started = time.perf_counter()
    with qtbot.waitSignal(app.index.indexingChanged, timeout=30000, check_params_cb=lambda on: on):
        w.add_folder(folder)
    with qtbot.waitSignal(app.index.indexingChanged, timeout=240000, check_params_cb=lambda on: not on):
        pass
    elapsed = time.perf_counter() - started
    typing.stop()
    probe.stop()
    assert app.index.last_status.indexed == 1000
    load = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    with capsys.disabled():
        print(f"\n[figure] GUI-thread lateness while indexing 1,000 photos ({elapsed:.1f} s, "
              f"{len(probe.samples)} ticks of {TICK_MS} ms, searches every 0.7 s): "
              f"max {probe.worst() * 1000:.1f} ms, p99 {probe.p99() * 1000:.1f} ms "
              f"(machine load average {load:.1f} on {cores} cores)")
    # The target (no GUI-thread stall over 100 ms) is held at the 99th percentile: a blocking call
    # on the GUI thread (a decode, an embedding, a catalog write) repeats for every photo and moves
    # the percentile. One lone late tick is the OS scheduler on a shared 2-core machine (the
    # interpreter lock's holder off-CPU for a slice), so the worst tick is held to a freeze bound.
    assert probe.p99() < LIMIT_S
    assert probe.worst() < FREEZE_S


def test_window_shows_before_the_library_and_model_load(qtbot, library_dir, ui_settings, tmp_path, capsys):
    from app.application import PhotoseekApp

    started = time.perf_counter()
    app = PhotoseekApp(library_dir, ui_settings=ui_settings, first_run=False, watch=False)
    qtbot.addWidget(app.window)
    app.start()
    qtbot.waitExposed(app.window)
    shown = time.perf_counter() - started
    with qtbot.waitSignal(app.search.ready, timeout=30000):
        pass
    ready = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n[figure] window shown in {shown * 1000:.0f} ms; library open and model warm after "
              f"{ready * 1000:.0f} ms (in the background)")
    app.window.close()
    assert shown < 1.5
