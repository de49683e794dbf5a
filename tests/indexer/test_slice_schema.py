"""A capability's own tables migrate apart from the core's: once, in order, each in its own transaction; a
reader refuses a catalog whose slice tables are older (a writer brings them up) or newer than it knows."""

from __future__ import annotations

import pytest

from indexer.catalog import Catalog
from indexer.errors import CatalogOutdated, LibraryError
from indexer.library import Library
from indexer.library_reader import LibraryReader
from indexer.slice_schema import SliceSchema, run_script


def _v1(db) -> None:
    run_script(db, "CREATE TABLE pets (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")


def _v2(db) -> None:
    run_script(db, "ALTER TABLE pets ADD COLUMN species TEXT; CREATE INDEX pets_species ON pets(species)")


def _broken(db) -> None:
    run_script(db, "CREATE TABLE half (x); CREATE TABLE pets (clash)")  # fails after its first statement


def _columns(catalog: Catalog, table: str) -> list[str]:
    return [r[1] for r in catalog.conn.execute(f"PRAGMA table_info({table})")]


def test_slice_migrations_run_once_in_order(tmp_path):
    catalog = Catalog(tmp_path / "catalog.sqlite")
    pets = SliceSchema("pets", (_v1,))
    catalog.migrate([pets])
    assert catalog.known_slice_version(pets) == 1 and _columns(catalog, "pets") == ["id", "name"]
    catalog.migrate([pets])  # nothing to do the second time
    grown = SliceSchema("pets", (_v1, _v2))
    catalog.migrate([grown])
    assert catalog.known_slice_version(grown) == 2 and _columns(catalog, "pets") == ["id", "name", "species"]
    with pytest.raises(LibraryError, match="newer Photoseek"):  # an older version meets the newer tables
        catalog.known_slice_version(pets)
    catalog.close()


def test_a_failing_slice_migration_leaves_nothing_behind(tmp_path):
    catalog = Catalog(tmp_path / "catalog.sqlite")
    with pytest.raises(Exception, match="pets"):
        catalog.migrate([SliceSchema("pets", (_v1, _broken))])
    assert catalog.known_slice_version(SliceSchema("pets", (_v1,))) == 1  # the first migration stands
    assert catalog.conn.execute("SELECT name FROM sqlite_master WHERE name='half'").fetchone() is None
    catalog.close()


def test_readers_need_every_slice_up_to_date(tmp_path, monkeypatch):
    Library.open(tmp_path / "library").close()
    pets = SliceSchema("pets", (_v1,))
    import indexer.library as library_module
    import indexer.library_reader as reader_module

    monkeypatch.setattr(reader_module, "DEFAULT_SCHEMAS", (pets,))
    with pytest.raises(CatalogOutdated, match="pets 0"):  # a reader cannot add the tables
        LibraryReader.open(tmp_path / "library")
    monkeypatch.setattr(library_module, "DEFAULT_SCHEMAS", (pets,))
    Library.open(tmp_path / "library").close()  # the writer adds them
    LibraryReader.open(tmp_path / "library").close()
