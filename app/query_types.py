"""What a search is made of, as plain values: the mode, the filters, a reference image.

A ``Mode`` is one of the core's registered query kinds (``indexer.query.kinds``)
as the app offers it: its label, icon, placeholder and side panel come from the
kind's descriptor.  The widgets produce these values and the query controller
hands them to the core (``typed_query``); neither side needs the other to name them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from PIL import Image
from PySide6.QtGui import QImage

from app.qimage import qimage_to_pil
from indexer.query.kinds import EditQuery, Filters, ImageQuery, KindInfo, QueryKind, SketchQuery, TextQuery, query_kinds

__all__ = ["Filters", "ImageRef", "Mode"]


@dataclass(frozen=True)
class Mode:
    """One way to search: a query kind of the core's registry that is offered as a mode.  ``value`` is
    what the UI settings store."""

    kind: type[QueryKind]

    TEXT: ClassVar[Mode]
    IMAGE: ClassVar[Mode]
    SKETCH: ClassVar[Mode]
    EDIT: ClassVar[Mode]

    @classmethod
    def all(cls) -> tuple[Mode, ...]:
        """The modes, in the order the search bar shows them."""
        return tuple(cls(kind) for kind in query_kinds() if kind.info.mode)

    @classmethod
    def named(cls, name: object) -> Mode:
        """The mode whose ``value`` is ``name``; ``ValueError`` when there is none."""
        for mode in cls.all():
            if mode.value == name:
                return mode
        raise ValueError(f"no search mode {name!r}")

    @property
    def info(self) -> KindInfo:
        return self.kind.info

    @property
    def value(self) -> str:
        return self.info.name

    @property
    def label(self) -> str:
        return self.info.label

    @property
    def icon_name(self) -> str:
        return self.info.icon

    @property
    def placeholder(self) -> str:
        return self.info.placeholder

    @property
    def panel(self) -> str | None:
        """The side panel that supplies the mode's picture; None: words only (no side panel)."""
        return self.info.panel


Mode.TEXT, Mode.IMAGE, Mode.SKETCH, Mode.EDIT = Mode(TextQuery), Mode(ImageQuery), Mode(SketchQuery), Mode(EditQuery)


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
