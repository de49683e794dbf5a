"""Catalogs as earlier versions of Photoseek left them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from indexer.catalog_schema import MIGRATIONS


def as_schema_2(library: Path) -> None:
    """Make the catalog look as an earlier Photoseek left it (schema 2: no fingerprints).

    Whatever the later migrations added -- tables, indexes, columns -- is taken away again, found by
    comparing with a catalog built by migrations 1 and 2 alone.
    """
    early = sqlite_utils.Database(memory=True)
    for version in (1, 2):
        MIGRATIONS[version](early)
    conn = sqlite3.connect(library / "catalog.sqlite")

    def names(db: sqlite3.Connection, kind: str) -> set[str]:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type=? AND sql IS NOT NULL", (kind,))}

    for index in names(conn, "index") - names(early.conn, "index"):
        conn.execute(f'DROP INDEX "{index}"')
    virtual = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'")}
    for table in sorted(names(conn, "table") - names(early.conn, "table"), key=lambda t: t not in virtual):
        if table in names(conn, "table"):            # a virtual table's shadow tables went with it
            conn.execute(f'DROP TABLE "{table}"')
    for table in names(early.conn, "table"):
        before = {r[1] for r in early.conn.execute(f'PRAGMA table_xinfo("{table}")')}
        for column in [r[1] for r in conn.execute(f'PRAGMA table_xinfo("{table}")')][::-1]:
            if column not in before:
                conn.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    conn.execute("UPDATE meta SET value='2' WHERE key='schema_version'")
    conn.execute("DELETE FROM meta WHERE key LIKE 'schema:%'")  # the capabilities' own tables went too
    conn.commit()
    conn.close()
