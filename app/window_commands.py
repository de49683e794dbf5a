"""The main window's commands: a menu bar with every action and its keys, the window-wide shortcuts,
the shortcut sheet, and going back (Alt+Left, or Backspace in the results) to where the user was.

Keys that belong to a widget (Enter and Space in the results, Ctrl+C, Backspace) are only *shown* in
the menus, after a tab in the action's text: bound to the window they would take those keys from the
search box, and bound to a menu they would fire instead of the highlighted item.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QMenu

from app.item_models.results_model import ResultsModel
from app.query_types import Mode
from app.widgets.results_grid import DEFAULT_CELL
from app.widgets.shortcut_sheet import ShortcutSheet

# the main window (typed loosely: it imports this module): grid, search_bar, size_slider, results_stack,
# controller, browse, mode(), set_mode(), focus_search(), the dialogs' signals and slots
MainWindow = Any

SIZE_STEP = 24


class Place(NamedTuple):
    """Where the user was: the mode (whose words the window keeps) and the photo in focus."""

    mode: Mode
    row: int


class WindowCommands(QObject):
    """Builds ``window``'s menu bar and shortcuts and keeps its back history."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.w = window
        self._history: list[Place] = []
        self._restore_row: int | None = None
        self._sheet: ShortcutSheet | None = None
        self.menus: list[tuple[str, QMenu]] = []
        self.actions: dict[str, QAction] = {}
        self._build()
        grid = window.grid
        back = QShortcut(QKeySequence(Qt.Key.Key_Backspace), grid, self.back)
        back.setContext(Qt.ShortcutContext.WidgetShortcut)
        paste = QShortcut(QKeySequence.StandardKey.Paste, grid, window.paste_reference)
        paste.setContext(Qt.ShortcutContext.WidgetShortcut)
        window.search_bar.downPressed.connect(self.enter_results)
        window.controller.resultsChanged.connect(lambda *_a: self._restore_place())
        if window.browse is not None:
            window.browse.changed.connect(self._restore_place)

    # ---------------------------------------------------------------- the menu bar
    def _build(self) -> None:
        w = self.w
        file = self._menu("&File")
        self._add(file, "open_photo", "&Open a photo to search by…", w.open_reference_dialog, "Ctrl+O")
        self._add(file, "paste_photo", "&Paste a photo to search by\tCtrl+V", w.paste_reference)
        file.addSeparator()
        self._add(file, "add_folder", "&Add a folder…", w.add_folder_dialog)
        self._add(file, "folders", "&Folders…", w.foldersRequested.emit, "Ctrl+Shift+O")
        self._add(file, "duplicates", "&Duplicates…", w.duplicatesRequested.emit, "Ctrl+Shift+D")
        self._add(file, "settings", "&Settings…", w.settingsRequested.emit, "Ctrl+,")
        file.addSeparator()
        self._add(file, "quit", "&Quit", w.close, "Ctrl+Q")

        view = self._menu("&View")
        self._add(view, "search", "&Search", w.focus_search, "Ctrl+L", "Ctrl+F")
        self._add(view, "back", "&Back", self.back, "Alt+Left")
        view.addSeparator()
        for i, mode in enumerate(Mode.all()):
            self._add(view, f"mode_{mode.value}", f"{mode.label} search\tAlt+{i + 1}",
                      partial(w.set_mode, mode))
        view.addSeparator()
        self._add(view, "larger", "&Larger thumbnails", lambda: self._resize(SIZE_STEP), "Ctrl+=", "Ctrl++")
        self._add(view, "smaller", "S&maller thumbnails", lambda: self._resize(-SIZE_STEP), "Ctrl+-")
        self._add(view, "default_size", "&Default thumbnail size", lambda: w.size_slider.setValue(DEFAULT_CELL),
                  "Ctrl+0")

        photo = self._menu("&Photo")
        grid = w.grid
        self._add(photo, "open", "&Open\tEnter", lambda: self._on_current(grid.open_index))
        self._add(photo, "view", "&Preview\tSpace",
                  lambda: self._on_current(lambda i: grid.previewRequested.emit(i.row())))
        self._add(photo, "menu", "Photo &menu\tShift+F10, Menu", lambda: self._on_current(grid.show_menu))
        photo.addSeparator()
        self._add(photo, "similar", "Find &similar",
                  lambda: self._on_current(lambda i: grid.findSimilarRequested.emit(grid.path_of(i))))
        self._add(photo, "reference", "Use as &reference for edit",
                  lambda: self._on_current(lambda i: grid.useAsReferenceRequested.emit(grid.path_of(i))))
        self._add(photo, "reveal", "&Reveal in folder",
                  lambda: self._on_current(lambda i: grid.revealRequested.emit(grid.path_of(i))))
        self._add(photo, "copy", "&Copy path\tCtrl+C",
                  lambda: self._on_current(lambda i: grid.copyPathsRequested.emit(grid.selected_paths())))

        help_menu = self._menu("&Help")
        self._add(help_menu, "shortcuts", "&Keyboard shortcuts", self.show_sheet, "F1", "Ctrl+?")

    def _menu(self, title: str) -> QMenu:
        menu = self.w.menuBar().addMenu(title)
        self.menus.append((title, menu))
        return menu

    def _add(self, menu: QMenu, name: str, text: str, slot: Callable[[], object], *keys: str) -> QAction:
        action = QAction(text, self.w)
        action.setObjectName(name)
        if keys:
            action.setShortcuts([QKeySequence(k) for k in keys])
            self.w.addAction(action)        # window-wide, whether or not the menu bar is in the window
        def run(_checked: bool = False, f=slot) -> None:   # slots return None (PySide6)
            f()
        action.triggered.connect(run)
        menu.addAction(action)
        self.actions[name] = action
        return action

    def show_sheet(self) -> None:
        if self._sheet is None:
            self._sheet = ShortcutSheet([(t, m.actions()) for t, m in self.menus], self.w)
        self._sheet.show()
        self._sheet.activateWindow()

    # ---------------------------------------------------------------- the results
    def _on_current(self, act: Callable[[QModelIndex], object]) -> None:
        index = self.w.grid.currentIndex()
        if index.isValid() and index.data(ResultsModel.PathRole):
            act(index)

    def _resize(self, step: int) -> None:
        self.w.size_slider.setValue(self.w.size_slider.value() + step)

    def enter_results(self) -> None:
        """Down in the search box: focus the results at the photo in focus there (else the first)."""
        grid = self.w.grid
        if self.w.results_stack.currentWidget() is not grid or grid.model() is None or not grid.model().rowCount():
            return
        grid.setFocus(Qt.FocusReason.TabFocusReason)
        current = grid.currentIndex() if grid.currentIndex().isValid() else grid.model().index(0, 0)
        grid.selectionModel().setCurrentIndex(current, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        grid.scrollTo(current)

    def back_to_grid(self) -> None:
        """Focus the results at their current photo, in view (as the viewer closes)."""
        grid = self.w.grid
        if grid.currentIndex().isValid():
            grid.scrollTo(grid.currentIndex())
        grid.setFocus(Qt.FocusReason.OtherFocusReason)

    # ---------------------------------------------------------------- back
    def remember(self) -> None:
        """Note the current place, before a command takes the user elsewhere (Find similar, …)."""
        current = self.w.grid.currentIndex()
        self._history.append(Place(self.w.mode(), current.row() if current.isValid() else -1))
        del self._history[:-50]

    def back(self) -> None:
        """Back to the last remembered place; with none, from a search to the library."""
        w = self.w
        if self._history:
            place = self._history.pop()
            self._restore_row = place.row if place.row >= 0 else None
            w.set_mode(place.mode)
            self._restore_place()
        elif w.mode() != Mode.TEXT or w.search_bar.text():
            w.search_bar.clear()
            w.controller.set_text("")
            w.set_mode(Mode.TEXT)
        w.grid.setFocus(Qt.FocusReason.OtherFocusReason)

    def _restore_place(self) -> None:
        row, grid = self._restore_row, self.w.grid
        model = grid.model()
        if row is None or model is None or row >= model.rowCount() or self.w.controller.is_searching():
            return      # (the results of the place are still to come)
        self._restore_row = None
        grid.setCurrentIndex(model.index(row, 0))
        grid.scrollTo(model.index(row, 0))
