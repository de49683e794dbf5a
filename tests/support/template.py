"""One indexed library per test session, copied by the tests that need an indexed library.

``build_template`` indexes a folder of generated photos with a model once (the
``template_library`` fixture in tests/support/fixtures.py does it with the
committed toy CLIP); ``copy_template`` gives a test a private copy of photos
*and* library, so it may change either.  The catalog stores absolute paths, so
the copy's folder and photo paths are rewritten to the copied photos; sizes and
mtimes are preserved by the copy, so the copy is exactly what indexing the
copied folder would have produced (a rescan decodes nothing).

Tests that test indexing itself (progress, the pipeline, crashes, bad files,
model switches) index their own photos instead.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path

from indexer.library import Library
from indexer.library_files import CATALOG_FILE
from indexer.progress import Progress
from indexer.scanner import decode_devices, encode_devices
from tests.support.photos import resized_copy, write_library

PHOTOS = 40  # generated photos (seeds 0..39, three albums, every fifth a PNG)
COPIES = ("seven_small.jpg", "seven_smaller.jpg")  # resized JPEG copies of photo 7, in copies/
TOTAL = PHOTOS + len(COPIES)


@dataclass(frozen=True)
class TemplateLibrary:
    root: Path  # holds the photos ("My Photos/") and library/
    photos: Path  # the library's one folder ("My Photos": a space in the path)
    library: Path
    paths: list[Path]  # the generated photos, by seed
    copies: list[Path]  # resized copies of paths[7]
    progress: list[Progress]  # what indexing the template reported
    decoded: int  # photos the indexing decoded

    @property
    def count(self) -> int:
        return len(self.paths) + len(self.copies)


def build_template(root: Path, bundle: Path) -> TemplateLibrary:
    """Generate the photos under ``root`` and index them with ``bundle`` (the library's model).

    Reading text in photos (OCR) is off in the template (and so in its copies): the tests that copy
    it are not about text in photos, which has its own tests and libraries."""
    photos, library = root / "My Photos", root / "library"
    paths = write_library(photos, PHOTOS)
    copies = [
        resized_copy(paths[7], photos / "copies" / COPIES[0], 0.5, 70),
        resized_copy(paths[7], photos / "copies" / COPIES[1], 0.35, 60),
    ]
    with Library.open(library) as lib:
        lib.use_model(str(bundle))
        lib.settings.ocr = False
        lib.save_settings()
        progress = list(lib.index([photos]))
        decoded = lib.last_decoded
    return TemplateLibrary(root, photos, library, paths, copies, progress, decoded)


def copy_template(template: TemplateLibrary, dest: Path) -> TemplateLibrary:
    """A private copy of the template's photos and library under ``dest`` (which must not exist).

    ``dest`` must be on the template's file system (any pytest temporary directory is): the catalog
    records which device a folder's photos were found on, and the copy keeps that record.
    """
    shutil.copytree(template.root, dest, symlinks=True)
    relocate(dest / template.library.name, template.photos, dest / template.photos.name)

    def moved(path: Path) -> Path:
        return dest / path.relative_to(template.root)

    return replace(
        template,
        root=dest,
        photos=moved(template.photos),
        library=moved(template.library),
        paths=[moved(p) for p in template.paths],
        copies=[moved(p) for p in template.copies],
    )


def relocate(library: Path, old: Path, new: Path) -> None:
    """Rewrite the paths under ``old`` in a closed library's catalog to ``new``: folders, photos, and
    the places a folder's photos were found on (``folders.devices``)."""
    old_b, new_b = os.fsencode(old), os.fsencode(new)

    def moved(path: bytes) -> bytes:
        return new_b + path[len(old_b):] if path == old_b or path.startswith(old_b + b"/") else path

    conn = sqlite3.connect(library / CATALOG_FILE)
    try:
        with conn:
            for table in ("folders", "photos"):
                for row_id, blob in conn.execute(f"SELECT id, path FROM {table}").fetchall():
                    if moved(bytes(blob)) != bytes(blob):
                        conn.execute(f"UPDATE {table} SET path = ? WHERE id = ?", (moved(bytes(blob)), row_id))
            if "devices" in {row[1] for row in conn.execute("PRAGMA table_info(folders)")}:
                for row_id, text in conn.execute("SELECT id, devices FROM folders").fetchall():
                    records = decode_devices(text)
                    if records:
                        records = {os.fsdecode(moved(os.fsencode(place))): ident for place, ident in records.items()}
                        conn.execute("UPDATE folders SET devices = ? WHERE id = ?", (encode_devices(records), row_id))
    finally:
        conn.close()
