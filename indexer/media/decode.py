"""Which decoder a file goes through: RAW files through LibRaw, videos through FFmpeg, every other
file through the guarded image loader."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from indexer.media.kinds import RAW, VIDEO, media_kind
from indexer.media.raw import decode_raw
from indexer.media.video import decode_video
from indexer.models.bundle import PreprocessConfig
from indexer.models.preprocess import DecodedImage, decode_image


def decode_media(path: Path, cfg: PreprocessConfig,
                 photo: Callable[..., DecodedImage] = decode_image) -> DecodedImage:
    """Decode ``path`` for indexing (a ``DecodedVideo`` for a video); ``UnreadableImage`` with a reason.

    ``photo`` decodes every file that is neither a RAW file nor a video (``decode_image``).
    """
    kind = media_kind(path)
    if kind == RAW:
        return decode_raw(path, cfg)
    if kind == VIDEO:
        return decode_video(path, cfg)
    return photo(path, cfg, draft=True)
