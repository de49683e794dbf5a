"""The panel beside the results for the modes that need more than words: image, sketch, image + edit."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QStackedWidget, QVBoxLayout, QWidget

from app.query_types import Mode
from app.widgets.query_panels import EditPanel, ImagePanel
from app.widgets.sketch_panel import SketchPanel


class SidePanel(QFrame):
    """Holds :attr:`image_panel`, :attr:`sketch_panel` and :attr:`edit_panel`; shows the one a mode uses."""

    def __init__(self, default_weight: float, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("SidePanel")
        self.setMinimumWidth(250)
        self.setMaximumWidth(560)
        self.image_panel = ImagePanel()
        self.sketch_panel = SketchPanel()
        self.edit_panel = EditPanel(default_weight)
        self.stack = QStackedWidget()
        for panel in (self.image_panel, self.sketch_panel, self.edit_panel):
            self.stack.addWidget(panel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.addWidget(self.stack)

    def show_mode(self, mode: Mode) -> None:
        """Show ``mode``'s panel; the whole side panel hides for a text search."""
        self.setVisible(mode.panel is not None)
        panel = {"image": self.image_panel, "sketch": self.sketch_panel, "edit": self.edit_panel}.get(mode.panel or "")
        if panel is not None:
            self.stack.setCurrentWidget(panel)
