"""What a search is made of, as plain values: the mode, the filters, a reference image.

The widgets produce these values and the query controller turns them into a
core ``Query``; neither side needs the other to name them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from pathlib import Path

from PIL import Image
from PySide6.QtGui import QImage

from app.qimage import qimage_to_pil


class Mode(str, Enum):
    """The four ways to search; the value is what the UI settings store."""

    TEXT = "text"
    IMAGE = "image"
    SKETCH = "sketch"
    EDIT = "edit"

    @property
    def label(self) -> str:
        return {"text": "Text", "image": "Image", "sketch": "Sketch", "edit": "Image + edit"}[self.value]

    @property
    def icon_name(self) -> str:
        return {"text": "text", "image": "image", "sketch": "sketch", "edit": "edit"}[self.value]

    @property
    def placeholder(self) -> str:
        return {
            "text": "Describe a photo: “dog on a beach at sunset”   (-word excludes)",
            "image": "Optional: words to avoid, like -people",
            "sketch": "Optional words to go with the sketch: “red car”",
            "edit": "Describe the change: “at night”, “in snow”, “with a boat”",
        }[self.value]


@dataclass(frozen=True)
class Filters:
    """Limits on the results: one folder, and a date range (``before`` as the user entered it)."""

    folder: Path | None = None
    after: date | None = None
    before: date | None = None

    def active(self) -> bool:
        return any(v is not None for v in (self.folder, self.after, self.before))


@dataclass(frozen=True)
class ImageRef:
    """A query image: a file, or pixels with no file behind them (pasted or dropped image data)."""

    label: str
    path: Path | None = None
    preview: QImage | None = None

    def query_image(self) -> Path | Image.Image:
        """What ``Query.image`` takes: the path, or a PIL image of the pixels."""
        if self.path is not None:
            return self.path
        assert self.preview is not None
        return qimage_to_pil(self.preview)
