"""Get a model: download the default, import a bundle folder, or export one.

Used by the welcome flow and the settings dialog.
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

from app import model_jobs
from app.workers import Job, JobRunner

logger = logging.getLogger(__name__)


def _mb(n: int) -> str:
    return f"{n / 1e6:,.0f} MB"


class ModelGetter(QWidget):
    """Signals:
        installed(object): a ``ModelBundle`` is ready in the models directory.
        busyChanged(bool)
    """

    installed = Signal(object)
    busyChanged = Signal(bool)

    def __init__(self, runner: JobRunner, models_dir: Path, parent: QWidget | None = None, *,
                 choose_model: bool = False):
        super().__init__(parent)
        self.runner = runner
        self.models_dir = Path(models_dir)
        self.job: Job | None = None

        self.model_combo = QComboBox()
        for name in model_jobs.KNOWN_MODELS:
            self.model_combo.addItem(name, name)
            self.model_combo.setItemData(self.model_combo.count() - 1, model_jobs.describe_known(name),
                                         Qt.ItemDataRole.ToolTipRole)
        self.model_combo.setCurrentIndex(max(0, self.model_combo.findData(model_jobs.DEFAULT_MODEL)))
        self.model_combo.setVisible(choose_model)
        self.description = QLabel(model_jobs.describe_known(model_jobs.DEFAULT_MODEL))
        self.description.setObjectName("PanelHint")
        self.description.setWordWrap(True)
        self.model_combo.currentIndexChanged.connect(
            lambda _i: self.description.setText(model_jobs.describe_known(self.model_combo.currentData())))

        self.download_button = QPushButton("Download")
        self.download_button.setObjectName("PrimaryButton")
        self.download_button.clicked.connect(self.download)
        self.import_button = QPushButton("Import a folder…")
        self.import_button.clicked.connect(self.import_dialog)
        self.export_button = QPushButton("Build from open_clip")
        self.export_button.setToolTip("Exports ViT-B-32 (LAION-2B) with the installed open_clip and torch")
        self.export_button.clicked.connect(self.export)
        self.export_button.setVisible(model_jobs.export_available())
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

    def is_busy(self) -> bool:
        return self.job is not None

    def download(self) -> None:
        name = self.model_combo.currentData() or model_jobs.DEFAULT_MODEL
        self._start(model_jobs.download_job(name, self.models_dir), f"Downloading {name}…")

    def import_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a model bundle folder (config.json, visual/, textual/)")
        if folder:
            self.import_from(Path(folder))

    def import_from(self, folder: Path) -> None:
        self._start(model_jobs.import_job(folder, self.models_dir), f"Importing {folder.name}…")

    def export(self) -> None:
        self._start(model_jobs.export_job(self.models_dir), "Building the model with open_clip (a few minutes)…")

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.progress_label.setText("Cancelling…")

    def _start(self, job: Job, label: str) -> None:
        if self.job is not None:
            return
        self.error_label.clear()
        self.job = job
        job.signals.progress.connect(self._on_progress)
        job.signals.result.connect(self._on_result)
        job.signals.error.connect(self._on_error)
        job.signals.cancelled.connect(lambda: self.progress_label.setText("Cancelled; the download resumes next time"))
        job.signals.finished.connect(self._on_finished)
        self.progress.setRange(0, 0)
        self.progress_label.setText(label)
        self._set_busy(True)
        self.runner.start(job)

    def _on_progress(self, value) -> None:
        done, total = value
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * done / total))
            self.progress_label.setText(f"{_mb(done)} of {_mb(total)}")

    def _on_result(self, bundle) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.progress_label.setText(f"{getattr(bundle, 'name', 'The model')} is ready")
        self.installed.emit(bundle)

    def _on_error(self, message: str, _exc) -> None:
        self.error_label.setText(message)
        self.progress_label.clear()

    def _on_finished(self) -> None:
        self.job = None
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        for b in (self.download_button, self.import_button, self.export_button, self.model_combo):
            b.setEnabled(not busy)
        self.cancel_button.setVisible(busy)
        self.progress.setVisible(busy or self.progress.value() > 0)
        self.busyChanged.emit(busy)
