"""The GeoNames names remembered in the user's cache (``places/name_keys``), each with its places: a query
word is answered without loading the table, whether it names no place ("garden") or some ("sunset")."""

from __future__ import annotations

import pytest

from indexer.places import name_keys
from indexer.places.gazetteer import QUERY_TABLE, Gazetteer


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.setattr(name_keys, "_loaded", {})
    monkeypatch.setattr(Gazetteer, "_shared", {})


def test_places_are_built_once_then_read_from_the_cache_as_the_table_gives_them(monkeypatch):
    table = Gazetteer.shared(QUERY_TABLE)
    words = ("lisbon", "lisboa", "reykjavik", "nairobi", "sunset", "paris", "san jose", "garden", "zzzz")
    expected = {w: table.named(w) for w in words}
    assert expected["garden"] == [] and expected["lisboa"] and len(expected["paris"]) > 1
    assert [name_keys.places_named(QUERY_TABLE, w) for w in words] == [expected[w] for w in words]
    assert name_keys._file(QUERY_TABLE).is_file()
    monkeypatch.setattr(name_keys, "_loaded", {})
    monkeypatch.setattr(Gazetteer, "_shared", {})
    assert [name_keys.places_named(QUERY_TABLE, w) for w in words] == [expected[w] for w in words]
    assert Gazetteer._shared == {}  # read back: the table was not loaded


@pytest.mark.parametrize("content", [
    b"lisbon", b"\xff\xfe\n", b"", b"lisbon\n", b"lisbon\t[]\n", b"lisbon\t[[1, 2\n" + name_keys.END,
    b"lisbon\n" + name_keys.END])
def test_a_damaged_file_answers_from_the_table(content):
    path = name_keys._file(QUERY_TABLE)
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert name_keys.places_named(QUERY_TABLE, "lisbon")[0].name == "Lisbon"


def test_an_oversized_file_is_built_again(monkeypatch):
    monkeypatch.setattr(name_keys, "MAX_BYTES", 100)
    path = name_keys._file(QUERY_TABLE)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"x\t[]\n" * 100)
    assert name_keys.places_named(QUERY_TABLE, "nairobi")[0].country_code == "KE"


@pytest.mark.parametrize("query", ["two children playing in a garden", "beach at sunset"])
def test_a_query_word_loads_no_table(tmp_path, query):
    from indexer.library import Library
    from indexer.library_reader import LibraryReader

    name_keys.places_named(QUERY_TABLE, "x")  # as a previous search left the cache
    Gazetteer._shared.clear()
    Library.open(tmp_path / "lib").close()
    with LibraryReader.open(tmp_path / "lib") as reader:
        reader.parse_query(query)
    assert QUERY_TABLE not in Gazetteer._shared
