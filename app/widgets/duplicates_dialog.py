"""The Duplicates window: scan, look at each group side by side, choose, trash, undo.

It shows what it is given and asks for work by signal (the application
connects them to the duplicate service); nothing here reads the library,
decodes a photo on the GUI thread (thumbnails come from a ``ThumbnailLoader``)
or trashes a file.  Groups are shown a page at a time; the trash button acts
on the choices of every group found, shown or not.

Signals:
    scanRequested(ScanRequest): find groups of a kind, or of every kind.
    cancelRequested(): stop the scan in progress.
    trashRequested(CleanupPlan): the plan, (photo kept, photo ids) per group, confirmed by the user.
    undoRequested(): put the latest clean-up back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.duplicate_choices import DuplicateChoices
from app.payloads import CleanupPlan, ScanRequest
from app.plain_text import plain, plain_message_box
from app.thumbnails import ThumbnailLoader
from app.widgets.duplicate_group_card import GroupCard
from indexer.duplicates.groups import DuplicateGroup

PAGE = 50  # group cards built at a time
KINDS = (("All kinds", None), ("Exact copies", "exact"), ("Near copies", "near"), ("Bursts", "burst"))


def megabytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def ask(parent: QWidget, question: str, detail: str) -> bool:
    """The default confirmation: a Yes/No message box (plain text)."""
    box = QMessageBox(QMessageBox.Icon.Question, "Move to the trash", question,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.setInformativeText(detail)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    plain_message_box(box)
    return box.exec() == QMessageBox.StandardButton.Yes


class DuplicatesDialog(QDialog):
    """See the module doc."""

    scanRequested = Signal(ScanRequest)
    cancelRequested = Signal()
    trashRequested = Signal(CleanupPlan)
    undoRequested = Signal()

    def __init__(self, parent: QWidget | None = None, *, confirm: Callable[[QWidget, str, str], bool] = ask):
        super().__init__(parent)
        self.setWindowTitle("Duplicates")
        self.resize(980, 700)
        self._confirm = confirm
        self.choices = DuplicateChoices()
        self.cards: list[GroupCard] = []
        self._thumbnails: dict[int, str] = {}
        self._loader = ThumbnailLoader(self, threads=1)
        self._loader.loaded.connect(self._on_thumbnail)

        self.kind = QComboBox()
        for label, _kind in KINDS:
            self.kind.addItem(label)
        self.scan_button = QPushButton("Scan")
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel("Press Scan to look for copies, re-saves and bursts.")
        self.more_button = QPushButton("Show more groups")
        self.more_button.setVisible(False)
        self.trash_button = QPushButton()
        self.undo_button = QPushButton("Undo last clean-up")
        self.outcome = QLabel()
        plain(self.status, self.outcome)
        self.status.setWordWrap(True)
        self.outcome.setWordWrap(True)

        self._list = QWidget()
        self._rows = QVBoxLayout(self._list)
        self._rows.addStretch(1)
        scroll = QScrollArea()
        scroll.setAccessibleName("Groups of duplicates")
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._list)

        top = QHBoxLayout()
        top.addWidget(self.kind)
        top.addWidget(self.scan_button)
        top.addWidget(self.progress, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.outcome, 1)
        bottom.addWidget(self.undo_button)
        bottom.addWidget(self.trash_button)
        col = QVBoxLayout(self)
        col.addLayout(top)
        col.addWidget(self.status)
        col.addWidget(scroll, 1)
        col.addWidget(self.more_button)
        col.addLayout(bottom)

        self.scan_button.clicked.connect(self.scan)
        self.more_button.clicked.connect(self._add_page)
        self.trash_button.clicked.connect(self.trash)
        self.undo_button.clicked.connect(self.undoRequested)
        self._update_trash_button()

    # -- requests ------------------------------------------------------------------
    def scan(self) -> None:
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.scan_button.setEnabled(False)
        self.status.setText("Comparing photos...")
        self.scanRequested.emit(ScanRequest(KINDS[self.kind.currentIndex()][1]))

    def trash(self) -> None:
        count, size = self.choices.count(), self.choices.bytes()
        if not count:
            return
        groups = sum(1 for c in self.choices.choices if c.trash)
        question = f"Move {count} photo(s) ({megabytes(size)}) to the trash?"
        detail = (f"From {groups} group(s); the photo kept in each group stays. They go to the system trash, "
                  "not deleted, and Undo puts them back.")
        if self._confirm(self, question, detail):
            self.trash_button.setEnabled(False)
            self.outcome.setText("Moving to the trash...")
            self.trashRequested.emit(self.choices.plan())

    # -- what the service reports ------------------------------------------------------
    def set_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def set_groups(self, groups: list[DuplicateGroup], thumbnails: dict[int, str] | None = None,
                   waiting: int = 0) -> None:
        self.progress.setVisible(False)
        self.scan_button.setEnabled(True)
        self._thumbnails = dict(thumbnails or {})
        self.choices.set_groups(groups)
        for card in self.cards:
            card.deleteLater()
        self.cards = []
        self._add_page()
        photos = sum(len(g.photos) for g in groups)
        text = f"{len(groups)} group(s), {photos} photos." if groups else "No duplicates found."
        if waiting:
            text += f" {waiting} photo(s) are not fingerprinted yet (indexing does it): look again later."
        self.status.setText(text)
        self._update_trash_button()

    def show_error(self, message: str) -> None:
        self.progress.setVisible(False)
        self.scan_button.setEnabled(True)
        self.outcome.setText(message)
        self._update_trash_button()

    def show_cleaned(self, report) -> None:
        """After a trash: the photos moved leave the window (``report``: a ``CleanupReport``)."""
        text = f"Moved {len(report.trashed)} photo(s) ({megabytes(report.bytes)}) to the trash."
        if report.already_gone:
            text += f" {len(report.already_gone)} were already gone."
        if report.skipped:
            text += f" {len(report.skipped)} left alone: {report.skipped[0][1]}."
        self.outcome.setText(text)
        removed = set(report.removed_ids)
        remaining = []
        for choice in self.choices.choices:
            group = choice.group if choice.keep == choice.group.keep.id else choice.group.with_keeper(choice.keep)
            photos = tuple(p for p in group.photos if p.id not in removed)
            if len(photos) > 1:
                remaining.append(replace(group, photos=photos))
        self.set_groups(remaining, self._thumbnails)

    def show_undone(self, report) -> None:
        text = f"Put back {len(report.restored)} photo(s) from the trash."
        if report.skipped:
            text += f" {len(report.skipped)} not: {report.skipped[0][1]}."
        self.outcome.setText(text + " Scan again to see their groups.")
        self._update_trash_button()

    # -- internals -----------------------------------------------------------------------
    def _add_page(self) -> None:
        start = len(self.cards)
        for index in range(start, min(start + PAGE, len(self.choices))):
            choice = self.choices.choices[index]
            card = GroupCard(index + 1, choice.group)
            card.keepChosen.connect(lambda pid, i=index: self._keep(i, pid))
            card.trashToggled.connect(lambda pid, on, i=index: self._mark(i, pid, on))
            self._rows.insertWidget(self._rows.count() - 1, card)
            self.cards.append(card)
            self._show(index)
            for photo in choice.group.photos:
                sources = [self._thumbnails.get(photo.id, ""), str(photo.path)]
                image = self._loader.get(str(photo.id), [s for s in sources if s])
                if image is not None:
                    card.set_image(photo.id, image)
        self.more_button.setVisible(len(self.cards) < len(self.choices))

    def _show(self, index: int) -> None:
        if index < len(self.cards):
            self.cards[index].show_choice(self.choices.choices[index], lambda pid: self.choices.can_trash(index, pid))

    def _keep(self, index: int, photo_id: int) -> None:
        self.choices.keep(index, photo_id)
        self._show(index)
        self._update_trash_button()

    def _mark(self, index: int, photo_id: int, on: bool) -> None:
        self.choices.set_trash(index, photo_id, on)
        self._show(index)
        self._update_trash_button()

    def _update_trash_button(self) -> None:
        count = self.choices.count()
        self.trash_button.setText(f"Trash {count} suggested ({megabytes(self.choices.bytes())})")
        self.trash_button.setEnabled(count > 0)

    def _on_thumbnail(self, key: str, image: QImage) -> None:
        photo_id = int(key)
        for card in self.cards:
            card.set_image(photo_id, image)

    def done(self, result: int) -> None:  # closing: stop the scan and the thumbnail threads
        self.cancelRequested.emit()
        self._loader.cancel_pending()
        super().done(result)
