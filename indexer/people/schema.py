"""The people tables, as the slice's own numbered migrations.

``faces``: each face found (its photo, box in the original's pixels, the detector's score, its vector as
float32 bytes) and the person it belongs to (NULL: unassigned); ``face_scans``: which file version of a photo
was looked at, and how many faces it held; ``people``: the groups (a name once the user gives one, hidden or
not); ``face_rejections``: "this face is not that person", as the user said.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from indexer.slice_schema import SliceSchema, run_script

if TYPE_CHECKING:
    import sqlite_utils


def _people_tables(db: sqlite_utils.Database) -> None:
    run_script(db, """
        CREATE TABLE IF NOT EXISTS people (
            id INTEGER PRIMARY KEY,
            name TEXT,
            folded TEXT,
            hidden INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL
        );
        CREATE INDEX IF NOT EXISTS people_folded ON people(folded);
        CREATE TABLE IF NOT EXISTS faces (
            id INTEGER PRIMARY KEY,
            photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
            x INTEGER NOT NULL,
            y INTEGER NOT NULL,
            w INTEGER NOT NULL,
            h INTEGER NOT NULL,
            score REAL NOT NULL,
            vector BLOB NOT NULL,
            person_id INTEGER REFERENCES people(id) ON DELETE SET NULL,
            grouped INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX IF NOT EXISTS faces_photo ON faces(photo_id);
        CREATE INDEX IF NOT EXISTS faces_person ON faces(person_id);
        CREATE TABLE IF NOT EXISTS face_scans (
            photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            faces INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS face_rejections (
            face_id INTEGER NOT NULL REFERENCES faces(id) ON DELETE CASCADE,
            person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            PRIMARY KEY (face_id, person_id)
        )
    """)


PEOPLE_SCHEMA = SliceSchema("people", (_people_tables,))
