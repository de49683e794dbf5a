"""The main window: composes the search bar, mode panels, results and status.

The window wires widgets to three services and holds no logic of its own
beyond layout and routing:

* :class:`~app.workers.IndexService`  -- folders, settings, indexing (the writer);
* :class:`~app.query_controller.QueryController` over the
  :class:`~app.workers.SearchService` -- queries and results;
* :class:`~app.desktop.DesktopServices` -- open, reveal, copy.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSlider,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.desktop import DesktopServices, dropped_folders
from app.models.results_model import ResultsModel
from app.query_controller import QueryController
from app.resources import app_icon, icon
from app.thumbnails import ThumbnailLoader
from app.widgets.banner import Banner
from app.widgets.empty_state import EmptyState
from app.widgets.filter_bar import FilterBar, Filters
from app.widgets.icon_button import icon_button
from app.widgets.index_status import IndexStatus, format_count
from app.widgets.preview_dialog import PreviewDialog
from app.widgets.query_panels import EditPanel, ImagePanel
from app.widgets.reference_chip import ImageRef, mime_has_image, ref_from_mime
from app.widgets.results_grid import DEFAULT_CELL, MAX_CELL, MIN_CELL, ResultsGrid
from app.widgets.search_bar import Mode, ModeSwitch, SearchBar
from app.widgets.sketch_panel import SketchPanel

logger = logging.getLogger(__name__)

SIDE_PANEL_WIDTH = 330


class MainWindow(QMainWindow):
    """Signals:
        foldersRequested(): open the folders dialog.
        settingsRequested(): open the settings dialog.
        closing(): the window is closing (services are shut down by the owner).
    """

    foldersRequested = Signal()
    settingsRequested = Signal()
    closing = Signal()

    def __init__(self, *, index_service, search_service, ui_settings: QSettings, default_weight: float,
                 desktop: DesktopServices | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Photoseek")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.index_service = index_service
        self.search_service = search_service
        self.desktop = desktop or DesktopServices(self)
        self.ui_settings = ui_settings
        self._library = None
        self._has_folders = False
        self._preview: PreviewDialog | None = None
        self._shown_mode: Mode | None = None
        self._mode_texts: dict[Mode, str] = {}

        # ---- model and controller ----
        self.thumbnails = ThumbnailLoader(self, threads=1)   # fewer threads contending for the GIL
        self.results = ResultsModel(self.thumbnails, self, thumbnail_sources=self._thumbnail_sources)
        self.controller = QueryController(search_service, self.results, self)

        # ---- widgets ----
        self.mode_switch = ModeSwitch()
        self.search_bar = SearchBar()
        self.image_panel = ImagePanel()
        self.sketch_panel = SketchPanel()
        self.edit_panel = EditPanel(default_weight)
        self.grid = ResultsGrid()
        self.grid.setModel(self.results)
        self.filter_bar = FilterBar()
        self.banner = Banner()
        self.empty = EmptyState()
        self.index_status = IndexStatus()
        self.results_label = QLabel()
        self.results_label.setObjectName("ResultsHeader")
        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setObjectName("PlainSlider")
        self.size_slider.setRange(MIN_CELL, MAX_CELL)
        self.size_slider.setFixedWidth(120)
        self.size_slider.setToolTip("Thumbnail size (Ctrl+wheel)")
        self.size_slider.setAccessibleName("Thumbnail size")
        self.folders_button = self._icon_button("folder", "Folders… (Ctrl+Shift+O)")
        self.settings_button = self._icon_button("settings", "Settings… (Ctrl+,)")
        self.setCentralWidget(self._build_body())
        self.statusBar().addPermanentWidget(self.index_status, 1)
        self.statusBar().setSizeGripEnabled(False)

        self._connect()
        self._shortcuts()
        self._restore()
        self._update_view()

    # ---------------------------------------------------------------- layout
    def _icon_button(self, name: str, tip: str) -> QToolButton:
        return icon_button(name, tip, size=20, accessible_name=tip.rstrip("…. (Ctrl+Shift+O),"))

    def _build_body(self) -> QWidget:
        top = QFrame()
        top.setObjectName("TopBar")
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(26, 26))
        title = QLabel("Photoseek")
        title.setObjectName("AppTitle")
        row = QHBoxLayout(top)
        row.setContentsMargins(14, 10, 10, 10)
        row.setSpacing(10)
        row.addWidget(logo)
        row.addWidget(title)
        row.addSpacing(6)
        row.addWidget(self.mode_switch)
        row.addSpacing(6)
        row.addWidget(self.search_bar, 1)
        row.addSpacing(4)
        row.addWidget(self.folders_button)
        row.addWidget(self.settings_button)

        self.side_stack = QStackedWidget()
        self.side_stack.addWidget(self.image_panel)
        self.side_stack.addWidget(self.sketch_panel)
        self.side_stack.addWidget(self.edit_panel)
        self.side = QFrame()
        self.side.setObjectName("SidePanel")
        side_layout = QVBoxLayout(self.side)
        side_layout.setContentsMargins(16, 14, 16, 14)
        side_layout.addWidget(self.side_stack)
        self.side.setMinimumWidth(250)
        self.side.setMaximumWidth(560)

        header = self.results_header = QWidget()
        header_row = QHBoxLayout(header)
        header_row.setContentsMargins(16, 8, 14, 2)
        header_row.addWidget(self.results_label, 1)
        size_icon = QLabel()
        size_icon.setPixmap(icon("image").pixmap(14, 14))
        header_row.addWidget(size_icon)
        header_row.addWidget(self.size_slider)

        self.results_stack = QStackedWidget()
        self.results_stack.addWidget(self.grid)
        self.results_stack.addWidget(self.empty)

        results = QWidget()
        col = QVBoxLayout(results)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        col.addWidget(self.filter_bar)
        col.addWidget(self.banner)
        col.addWidget(header)
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
        layout.addWidget(top)
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

        g = self.grid
        g.openRequested.connect(self.open_path)
        g.previewRequested.connect(self.show_preview)
        g.revealRequested.connect(self.desktop.reveal)
        g.copyPathsRequested.connect(self._copy_paths)
        g.findSimilarRequested.connect(self.find_similar)
        g.useAsReferenceRequested.connect(self.use_as_reference)
        self.size_slider.valueChanged.connect(g.set_cell_size)

        self.empty.actionClicked.connect(self._empty_action)
        self.folders_button.clicked.connect(self.foldersRequested)
        self.settings_button.clicked.connect(self.settingsRequested)
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
        s.error.connect(self.banner.show_error)
        s.openFailed.connect(self.banner.show_error)

    def _shortcuts(self) -> None:
        for keys in ("Ctrl+L", "Ctrl+F"):
            QShortcut(QKeySequence(keys), self, activated=self.focus_search)
        QShortcut(QKeySequence("Ctrl+,"), self, activated=self.settingsRequested)
        QShortcut(QKeySequence("Ctrl+Shift+O"), self, activated=self.foldersRequested)
        QShortcut(QKeySequence("Ctrl+O"), self, activated=self._open_reference_dialog)
        paste = QShortcut(QKeySequence.StandardKey.Paste, self.grid)
        paste.setContext(Qt.ShortcutContext.WidgetShortcut)
        paste.activated.connect(self._paste_reference)

    # ---------------------------------------------------------------- state
    def _restore(self) -> None:
        s = self.ui_settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 820)
        splitter = s.value("window/splitter")
        if isinstance(splitter, QByteArray) and not splitter.isEmpty():
            self.splitter.restoreState(splitter)
        try:
            cell = int(s.value("results/cell", DEFAULT_CELL))
        except (TypeError, ValueError):
            cell = DEFAULT_CELL
        self.size_slider.setValue(cell)
        self.grid.set_cell_size(cell)
        try:
            mode = Mode(s.value("search/mode", Mode.TEXT.value))
        except ValueError:
            mode = Mode.TEXT
        self.set_mode(mode)

    def save_state(self) -> None:
        s = self.ui_settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/splitter", self.splitter.saveState())
        s.setValue("search/mode", self.mode_switch.mode().value)
        s.setValue("results/cell", self.size_slider.value())
        s.sync()

    # ---------------------------------------------------------------- actions
    def mode(self) -> Mode:
        return self.mode_switch.mode()

    def set_mode(self, mode: Mode) -> None:
        mode = Mode(mode)
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
        self.side.setVisible(mode != Mode.TEXT)
        panel = {Mode.IMAGE: self.image_panel, Mode.SKETCH: self.sketch_panel, Mode.EDIT: self.edit_panel}.get(mode)
        if panel is not None:
            self.side_stack.setCurrentWidget(panel)
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

    def _copy_paths(self, paths) -> None:
        self.desktop.copy_paths(list(paths))
        self.statusBar().showMessage(f"Copied {len(paths)} path{'s' if len(paths) != 1 else ''}", 2500)

    def find_similar(self, path: Path) -> None:
        """Image query with ``path``."""
        self.image_panel.chip.set_path(Path(path))
        self.set_mode(Mode.IMAGE)

    def use_as_reference(self, path: Path) -> None:
        """Image + edit with ``path`` as the reference photo."""
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
        if not 0 <= row < self.results.rowCount():
            return
        dlg = PreviewDialog(self.results, row, self)
        dlg.openRequested.connect(self.open_path)
        dlg.rowChanged.connect(lambda r: self.grid.setCurrentIndex(self.results.index(r)))
        dlg.finished.connect(dlg.deleteLater)
        dlg.finished.connect(lambda _r: setattr(self, "_preview", None))
        self._preview = dlg
        dlg.resize(dlg.sizeHint())
        dlg.open()

    def _open_reference_dialog(self) -> None:
        chip = self.edit_panel.chip if self.mode() == Mode.EDIT else self.image_panel.chip
        chip.open_dialog()
        if self.mode() not in (Mode.IMAGE, Mode.EDIT) and chip.reference() is not None:
            self.set_mode(Mode.IMAGE)

    def _paste_reference(self) -> None:
        from PySide6.QtGui import QGuiApplication
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None or not mime_has_image(mime):
            self.banner.show_error("The clipboard holds no image")
            return
        try:
            ref = ref_from_mime(mime)
        except ValueError as exc:
            self.banner.show_error(str(exc))
            return
        if ref is not None:
            self.set_reference(ref)

    def _filters_changed(self, filters: Filters) -> None:
        # the core's `before` is exclusive; the "To" date in the bar is inclusive
        before = filters.before + timedelta(days=1) if filters.before else None
        self.controller.set_filters(Filters(filters.folder, filters.after, before))

    def _empty_action(self, action: str) -> None:
        if action == "add-folder":
            self.add_folder_dialog()
        elif action == "open-image":
            self._open_reference_dialog()

    def add_folder_dialog(self) -> None:
        start = str(Path.home() / "Pictures") if (Path.home() / "Pictures").is_dir() else str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Add a photo folder", start)
        if folder:
            self.add_folder(Path(folder))

    def add_folder(self, path: Path) -> None:
        self.index_service.add_folder(Path(path))
        self.statusBar().showMessage(f"Adding {path}…", 3000)

    # ---------------------------------------------------------------- drops
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if dropped_folders(mime) or mime_has_image(mime):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        folders = dropped_folders(mime)
        if folders:
            for f in folders:
                self.add_folder(f)
            event.acceptProposedAction()
            return
        try:
            ref = ref_from_mime(mime)
        except ValueError as exc:
            self.banner.show_error(str(exc))
            event.ignore()
            return
        if ref is None:
            event.ignore()
            return
        self.set_reference(ref)
        event.acceptProposedAction()

    # ---------------------------------------------------------------- service events
    def _thumbnail_sources(self, hit) -> tuple[str, ...]:
        lib = self._library
        if lib is not None and getattr(hit, "photo_id", None) is not None:
            return (str(lib.thumbnail_path(hit.photo_id)), str(hit.path))
        return (str(hit.path),)

    def _on_library_opened(self, library, status: dict) -> None:
        self._library = library
        self.index_status.set_summary(status)

    def _on_folders(self, folders: list) -> None:
        self._has_folders = bool(folders)
        self.filter_bar.set_folders(folders)
        self._update_view()

    def _on_indexing_changed(self, active: bool) -> None:
        self.index_status.set_indexing(active)
        if not active and self.results.rowCount() < self.controller.state.limit:
            self.controller.refresh()          # newly indexed photos may match now
        self._update_view()

    def _on_progress(self, progress) -> None:
        if progress.phase in ("scanning", "indexing"):
            self.index_status.set_progress(progress)

    def _on_search_started(self) -> None:
        if self.results.rowCount() == 0:
            self.results_label.setText("Searching…")

    def _on_results(self, count: int, ms: float) -> None:
        noun = "photo" if count == 1 else "photos"
        self.results_label.setText(f"{format_count(count)} {noun}  ·  {ms:.0f} ms")
        if count:
            self.grid.scrollToTop()
        if "search failed" in self.banner.message():
            self.banner.hide()
        self._update_view()

    def _on_search_failed(self, message: str) -> None:
        self.banner.show_error(f"The search failed: {message}")
        self.results_label.setText("")
        self._update_view()

    def _update_view(self) -> None:
        """Grid when there are results, otherwise the empty state that fits."""
        self.results_header.setVisible(self.results.rowCount() > 0)
        if self.results.rowCount():
            self.results_stack.setCurrentWidget(self.grid)
            return
        mode, st = self.mode(), self.controller.state
        indexing = self.index_service.is_indexing()
        if not self._has_folders and self.index_service.is_open():
            self.empty.show_state("folder-add", "Add your photo folders",
                                  "Photoseek indexes the photos in the folders you choose, on this computer. "
                                  "You can also drop a folder on this window.", "add-folder", "Add a folder…")
        elif self.controller.is_searching():
            self.empty.show_state("search", "Searching…", "")
        elif mode == Mode.TEXT and not st.text.strip():
            self.empty.show_state("search", "Search your photos",
                                  "Describe what you are looking for: “a dog on the beach”, "
                                  "“birthday cake with candles”, “snowy mountains at sunrise”.")
        elif mode == Mode.IMAGE and st.image_ref is None:
            self.empty.show_state("image", "Find similar photos",
                                  "Drop a photo on the window, paste one, or choose a file.",
                                  "open-image", "Choose a photo…")
        elif mode == Mode.SKETCH and self.sketch_panel.canvas.is_empty():
            self.empty.show_state("sketch", "Sketch what you remember",
                                  "Draw on the canvas; results follow each stroke.")
        elif mode == Mode.EDIT and st.edit_ref is None:
            self.empty.show_state("edit", "Start from a photo, change it with words",
                                  "Choose a reference photo, then describe the change in the search bar.",
                                  "open-image", "Choose a photo…")
        elif indexing:
            self.empty.show_state("search", "No matches yet",
                                  "Photos are still being indexed; results appear as they are added.")
        else:
            self.empty.show_state("search", "No matches", "Try other words, or clear the filters.")
        if not self.results.rowCount() and self.results_label.text() == "Searching…" and not self.controller.is_searching():
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
