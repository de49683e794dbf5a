"""Runs the model jobs a :class:`~app.widgets.model_getter.ModelGetter` asks for, and reports back.

The getter is a plain view: it asks for a download, an import or an export
and shows what it is told.  A ``ModelInstaller`` attached to it starts the
matching background job (one at a time) and forwards its progress, result,
error and end to the getter, on the GUI thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject

from app.outcomes import OpFailure
from app.services.jobs import Job, JobRunner
from app.services.model_jobs import download_job, export_available, export_job, import_job
from app.widgets.model_getter import ModelGetter
from indexer.models.bundle import ModelBundle


class ModelInstaller(QObject):
    """Serves one ``getter`` (and is deleted with it) with jobs on ``runner``."""

    def __init__(self, getter: ModelGetter, runner: JobRunner, models_dir: Path):
        super().__init__(getter)
        self._getter = getter
        self._runner = runner
        self._models_dir = Path(models_dir)
        self._job: Job[ModelBundle] | None = None
        getter.set_export_available(export_available())
        getter.downloadRequested.connect(self.download)
        getter.importRequested.connect(self.import_from)
        getter.exportRequested.connect(self.export)
        getter.cancelRequested.connect(self.cancel)

    def download(self, name: str) -> None:
        self._start(download_job(name, self._models_dir), f"Downloading {name}…")

    def import_from(self, folder: Path) -> None:
        self._start(import_job(folder, self._models_dir), f"Importing {folder.name}…")

    def export(self) -> None:
        self._start(export_job(self._models_dir), "Building the model with open_clip (a few minutes)…")

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def _start(self, job: Job[ModelBundle], label: str) -> None:
        if self._job is not None:
            return
        self._job = job
        job.on_progress(self._getter.job_progress).on_success(self._getter.job_installed)
        job.on_failure(self._on_failure)
        job.on_cancelled(self._getter.job_cancelled).on_finished(self._on_finished)
        self._getter.job_started(label)
        self._runner.start(job)

    def _on_failure(self, failure: OpFailure) -> None:
        self._getter.job_failed(failure.message)

    def _on_finished(self) -> None:
        self._job = None
        self._getter.job_finished()
