"""An editable list of folders (add with a dialog or by dropping, remove)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.desktop import dropped_folders
from app.payloads import Paths
from app.resources import icon
from app.widgets.icon_button import unclipped
from app.widgets.list_placeholder import ListPlaceholder


def pictures_folder() -> Path | None:
    """The user's Pictures folder, if there is one."""
    from PySide6.QtCore import QStandardPaths

    for loc in QStandardPaths.standardLocations(QStandardPaths.StandardLocation.PicturesLocation):
        p = Path(loc)
        if p.is_dir():
            return p
    p = Path.home() / "Pictures"
    return p if p.is_dir() else None


class FolderList(QWidget):
    """Signals:
        changed(Paths): the folders now in the list.
    """

    changed = Signal(Paths)

    def __init__(self, parent: QWidget | None = None, *, add_text: str = "Add folder…"):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.list = QListWidget()
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.add_button = unclipped(QPushButton(icon("folder-add"), add_text))
        self.add_button.clicked.connect(self.add_dialog)
        self.remove_button = QPushButton(icon("remove"), "Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.list.itemSelectionChanged.connect(
            lambda: self.remove_button.setEnabled(bool(self.list.selectedItems())))
        self.remove_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.placeholder = ListPlaceholder(self.list, "No folders yet. Add one, or drop a folder here.")

    def folders(self) -> list[Path]:
        return [Path(self.list.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.list.count())]

    def add(self, path: Path) -> None:
        path = Path(path)
        if path in self.folders():
            return
        item = QListWidgetItem(icon("folder"), str(path))
        item.setData(Qt.ItemDataRole.UserRole, str(path))
        self.list.addItem(item)
        self.changed.emit(Paths(self.folders()))

    def add_dialog(self) -> None:
        start = pictures_folder() or Path.home()
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder", str(start))
        if folder:
            self.add(Path(folder))

    def remove_selected(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))
        self.changed.emit(Paths(self.folders()))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_folders(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for folder in dropped_folders(event.mimeData()):
            self.add(folder)
        event.acceptProposedAction()
