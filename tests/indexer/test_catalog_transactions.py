"""``Catalog.transaction()`` nests: inner blocks are savepoints, only the outermost commits."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from indexer.catalog import Catalog


@pytest.fixture()
def catalog(tmp_path: Path):
    cat = Catalog(tmp_path / "catalog.sqlite")
    cat.migrate()
    yield cat
    cat.close()


def _folders(path: Path) -> list[str]:
    """What another connection sees (only committed rows)."""
    with sqlite3.connect(path) as other:
        return sorted(str(r[0], "utf-8") for r in other.execute("SELECT path FROM folders"))


def test_an_inner_transaction_commits_only_with_the_outer_one(catalog, tmp_path):
    with catalog.transaction():
        catalog.add_folder(Path("/a"))  # add_folder opens its own (now inner) transaction
        assert catalog.in_transaction
        assert _folders(catalog.path) == []  # not committed yet: the outer block is still open
    assert _folders(catalog.path) == ["/a"]
    assert not catalog.in_transaction


def test_a_failing_inner_transaction_rolls_back_only_its_own_changes(catalog):
    with catalog.transaction():
        catalog.add_folder(Path("/kept"))
        with pytest.raises(RuntimeError):
            with catalog.transaction():
                catalog.add_folder(Path("/dropped"))
                raise RuntimeError("inner failure")
    assert _folders(catalog.path) == ["/kept"]


def test_a_failing_outer_transaction_rolls_back_everything(catalog):
    with pytest.raises(RuntimeError):
        with catalog.transaction():
            catalog.add_folder(Path("/x"))
            with catalog.transaction():
                catalog.add_folder(Path("/y"))
            raise RuntimeError("outer failure")
    assert _folders(catalog.path) == []
    assert not catalog.in_transaction
    catalog.add_folder(Path("/after"))  # the connection is usable again
    assert _folders(catalog.path) == ["/after"]
