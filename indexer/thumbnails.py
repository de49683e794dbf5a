"""Thumbnail store: ``<library>/thumbnails/<id % 256>/<id>.jpg``, keyed by photo id."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from PIL import Image


class ThumbnailStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, photo_id: int) -> Path:
        return self.directory / f"{photo_id % 256:02x}" / f"{photo_id}.jpg"

    def save(self, photo_id: int, image: Image.Image) -> None:
        path = self.path(photo_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        image.convert("RGB").save(tmp, "JPEG", quality=82, optimize=False)
        os.replace(tmp, path)

    def copy(self, from_id: int, to_id: int) -> None:
        dest = self.path(to_id)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_suffix(".tmp")
        shutil.copyfile(self.path(from_id), tmp)
        os.replace(tmp, dest)

    def remove(self, photo_ids: Iterable[int]) -> None:
        for pid in photo_ids:
            self.path(pid).unlink(missing_ok=True)
