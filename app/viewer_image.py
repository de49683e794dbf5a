"""The viewer's large image, decoded by the core's decoders (so HEIC, AVIF and RAW files show as they
are indexed, not only what Qt reads), on a loader thread, never on the GUI thread."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from PIL import Image
from PySide6.QtGui import QImage

from app.qimage import pil_to_qimage
from app.thumbnails import read_first
from indexer.errors import UnreadableImage
from indexer.media.kinds import RAW, VIDEO, media_kind
from indexer.media.raw import decode_raw
from indexer.models.bundle import PreprocessConfig
from indexer.models.image_input import load_rgb

logger = logging.getLogger(__name__)

VIEWER_MAX_PX = 4096        # the long side shown: sharp when zoomed, bounded in memory


def read_for_viewer(sources: Sequence[str], max_px: int = VIEWER_MAX_PX) -> QImage:
    """The photo ``sources[0]`` upright, its long side at most ``max_px``; a video's matching frame or an
    unreadable file's stored thumbnail (the other ``sources``) instead; a null QImage when none reads."""
    if not sources:
        return QImage()
    path, fallback = sources[0], [s for s in sources[1:] if s]
    kind = media_kind(path)
    if kind != VIDEO and os.path.isfile(path):
        try:
            if kind == RAW:
                picture = decode_raw(Path(path), PreprocessConfig(), thumb_size=max_px).thumbnail
            else:
                picture = load_rgb(path)
                if max(picture.size) > max_px:
                    picture.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
            return pil_to_qimage(picture)
        except (UnreadableImage, OSError, ValueError, MemoryError) as exc:
            logger.info("viewer: %s does not decode (%s); showing its thumbnail", path, exc)
    return read_first(fallback, max_px) if fallback else read_first([path], max_px)
