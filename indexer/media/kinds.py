"""What a file is, from its name: a photo, a RAW file or a video.

``PHOTO_EXTENSIONS`` are the picture formats Pillow (with pillow-heif) reads;
icons, documents (PDF, PostScript), textures and scientific data formats
that Pillow also opens are left out: they are not photos.
``RAW_EXTENSIONS`` are camera RAW formats (read with LibRaw);
``VIDEO_EXTENSIONS`` the video containers phones and cameras write (read
with FFmpeg).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from indexer.errors import UnreadableImage

PHOTO_EXTENSIONS = frozenset({
    ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".apng", ".webp", ".gif", ".bmp", ".dib",
    ".tif", ".tiff", ".heic", ".heif", ".heics", ".heifs", ".hif", ".avif", ".avifs",
    ".jp2", ".j2k", ".j2c", ".jpc", ".jpf", ".jpx", ".mpo", ".qoi", ".tga", ".pcx",
    ".ppm", ".pgm", ".pbm", ".pnm", ".psd", ".sgi", ".pcd",
})
RAW_EXTENSIONS = frozenset({
    ".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".raf", ".orf", ".rw2",
    ".pef", ".srw", ".dng", ".3fr", ".erf", ".kdc", ".mrw", ".mef", ".mos", ".iiq", ".rwl",
    ".x3f",
})
VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi", ".3gp"})
MEDIA_EXTENSIONS = PHOTO_EXTENSIONS | RAW_EXTENSIONS | VIDEO_EXTENSIONS

PHOTO = "photo"
RAW = "raw"
VIDEO = "video"


def extension(name: str | os.PathLike[str]) -> str:
    return os.path.splitext(os.fspath(name))[1].lower()


def media_kind(path: str | os.PathLike[str] | Path) -> str:
    """``"raw"``, ``"video"`` or ``"photo"`` (anything else the library holds)."""
    ext = extension(path)
    if ext in RAW_EXTENSIONS:
        return RAW
    if ext in VIDEO_EXTENSIONS:
        return VIDEO
    return PHOTO


def is_media_name(name: str) -> bool:
    return extension(name) in MEDIA_EXTENSIONS


def check_media_file(path: Path, label: str, what: str, max_bytes: int | None = None) -> None:
    """Refuse, before any decoder sees it, a file that is gone, not a regular file, empty, or over
    ``max_bytes``: a clear reason naming ``what`` it should be ("a RAW file", "a video")."""
    try:
        info = os.stat(path)
    except FileNotFoundError as exc:
        raise UnreadableImage(label, "file not found (it may have been moved or deleted)") from exc
    except OSError as exc:
        raise UnreadableImage(label, f"cannot read the file ({exc.strerror or exc})") from exc
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableImage(label, f"is not a regular file, so it cannot be {what}")
    if info.st_size == 0:
        raise UnreadableImage(label, "empty file (0 bytes)")
    if max_bytes is not None and info.st_size > max_bytes:
        raise UnreadableImage(label, f"file is {info.st_size >> 20} MB, too large for {what}")
