"""The keyboard shortcut sheet: every action of the window's menus with its keys, and the keys that
work in the results and the viewer, in one searchable table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.widgets.icon_button import text_only

# keys handled by the widgets themselves, not by an action: (group, what it does, keys)
WIDGET_KEYS: tuple[tuple[str, str, str], ...] = (
    ("Search box", "Go down into the results", "Down"),
    ("Search box", "Clear the search", "Esc"),
    ("Results", "Move between photos (sections keep their columns)", "Left, Right, Up, Down"),
    ("Results", "First / last photo", "Home, End"),
    ("Results", "Select more photos", "Shift+arrows"),
    ("Results", "Back to where you were", "Backspace"),
    ("Viewer", "Previous / next photo", "Left, Right"),
    ("Viewer", "Zoom in / out / fit", "Ctrl+=, Ctrl+-, 0"),
    ("Viewer", "Move the zoomed photo", "Drag, arrows with Shift"),
    ("Viewer", "Back to the results, at the same photo", "Esc"),
    ("Sketch", "Pen / eraser / undo", "P, E, Ctrl+Z"),
)


def shown_keys(action: QAction) -> list[str]:
    """The keys an action shows: its shortcuts, then those only named in its text ("Open\tEnter")."""
    bound = [k.toString() for k in action.shortcuts()]
    _, _, named = action.text().partition("\t")
    return bound + [k.strip() for k in named.split(",") if k.strip() and k.strip() not in bound]


def action_name(action: QAction) -> str:
    """An action's text without its mnemonic and named keys: "&Open\tEnter" -> "Open"."""
    return action.text().partition("\t")[0].replace("&", "")


def action_rows(actions: Iterable[QAction]) -> list[tuple[str, str]]:
    """(action name, each of its keys) for the actions that have keys."""
    return [(action_name(a), keys) for a in actions for keys in shown_keys(a)]


class ShortcutSheet(QDialog):
    """Lists ``menus`` ((title, actions) pairs) and :data:`WIDGET_KEYS`; Esc or Close closes it."""

    def __init__(self, menus: Sequence[tuple[str, Sequence[QAction]]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ShortcutSheet")
        self.setWindowTitle("Keyboard shortcuts")
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Action", "Keys"])
        self.tree.setAccessibleName("Keyboard shortcuts")
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self._listed: list[tuple[str, str]] = []
        for title, actions in menus:
            self._group(title, [(action_name(a), ", ".join(shown_keys(a))) for a in actions if shown_keys(a)])
        groups: dict[str, list[tuple[str, str]]] = {}
        for group, what, keys in WIDGET_KEYS:
            groups.setdefault(group, []).append((what, keys))
        for title, rows in groups.items():
            self._group(title, rows)
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)
        buttons = text_only(QDialogButtonBox(QDialogButtonBox.StandardButton.Close))
        buttons.rejected.connect(self.reject)
        hint = QLabel("Every action is also in the menu bar; Alt opens it.")
        hint.setObjectName("PanelHint")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 1)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.resize(560, 620)

    def _group(self, title: str, rows: Sequence[tuple[str, str]]) -> None:
        if not rows:
            return
        head = QTreeWidgetItem(self.tree, [title.replace("&", ""), ""])
        head.setFlags(Qt.ItemFlag.ItemIsEnabled)
        font = head.font(0)
        font.setBold(True)
        head.setFont(0, font)
        for name, keys in rows:
            each = [k.strip() for k in keys.split(", ")]
            shown = ", ".join(QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) or k for k in each)
            item = QTreeWidgetItem(head, [name, shown])
            item.setData(0, Qt.ItemDataRole.AccessibleTextRole, f"{name}: {shown}")
            self._listed.extend((name, k) for k in each)

    def listed(self) -> list[tuple[str, str]]:
        """Every (action, keys) row shown, keys in portable text ("Ctrl+Q")."""
        return list(self._listed)
