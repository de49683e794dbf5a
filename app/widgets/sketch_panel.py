"""Sketch mode's side panel: the canvas and its tools (pen, eraser, width,
colour, undo, clear)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.widgets.icon_button import icon_button
from app.widgets.sketch_canvas import SketchCanvas

INK_COLORS = ("#111111", "#d64541", "#2f80ed", "#27ae60", "#f2a516")
INK_NAMES = {"#111111": "Black", "#d64541": "Red", "#2f80ed": "Blue", "#27ae60": "Green", "#f2a516": "Yellow"}


def _swatch(color: str, size: int = 16) -> QIcon:
    pix = QPixmap(size * 2, size * 2)
    pix.setDevicePixelRatio(2.0)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QColor(0, 0, 0, 60))
    p.setBrush(QColor(color))
    p.drawEllipse(1, 1, size - 2, size - 2)
    p.end()
    return QIcon(pix)


class SketchPanel(QWidget):
    """Canvas plus tool row.

    Signals:
        changed(): forwarded from the canvas (debounced after each stroke).
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.canvas = SketchCanvas(self)
        self.canvas.changed.connect(self.changed)

        title = QLabel("Sketch")
        title.setObjectName("PanelTitle")
        hint = QLabel("Draw a shape or a scene. Results follow each stroke; "
                      "words in the search bar refine them.")
        hint.setObjectName("PanelHint")
        hint.setWordWrap(True)

        self.pen_button = self._tool("pen", "Pen (P)", checkable=True)
        self.eraser_button = self._tool("eraser", "Eraser (E)", checkable=True)
        group = QButtonGroup(self)
        group.setExclusive(True)
        group.addButton(self.pen_button)
        group.addButton(self.eraser_button)
        self.pen_button.setChecked(True)
        self.pen_button.toggled.connect(lambda on: self._set_eraser(not on))

        self.undo_button = self._tool("undo", "Undo (Ctrl+Z)")
        self.undo_button.clicked.connect(self.canvas.undo)
        self.clear_button = self._tool("clear", "Clear the canvas")
        self.clear_button.clicked.connect(self.canvas.clear)
        self.canvas.strokesChanged.connect(self._update_buttons)

        self.width_slider = QSlider(Qt.Orientation.Horizontal)
        self.width_slider.setObjectName("PlainSlider")
        self.width_slider.setRange(2, 24)
        self.width_slider.setValue(int(self.canvas.pen_width))
        self.width_slider.setToolTip("Pen width")
        self.width_slider.setAccessibleName("Pen width")
        self.width_slider.valueChanged.connect(lambda v: setattr(self.canvas, "pen_width", float(v)))

        self.color_buttons: list[QToolButton] = []
        colors = QButtonGroup(self)
        colors.setExclusive(True)
        color_row = QHBoxLayout()
        color_row.setSpacing(2)
        for c in INK_COLORS:
            b = icon_button(_swatch(c), f"{INK_NAMES[c]} ink", size=16, checkable=True)
            b.clicked.connect(lambda _=False, c=c: self.set_color(c))
            colors.addButton(b)
            self.color_buttons.append(b)
            color_row.addWidget(b)
        self.color_buttons[0].setChecked(True)
        color_row.addStretch(1)

        tools = QHBoxLayout()
        tools.setSpacing(2)
        for b in (self.pen_button, self.eraser_button):
            tools.addWidget(b)
        tools.addSpacing(6)
        width_label = QLabel("Width")
        width_label.setObjectName("PanelHint")
        tools.addWidget(width_label)
        tools.addWidget(self.width_slider, 1)
        tools.addSpacing(6)
        tools.addWidget(self.undo_button)
        tools.addWidget(self.clear_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addSpacing(2)
        layout.addWidget(self.canvas)
        layout.addLayout(tools)
        layout.addLayout(color_row)
        layout.addStretch(1)

        for keys, slot in (("Ctrl+Z", self.canvas.undo), ("P", lambda: self.pen_button.setChecked(True)),
                           ("E", lambda: self.eraser_button.setChecked(True))):
            sc = QShortcut(QKeySequence(keys), self)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(slot)
        self._update_buttons(0)

    def _tool(self, name: str, tip: str, *, checkable: bool = False) -> QToolButton:
        return icon_button(name, tip, size=18, checkable=checkable)

    def set_color(self, color: str) -> None:
        self.canvas.pen_color = QColor(color)
        self.pen_button.setChecked(True)

    def _set_eraser(self, on: bool) -> None:
        self.canvas.eraser = on

    def _update_buttons(self, count: int) -> None:
        self.undo_button.setEnabled(count > 0)
        self.clear_button.setEnabled(count > 0)
