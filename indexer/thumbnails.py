"""Thumbnail store: ``<library>/thumbnails/<id % 256>/<id>.jpg``, keyed by photo id (and
``<id>-<frame>.jpg`` for each frame of a video kept for search).

Thumbnails are a cache: the app shows the photo itself when a photo has none.
So a thumbnail that cannot be written, copied or removed (a read-only disk or
share, no permission, a file in the way) never stops indexing or scanning: it
is skipped, and the first such failure of a store is logged as a warning (the
rest only at debug level, so a thousand photos do not log a thousand lines).
A full disk is the exception: it is raised, since the catalog cannot grow
either, and indexing stops cleanly to be resumed once there is space.

Readers see thumbnails as ``ThumbnailPaths``: where they are, nothing that
writes; the writer's ``ThumbnailStore`` extends it with saving, copying and
removing.  Thumbnails show what is in private photos, so they are the user's
alone: the folders are 0700 and the files 0600, each written to a temporary
file created anew, never through a link; a ``thumbnails`` folder (or
subfolder) that is a link or another user's is not used (no thumbnails are
written, logged once).
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from indexer.private_files import create_new, private_subfolder

if TYPE_CHECKING:
    from indexer.catalog import Catalog

logger = logging.getLogger(__name__)

_DISK_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
MAX_FRAME_THUMBNAILS = 64  # more than any video keeps
THUMB_SIZE = 256  # the longest side of a stored thumbnail, in pixels


def _unlinked(path: Path) -> bool:
    """Remove ``path``; False when there was none."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


class ThumbnailPaths:
    """Where the thumbnails of a library are (a reader's view: it never writes one)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, photo_id: int) -> Path:
        return self.directory / f"{photo_id % 256:02x}" / f"{photo_id}.jpg"

    def frame_path(self, photo_id: int, frame: int) -> Path:
        """The thumbnail of frame number ``frame`` of the video ``photo_id``."""
        return self.directory / f"{photo_id % 256:02x}" / f"{photo_id}-{frame}.jpg"


class ThumbnailStore(ThumbnailPaths):
    """The writer's thumbnails: saved, copied and removed (see the module doc)."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self._warned = False

    def _folder(self, folder: Path) -> None:
        """Make sure ``folder`` (a subfolder of ``thumbnails``) and ``thumbnails`` are real 0700 folders
        of this user, not links planted to send thumbnails elsewhere (``OSError`` otherwise)."""
        private_subfolder(self.directory)
        private_subfolder(folder)

    def save_frame(self, photo_id: int, frame: int, image: Image.Image) -> bool:
        """Write the thumbnail of a video's frame; False (logged) when it cannot be written."""
        return self._write(photo_id, self.frame_path(photo_id, frame), image)

    def save(self, photo_id: int, image: Image.Image) -> bool:
        """Write the thumbnail of ``photo_id``; False (logged) when it cannot be written."""
        return self._write(photo_id, self.path(photo_id), image)

    def _write(self, photo_id: int, path: Path, image: Image.Image) -> bool:
        tmp = path.with_suffix(".tmp")
        try:
            self._folder(path.parent)
            with os.fdopen(create_new(tmp), "wb") as f:
                image.convert("RGB").save(f, "JPEG", quality=82, optimize=False)
            os.replace(tmp, path)
        except (OSError, ValueError) as exc:
            self._failed("write", photo_id, exc, tmp)
            return False
        return True

    def copy(self, from_id: int, to_id: int) -> bool:
        """Give ``to_id`` the thumbnail of ``from_id``; False (logged) when that fails."""
        dest = self.path(to_id)
        tmp = dest.with_suffix(".tmp")
        try:
            self._folder(dest.parent)
            with open(self.path(from_id), "rb") as src, os.fdopen(create_new(tmp), "wb") as out:
                shutil.copyfileobj(src, out)
            os.replace(tmp, dest)
        except OSError as exc:
            self._failed("copy", to_id, exc, tmp)
            return False
        return True

    def remove(self, photo_ids: Iterable[int]) -> None:
        """Delete the thumbnails of ``photo_ids`` (those that cannot be deleted are left, logged)."""
        for pid in photo_ids:
            try:
                self.path(pid).unlink(missing_ok=True)
                for frame in range(MAX_FRAME_THUMBNAILS):  # a video's frames, numbered from 0
                    if not _unlinked(self.frame_path(pid, frame)):
                        break
            except OSError as exc:
                self._failed("remove", pid, exc, None)

    def _failed(self, action: str, photo_id: int, exc: Exception, tmp: Path | None) -> None:
        if tmp is not None:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
        if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
            raise exc  # the disk is full: the catalog cannot grow either, so indexing stops here
        reason = getattr(exc, "strerror", None) or str(exc)
        if not self._warned:
            self._warned = True
            logger.warning(
                "cannot %s thumbnails in %s (%s); going on without them (the photos themselves are shown "
                "instead; further thumbnail errors are logged only at debug level)", action, self.directory, reason,
            )
        else:
            logger.debug("cannot %s the thumbnail of photo %d: %s", action, photo_id, reason)


def copy_twin_thumbnails(catalog: Catalog, thumbnails: ThumbnailStore, ids: list[int]) -> None:
    """Copies of a photo get its vectors without decoding (a scan found them by their content): give them its
    thumbnail too.  A thumbnail that cannot be copied is left out (the app falls back to the photo itself)."""
    for pid, row in catalog.photos_by_id(ids).items():
        if not row.quick_hash or thumbnails.path(pid).exists():
            continue
        for twin in catalog.photos_by_hash(row.quick_hash):
            if twin.id != pid and thumbnails.path(twin.id).exists():
                try:
                    thumbnails.copy(twin.id, pid)
                except OSError as exc:
                    logger.warning("could not copy the thumbnail of photo %d: %s", twin.id, exc)
                break
