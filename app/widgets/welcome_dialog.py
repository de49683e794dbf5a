"""First run: choose photo folders, get a model, start indexing."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.resources import app_icon
from app.widgets.folder_list import FolderList, pictures_folder
from app.widgets.model_getter import ModelGetter
from indexer.models.bundle import ModelBundle


class WelcomeDialog(QDialog):
    """Two short steps: folders, then (if none is installed) a model.

    After ``accept()``: :meth:`folders` are the chosen folders and
    :meth:`model` the installed model's name (or None when one was already there).
    The model step's :attr:`getter` needs its jobs connected by the owner.
    """

    def __init__(self, *, need_folders: bool, need_model: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Welcome to Photoseek")
        self.setWindowIcon(app_icon())
        self.setMinimumSize(620, 480)
        self._model_name: str | None = None
        self._need_model = need_model

        self.folder_list = FolderList(add_text="Add a folder…")
        suggestion = pictures_folder()
        if suggestion is not None:
            self.folder_list.add(suggestion)
        self.getter = ModelGetter()
        self.getter.installed.connect(self._model_installed)
        self.getter.busyChanged.connect(lambda _b: self._update_buttons())
        self.folder_list.changed.connect(lambda _f: self._update_buttons())

        self.pages = QStackedWidget()
        self.folders_page = self._page(
            "Where are your photos?",
            "Photoseek looks at the photos in these folders and lets you find them by describing them, "
            "by example, or by a quick sketch. Nothing leaves this computer. "
            "You can change the folders at any time.", self.folder_list)
        self.model_page = self._page(
            "Get a search model",
            "Photoseek needs a CLIP model (downloaded once, about 600 MB). You can also import a model "
            "folder you already have.", self.getter)
        if need_folders:
            self.pages.addWidget(self.folders_page)
        if need_model:
            self.pages.addWidget(self.model_page)

        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(48, 48))
        title = QLabel("Welcome to Photoseek")
        title.setObjectName("WelcomeTitle")
        head = QHBoxLayout()
        head.addWidget(logo)
        head.addWidget(title, 1)

        self.back_button = QPushButton("Back")
        self.back_button.clicked.connect(lambda: self._go(-1))
        self.later_button = QPushButton("Later")
        self.later_button.clicked.connect(self.reject)
        self.next_button = QPushButton("Next")
        self.next_button.setObjectName("PrimaryButton")
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(lambda: self._go(+1))
        buttons = QHBoxLayout()
        buttons.addWidget(self.later_button)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 20, 22, 16)
        layout.setSpacing(14)
        layout.addLayout(head)
        layout.addWidget(self.pages, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    def _page(self, title: str, text: str, body: QWidget) -> QWidget:
        page = QFrame()
        page.setObjectName("WelcomeCard")
        t = QLabel(title)
        t.setObjectName("PanelTitle")
        d = QLabel(text)
        d.setObjectName("PanelHint")
        d.setWordWrap(True)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.addWidget(t)
        layout.addWidget(d)
        layout.addWidget(body, 1)
        return page

    def folders(self) -> list[Path]:
        return self.folder_list.folders() if self.pages.indexOf(self.folders_page) >= 0 else []

    def model(self) -> str | None:
        return self._model_name

    def _model_installed(self, bundle: ModelBundle) -> None:
        self._model_name = bundle.name
        self._update_buttons()

    def _go(self, step: int) -> None:
        i = self.pages.currentIndex() + step
        if i >= self.pages.count():
            self.accept()
            return
        self.pages.setCurrentIndex(max(0, i))
        self._update_buttons()

    def _update_buttons(self) -> None:
        i, n = self.pages.currentIndex(), self.pages.count()
        last = i == n - 1
        self.back_button.setVisible(i > 0)
        self.next_button.setText("Start" if last else "Next")
        on_model = self.pages.currentWidget() is self.model_page
        ready = not on_model or self._model_name is not None
        self.next_button.setEnabled(ready and not self.getter.is_busy())

    def reject(self) -> None:
        self.getter.cancel()
        super().reject()
