"""The media slice's own tables: ``MEDIA_SCHEMA``.

``photo_companions`` holds, for each still, the files that go with it (a RAW
beside its JPEG or HEIC, a Live Photo's movie): their paths (bytes, as
``photos.path``) and roles (``"raw"``, ``"motion"``).  The scan records them
(it finds them in the folder listings it reads anyway) and keeps them
current; a search reads them for its hits.  Rows go with their still
(``ON DELETE CASCADE``).  A library from before this table gets its
companions at its next scan: a migration cannot know them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from indexer.slice_schema import SliceSchema, run_script

if TYPE_CHECKING:
    import sqlite_utils


def _companions(db: sqlite_utils.Database) -> None:
    run_script(db, """
        CREATE TABLE photo_companions (
            photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
            path BLOB NOT NULL,
            role TEXT NOT NULL,
            PRIMARY KEY (photo_id, path)
        ) WITHOUT ROWID
    """)


MEDIA_SCHEMA = SliceSchema("media", (_companions,))
