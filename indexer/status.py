"""What the library reports about itself: plain, typed values shared by the command line and the app."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class LibraryStatus:
    """Counts of one library for the serving model (``photoseek status``)."""

    photos: int = 0
    indexed: int = 0
    pending: int = 0
    failed: int = 0
    folders: int = 0
    model: str | None = None
    videos: int = 0  # indexed videos (counted in ``photos`` and ``indexed`` too)
    offline_folders: tuple[str, ...] = ()
    library: str = ""
    ocr_done: int = 0  # photos whose text has been read (by the current engine)
    ocr_pending: int = 0  # readable photos whose text is still to be read
    faces: int = 0  # faces found in photos
    people: int = 0  # people the faces were grouped into

    def to_json(self) -> dict[str, Any]:
        """The ``status --json`` object (the command line's contract)."""
        data = asdict(self)
        data["offline_folders"] = list(self.offline_folders)
        return data


@dataclass(frozen=True)
class FolderInfo:
    path: Path
    online: bool
    photos: int
    indexed: int
    failed: int

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "online": self.online, "photos": self.photos,
                "indexed": self.indexed, "failed": self.failed}


@dataclass(frozen=True)
class Failure:
    path: Path
    reason: str
    stage: str = "embedding"  # what failed: "embedding" (decoding or the model) or "ocr" (reading its text)

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "reason": self.reason, "stage": self.stage}
