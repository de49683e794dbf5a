"""What the main window does with things dropped or pasted on it: folders and images.

A mixin of ``MainWindow`` (it calls the window's ``add_folder``, ``set_reference`` and
``banner``), kept apart so the window's own file holds layout and routing only.  A dropped
or pasted image is untrusted input: ``ref_from_mime`` bounds and checks it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from app.desktop import dropped_folders
from app.query_types import ImageRef
from app.widgets.reference_chip import mime_has_image, ref_from_mime

if TYPE_CHECKING:
    from app.widgets.banner import Banner


class WindowDrops:
    """Drops of folders (added to the library) and images (the query's reference) on the window."""

    banner: Banner

    if TYPE_CHECKING:  # the window's own methods
        def add_folder(self, path: Path) -> None: ...
        def set_reference(self, ref: ImageRef) -> None: ...

    def _reference_from(self, mime: QMimeData) -> ImageRef | None:
        """The image in ``mime``; None when there is none (the banner says why when it is unusable)."""
        try:
            return ref_from_mime(mime)
        except ValueError as exc:
            self.banner.show_error(str(exc))
            return None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if dropped_folders(mime) or mime_has_image(mime):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        """Folders are added to the library; an image becomes the query's reference."""
        mime = event.mimeData()
        folders = dropped_folders(mime)
        for f in folders:
            self.add_folder(f)
        ref = None if folders else self._reference_from(mime)
        if ref is not None:
            self.set_reference(ref)
        if folders or ref is not None:
            event.acceptProposedAction()
        else:
            event.ignore()
