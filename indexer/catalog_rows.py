"""Plain values read from and written to the catalog, and how paths are stored.

Paths are stored as the bytes of ``os.fsencode(path)`` so that any file name a
disk can hold (invalid UTF-8 included) round-trips exactly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def encode_path(path: str | os.PathLike[str]) -> bytes:
    return os.fsencode(os.fspath(path))


def decode_path(blob: bytes) -> Path:
    return Path(os.fsdecode(bytes(blob)))


def prefix_bounds(folder: Path) -> tuple[bytes, bytes]:
    """Byte range [lo, hi) holding every path strictly inside ``folder``."""
    prefix = encode_path(folder).rstrip(b"/" + os.sep.encode()) + os.sep.encode()
    return prefix, prefix[:-1] + bytes([prefix[-1] + 1])


@dataclass(frozen=True)
class PhotoRow:
    id: int
    path: Path
    folder_id: int
    size: int
    mtime_ns: int
    quick_hash: str | None
    status: str
    error: str | None


@dataclass(frozen=True)
class FolderRow:
    id: int
    path: Path
    online: bool


@dataclass(frozen=True)
class PhotoMeta:
    """What one decode of a photo tells the catalog."""

    width: int
    height: int
    taken_at: str | None  # ISO 8601, from EXIF, else None
    camera: str | None
    lat: float | None
    lon: float | None
