"""The main window: composes the search bar, mode panels, results and status.

The window wires widgets to three services and holds no logic of its own
beyond layout and routing:

* :class:`~app.services.index_service.IndexService` -- folders, indexing (the writer);
* :class:`~app.query_controller.QueryController` over the
  :class:`~app.services.search_service.SearchService` -- queries and results;
* :class:`~app.desktop.DesktopServices` -- open, reveal, copy.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QGuiApplication,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.browse_view import BrowseView
from app.desktop import Desktop, DesktopServices
from app.empty_views import empty_view
from app.item_models.results_model import ResultsModel
from app.outcomes import Changed, LibraryChange, Operation, OpFailure
from app.payloads import Folders, Paths
from app.places_wiring import connect_places
from app.query_controller import QueryController
from app.query_types import Filters, ImageRef, Mode
from app.resources import app_icon
from app.results_paging import ResultsPaging
from app.services.browse_service import BrowseService
from app.services.index_service import IndexService
from app.services.search_service import SearchService
from app.thumbnails import ThumbnailLoader
from app.widgets.banner import Banner
from app.widgets.empty_state import EmptyState
from app.widgets.filter_bar import FilterBar
from app.widgets.index_status import IndexStatus, format_count
from app.widgets.parse_chips import ParseChips
from app.widgets.preview_dialog import PreviewDialog
from app.widgets.reference_chip import mime_has_image
from app.widgets.results_grid import ResultsGrid
from app.widgets.results_header import ResultsHeader
from app.widgets.side_panel import SidePanel
from app.widgets.top_bar import TopBar
from app.window_commands import WindowCommands
from app.window_drops import WindowDrops
from app.window_state import restore_window, save_window
from indexer.progress import Progress
from indexer.status import LibraryStatus

logger = logging.getLogger(__name__)

SIDE_PANEL_WIDTH = 330
MIN_SIZE_SLACK = QSize(8, 24)       # room for the status bar's progress line and style margins


class MainWindow(WindowDrops, QMainWindow):
    """Signals:
        foldersRequested(): open the folders dialog.
        settingsRequested(): open the settings dialog.
        duplicatesRequested(): open the Duplicates window.
        closing(): the window is closing (services are shut down by the owner).
    """

    foldersRequested = Signal()
    settingsRequested = Signal()
    duplicatesRequested = Signal()
    closing = Signal()

    def __init__(self, *, index_service: IndexService, search_service: SearchService, ui_settings: QSettings,
                 default_weight: float, desktop: Desktop | None = None, browse_service: BrowseService | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Photoseek")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.index_service = index_service
        self.search_service = search_service
        self.desktop: Desktop = desktop or DesktopServices(self)
        self.ui_settings = ui_settings
        self._has_folders = False
        self._preview: PreviewDialog | None = None
        self._shown_mode: Mode | None = None
        self._mode_texts: dict[Mode, str] = {}

        # ---- model and controller ----
        self.thumbnails = ThumbnailLoader(self, threads=1)   # fewer threads contending for the GIL
        self.results = ResultsModel(self.thumbnails, self)
        self.controller = QueryController(search_service, self.results, self)

        # ---- widgets ----
        self.top_bar = TopBar()
        self.mode_switch, self.search_bar = self.top_bar.mode_switch, self.top_bar.search_bar
        self.side = SidePanel(default_weight)
        self.image_panel, self.sketch_panel, self.edit_panel = (
            self.side.image_panel, self.side.sketch_panel, self.side.edit_panel)
        self.grid = ResultsGrid()
        self.grid.setModel(self.results)
        # no query: the library, newest first (without a browse service, the empty state instead)
        self.browse = BrowseView(browse_service, self.grid, self.results, self.thumbnails, self) \
            if browse_service is not None else None
        self.paging = ResultsPaging(self.grid, self.results, self.controller, self)
        self.filter_bar = FilterBar()
        self.parse_chips = ParseChips()  # the place and dates read from the words, removable
        self.banner = Banner()
        self.empty = EmptyState()
        self.index_status = IndexStatus()
        self.results_header = ResultsHeader()
        self.results_label, self.size_slider = self.results_header.label, self.results_header.size_slider
        self.setCentralWidget(self._build_body())
        self.statusBar().addPermanentWidget(self.index_status, 1)
        self.statusBar().setSizeGripEnabled(False)

        self._connect()
        self.commands = WindowCommands(self)  # menu bar, shortcuts, back
        self.search_bar.setFocus()              # where the user starts: typing a search
        # a fixed minimum, taken while the side panel shows: switching modes or showing progress
        # never resizes the window (nor asks the platform to change a shown window's limits)
        self.ensurePolished()
        self.setMinimumSize(self.minimumSizeHint() + MIN_SIZE_SLACK)
        self._restore()
        self._update_view()

    # ---------------------------------------------------------------- layout
    def _build_body(self) -> QWidget:
        self.results_stack = QStackedWidget()
        self.results_stack.addWidget(self.grid)
        self.results_stack.addWidget(self.empty)

        results = QWidget()
        col = QVBoxLayout(results)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        col.addWidget(self.parse_chips)
        col.addWidget(self.filter_bar)
        col.addWidget(self.banner)
        col.addWidget(self.results_header)
        col.addWidget(self.results_stack, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(1)
        self.splitter.addWidget(self.side)
        self.splitter.addWidget(results)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([SIDE_PANEL_WIDTH, 900])

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.top_bar)
        layout.addWidget(self.splitter, 1)
        return body

    # ---------------------------------------------------------------- wiring
    def _connect(self) -> None:
        c = self.controller
        self.mode_switch.modeChanged.connect(self.set_mode)
        self.search_bar.search.connect(c.set_text)
        self.image_panel.referenceChanged.connect(c.set_image_ref)
        self.edit_panel.referenceChanged.connect(c.set_edit_ref)
        self.edit_panel.weightChanged.connect(c.set_weight)
        c.set_weight(self.edit_panel.weight())
        c.set_sketch_source(lambda: None if self.sketch_panel.canvas.is_empty()
                            else self.sketch_panel.canvas.export_pil())
        self.sketch_panel.changed.connect(c.sketch_changed)
        self.filter_bar.changed.connect(self._filters_changed)
        for chip in (self.image_panel.chip, self.edit_panel.chip):
            chip.error.connect(self.banner.show_error)
        c.searchStarted.connect(self._on_search_started)
        c.resultsChanged.connect(self._on_results)
        c.cleared.connect(self._update_view)
        c.failed.connect(self._on_search_failed)
        self.results_header.best_cut.levelChanged.connect(c.set_best_level)
        if self.browse is not None:
            self.browse.changed.connect(self._update_view)

        g = self.grid
        g.openRequested.connect(self.open_path)
        g.openVideoRequested.connect(self.open_video)
        g.previewRequested.connect(self.show_preview)
        g.revealRequested.connect(self.desktop.reveal)
        g.copyPathsRequested.connect(self._copy_paths)
        g.findSimilarRequested.connect(self.find_similar)
        g.useAsReferenceRequested.connect(self.use_as_reference)
        self.size_slider.valueChanged.connect(g.set_cell_size)

        self.empty.actionClicked.connect(self._empty_action)
        self.top_bar.folders_button.clicked.connect(self.foldersRequested)
        self.top_bar.settings_button.clicked.connect(self.settingsRequested)
        self.top_bar.duplicates_button.clicked.connect(self.duplicatesRequested)
        self.index_status.foldersRequested.connect(self.foldersRequested)
        self.index_status.pauseToggled.connect(
            lambda on: self.index_service.pause() if on else self.index_service.resume())

        s = self.index_service
        s.opened.connect(self._on_library_opened)
        s.indexingChanged.connect(self._on_indexing_changed)
        s.progress.connect(self._on_progress)
        s.pausedChanged.connect(self.index_status.set_paused)
        s.statusChanged.connect(self.index_status.set_summary)
        s.foldersChanged.connect(self._on_folders)
        s.changed.connect(self.apply_change)
        s.error.connect(self.banner.show_failure)
        s.openFailed.connect(self.banner.show_failure)
        connect_places(c, self.parse_chips, self.filter_bar.places, self.search_service, s)

    # ---------------------------------------------------------------- state
    def _restore(self) -> None:
        restore_window(self)

    def save_state(self) -> None:
        save_window(self)

    # ---------------------------------------------------------------- actions
    def mode(self) -> Mode:
        return self.mode_switch.mode()

    def set_mode(self, mode: Mode) -> None:
        if self.mode_switch.mode() != mode:
            self.mode_switch.set_mode(mode)     # re-enters through modeChanged
            return
        # each mode keeps its own words: a text query, sketch words, edit words, "-word" terms
        if self._shown_mode is not None and self._shown_mode != mode:
            self._mode_texts[self._shown_mode] = self.search_bar.text()
            text = self._mode_texts.get(mode, "")
            self.search_bar.setText(text)
            self.controller.state.text = text.strip()
        self._shown_mode = mode
        self.search_bar.setPlaceholderText(mode.placeholder)
        self.side.show_mode(mode)
        self.controller.set_mode(mode)
        self._update_view()

    def focus_search(self) -> None:
        self.search_bar.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_bar.selectAll()

    def open_path(self, path: Path) -> None:
        if not Path(path).exists():
            self.banner.show_error(f"{path} is no longer there (moved, deleted, or its drive is unplugged)")
            return
        if not self.desktop.open_path(Path(path)):
            self.banner.show_error(f"No application could open {Path(path).name}")

    def open_video(self, path: Path, seconds: float) -> None:
        """Open a video at ``seconds`` with a player that can start there, else from its start."""
        if Path(path).exists() and self.desktop.open_video_at(Path(path), seconds):
            return
        self.open_path(path)

    def _copy_paths(self, paths: Paths) -> None:
        self.desktop.copy_paths(paths)
        self.statusBar().showMessage(f"Copied {len(paths)} path{'s' if len(paths) != 1 else ''}", 2500)

    def find_similar(self, path: Path) -> None:
        """Image query with ``path`` (Back returns to where the user was)."""
        self.commands.remember()
        self.image_panel.chip.set_path(Path(path))
        self.set_mode(Mode.IMAGE)

    def use_as_reference(self, path: Path) -> None:
        """Image + edit with ``path`` as the reference photo (Back returns to where the user was)."""
        self.commands.remember()
        self.edit_panel.chip.set_path(Path(path))
        self.set_mode(Mode.EDIT)
        self.focus_search()

    def set_reference(self, ref: ImageRef) -> None:
        """A dropped or pasted image: the reference of the edit mode if it is showing,
        otherwise an image query."""
        if self.mode() == Mode.EDIT:
            self.edit_panel.chip.set_reference(ref)
        else:
            self.image_panel.chip.set_reference(ref)
            self.set_mode(Mode.IMAGE)

    def show_preview(self, row: int) -> None:
        model = self.grid.model()   # the results, or the library when there is no query
        if not 0 <= row < model.rowCount():
            return
        dlg = PreviewDialog(model, row, self)
        dlg.openRequested.connect(self.open_path)
        dlg.rowChanged.connect(lambda r: self.grid.setCurrentIndex(model.index(r, 0)))
        dlg.finished.connect(dlg.deleteLater)
        dlg.finished.connect(lambda _r: setattr(self, "_preview", None))
        dlg.finished.connect(lambda _r: self.commands.back_to_grid())   # at the photo last viewed
        self._preview = dlg
        dlg.resize(dlg.sizeHint())
        dlg.open()

    def open_reference_dialog(self) -> None:
        chip = self.edit_panel.chip if self.mode() == Mode.EDIT else self.image_panel.chip
        chip.open_dialog()
        if self.mode() not in (Mode.IMAGE, Mode.EDIT) and chip.reference() is not None:
            self.set_mode(Mode.IMAGE)

    def paste_reference(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None or not mime_has_image(mime):
            self.banner.show_error("The clipboard holds no image")
            return
        ref = self._reference_from(mime)
        if ref is not None:
            self.set_reference(ref)

    def _filters_changed(self, filters: Filters) -> None:
        # the core's `before` is exclusive; the "To" date in the bar is inclusive
        before = filters.before + timedelta(days=1) if filters.before else None
        self.controller.set_filters(Filters(filters.folder, filters.after, before))
        if self.browse is not None:
            self.browse.set_filters(Filters(filters.folder, filters.after, before))

    def _empty_action(self, action: str) -> None:
        if action == "add-folder":
            self.add_folder_dialog()
        elif action == "open-image":
            self.open_reference_dialog()

    def add_folder_dialog(self) -> None:
        start = str(Path.home() / "Pictures") if (Path.home() / "Pictures").is_dir() else str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Add a photo folder", start)
        if folder:
            self.add_folder(Path(folder))

    def add_folder(self, path: Path) -> None:
        self.index_service.add_folder(Path(path))
        self.statusBar().showMessage(f"Adding {path}…", 3000)

    # ---------------------------------------------------------------- service events
    def _on_library_opened(self, status: LibraryStatus) -> None:
        self.index_status.set_summary(status)

    def _on_folders(self, folders: Folders) -> None:
        self._has_folders = bool(folders)
        self.filter_bar.set_folders(folders)
        self._update_view()

    def apply_change(self, change: LibraryChange) -> None:
        """Refresh what a writer operation changed: the library view for photos or folders, the results
        for photos; a settings or model change alone refreshes nothing (the next run does)."""
        if self.browse is not None and change.touches(Changed.PHOTOS | Changed.FOLDERS):
            self.browse.reload()
        if change.touches(Changed.PHOTOS):
            self.controller.refresh()
        self._update_view()

    def _on_indexing_changed(self, active: bool) -> None:
        self.index_status.set_indexing(active)
        if not active and self.results.rowCount() < self.controller.state.limit:
            self.controller.refresh()          # newly indexed photos may match now
        if self.browse is not None:
            self.browse.reload()
        self._update_view()

    def _on_progress(self, progress: Progress) -> None:
        if progress.phase.busy:
            self.index_status.set_progress(progress)
            if self.browse is not None:
                self.browse.reload_now_and_then()

    def _on_search_started(self) -> None:
        if self.results.rowCount() == 0:
            self.results_label.setText("Searching…")

    def _on_results(self, count: int, ms: float) -> None:
        noun = "photo" if count == 1 else "photos"
        self.results_label.setText(f"{format_count(count)} {noun}  ·  {ms:.0f} ms")
        if count and not self.controller.continued:
            self.grid.scrollToTop()
        self.banner.dismiss(Operation.SEARCH)    # the search works again
        self._update_view()

    def _on_search_failed(self, failure: OpFailure) -> None:
        self.banner.show_error(f"The search failed: {failure.message}", Operation.SEARCH)
        self.results_label.setText("")
        self._update_view()

    def _update_view(self) -> None:
        """Grid when there are results (or, with no query, the library), otherwise the empty state that fits."""
        browsing = self.browse is not None and self.controller.wants_library() and self.browse.count() > 0
        if self.browse is not None:
            self.browse.show(browsing)
        self.results_header.best_cut.setVisible(not browsing and self.results.rowCount() > 0)
        if browsing and self.browse is not None:
            self.results_header.setVisible(True)
            self.results_label.setText(f"{format_count(self.browse.count())} photos  ·  newest first")
            self.results_stack.setCurrentWidget(self.grid)
            return
        self.results_header.setVisible(self.results.rowCount() > 0)
        if self.results.rowCount():
            self.results_stack.setCurrentWidget(self.grid)
            return
        view = empty_view(self.controller.state, library_open=self.index_service.is_open(),
                          has_folders=self._has_folders, searching=self.controller.is_searching(),
                          sketch_empty=self.sketch_panel.canvas.is_empty(),
                          indexing=self.index_service.is_indexing())
        self.empty.show_state(view.icon, view.title, view.body, view.action, view.action_text)
        if self.results_label.text() == "Searching…" and not self.controller.is_searching():
            self.results_label.setText("")
        self.results_stack.setCurrentWidget(self.empty)

    # ---------------------------------------------------------------- closing
    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        if self._preview is not None:
            self._preview.reject()
        self.thumbnails.shutdown(3000)
        self.closing.emit()
        super().closeEvent(event)
