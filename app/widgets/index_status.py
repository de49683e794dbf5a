"""Indexing progress for the status bar: counts that add up, done/total, photos/s, a smoothed ETA, pause,
and the number of unreadable files (a button that opens their list).

Embedding and the stages after it (fingerprinting for duplicates, reading the text in photos) are
shown as separate activities, each with its own count, rate and ETA.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from app.plain_text import plain, tooltip
from app.progress_estimate import SmoothedRate, live_counts
from app.resources import icon
from app.widgets.icon_button import icon_button
from indexer.progress import Phase, Progress
from indexer.status import LibraryStatus

IDLE = Progress(Phase.DONE)   # no run in progress: the library's own counts


def format_eta(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return ""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s left"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s left"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min left"


def format_count(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


class IndexStatus(QWidget):
    """Signals:
        pauseToggled(bool): True asks to pause, False to resume.
        foldersRequested(): the user clicked the library summary.
        failuresRequested(): the user clicked "N unreadable".
    """

    pauseToggled = Signal(bool)
    foldersRequested = Signal()
    failuresRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.summary = QLabel()
        self.summary.setAccessibleName("Library status")
        self.unreadable = QPushButton()
        self.unreadable.setObjectName("LinkButton")
        self.unreadable.setFlat(True)
        self.unreadable.setCursor(Qt.CursorShape.PointingHandCursor)
        self.unreadable.setToolTip("Show the files that could not be read, and why")
        self.unreadable.clicked.connect(self.failuresRequested)
        self.unreadable.hide()
        self.activity = QLabel()
        self.activity.setAccessibleName("Indexing progress")
        self.current = QLabel()
        self.current.setMaximumWidth(260)
        plain(self.summary, self.activity, self.current)  # file and model names: never markup
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setFixedWidth(180)
        self.pause_button = icon_button(None, "Pause indexing", size=14, checkable=True)
        self.pause_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)   # never in the Tab order: Space never pauses
        self.pause_button.toggled.connect(self._toggled)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.setSpacing(8)
        layout.addWidget(self.summary)
        layout.addWidget(self.unreadable)
        layout.addStretch(1)
        layout.addWidget(self.current)
        layout.addWidget(self.activity)
        layout.addWidget(self.bar)
        layout.addWidget(self.pause_button)
        self._last: Progress | None = None
        self._status = LibraryStatus()
        self._counted = (0, 0)   # (done, failed) of the run already in the status shown
        self._rate = SmoothedRate()
        self._update_pause_icon(False)
        self.set_indexing(False)

    def set_summary(self, status: LibraryStatus) -> None:
        self._status = status   # fresh counts: they include what the run in progress has done so far
        self._counted = (self._last.done, self._last.failed) if self._last is not None else (0, 0)
        self._render_summary()

    def _render_summary(self) -> None:
        status = self._status
        p = self._last if self._last is not None and self.pause_button.isVisibleTo(self) else None
        if p is not None and p.phase is not Phase.INDEXING:
            p = None   # the later stages count photos already indexed
        if p is not None and p.done < self._counted[0]:
            self._counted = (0, 0)   # another run started counting
        since = IDLE if p is None else Progress(p.phase, p.done - self._counted[0], p.total - self._counted[0],
                                                failed=max(0, p.failed - self._counted[1]))
        counts = live_counts(status, since)
        photos, indexed, failed, nfolders = counts.photos, counts.indexed, counts.failed, status.folders
        text = f"{format_count(indexed)} photos indexed"
        if photos > indexed + failed:
            text += f" of {format_count(photos)}"
        text += f" · {nfolders} folder{'s' if nfolders != 1 else ''}"
        if status.model:
            text += f" · {status.model}"
        self.summary.setText(text)
        self.unreadable.setText(f"{format_count(failed)} unreadable")
        self.unreadable.setVisible(failed > 0)

    def set_indexing(self, running: bool) -> None:
        for w in (self.activity, self.bar, self.pause_button, self.current):
            w.setVisible(running)
        if running:
            self._last = None
            self._counted = (0, 0)
            self._rate.reset()
            self.activity.setText("Looking for new and changed photos…")
            self.bar.setRange(0, 0)
            self.current.clear()
        else:
            self.pause_button.blockSignals(True)
            self.pause_button.setChecked(False)
            self.pause_button.blockSignals(False)
            self._update_pause_icon(False)
            self._last = None
            self._render_summary()

    def set_progress(self, p: Progress) -> None:
        if self._last is not None and self._last.phase is not p.phase:
            self._rate.reset()   # each stage its own rate and ETA
        self._last = p
        if p.total > 0:
            self._rate.update(p.done)
        self._render()
        self._render_summary()

    def _render(self) -> None:
        p = self._last
        if p is None:
            return
        done, total = p.done, p.total
        rate, eta = self._rate.rate, self._rate.eta(total - done)
        paused = self.pause_button.isChecked()
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
            verb = p.phase.label   # each stage names itself
            parts = [f"{verb} {format_count(done)} of {format_count(total)}"]
            if rate and not paused:
                parts.append(f"{rate:.1f} photos/s")
            if paused:
                parts.append("paused")
            else:
                e = format_eta(eta)
                if e:
                    parts.append(e)
        else:
            self.bar.setRange(0, 0)
            parts = ["Paused" if paused else "Looking for new and changed photos…"]
        self.activity.setText(" · ".join(parts))
        self.activity.setAccessibleName(f"{p.phase.label} progress")
        cur = p.current
        if cur and not paused:
            name = os.path.basename(str(cur))
            self.current.setText(self.current.fontMetrics().elidedText(name, Qt.TextElideMode.ElideMiddle, 250))
            self.current.setToolTip(tooltip(str(cur)))

    def set_paused(self, paused: bool) -> None:
        self.pause_button.blockSignals(True)
        self.pause_button.setChecked(paused)
        self.pause_button.blockSignals(False)
        self._update_pause_icon(paused)
        self._render()

    def _toggled(self, on: bool) -> None:
        self._update_pause_icon(on)
        self._render()
        self.pauseToggled.emit(on)

    def _update_pause_icon(self, paused: bool) -> None:
        self.pause_button.setIcon(icon("play" if paused else "pause"))
        self.pause_button.setToolTip("Resume indexing" if paused else "Pause indexing")

    def mousePressEvent(self, event) -> None:
        if self.summary.geometry().contains(event.position().toPoint()):
            self.foldersRequested.emit()
        super().mousePressEvent(event)
