"""Photoseek's bundled SVG icons as ``QIcon`` objects, coloured for the current theme.

Icons are monochrome SVGs drawn with ``#000000`` strokes; :func:`icon`
recolours them for the current theme (light or dark).
"""

from __future__ import annotations

import functools
import logging

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from app import theme
from app.resource_files import resource_bytes, resource_text

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=256)
def _svg_pixmap(name: str, color: str, size: int, ratio: float) -> QPixmap:
    svg = resource_text(f"icons/{name}.svg").replace("#000000", color)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    px = int(round(size * ratio))
    image = QImage(px, px, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, px, px))
    painter.end()
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def icon(name: str, color: QColor | str | None = None, *, checked_color: QColor | str | None = None) -> QIcon:
    """A themed icon from ``resources/icons/<name>.svg``.

    ``color`` defaults to the current theme's text colour; ``checked_color``
    (e.g. white on an accent background) is used for the On state.
    """
    base = QColor(color) if color is not None else theme.current().color("text")
    disabled = theme.current().color("muted")
    on = QColor(checked_color).name() if checked_color is not None else None
    return _icon(name, base.name(), disabled.name(), on)


@functools.lru_cache(maxsize=512)
def _icon(name: str, base: str, disabled: str, on: str | None) -> QIcon:
    result = QIcon()
    for size in (16, 20, 24, 32):
        for ratio in (1.0, 2.0):
            result.addPixmap(_svg_pixmap(name, base, size, ratio), QIcon.Mode.Normal, QIcon.State.Off)
            result.addPixmap(_svg_pixmap(name, disabled, size, ratio), QIcon.Mode.Disabled, QIcon.State.Off)
            if on is not None:
                result.addPixmap(_svg_pixmap(name, on, size, ratio), QIcon.Mode.Normal, QIcon.State.On)
    return result


def app_icon() -> QIcon:
    """The application icon, rendered from ``resources/photoseek.svg``."""
    renderer = QSvgRenderer(QByteArray(resource_bytes("photoseek.svg")))
    result = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256):
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        result.addPixmap(QPixmap.fromImage(image))
    return result


def icon_size(px: int = 18) -> QSize:
    return QSize(px, px)
