"""The catalog's schema, as numbered migrations (``Catalog.migrate`` applies the missing ones in order).

To change the schema, add ``_migration_N`` and register it in ``MIGRATIONS``;
never edit a migration that has shipped.
"""

from __future__ import annotations

import sqlite_utils

SCHEMA_VERSION = 1


def _run_script(db: sqlite_utils.Database, script: str) -> None:
    """Run DDL statements one by one: ``executescript`` would commit the migration's transaction."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _migration_1(db: sqlite_utils.Database) -> None:
    _run_script(
        db,
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE folders (
            id INTEGER PRIMARY KEY,
            path BLOB NOT NULL UNIQUE,
            added_at REAL NOT NULL,
            online INTEGER NOT NULL DEFAULT 1
        );
        CREATE TABLE photos (
            id INTEGER PRIMARY KEY,
            path BLOB NOT NULL UNIQUE,
            folder_id INTEGER NOT NULL REFERENCES folders(id),
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            quick_hash TEXT,
            width INTEGER,
            height INTEGER,
            taken_at TEXT,
            camera TEXT,
            lat REAL,
            lon REAL,
            status TEXT NOT NULL DEFAULT 'ok',
            error TEXT,
            updated_at REAL NOT NULL
        );
        CREATE INDEX photos_folder ON photos(folder_id);
        CREATE INDEX photos_hash ON photos(quick_hash);
        CREATE INDEX photos_taken ON photos(taken_at);
        CREATE TABLE models (
            name TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            dim INTEGER NOT NULL,
            checkpoint INTEGER NOT NULL DEFAULT 0,
            added_at REAL NOT NULL
        );
        CREATE TABLE embeddings (
            photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
            model TEXT NOT NULL REFERENCES models(name),
            seq INTEGER NOT NULL,
            vector BLOB NOT NULL,
            PRIMARY KEY (model, photo_id)
        ) WITHOUT ROWID;
        CREATE INDEX embeddings_seq ON embeddings(model, seq);
        CREATE TABLE vector_tombstones (
            model TEXT NOT NULL,
            photo_id INTEGER NOT NULL,
            seq INTEGER NOT NULL
        );
        CREATE INDEX tombstones_seq ON vector_tombstones(model, seq);
        """
    )


MIGRATIONS = {1: _migration_1}
