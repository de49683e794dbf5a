"""Which folders a library holds: adding one (never the same files twice), and what scans skip.

The writer's rules for its folder list, apart from ``Library`` so they read in
one place: folders are compared by where they really are (a symlink to a
folder of the library, or a path that resolves inside one, is not added
again); a folder that holds folders of the library takes over their photos;
the library's own folder and the models folder are never photo folders.
"""

from __future__ import annotations

import logging
from pathlib import Path

from indexer.catalog import Catalog, FolderRow
from indexer.config import Settings
from indexer.errors import UsageError
from indexer.folder_walk import Excluder
from indexer.media.pairing import Pairing
from indexer.paths import models_dir

logger = logging.getLogger(__name__)


def add_folder(catalog: Catalog, folder: Path | str, library: Path) -> FolderRow:
    """Add a photo folder to the catalog (or return it if the library has it, under this or another path).

    A folder that holds folders of the library takes over their photos.  The library's own folder
    (``library``) and the models folder, or a folder inside them, are refused (``UsageError``)."""
    folder = Path(folder).expanduser().absolute()
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder")
    real = folder.resolve()
    for own, what in ((library, "the library's own folder"), (models_dir(), "the models folder")):
        own_real = own.expanduser().resolve()
        if real == own_real or own_real in real.parents:
            raise UsageError(f"{folder} is inside {what} {own}, which holds no photos; choose another folder")
    for existing in catalog.folders():
        if folder == existing.path:
            return existing
        existing_real = existing.path.resolve()
        if real == existing_real:
            logger.info("%s is %s under another path; not adding it twice", folder, existing.path)
            return existing
        if existing.path in folder.parents or existing_real in real.parents:
            raise UsageError(f"{folder} is already watched as part of {existing.path}")
    row = catalog.add_folder(folder)
    for existing in catalog.folders():
        if existing.id != row.id and (folder in existing.path.parents or real in existing.path.resolve().parents):
            catalog.merge_folder(existing.id, row.id)
    return row


def library_excluder(catalog: Catalog, settings: Settings, library: Path) -> Excluder:
    """What scans and the watcher skip: hidden folders, the user's exclusions, and always the library's own
    folder and the models folder (wherever they are, however reached), symlinks or bind mounts inside a
    folder that lead into another folder of the library, and the companions of a still (its ``Pairing``)."""
    return Excluder(
        settings.excluded, always=(library, models_dir()), roots=[f.path for f in catalog.folders()],
        pairing=Pairing(settings.pair_raw_with_still, settings.pair_live_photos),
    )
