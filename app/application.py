"""The composition root: services, main window and dialogs, wired together.

``PhotoseekApp`` is what ``app.main.run`` starts and what the GUI tests
drive.  It owns the three services (writer, reader, jobs), creates the main
window and opens dialogs; it holds no query or indexing logic itself.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal

from app.main_window import MainWindow
from app.widgets.folders_dialog import FoldersDialog
from app.widgets.settings_dialog import SettingsChoice, SettingsDialog
from app.widgets.welcome_dialog import WelcomeDialog
from app.workers import IndexService, Job, JobRunner, SearchService
from indexer import paths
from indexer.library import Library
from indexer.models.encoder import available_providers
from indexer.models.registry import installed_models
from indexer.query_recipes import DEFAULT_EDIT_WEIGHT

logger = logging.getLogger(__name__)


class PhotoseekApp(QObject):
    """Signals:
        ready(dict): the library is open (its status) and the window is wired to it.
    """

    ready = Signal(object)

    def __init__(self, library_dir: Path | None = None, *, ui_settings: QSettings | None = None,
                 first_run: bool = True, watch: bool = True,
                 desktop=None, parent: QObject | None = None):
        super().__init__(parent)
        self.library_dir = Path(library_dir).expanduser() if library_dir else paths.default_library_dir()
        self.models_dir = paths.models_dir()     # where the core resolves model names ($PHOTOSEEK_MODELS)
        self.first_run = first_run
        self.jobs = JobRunner(self)
        self.index = IndexService(lambda: Library.open(self.library_dir), self, watch=watch)
        self.search = SearchService(self)
        self.window = MainWindow(index_service=self.index, search_service=self.search,
                                 ui_settings=ui_settings or QSettings("photoseek", "photoseek"),
                                 default_weight=DEFAULT_EDIT_WEIGHT, desktop=desktop)
        self.welcome: WelcomeDialog | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.folders_dialog: FoldersDialog | None = None
        self._shut = False
        self.index.opened.connect(self._on_opened)
        self.index.openFailed.connect(self._on_open_failed)
        self.index.modelMissing.connect(self._on_model_missing)
        self.window.foldersRequested.connect(self.show_folders)
        self.window.settingsRequested.connect(self.show_settings)
        self.window.closing.connect(self.shutdown)

    def start(self) -> MainWindow:
        """Show the window now; the library and model load in the background."""
        self.window.show()
        self.index.open()
        return self.window

    # ---- library lifecycle ---------------------------------------------------
    def _on_opened(self, library: Library, status: dict) -> None:
        self.search.use_library(library)
        has_model = bool(status.get("model"))
        has_folders = bool(status.get("folders"))
        if has_model:
            self.search.warm_up()
        if has_model and has_folders:
            self.index.start_indexing()
        elif self.first_run:
            self.show_welcome(need_folders=not has_folders, need_model=not has_model)
        self.ready.emit(status)

    def _on_open_failed(self, message: str) -> None:
        logger.warning("cannot open the library for writing: %s", message)
        if (self.library_dir / "catalog.sqlite").exists():
            # e.g. `photoseek watch` holds it: search what is there, read-only
            self.window.banner.show_error(f"{message}. Searching read-only; indexing is off in this window.")
            self.search.use_readonly(lambda: Library.open(self.library_dir, readonly=True))
        else:
            self.window.banner.show_error(message)

    def _on_model_missing(self, message: str) -> None:
        logger.info("indexing needs a model: %s", message)
        if self.welcome is None or not self.welcome.isVisible():
            self.show_welcome(need_folders=False, need_model=True)

    # ---- dialogs -------------------------------------------------------------
    def show_welcome(self, *, need_folders: bool = True, need_model: bool = True) -> WelcomeDialog:
        dlg = WelcomeDialog(self.jobs, self.models_dir, need_folders=need_folders, need_model=need_model,
                            parent=self.window)
        dlg.accepted.connect(lambda: self._welcome_done(dlg))
        dlg.finished.connect(dlg.deleteLater)
        self.welcome = dlg
        dlg.open()
        return dlg

    def _welcome_done(self, dlg: WelcomeDialog) -> None:
        model = dlg.model()
        if model:
            self.index.call(lambda lib: lib.use_model(model))
            self.search.warm_up()
        folders = dlg.folders()
        for f in folders:
            self.index.add_folder(f)
        if not folders:
            self.index.start_indexing()

    def show_folders(self) -> FoldersDialog:
        if self.folders_dialog is None:
            self.folders_dialog = FoldersDialog(self.index, self.window)
        self.folders_dialog.show()
        self.folders_dialog.raise_()
        return self.folders_dialog

    def show_settings(self) -> SettingsDialog | None:
        lib = self.index.library
        if lib is None:
            self.window.banner.show_error("The library is not open yet")
            return None
        s = replace(lib.settings)       # a copy: the writer thread owns the original
        current = SettingsChoice(model=s.model, providers=list(s.providers), threads=s.threads,
                                 excluded=list(s.excluded))
        dlg = SettingsDialog(current, serving_model=self.index.last_status.get("model"),
                             installed=[], providers=available_providers(),
                             runner=self.jobs, models_dir=self.models_dir, parent=self.window)
        # reading bundles parses their tokenizers: do it off the GUI thread
        models_dir = self.models_dir
        job = Job(lambda _token, _report: installed_models(models_dir), "list installed models")
        job.signals.result.connect(dlg.set_installed)
        self.jobs.start(job)
        dlg.applied.connect(self.apply_settings)
        dlg.finished.connect(dlg.deleteLater)
        dlg.finished.connect(lambda _r: setattr(self, "settings_dialog", None))
        self.settings_dialog = dlg
        dlg.open()
        return dlg

    def apply_settings(self, choice: SettingsChoice) -> None:
        serving = self.index.last_status.get("model")

        def apply(lib: Library) -> None:
            s = lib.settings
            s.providers, s.threads, s.excluded = list(choice.providers), int(choice.threads), list(choice.excluded)
            lib.save_settings()
            if choice.model and choice.model != (s.model or serving):
                lib.use_model(choice.model)

        self.index.call(apply, reindex=True)
        if choice.model and choice.model != serving:
            self.window.banner.show_notice(f"Switching to {choice.model}: photos are re-indexed in the "
                                           "background; the current model answers searches meanwhile.")

    # ---- closing ---------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop everything cleanly (idempotent): jobs, searches, then the writer."""
        if self._shut:
            return
        self._shut = True
        self.jobs.shutdown(5000)
        self.search.shutdown()
        self.index.shutdown()
        logger.info("services stopped")
