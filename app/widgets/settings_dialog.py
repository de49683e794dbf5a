"""Settings: model (list, switch, get more), execution provider, threads, excluded folders."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.model_labels import model_label
from app.resources import icon
from app.widgets.folder_list import FolderList
from app.widgets.icon_button import text_only
from app.widgets.model_getter import ModelGetter
from indexer.config import MAX_THREADS
from indexer.models.bundle import ModelBundle


@dataclass
class SettingsChoice:
    """What the dialog asks the library to use."""

    model: str = ""
    providers: list[str] = field(default_factory=list)
    threads: int = 0
    excluded: list[str] = field(default_factory=list)


def provider_label(name: str) -> str:
    return {
        "CPUExecutionProvider": "CPU",
        "CUDAExecutionProvider": "NVIDIA CUDA",
        "TensorrtExecutionProvider": "NVIDIA TensorRT",
        "CoreMLExecutionProvider": "Apple Core ML",
        "DmlExecutionProvider": "DirectML",
        "ROCMExecutionProvider": "AMD ROCm",
        "OpenVINOExecutionProvider": "Intel OpenVINO",
    }.get(name, name.replace("ExecutionProvider", ""))


class SettingsDialog(QDialog):
    """Edits a :class:`SettingsChoice`.  The :attr:`getter` needs its jobs connected by the owner.

    Signals:
        applied(SettingsChoice): OK was pressed with these values.
    """

    applied = Signal(SettingsChoice)

    def __init__(self, current: SettingsChoice, *, serving_model: str | None, installed: list[ModelBundle],
                 providers: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumSize(620, 500)
        self._current = current
        self._serving = serving_model

        # ---- model tab
        self.models = QListWidget()
        self.models.setAccessibleName("Models")
        self._fill_models(installed, current.model or serving_model)
        self.getter = ModelGetter(choose_model=True)
        self.getter.installed.connect(self._model_installed)
        switch_note = QLabel("Switching model re-indexes your photos in the background; "
                             "the current model keeps answering searches until the new one is ready.")
        switch_note.setObjectName("PanelHint")
        switch_note.setWordWrap(True)
        more = QGroupBox("Get another model")
        QVBoxLayout(more).addWidget(self.getter)
        model_tab = QWidget()
        m = QVBoxLayout(model_tab)
        m.addWidget(QLabel("Installed models"))
        m.addWidget(self.models, 1)
        m.addWidget(switch_note)
        m.addWidget(more)

        # ---- performance tab
        self.provider = QComboBox()
        self.provider.addItem("Automatic (fastest available)", "")
        for p in providers:
            self.provider.addItem(provider_label(p), p)
        wanted = current.providers[0] if current.providers else ""
        i = self.provider.findData(wanted)
        self.provider.setCurrentIndex(max(0, i))
        self.threads = QSpinBox()
        self.threads.setRange(0, min(MAX_THREADS, max(64, os.cpu_count() or 1)))  # what settings.toml allows
        self.threads.setSpecialValueText("Automatic")
        self.threads.setValue(int(current.threads or 0))
        perf_tab = QWidget()
        form = QFormLayout(perf_tab)
        form.addRow("Execution provider", self.provider)
        form.addRow("Threads", self.threads)
        note = QLabel("Takes effect for the next indexing run and search model load.")
        note.setObjectName("PanelHint")
        form.addRow("", note)

        # ---- exclusions tab
        self.excluded = FolderList(add_text="Exclude a folder…")
        for folder in current.excluded:
            self.excluded.add(Path(folder))
        excl_tab = QWidget()
        excl = QVBoxLayout(excl_tab)
        hint = QLabel("Photos in these folders (and their subfolders) are not indexed.")
        hint.setObjectName("PanelHint")
        excl.addWidget(hint)
        excl.addWidget(self.excluded, 1)

        tabs = QTabWidget()
        tabs.addTab(model_tab, icon("image"), "Model")
        tabs.addTab(perf_tab, icon("settings"), "Performance")
        tabs.addTab(excl_tab, icon("folder"), "Excluded folders")
        buttons = text_only(QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs, 1)
        layout.addWidget(buttons)

    def set_installed(self, installed: list[ModelBundle]) -> None:
        """Fill the model list (the bundles are read in the background)."""
        self._fill_models(installed, self._current.model or self._serving)

    def _fill_models(self, installed: list[ModelBundle], selected: str | None) -> None:
        self.models.clear()
        for bundle in installed:
            item = QListWidgetItem(icon("image"), model_label(bundle))
            item.setData(Qt.ItemDataRole.UserRole, bundle.name)
            self.models.addItem(item)
            if bundle.name == selected:
                self.models.setCurrentItem(item)

    def _model_installed(self, bundle: ModelBundle) -> None:
        for i in range(self.models.count()):
            if self.models.item(i).data(Qt.ItemDataRole.UserRole) == bundle.name:
                self.models.setCurrentRow(i)
                return
        item = QListWidgetItem(icon("image"), model_label(bundle))
        item.setData(Qt.ItemDataRole.UserRole, bundle.name)
        self.models.addItem(item)
        self.models.setCurrentItem(item)

    def choice(self) -> SettingsChoice:
        item = self.models.currentItem()
        provider = self.provider.currentData()
        return SettingsChoice(
            model=item.data(Qt.ItemDataRole.UserRole) if item else self._current.model,
            providers=[provider] if provider else [],
            threads=self.threads.value(),
            excluded=[str(p) for p in self.excluded.folders()],
        )

    def accept(self) -> None:
        self.getter.cancel()
        self.applied.emit(self.choice())
        super().accept()

    def reject(self) -> None:
        self.getter.cancel()
        super().reject()
