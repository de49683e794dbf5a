"""The library's folders with per-folder counts; add and remove."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.desktop import dropped_folders
from app.plain_text import plain_message_box
from app.resources import icon
from app.widgets.folder_list import pictures_folder
from app.widgets.icon_button import text_only, unclipped
from app.widgets.index_status import format_count
from app.widgets.list_placeholder import ListPlaceholder
from indexer.status import FolderInfo


class FoldersDialog(QDialog):
    """Lists the library's folders (``set_folders``) and asks for folders to be added or removed.

    Signals:
        addRequested(Path): add this folder (chosen or dropped).
        removeRequested(Path): forget this folder and its photos.
    """

    addRequested = Signal(Path)
    removeRequested = Signal(Path)

    def __init__(self, folders: Sequence[FolderInfo], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Folders")
        self.setMinimumSize(640, 380)
        self.setAcceptDrops(True)
        self.tree = QTreeWidget()
        self.tree.setAccessibleName("Folders")
        self.tree.setRootIsDecorated(False)
        self.tree.setHeaderLabels(["Folder", "Photos", "Indexed", "Unreadable"])
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):   # numbers: right-aligned under right-aligned headers, next to each other
            self.tree.header().setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
            header = self.tree.headerItem()
            if header is not None:
                header.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.placeholder = ListPlaceholder(self.tree, "No folders yet. Add one, or drop a folder here.")
        self.tree.itemSelectionChanged.connect(self._selection)
        hint = QLabel("Photoseek watches these folders and their subfolders. Drop a folder here to add it.")
        hint.setObjectName("PanelHint")
        hint.setWordWrap(True)
        self.add_button = unclipped(QPushButton(icon("folder-add"), "Add folder…"))
        self.add_button.clicked.connect(self.add_dialog)
        self.remove_button = QPushButton(icon("remove"), "Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        close = text_only(QDialogButtonBox(QDialogButtonBox.StandardButton.Close))
        close.rejected.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self.set_folders(folders)

    def set_folders(self, folders: Sequence[FolderInfo]) -> None:
        selected = {i.data(0, Qt.ItemDataRole.UserRole) for i in self.tree.selectedItems()}
        self.tree.clear()
        for f in folders:
            item = QTreeWidgetItem([str(f.path), format_count(f.photos), format_count(f.indexed),
                                    format_count(f.failed) if f.failed else ""])
            item.setIcon(0, icon("folder" if f.online else "warning"))
            if not f.online:
                item.setToolTip(0, "Offline: missing or unplugged. Its photos are kept.")
            item.setData(0, Qt.ItemDataRole.UserRole, str(f.path))
            for col in (1, 2, 3):
                item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.tree.addTopLevelItem(item)
            item.setSelected(str(f.path) in selected)
        self.placeholder.refresh()
        self._selection()

    def _selection(self) -> None:
        self.remove_button.setEnabled(bool(self.tree.selectedItems()))

    def add_dialog(self) -> None:
        start = pictures_folder() or Path.home()
        folder = QFileDialog.getExistingDirectory(self, "Add a photo folder", str(start))
        if folder:
            self.addRequested.emit(Path(folder))

    def remove_selected(self, *, confirm: bool = True) -> None:
        paths = [Path(i.data(0, Qt.ItemDataRole.UserRole)) for i in self.tree.selectedItems()]
        if not paths:
            return
        if confirm:
            names = "\n".join(str(p) for p in paths)
            box = plain_message_box(QMessageBox(
                QMessageBox.Icon.Question, "Remove folders",
                f"Stop searching these folders?\n\n{names}\n\nThe photos themselves are not touched.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self))
            box.exec()
            clicked = box.clickedButton()
            if clicked is None or box.standardButton(clicked) != QMessageBox.StandardButton.Yes:
                return
        for p in paths:
            self.removeRequested.emit(p)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_folders(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for folder in dropped_folders(event.mimeData()):
            self.addRequested.emit(folder)
        event.acceptProposedAction()
