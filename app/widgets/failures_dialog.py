"""The files that could not be read, with the reasons: reveal one, open one, or try them again."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.payloads import Paths
from app.plain_text import plain, tooltip
from app.widgets.icon_button import text_only, unclipped
from indexer.status import Failure

PathRole = Qt.ItemDataRole.UserRole + 1


class FailuresDialog(QDialog):
    """A list of unreadable files (name, reason, folder).

    Signals:
        revealRequested(Path): show the file in its folder.
        openRequested(Path): open the file in the system viewer.
        retryRequested(Paths): try these files again.
    """

    revealRequested = Signal(Path)
    openRequested = Signal(Path)
    retryRequested = Signal(Paths)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Unreadable files")
        self.setObjectName("FailuresDialog")
        self.intro = QLabel("Reading these files…")
        self.intro.setWordWrap(True)
        plain(self.intro)
        self.list = QTreeWidget()
        self.list.setHeaderLabels(["File", "Why it could not be read", "Folder"])
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setAccessibleName("Unreadable files")
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.list.itemDoubleClicked.connect(lambda item, _col: self.openRequested.emit(item.data(0, PathRole)))
        self.reveal_button = QPushButton("Reveal in folder")
        self.open_button = QPushButton("Open")
        self.retry_button = QPushButton("Try again")
        self.retry_button.setToolTip("Read the selected files again (all of them when none is selected)")
        self.reveal_button.clicked.connect(lambda: self._each_selected(self.revealRequested))
        self.open_button.clicked.connect(lambda: self._each_selected(self.openRequested))
        self.retry_button.clicked.connect(self._retry)
        close = text_only(QDialogButtonBox(QDialogButtonBox.StandardButton.Close))
        close.rejected.connect(self.reject)
        buttons = QHBoxLayout()
        for b in (self.reveal_button, self.open_button, self.retry_button):
            b.setAutoDefault(False)
            buttons.addWidget(unclipped(b))
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.resize(860, 420)
        self._update_buttons()

    def set_failures(self, failures: Sequence[Failure]) -> None:
        self.list.clear()
        for f in failures:
            path = Path(f.path)
            item = QTreeWidgetItem([path.name, f.reason, os.path.dirname(str(path))])   # plain text columns
            item.setData(0, PathRole, path)
            item.setToolTip(0, tooltip(str(path)))
            item.setToolTip(1, tooltip(f.reason))
            self.list.addTopLevelItem(item)
        n = len(failures)
        self.intro.setText(
            "Every file could be read." if not n else
            f"{n} file{'s' if n != 1 else ''} could not be read. They are left out of searches; a file is read "
            "again when it changes, or when you try again.")
        self.list.resizeColumnToContents(0)
        self.list.setColumnWidth(0, min(self.list.columnWidth(0), 260))
        self.list.setColumnWidth(1, 340)
        self._update_buttons()

    def paths(self) -> list[Path]:
        items = (self.list.topLevelItem(i) for i in range(self.list.topLevelItemCount()))
        return [item.data(0, PathRole) for item in items if item is not None]

    def selected_paths(self) -> list[Path]:
        return [item.data(0, PathRole) for item in self.list.selectedItems()]

    def _each_selected(self, signal) -> None:
        for path in self.selected_paths()[:20]:   # a bounded number of windows
            signal.emit(path)

    def _retry(self) -> None:
        paths = self.selected_paths() or self.paths()
        if paths:
            self.intro.setText(f"Reading {len(paths)} file{'s' if len(paths) != 1 else ''} again…")
            self.retryRequested.emit(Paths(paths))

    def _update_buttons(self) -> None:
        selected = bool(self.list.selectedItems())
        self.reveal_button.setEnabled(selected)
        self.open_button.setEnabled(selected)
        self.retry_button.setEnabled(self.list.topLevelItemCount() > 0)
