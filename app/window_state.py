"""The main window's state between runs: geometry, splitter, thumbnail size, search mode (``QSettings``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray

from app.query_types import Mode
from app.widgets.results_grid import DEFAULT_CELL

# the window: ui_settings, splitter, size_slider, grid, mode_switch, set_mode (typed loosely: it imports this module)
Window = Any


def restore_window(w: Window) -> None:
    """Geometry, splitter, thumbnail size and search mode as the user left them."""
    s = w.ui_settings
    geometry = s.value("window/geometry")
    if isinstance(geometry, QByteArray) and not geometry.isEmpty():
        w.restoreGeometry(geometry)
    else:
        w.resize(1280, 820)
    splitter = s.value("window/splitter")
    if isinstance(splitter, QByteArray) and not splitter.isEmpty():
        w.splitter.restoreState(splitter)
    try:
        cell = int(str(s.value("results/cell", DEFAULT_CELL)))
    except (TypeError, ValueError):
        cell = DEFAULT_CELL
    w.size_slider.setValue(cell)
    w.grid.set_cell_size(cell)
    try:
        mode = Mode.named(s.value("search/mode", Mode.TEXT.value))
    except ValueError:
        mode = Mode.TEXT
    w.set_mode(mode)


def save_window(w: Window) -> None:
    """Remember geometry, splitter, search mode and thumbnail size."""
    s = w.ui_settings
    s.setValue("window/geometry", w.saveGeometry())
    s.setValue("window/splitter", w.splitter.saveState())
    s.setValue("search/mode", w.mode_switch.mode().value)
    s.setValue("results/cell", w.size_slider.value())
    s.sync()
