"""Conversions between Qt images and the arrays and PIL images the core takes."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtGui import QImage


def qimage_to_array(image: QImage) -> np.ndarray:
    """An (h, w, 3) uint8 RGB copy of ``image``."""
    img = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=bpl * h).reshape(h, bpl)
    return buf[:, : w * 3].reshape(h, w, 3).copy()


def qimage_to_pil(image: QImage) -> Image.Image:
    """An RGB PIL copy of ``image``."""
    return Image.fromarray(qimage_to_array(image), "RGB")


def pil_to_qimage(image: Image.Image) -> QImage:
    """A QImage copy of the RGB PIL ``image``."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    data = rgb.tobytes()
    out = QImage(data, rgb.width, rgb.height, rgb.width * 3, QImage.Format.Format_RGB888)
    return out.convertToFormat(QImage.Format.Format_RGB32)  # a deep copy: ``data`` may go
