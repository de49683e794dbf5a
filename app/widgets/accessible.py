"""What screen readers get from the custom widgets, through Qt's accessibility interfaces.

* A :class:`~app.widgets.section_grid.SectionGrid` is a list with one item per photo, named by the
  model's ``AccessibleTextRole`` ("file name, date, place"), its state (selected, focused) and place on
  screen; the current photo is its focus child, announced as it moves.
* A :class:`ModeButton` (a button of a group where one is on) is a radio button, not a check box.

:func:`install` registers the factory once; the widgets call it when they are made.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, QPoint, QRect, Qt
from PySide6.QtGui import QAccessible, QAccessibleEvent, QAccessibleInterface
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QAccessibleWidget, QToolButton, QWidget

_installed = False
# (Qt takes None for "no such interface" where the stubs say an interface: hence the ignores below)


class ModeButton(QToolButton):
    """A checkable button of an exclusive group: announced as a radio button."""


class PhotoItem(QAccessibleInterface):
    """Row ``row`` of a grid's model: one photo."""

    def __init__(self, view: QAbstractItemView, row: int):
        super().__init__()
        self.view = view
        self.row = row

    def _index(self) -> QModelIndex:
        model = self.view.model()
        return model.index(self.row, 0) if model is not None and self.row < model.rowCount() else QModelIndex()

    def isValid(self) -> bool:  # noqa: N802 - Qt's names
        return self._index().isValid()

    def object(self) -> QObject | None:  # type: ignore[override]
        return None

    def parent(self) -> QAccessibleInterface | None:  # type: ignore[override]
        return QAccessible.queryAccessibleInterface(self.view)

    def child(self, _index: int) -> QAccessibleInterface | None:  # type: ignore[override]
        return None

    def childCount(self) -> int:  # noqa: N802
        return 0

    def indexOfChild(self, _child: QAccessibleInterface) -> int:  # noqa: N802
        return -1

    def childAt(self, _x: int, _y: int) -> QAccessibleInterface | None:  # type: ignore[override]  # noqa: N802
        return None

    def focusChild(self) -> QAccessibleInterface | None:  # type: ignore[override]  # noqa: N802
        return None

    def relations(self, _match=None) -> list:
        return []

    def text(self, t: QAccessible.Text) -> str:
        index = self._index()
        if not index.isValid():
            return ""
        if t == QAccessible.Text.Name:
            return str(index.data(Qt.ItemDataRole.AccessibleTextRole) or index.data(Qt.ItemDataRole.DisplayRole)
                       or "Loading…")
        if t == QAccessible.Text.Description:
            return str(index.data(Qt.ItemDataRole.AccessibleDescriptionRole) or "")
        return ""

    def setText(self, _t: QAccessible.Text, _text: str) -> None:  # noqa: N802
        return None

    def rect(self) -> QRect:
        r = self.view.visualRect(self._index())
        if not r.isValid():
            return QRect()
        return QRect(self.view.viewport().mapToGlobal(r.topLeft()), r.size())

    def role(self) -> QAccessible.Role:
        return QAccessible.Role.ListItem

    def state(self) -> QAccessible.State:
        s = QAccessible.State()
        index = self._index()
        s.selectable = True
        s.focusable = True
        s.invalid = not index.isValid()
        selection = self.view.selectionModel()
        s.selected = bool(index.isValid() and selection is not None and selection.isSelected(index))
        current = self.view.currentIndex()
        s.focused = bool(index.isValid() and current.row() == self.row and self.view.hasFocus())
        visible = self.view.viewport().rect().intersects(self.view.visualRect(index))
        s.invisible = not visible
        s.offscreen = not visible
        return s


class PhotoList(QAccessibleWidget):
    """A grid of photos as a list: one :class:`PhotoItem` per row of its model."""

    def __init__(self, view: QAbstractItemView):
        super().__init__(view, QAccessible.Role.List)
        self._items: dict[int, PhotoItem] = {}   # kept: Qt holds on to the items it was given

    def view(self) -> QAbstractItemView:
        widget = self.widget()
        assert isinstance(widget, QAbstractItemView)
        return widget

    def childCount(self) -> int:  # noqa: N802
        model = self.view().model()
        return model.rowCount() if model is not None else 0

    def child(self, index: int) -> QAccessibleInterface | None:  # type: ignore[override]
        if not 0 <= index < self.childCount():
            return None
        item = self._items.get(index)
        if item is None:
            item = self._items[index] = PhotoItem(self.view(), index)
        return item

    def indexOfChild(self, child: QAccessibleInterface) -> int:  # noqa: N802
        row = getattr(child, "row", -1)
        return row if getattr(child, "view", None) is self.view() else -1

    def childAt(self, x: int, y: int) -> QAccessibleInterface | None:  # type: ignore[override]  # noqa: N802
        view = self.view()
        index = view.indexAt(view.viewport().mapFromGlobal(QPoint(x, y)))
        return self.child(index.row()) if index.isValid() else None

    def focusChild(self) -> QAccessibleInterface | None:  # type: ignore[override]  # noqa: N802
        current = self.view().currentIndex()
        return self.child(current.row()) if current.isValid() else None


class RadioButton(QAccessibleWidget):
    """A :class:`ModeButton`: a radio button, checked or not, named by its text."""

    def __init__(self, button: QAbstractButton):
        super().__init__(button, QAccessible.Role.RadioButton)

    def text(self, t: QAccessible.Text) -> str:
        button = self.widget()
        if t == QAccessible.Text.Name and isinstance(button, QAbstractButton):
            return button.accessibleName() or button.text().replace("&", "")
        return super().text(t)

    def state(self) -> QAccessible.State:
        s = super().state()
        button = self.widget()
        s.checkable = True
        s.checked = isinstance(button, QAbstractButton) and button.isChecked()
        return s


def _factory(class_name: str, obj: QObject) -> QAccessibleInterface | None:
    if class_name == "SectionGrid" and isinstance(obj, QAbstractItemView):
        return PhotoList(obj)
    if class_name == "ModeButton" and isinstance(obj, QAbstractButton):
        return RadioButton(obj)
    return None


def install() -> None:
    """Register the interfaces above with Qt (once)."""
    global _installed
    if not _installed:
        QAccessible.installFactory(_factory)
        _installed = True


def announce_current(view: QWidget, row: int) -> None:
    """Tell assistive technology that photo ``row`` of ``view`` has the focus now."""
    if QAccessible.isActive() and row >= 0:
        event = QAccessibleEvent(view, QAccessible.Event.Focus)
        event.setChild(row)
        QAccessible.updateAccessibility(event)
