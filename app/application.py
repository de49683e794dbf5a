"""The composition root: services, main window and dialogs, wired together.

``PhotoseekApp`` is what ``app.main.run`` starts and what the GUI tests
drive.  It owns the three services -- the writer (``IndexService``), the
searcher (``SearchService``) and one-shot jobs (``JobRunner``) -- creates the
main window and opens dialogs, connecting each dialog's requests to the
service that carries them out.  It holds no query or indexing logic itself,
and never touches the library: the writer thread publishes what the GUI
shows, and hands a reader of the library straight to the search service.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal

from app.desktop import Desktop
from app.main_window import MainWindow
from app.model_installer import ModelInstaller
from app.outcomes import Changed, LibraryChange, OpFailure
from app.services.browse_service import BrowseService
from app.services.duplicate_service import DuplicateService
from app.services.index_service import IndexService, Serve, SettingsChange
from app.services.jobs import JobRunner
from app.services.model_jobs import list_installed_job
from app.services.search_service import SearchService
from app.widgets.duplicates_dialog import DuplicatesDialog
from app.widgets.failures_dialog import FailuresDialog
from app.widgets.folders_dialog import FoldersDialog
from app.widgets.settings_dialog import SettingsChoice, SettingsDialog
from app.widgets.welcome_dialog import WelcomeDialog
from indexer import paths
from indexer.clip.recipes import DEFAULT_EDIT_WEIGHT
from indexer.library import Library
from indexer.library_files import CATALOG_FILE
from indexer.models.encoder import available_providers
from indexer.status import LibraryStatus

logger = logging.getLogger(__name__)


class PhotoseekApp(QObject):
    """Signals:
        ready(LibraryStatus): the library is open (its status) and the window is wired to it.
    """

    ready = Signal(LibraryStatus)

    def __init__(self, library_dir: Path | None = None, *, ui_settings: QSettings | None = None,
                 first_run: bool = True, watch: bool = True,
                 desktop: Desktop | None = None, parent: QObject | None = None, serve: Serve | None = None):
        super().__init__(parent)
        self.library_dir = Path(library_dir).expanduser() if library_dir else paths.default_library_dir()
        self.models_dir = paths.models_dir()     # where the core resolves model names ($PHOTOSEEK_MODELS)
        self.first_run = first_run
        self.jobs = JobRunner(self)
        self.index = IndexService(self._open_library, self, watch=watch, serve=serve)
        self.search = SearchService(self)
        self.duplicates = DuplicateService(self.index, self.jobs, self)
        self.browse = BrowseService(self)
        self.window = MainWindow(index_service=self.index, search_service=self.search, browse_service=self.browse,
                                 ui_settings=ui_settings or QSettings("photoseek", "photoseek"),
                                 default_weight=DEFAULT_EDIT_WEIGHT, desktop=desktop)
        self.welcome: WelcomeDialog | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.folders_dialog: FoldersDialog | None = None
        self.duplicates_dialog: DuplicatesDialog | None = None
        self.failures_dialog: FailuresDialog | None = None
        self._shut = False
        self.index.readerReady.connect(self.search.use_reader)   # before `opened`: searches need it
        self.index.readerReady.connect(self.duplicates.use_reader)
        self.index.readerReady.connect(self.browse.use_reader)
        self.index.opened.connect(self._on_opened)
        self.index.openFailed.connect(self._on_open_failed)
        self.index.modelMissing.connect(self._on_model_missing)
        self.window.foldersRequested.connect(self.show_folders)
        self.window.settingsRequested.connect(self.show_settings)
        self.window.duplicatesRequested.connect(self.show_duplicates)
        self.window.index_status.failuresRequested.connect(self.show_failures)
        self.index.changed.connect(self._on_changed)
        self.duplicates.changed.connect(self._on_changed)
        self.duplicates.changed.connect(self.window.apply_change)   # the window hears the writer's own
        self.index.indexingChanged.connect(lambda active: None if active else self._refresh_failures())
        self.window.closing.connect(self.shutdown)

    def start(self) -> MainWindow:
        """Show the window now; the library and model load in the background."""
        self.window.show()
        self.index.open()
        return self.window

    # ---- library lifecycle ---------------------------------------------------
    def _open_library(self) -> Library:
        """Runs on the writer thread."""
        return Library.open(self.library_dir)

    def _on_opened(self, status: LibraryStatus) -> None:
        has_model = status.model is not None
        has_folders = status.folders > 0
        if has_model:
            self.search.warm_up()
        if has_model and has_folders:
            self.index.start_indexing()
        elif self.first_run:
            self.show_welcome(need_folders=not has_folders, need_model=not has_model)
        self.ready.emit(status)

    def _on_open_failed(self, failure: OpFailure) -> None:
        logger.warning("cannot open the library for writing: %s", failure.message)
        if (self.library_dir / CATALOG_FILE).exists():
            # e.g. `photoseek watch` holds it: search what is there, read-only
            self.window.banner.show_error(f"{failure.message}. Searching read-only; indexing is off in this window.",
                                          failure.operation)
            self.search.open_reader(self.library_dir)
            self.browse.open_reader(self.library_dir)
        else:
            self.window.banner.show_failure(failure)

    def _on_model_missing(self, failure: OpFailure) -> None:
        logger.info("indexing needs a model: %s", failure.message)
        if self.welcome is None or not self.welcome.isVisible():
            self.show_welcome(need_folders=False, need_model=True)

    # ---- dialogs -------------------------------------------------------------
    def show_welcome(self, *, need_folders: bool = True, need_model: bool = True) -> WelcomeDialog:
        dlg = WelcomeDialog(need_folders=need_folders, need_model=need_model, parent=self.window)
        ModelInstaller(dlg.getter, self.jobs, self.models_dir)
        dlg.accepted.connect(lambda: self._welcome_done(dlg))
        dlg.finished.connect(dlg.deleteLater)
        self.welcome = dlg
        dlg.open()
        return dlg

    def _welcome_done(self, dlg: WelcomeDialog) -> None:
        model = dlg.model()
        if model:
            self.index.use_model(model)
            self.search.warm_up()
        folders = dlg.folders()
        for f in folders:
            self.index.add_folder(f)
        if not folders:
            self.index.start_indexing()

    def show_folders(self) -> FoldersDialog:
        dlg = self.folders_dialog
        if dlg is None:
            dlg = self.folders_dialog = FoldersDialog(self.index.last_folders, self.window)
            self.index.foldersChanged.connect(dlg.set_folders)
            dlg.addRequested.connect(self.index.add_folder)
            dlg.removeRequested.connect(self.index.remove_folder)
        if dlg.isVisible():
            dlg.raise_()                 # already open: bring it forward
            dlg.activateWindow()
        else:
            dlg.show()
        return dlg

    def show_failures(self) -> FailuresDialog:
        """The unreadable files, with reasons (read on the browse thread)."""
        dlg = self.failures_dialog
        if dlg is None:
            dlg = self.failures_dialog = FailuresDialog(self.window)
            self.browse.failures.connect(dlg.set_failures)
            dlg.revealRequested.connect(self.window.desktop.reveal)
            dlg.openRequested.connect(self.window.open_path)
            dlg.retryRequested.connect(self.index.retry_failures)
        self.browse.read_failures()
        if dlg.isVisible():
            dlg.raise_()
            dlg.activateWindow()
        else:
            dlg.show()
        return dlg

    def _on_changed(self, change: LibraryChange) -> None:
        if change.touches(Changed.FAILURES | Changed.PHOTOS):
            self._refresh_failures()

    def _refresh_failures(self) -> None:
        if self.failures_dialog is not None and self.failures_dialog.isVisible():
            self.browse.read_failures()

    def show_settings(self) -> SettingsDialog | None:
        s = self.index.settings          # the writer's latest published copy
        if s is None:
            self.window.banner.show_error("The library is not open yet")
            return None
        current = SettingsChoice(model=s.model, providers=list(s.providers), threads=s.threads,
                                 excluded=list(s.excluded))
        dlg = SettingsDialog(current, serving_model=self.index.last_status.model,
                             installed=[], providers=available_providers(), parent=self.window)
        ModelInstaller(dlg.getter, self.jobs, self.models_dir)
        job = list_installed_job(self.models_dir)
        job.on_success(dlg.set_installed)
        self.jobs.start(job)
        dlg.applied.connect(self.apply_settings)
        dlg.finished.connect(dlg.deleteLater)
        dlg.finished.connect(lambda _r: setattr(self, "settings_dialog", None))
        self.settings_dialog = dlg
        dlg.open()
        return dlg

    def apply_settings(self, choice: SettingsChoice) -> None:
        self.index.change_settings(SettingsChange(providers=list(choice.providers), threads=int(choice.threads),
                                                  excluded=list(choice.excluded), model=choice.model))
        serving = self.index.last_status.model
        if choice.model and choice.model != serving:
            self.window.banner.show_notice(f"Switching to {choice.model}: photos are re-indexed in the "
                                           "background; the current model answers searches meanwhile.")

    def show_duplicates(self) -> DuplicatesDialog:
        """The Duplicates window (one; brought forward when already open)."""
        dlg = self.duplicates_dialog
        if dlg is None:
            dlg = self.duplicates_dialog = DuplicatesDialog(self.window)
            d = self.duplicates
            dlg.scanRequested.connect(d.scan)
            dlg.cancelRequested.connect(d.cancel)
            dlg.trashRequested.connect(d.trash)
            dlg.undoRequested.connect(d.undo)
            d.scanProgress.connect(dlg.set_progress)
            d.groupsFound.connect(lambda scan: dlg.set_groups(scan.groups, scan.thumbnails, scan.waiting))
            d.scanFailed.connect(lambda failure: dlg.show_error(failure.message))
            d.cleaned.connect(dlg.show_cleaned)
            d.undone.connect(dlg.show_undone)
            d.cleanupFailed.connect(lambda failure: dlg.show_error(failure.message))
        if dlg.isVisible():
            dlg.raise_()
            dlg.activateWindow()
        else:
            dlg.show()
        return dlg

    # ---- closing ---------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop everything cleanly (idempotent): jobs, searches, then the writer."""
        if self._shut:
            return
        self._shut = True
        self.jobs.shutdown(5000)
        self.search.shutdown()
        self.browse.shutdown()
        self.index.shutdown()
        logger.info("services stopped")
