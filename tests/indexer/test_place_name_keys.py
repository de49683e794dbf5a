"""The GeoNames names remembered in the user's cache (``places/name_keys``): a word that names no place
is ruled out without loading the table."""

from __future__ import annotations

import pytest

from indexer.places import name_keys
from indexer.places.gazetteer import QUERY_TABLE, Gazetteer


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.setattr(name_keys, "_loaded", {})
    monkeypatch.setattr(Gazetteer, "_shared", {})


def test_names_are_built_once_then_read_from_the_cache(monkeypatch):
    names = name_keys.known_names(QUERY_TABLE)
    assert {"lisbon", "lisboa", "reykjavik", "nairobi"} <= names and "garden" not in names
    path = name_keys._file(QUERY_TABLE)
    assert path.is_file()
    monkeypatch.setattr(name_keys, "_loaded", {})
    monkeypatch.setattr(Gazetteer, "_shared", {})
    assert name_keys.known_names(QUERY_TABLE) == names
    assert Gazetteer._shared == {}  # read back: the table was not loaded


@pytest.mark.parametrize("content", [b"lisbon", b"\xff\xfe\n", b"x\n" * (name_keys.MAX_BYTES // 2 + 1)])
def test_a_damaged_or_oversized_file_is_built_again(content, monkeypatch):
    path = name_keys._file(QUERY_TABLE)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert "lisbon" in name_keys.known_names(QUERY_TABLE) and "reykjavik" in name_keys.known_names(QUERY_TABLE)


def test_a_query_word_that_names_no_place_loads_no_table(tmp_path):
    from indexer.library import Library
    from indexer.library_reader import LibraryReader

    name_keys.known_names(QUERY_TABLE)  # as a previous search left the cache
    Gazetteer._shared.clear()
    Library.open(tmp_path / "lib").close()
    with LibraryReader.open(tmp_path / "lib") as reader:
        assert reader.parse_query("two children playing in a garden").place is None
    assert QUERY_TABLE not in Gazetteer._shared
