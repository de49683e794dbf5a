"""The catalog's schema, as numbered migrations (``Catalog.migrate`` applies the missing ones in order).

To change the schema, add ``_migration_N`` and register it in ``MIGRATIONS``;
never edit a migration that has shipped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from indexer.slice_schema import SliceSchema

if TYPE_CHECKING:  # migrations run in writers only: a reader does not import sqlite_utils (60 ms)
    import sqlite_utils


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


def _migration_2(db: sqlite_utils.Database) -> None:
    """``folders.devices``: where a folder's photos were found (JSON: directory -> [device id, is a mount
    point]) for its root and every mount point or other device inside it, so that an unmounted share
    (an empty directory on another device) is told from photos really deleted.  NULL: not yet known."""
    db.execute("ALTER TABLE folders ADD COLUMN devices TEXT")


def _migration_3(db: sqlite_utils.Database) -> None:
    """Vector spaces identified by the model's files, and no stored vector that is not finite.

    ``models.name`` stays the key of a vector space (``embeddings.model``); ``label`` is the name
    of the bundle that made it and ``fingerprint`` the hash of that bundle's weights and
    preprocessing (NULL for a space registered before fingerprints: the first bundle of the same
    name and size that makes the same vectors adopts it).  ``model_files`` remembers which
    fingerprint the files with a given stamp (size, mtime, ctime, inode) had, so the weights are
    hashed once, not each time a process starts.  Vectors with NaN or infinity (stored by earlier
    versions from broken bundles) are removed, logged as removals; their photos become pending.
    """
    _run_script(
        db,
        """
        ALTER TABLE models ADD COLUMN label TEXT;
        ALTER TABLE models ADD COLUMN fingerprint TEXT;
        UPDATE models SET label = name;
        CREATE UNIQUE INDEX models_space ON models(label, fingerprint);
        CREATE TABLE model_files (
            stamp TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL,
            checked_at REAL NOT NULL
        )
        """
    )
    bad: list[tuple[str, int]] = []
    cursor = db.execute("SELECT model, photo_id, vector FROM embeddings ORDER BY model")
    while rows := cursor.fetchmany(10_000):  # a chunk at a time: measured 16 s per million 512-float vectors
        sizes = {len(r[2]) for r in rows}
        finite: list[bool]
        if len(sizes) == 1 and sizes.pop() % 4 == 0:
            vectors: np.ndarray = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.float32).reshape(len(rows), -1)
            finite = [bool(ok) for ok in np.isfinite(vectors).all(axis=1).tolist()]
        else:
            finite = [len(r[2]) % 4 == 0 and bool(np.isfinite(np.frombuffer(r[2], dtype=np.float32)).all())
                      for r in rows]
        bad.extend((r[0], r[1]) for r, ok in zip(rows, finite) if not ok)
    for model, photo_id in bad:
        db.execute("UPDATE models SET checkpoint = checkpoint + 1 WHERE name=?", (model,))
        seq = db.execute("SELECT checkpoint FROM models WHERE name=?", (model,)).fetchone()[0]
        db.execute("INSERT INTO vector_tombstones(model, photo_id, seq) VALUES (?, ?, ?)", (model, photo_id, seq))
        db.execute("DELETE FROM embeddings WHERE model=? AND photo_id=?", (model, photo_id))


def _migration_video_frames(db: sqlite_utils.Database) -> None:
    """Videos: ``videos`` (a video's length in seconds, NULL when unknown) and ``video_frames`` (per
    model, each frame kept with its time and vector; the video's own vector in ``embeddings`` is one
    of them).  Both go with their photo."""
    _run_script(
        db,
        """
        CREATE TABLE videos (
            photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
            duration REAL
        );
        CREATE TABLE video_frames (
            photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
            model TEXT NOT NULL,
            frame INTEGER NOT NULL,
            time REAL NOT NULL,
            vector BLOB NOT NULL,
            PRIMARY KEY (model, photo_id, frame)
        ) WITHOUT ROWID
        """,
    )


BROWSE_INDEX_COLUMNS = "browse_at DESC, id DESC, browse_month, status, folder_id"


def _add_browse_order_index(db: sqlite_utils.Database) -> None:
    """The photos newest first, for browsing the library (``catalog_browse``): ``browse_at`` (the date
    taken, else the file's time in UTC) and ``browse_month`` (YYYYMM of it) as virtual generated
    columns, and ``photos_browse``, an index in that order holding what the browse query reads."""
    key = "COALESCE(taken_at, strftime('%Y-%m-%dT%H:%M:%S', mtime_ns / 1000000000, 'unixepoch'))"
    _run_script(
        db,
        f"""
        ALTER TABLE photos ADD COLUMN browse_at TEXT GENERATED ALWAYS AS ({key}) VIRTUAL;
        ALTER TABLE photos ADD COLUMN browse_month INTEGER GENERATED ALWAYS AS
            (CAST(substr({key}, 1, 4) AS INTEGER) * 100 + CAST(substr({key}, 6, 2) AS INTEGER)) VIRTUAL;
        CREATE INDEX photos_browse ON photos({BROWSE_INDEX_COLUMNS})
        """,
    )


def _migration_duplicates(db: sqlite_utils.Database) -> None:
    """Duplicate finding and safe cleaning.

    ``photo_fingerprints``: each photo's perceptual fingerprint (``indexer/fingerprint.py``): a 64-bit
    DCT hash of its shapes (as a signed INTEGER) and its colour signature, with the version of the
    method and the file's size and modification time it was taken from (a fingerprint of another
    version or of another state of the file does not count); NULL ``shape`` records a photo that
    could not be fingerprinted.  ``cleanup_actions`` and ``cleanup_items``: every clean-up (photos
    moved to the system trash), what each file became (``trashed_to``: its place in the trash when the
    platform tells it), and when it was undone.
    """
    _run_script(
        db,
        """
        CREATE TABLE photo_fingerprints (
            photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            shape INTEGER,
            colour BLOB
        );
        CREATE TABLE cleanup_actions (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            at REAL NOT NULL,
            undone_at REAL
        );
        CREATE TABLE cleanup_items (
            action_id INTEGER NOT NULL REFERENCES cleanup_actions(id) ON DELETE CASCADE,
            path BLOB NOT NULL,
            trashed_to BLOB,
            bytes INTEGER NOT NULL,
            kept BLOB,
            restored_at REAL
        );
        CREATE INDEX cleanup_items_action ON cleanup_items(action_id)
        """,
    )


def _migration_photo_places(db: sqlite_utils.Database) -> None:
    """Where photos were taken: ``places`` holds the GeoNames places photos were found in (id = geonameid,
    ``folded`` = the name without accents or case); ``photo_places`` one row per photo whose EXIF GPS was
    read: the file version read (``size``, ``mtime_ns``: a changed file is read again), its position
    (NULL: none, or ``refused`` says why a value present was garbage) and its place.  A photo without a
    row has not been looked at yet: the writer fills them in (``place_fill``), existing photos too.
    (IF NOT EXISTS: a catalog set back to an earlier schema version by hand, as tests do, still holds them.)"""
    _run_script(
        db,
        """
        CREATE TABLE IF NOT EXISTS places (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            folded TEXT NOT NULL,
            region TEXT,
            country_code TEXT NOT NULL,
            country TEXT NOT NULL,
            lat REAL NOT NULL,
            lon REAL NOT NULL,
            population INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS places_folded ON places(folded);
        CREATE TABLE IF NOT EXISTS photo_places (
            photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            lat REAL,
            lon REAL,
            place_id INTEGER REFERENCES places(id),
            refused TEXT
        );
        CREATE INDEX IF NOT EXISTS photo_places_place ON photo_places(place_id);
        CREATE INDEX IF NOT EXISTS photo_places_lat ON photo_places(lat)
        """
    )


def _migration_photo_text(db: sqlite_utils.Database) -> None:
    """Text found in photos (OCR): ``photo_text`` says which engine version read a photo (and why it
    failed, if it did), ``photo_text_lines`` holds the lines read (text, confidence, box: the four
    corners in the upright original's pixels, as JSON), and ``photo_text_lines_fts`` is their full-text
    index (FTS5, accent- and case-insensitive), an external-content table kept up to date by triggers
    in the same transactions as the lines (the layout sqlite-utils' ``enable_fts`` makes; written out
    here because ``enable_fts`` would commit the migration's transaction half-way)."""
    for statement in (
        """CREATE TABLE photo_text (
            photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
            engine TEXT NOT NULL,
            lines INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            read_at REAL NOT NULL
        )""",
        """CREATE TABLE photo_text_lines (
            id INTEGER PRIMARY KEY,
            photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            confidence REAL NOT NULL,
            box TEXT NOT NULL
        )""",
        "CREATE INDEX photo_text_lines_photo ON photo_text_lines(photo_id)",
        """CREATE VIRTUAL TABLE photo_text_lines_fts USING FTS5 (
            text, tokenize='unicode61 remove_diacritics 2', prefix='2 3',
            content=photo_text_lines, content_rowid=id
        )""",
        """CREATE TRIGGER photo_text_lines_ai AFTER INSERT ON photo_text_lines BEGIN
            INSERT INTO photo_text_lines_fts (rowid, text) VALUES (new.id, new.text);
        END""",
        """CREATE TRIGGER photo_text_lines_ad AFTER DELETE ON photo_text_lines BEGIN
            INSERT INTO photo_text_lines_fts (photo_text_lines_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END""",
        """CREATE TRIGGER photo_text_lines_au AFTER UPDATE ON photo_text_lines BEGIN
            INSERT INTO photo_text_lines_fts (photo_text_lines_fts, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO photo_text_lines_fts (rowid, text) VALUES (new.id, new.text);
        END""",
    ):
        db.execute(statement)


PLACE_NAMES_FTS = (
    """CREATE VIRTUAL TABLE places_fts USING FTS5 (
        folded, region, country, tokenize='unicode61 remove_diacritics 2', prefix='2 3',
        content=places, content_rowid=id
    )""",
    """CREATE TRIGGER places_ai AFTER INSERT ON places BEGIN
        INSERT INTO places_fts (rowid, folded, region, country) VALUES (new.id, new.folded, new.region, new.country);
    END""",
    """CREATE TRIGGER places_ad AFTER DELETE ON places BEGIN
        INSERT INTO places_fts (places_fts, rowid, folded, region, country)
            VALUES ('delete', old.id, old.folded, old.region, old.country);
    END""",
    """CREATE TRIGGER places_au AFTER UPDATE ON places BEGIN
        INSERT INTO places_fts (places_fts, rowid, folded, region, country)
            VALUES ('delete', old.id, old.folded, old.region, old.country);
        INSERT INTO places_fts (rowid, folded, region, country) VALUES (new.id, new.folded, new.region, new.country);
    END""",
    # a place no photo is in any more leaves the catalog (and so the index) with its last photo
    """CREATE TRIGGER photo_places_ad AFTER DELETE ON photo_places WHEN old.place_id IS NOT NULL BEGIN
        DELETE FROM places WHERE id = old.place_id
            AND NOT EXISTS (SELECT 1 FROM photo_places WHERE place_id = old.place_id);
    END""",
    """CREATE TRIGGER photo_places_au AFTER UPDATE OF place_id ON photo_places
        WHEN old.place_id IS NOT NULL AND old.place_id IS NOT new.place_id BEGIN
        DELETE FROM places WHERE id = old.place_id
            AND NOT EXISTS (SELECT 1 FROM photo_places WHERE place_id = old.place_id);
    END""",
)


def _migration_place_names(db: sqlite_utils.Database) -> None:
    """Place names in a full-text index: ``places_fts`` (FTS5, accent- and case-insensitive, prefix index)
    over each place's folded name, first-level region and country, an external-content table on ``places``
    kept by triggers in the same transactions; ``places`` now holds only the places photos are in (a place
    leaves with its last photo, by trigger) and every place's region worldwide (it was US states only):
    existing rows get theirs here, from the GeoNames table (read only when the catalog has places), so an
    existing library needs no re-embedding and no new reading of its photos."""
    from indexer.catalog_place_regions import regions_of  # GeoNames tables: read only by this migration, when needed

    db.execute("DELETE FROM places WHERE id NOT IN (SELECT place_id FROM photo_places WHERE place_id IS NOT NULL)")
    ids = [int(r[0]) for r in db.execute("SELECT id FROM places WHERE region IS NULL").fetchall()]
    for place_id, region in regions_of(ids).items():
        db.execute("UPDATE places SET region = ? WHERE id = ?", (region, place_id))
    for statement in PLACE_NAMES_FTS:
        db.execute(statement)
    db.execute("INSERT INTO places_fts (places_fts) VALUES ('rebuild')")


def _migration_crop_windows(db: sqlite_utils.Database) -> None:
    """``photo_fingerprints.crops``: the shape hashes and colours of each photo's crop windows
    (``indexer/fingerprint.py``, version 2), which find copies cropped by up to ~10%.  NULL: taken by
    version 1, before there were windows (the backfill takes them again)."""
    db.execute("ALTER TABLE photo_fingerprints ADD COLUMN crops BLOB")


MIGRATIONS = {
    1: _migration_1, 2: _migration_2, 3: _migration_3, 4: _migration_video_frames, 5: _migration_duplicates,
    6: _add_browse_order_index, 7: _migration_photo_places, 8: _migration_photo_text, 9: _migration_place_names,
    10: _migration_crop_windows,
}
SCHEMA_VERSION = max(MIGRATIONS)
# the core's tables, migrated like a slice's (their version has its own key, from before slices had tables)
CORE_SCHEMA = SliceSchema("catalog", tuple(MIGRATIONS[n] for n in range(1, SCHEMA_VERSION + 1)), key="schema_version")
