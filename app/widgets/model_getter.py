"""Get a model: download the default, import a bundle folder, or export one.

Used by the welcome flow and the settings dialog.  The widget only asks
(``downloadRequested``, ``importRequested``, ``exportRequested``,
``cancelRequested``) and shows what it is told (``job_started``,
``job_progress``, ``job_installed``, ``job_failed``, ``job_cancelled``,
``job_finished``); whoever owns the background jobs connects the two.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.model_labels import installed_description
from app.plain_text import plain, tooltip
from indexer.models.bundle import ModelBundle
from indexer.models.registry import DEFAULT_MODEL, KNOWN_MODELS

logger = logging.getLogger(__name__)


def _mb(n: int) -> str:
    return f"{n / 1e6:,.0f} MB"


def describe_known(name: str) -> str:
    """A known model's description and download size (or just its name)."""
    known = KNOWN_MODELS.get(name)
    if known is None:
        return name
    return f"{known.description} (about {known.approx_size_mb} MB)"


class ModelGetter(QWidget):
    """Signals:
        downloadRequested(str): download this known model.
        importRequested(Path): import the bundle folder.
        exportRequested(): build the default model with open_clip.
        cancelRequested(): stop the job in progress.
        installed(ModelBundle): a model is ready in the models directory.
        busyChanged(bool)
    """

    downloadRequested = Signal(str)
    importRequested = Signal(Path)
    exportRequested = Signal()
    cancelRequested = Signal()
    installed = Signal(ModelBundle)
    busyChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None, *, choose_model: bool = False):
        super().__init__(parent)
        self._busy = False

        self.model_combo = QComboBox()
        for name in KNOWN_MODELS:
            self.model_combo.addItem(name, name)
            self.model_combo.setItemData(self.model_combo.count() - 1, tooltip(describe_known(name)),
                                         Qt.ItemDataRole.ToolTipRole)
        self.model_combo.setCurrentIndex(max(0, self.model_combo.findData(DEFAULT_MODEL)))
        self.model_combo.setVisible(choose_model)
        self.description = QLabel(describe_known(DEFAULT_MODEL))
        self.description.setObjectName("PanelHint")
        self.description.setWordWrap(True)
        self.model_combo.currentIndexChanged.connect(
            lambda _i: self.description.setText(describe_known(self.model_combo.currentData())))

        self.download_button = QPushButton("Download")
        self.download_button.setObjectName("PrimaryButton")
        self.download_button.clicked.connect(self.download)
        self.import_button = QPushButton("Import a folder…")
        self.import_button.clicked.connect(self.import_dialog)
        self.export_button = QPushButton("Build from open_clip")
        self.export_button.setToolTip("Exports ViT-B-32 (LAION-2B) with the installed open_clip and torch")
        self.export_button.clicked.connect(self.export)
        self.export_button.setVisible(False)      # until set_export_available(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setObjectName("DialogProgress")
        self.progress.setTextVisible(False)
        self.progress_label = QLabel()
        self.progress_label.setObjectName("PanelHint")
        self.error_label = QLabel()
        self.error_label.setObjectName("ErrorText")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        plain(self.description, self.progress_label, self.error_label)  # model names, errors: never markup

        buttons = QHBoxLayout()
        buttons.addWidget(self.model_combo, 1)
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.export_button)
        if not choose_model:
            buttons.addStretch(1)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.progress_label)
        progress_row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.description)
        layout.addLayout(buttons)
        layout.addLayout(progress_row)
        layout.addWidget(self.error_label)
        self._set_busy(False)

    def set_export_available(self, available: bool) -> None:
        self.export_button.setVisible(available)

    def is_busy(self) -> bool:
        return self._busy

    # ---- requests -----------------------------------------------------------
    def download(self) -> None:
        if not self._busy:
            self.downloadRequested.emit(self.model_combo.currentData() or DEFAULT_MODEL)

    def import_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a model bundle folder (config.json, visual/, textual/)")
        if folder:
            self.import_from(Path(folder))

    def import_from(self, folder: Path) -> None:
        if not self._busy:
            self.importRequested.emit(Path(folder))

    def export(self) -> None:
        if not self._busy:
            self.exportRequested.emit()

    def cancel(self) -> None:
        if self._busy:
            self.cancelRequested.emit()
            self.progress_label.setText("Cancelling…")

    # ---- what the job reports ---------------------------------------------------
    def job_started(self, label: str) -> None:
        self.error_label.clear()
        self.progress.setRange(0, 0)
        self.progress_label.setText(label)
        self._set_busy(True)

    def job_progress(self, done: int, total: int) -> None:
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * done / total))
            self.progress_label.setText(f"{_mb(done)} of {_mb(total)}")

    def job_installed(self, bundle: ModelBundle) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.progress_label.setText(f"{bundle.name} is ready")
        self.description.setText(installed_description(bundle))   # no longer the default model's description
        self.installed.emit(bundle)

    def job_failed(self, message: str) -> None:
        self.error_label.setText(message)
        self.progress_label.clear()

    def job_cancelled(self) -> None:
        self.progress_label.setText("Cancelled; the download resumes next time")

    def job_finished(self) -> None:
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for b in (self.download_button, self.import_button, self.export_button, self.model_combo):
            b.setEnabled(not busy)
        self.cancel_button.setVisible(busy)
        self.progress.setVisible(busy or self.progress.value() > 0)
        self.busyChanged.emit(busy)
