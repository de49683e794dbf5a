"""One duplicate group in the Duplicates window: its photos side by side, what differs highlighted,
and a keep / trash choice per photo.

Every name from the disk is shown as plain text.  The card only shows and
reports choices; ``DuplicateChoices`` (app/duplicate_choices.py) decides what
they mean, and the window calls :meth:`GroupCard.show_choice` back.

Signals:
    keepChosen(int): the user wants to keep this photo (its id).
    trashToggled(int, bool): the user marked (True) or unmarked a photo for the trash.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QImage, QPixmap
from PySide6.QtWidgets import QButtonGroup, QCheckBox, QFrame, QHBoxLayout, QLabel, QRadioButton, QVBoxLayout, QWidget

from app.duplicate_choices import ATTRIBUTES, GroupChoice, attribute, differing
from app.plain_text import plain, tooltip
from indexer.duplicates.groups import DuplicateGroup, DuplicatePhoto

TILE_PX = 160
KIND_WORDS = {"exact": "Exact copies", "near": "Near copies", "burst": "Burst"}


class PhotoTile(QFrame):
    """One photo of a group: thumbnail, name, attributes, keep and trash."""

    def __init__(self, photo: DuplicatePhoto, differs: set[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("DuplicateTile")
        self.photo = photo
        self.image = QLabel()
        self.image.setFixedSize(TILE_PX, TILE_PX)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.name = QLabel(photo.path.name)
        self.name.setToolTip(tooltip(str(photo.path)))
        self.name.setMaximumWidth(TILE_PX + 40)
        self.attributes: dict[str, QLabel] = {}
        col = QVBoxLayout(self)
        col.setContentsMargins(6, 6, 6, 6)
        col.setSpacing(2)
        col.addWidget(self.image)
        col.addWidget(self.name)
        for name in ATTRIBUTES:
            label = QLabel(attribute(photo, name))
            label.setMaximumWidth(TILE_PX + 40)
            label.setToolTip(tooltip(f"{name}: {attribute(photo, name)}"))
            highlighted = name in differs
            label.setProperty("differs", highlighted)  # style.qss may colour it; bold in any case
            if highlighted:
                font = QFont(label.font())
                font.setBold(True)
                label.setFont(font)
            self.attributes[name] = label
            col.addWidget(label)
        self.offline = QLabel("offline" if not photo.online else "")
        self.keep = QRadioButton("Keep")
        self.trash = QCheckBox("Trash")
        plain(self.name, self.offline, *self.attributes.values())
        col.addWidget(self.offline)
        col.addWidget(self.keep)
        col.addWidget(self.trash)

    def set_image(self, image: QImage) -> None:
        pixmap = QPixmap.fromImage(image).scaled(TILE_PX, TILE_PX, Qt.AspectRatioMode.KeepAspectRatio,
                                                 Qt.TransformationMode.SmoothTransformation)
        self.image.setPixmap(pixmap)


class GroupCard(QFrame):
    """See the module doc."""

    keepChosen = Signal(int)
    trashToggled = Signal(int, bool)

    def __init__(self, number: int, group: DuplicateGroup, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("DuplicateGroup")
        self.group = group
        differs = differing(group)
        kind = KIND_WORDS.get(group.kind, group.kind)
        self.header = QLabel(f"{number}. {kind}: {len(group.photos)} photos, similarity {group.similarity:.2f}")
        self.reason = QLabel()
        plain(self.header, self.reason)
        self.tiles: dict[int, PhotoTile] = {}
        self._keepers = QButtonGroup(self)
        self._keepers.setExclusive(True)
        row = QHBoxLayout()
        row.setSpacing(8)
        for photo in group.photos:
            tile = PhotoTile(photo, differs)
            self.tiles[photo.id] = tile
            self._keepers.addButton(tile.keep)
            tile.keep.toggled.connect(lambda on, pid=photo.id: self._keep_toggled(pid, on))
            tile.trash.toggled.connect(lambda on, pid=photo.id: self.trashToggled.emit(pid, on))
            row.addWidget(tile)
        row.addStretch(1)
        col = QVBoxLayout(self)
        col.setContentsMargins(8, 8, 8, 8)
        col.addWidget(self.header)
        col.addWidget(self.reason)
        col.addLayout(row)

    def _keep_toggled(self, photo_id: int, on: bool) -> None:
        if on:
            self.keepChosen.emit(photo_id)

    def show_choice(self, choice: GroupChoice, can_trash: Callable[[int], bool]) -> None:
        """Show ``choice`` (without emitting anything back)."""
        kept = self.tiles[choice.keep].photo
        why = "chosen by you" if choice.keep != self.group.keep.id else self.group.reason
        note = " -- it is on an offline folder, so nothing of this group is moved" if not kept.online else ""
        self.reason.setText(f"Keeping {kept.path.name}: {why}{note}")
        for pid, tile in self.tiles.items():
            for box in (tile.keep, tile.trash):
                box.blockSignals(True)
            tile.keep.setChecked(pid == choice.keep)
            tile.trash.setChecked(pid in choice.trash)
            tile.trash.setEnabled(can_trash(pid))
            for box in (tile.keep, tile.trash):
                box.blockSignals(False)

    def set_image(self, photo_id: int, image: QImage) -> None:
        tile = self.tiles.get(photo_id)
        if tile is not None:
            tile.set_image(image)
