"""The flat icon buttons used across the window (styled by ``#IconButton`` in style.qss)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QDialogButtonBox, QPushButton, QToolButton

from app.resources import icon


def icon_button(
    name: str | QIcon | None,
    tip: str,
    *,
    size: int,
    checkable: bool = False,
    accessible_name: str | None = None,
) -> QToolButton:
    """A QToolButton with an icon (a resource name or a QIcon), a tooltip and an accessible name."""
    b = QToolButton()
    b.setObjectName("IconButton")
    if name is not None:
        b.setIcon(icon(name) if isinstance(name, str) else name)
    b.setIconSize(QSize(size, size))
    b.setToolTip(tip)
    b.setAccessibleName(accessible_name if accessible_name is not None else tip)
    b.setCheckable(checkable)
    b.setCursor(Qt.CursorShape.PointingHandCursor)
    return b


def text_only(box: QDialogButtonBox) -> QDialogButtonBox:
    """The box's buttons without the platform style's stock icons (they clash with the flat icon set)."""
    for button in box.buttons():
        button.setIcon(QIcon())
    return box


def unclipped(button: QPushButton) -> QPushButton:
    """A button at least as wide as its icon and whole text ("Add folder…" never shows as "Add folder.")."""
    button.setMinimumWidth(button.sizeHint().width() + button.fontMetrics().horizontalAdvance("  "))
    return button
