"""Opening, recognising and creating the catalog's SQLite file, before any query runs.

``connect`` opens the file by URI (any file name) without ever creating one;
``connect_readonly`` opens it read-only, or as immutable on a read-only disk,
where SQLite cannot create the ``-shm`` file a WAL reader needs.
``identify`` reads, and never writes, enough of an existing file to tell a
Photoseek catalog from an empty file, a file that is not SQLite, or another
program's SQLite database.  ``create`` builds a new catalog under a temporary
name and links it into place, so the file is complete or not there at all; it
is made 0600 (and with it the ``-wal`` and ``-shm`` files SQLite adds).
``corrupt_message`` is the one message shown for a damaged catalog.

The ``Catalog`` class (``catalog.py``) uses these to open its connection; the
schema it writes into a new file is its own (``catalog_schema``).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from indexer.errors import CatalogCorrupt, LibraryError
from indexer.private_files import create_new

logger = logging.getLogger(__name__)

PAGE_SIZE = 16384


def connect(path: Path, flags: str) -> sqlite3.Connection:
    uri = f"{path.absolute().as_uri()}?{flags}"  # percent-encoded: any file name, even with ? # %
    conn = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=True, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def connect_readonly(path: Path) -> tuple[sqlite3.Connection, bool]:
    """A read-only connection, and whether it is immutable.

    A reader of a WAL database needs its ``-shm`` (and ``-wal``) files, which SQLite
    creates when they are missing; on a read-only disk (a backup drive, a read-only
    share) it cannot, and the catalog is then opened as immutable: no locks, no WAL,
    read as it is on disk (nothing can change it there).
    """
    conn = connect(path, "mode=ro")
    try:
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # opens the file (and the WAL index)
        return conn, False
    except sqlite3.OperationalError:
        conn.close()
        if os.access(path.parent, os.W_OK):
            raise  # not a read-only folder: the error is the catalog's
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        logger.warning("the catalog %s is on a read-only disk with changes left in %s that cannot be read; "
                       "searching what was saved before them", path, wal.name)
    logger.info("the catalog %s is on a read-only disk: opened as immutable", path)
    return connect(path, "immutable=1"), True


def identify(conn: sqlite3.Connection, path: Path) -> None:
    """Raise unless ``conn`` is a Photoseek catalog; reads only, so a foreign file stays untouched."""
    if conn.execute("PRAGMA page_count").fetchone()[0] == 0:
        raise CatalogCorrupt(corrupt_message(path, "the file is empty"))
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    if not tables:
        raise CatalogCorrupt(corrupt_message(path, "it holds no tables"))
    version = None
    if "meta" in tables:
        try:
            row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.OperationalError:  # a "meta" table of another shape: not ours
            row = None
        version = row[0] if row else None
    if not (isinstance(version, str) and version.isdigit() and int(version) >= 1):
        shown = ", ".join(repr(name[:40]) for name in tables[:6]) + (", ..." if len(tables) > 6 else "")
        raise LibraryError(
            f"{path} is not a Photoseek catalog but another program's SQLite database (tables {shown}); "
            f"Photoseek has left it untouched. Move it out of the library folder {path.parent}, or use "
            f"another library folder (photoseek --library DIR)"
        )


def create(path: Path, initialise: Callable[[sqlite3.Connection, Path], None]) -> None:
    """Create a new catalog at ``path`` (where no file exists): complete, or not at all.

    ``initialise(conn, temporary_path)`` writes the schema into the new, empty database.
    It is built under a temporary name and then linked into place, so a crash never
    leaves a half-made ``path`` (which the next open would take for a damaged catalog),
    and a file that appeared meanwhile is never replaced.
    """
    tmp = path.with_name(f".{path.name}.new")
    for leftover in (tmp, *(tmp.with_name(tmp.name + s) for s in ("-journal", "-wal", "-shm"))):
        leftover.unlink(missing_ok=True)  # from a creation that was interrupted
    os.close(create_new(tmp))  # 0600 (the user's alone); SQLite gives its -wal and -shm the catalog's mode
    conn = sqlite3.connect(str(tmp), timeout=30, check_same_thread=True, isolation_level=None)
    try:
        # 16 KiB pages hold a 2 KiB vector without an overflow page each
        # (5.1 -> 2.8 KB per photo, measured by tests/benchmarks/bench_memory.py).
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        initialise(conn, tmp)
        conn.execute("PRAGMA journal_mode = WAL")  # recorded in the file's header
    except sqlite3.DatabaseError as exc:
        raise LibraryError(f"cannot create the catalog {path}: {exc}") from exc
    finally:
        conn.close()  # the last connection: SQLite checkpoints and removes the WAL
    _fsync(tmp)
    try:
        os.link(tmp, path)  # fails if a file appeared at ``path`` meanwhile
    except FileExistsError:
        logger.warning("a catalog appeared at %s while one was being created; using it", path)
    except OSError:  # a file system without hard links (FAT, some shares)
        if not os.path.lexists(path):
            os.replace(tmp, path)
    tmp.unlink(missing_ok=True)
    _fsync(path.parent, directory=True)


def _fsync(path: Path, *, directory: bool = False) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0))
    except OSError:
        if directory:
            return  # Windows cannot open a folder; its renames are durable without it
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


def corrupt_message(path: Path, detail: str) -> str:
    return (
        f"the catalog {path} is damaged ({detail}). Your photos are untouched. To recover, move the "
        f"library folder aside and index your folders again (photoseek --library NEW index FOLDER...)"
    )
