"""A reader in the writer's process searches the stores the writer loaded and keeps current: it never
opens, catches up or saves a writable store, and a search right after opening finds the store loaded."""

from __future__ import annotations

import threading

import pytest

from indexer.catalog import Catalog
from indexer.clip.vector_store import VectorStore, VectorStores
from indexer.clip.writer_stores import WriterStores
from indexer.errors import LibraryError
from indexer.library import Library
from indexer.search import Query
from tests.support.template import copy_template


def _watch(monkeypatch) -> list[tuple[str, str, bool]]:
    """Record (thread, model, writable) of every store opened from now on, and of every catch-up of a
    writable store."""
    calls: list[tuple[str, str, bool]] = []
    real_open, real_catch_up = VectorStore.open.__func__, VectorStore.catch_up

    def open_(cls, directory, model, dim, catalog, *, writable):
        calls.append((threading.current_thread().name, f"open {model}", writable))
        return real_open(cls, directory, model, dim, catalog, writable=writable)

    def catch_up(self, catalog):
        if self.writable:
            calls.append((threading.current_thread().name, f"catch up {self.model}", True))
        return real_catch_up(self, catalog)

    monkeypatch.setattr(VectorStore, "open", classmethod(open_))
    monkeypatch.setattr(VectorStore, "catch_up", catch_up)
    return calls


def _search_on_a_thread(reader, **kwargs):
    out: list[object] = []

    def run():
        try:
            out.append(reader.search(Query(text="a photo", limit=5), **kwargs))
        except BaseException as exc:  # reported below, on the test's thread
            out.append(exc)

    thread = threading.Thread(target=run, name="search-thread")
    thread.start()
    thread.join(60)
    assert not thread.is_alive()
    if isinstance(out[0], BaseException):
        raise out[0]
    return out[0]


def test_a_search_right_after_opening_finds_the_store_the_writer_loaded(template_library, tmp_path, monkeypatch):
    t = copy_template(template_library, tmp_path / "t")
    calls = _watch(monkeypatch)
    with Library.open(t.library) as lib:  # no sync: nothing loaded yet
        assert lib._stores.loaded() == []
        reader = lib.reader()
        writer = threading.current_thread().name
        assert [c for c in calls if c[1].startswith("open")] == [(writer, "open toyclip", True)]
        hits = _search_on_a_thread(reader)
        assert len(hits) == 5
        assert all(thread == writer for thread, _what, _writable in calls), calls
        (store,) = lib._stores.loaded()
        assert isinstance(lib._stores, WriterStores) and lib._stores.loaded_store("toyclip") is store


def test_a_model_the_writer_has_not_loaded_is_searched_from_a_private_copy(template_library, tmp_path,
                                                                           monkeypatch, toyclip_bundle):
    t = copy_template(template_library, tmp_path / "t")
    with Library.open(t.library) as lib:
        reader = lib.reader()
        lib._stores._stores.clear()  # as if the writer had not loaded the model a search names
        calls = _watch(monkeypatch)
        hits = _search_on_a_thread(reader, model=str(toyclip_bundle))
        assert len(hits) == 5
        assert [what for _thread, what, writable in calls if writable] == []  # no writable store touched
        assert [(thread, what) for thread, what, _w in calls] == [("search-thread", "open toyclip")]
        assert lib._stores.loaded() == []  # nothing added to the writer's stores
        lib.reader()  # the writer loads it: the private copy is dropped for the writer's
        assert len(_search_on_a_thread(reader, model=str(toyclip_bundle))) == 5
        assert reader._stores._private == {}


def test_a_writable_registry_refuses_a_reader(tmp_path):
    catalog = Catalog(tmp_path / "catalog.sqlite")
    catalog.migrate()
    with pytest.raises(LibraryError, match="never opens"):
        VectorStores(tmp_path / "vectors", writable=True).search_index("m", 4, catalog)
    assert len(VectorStores(tmp_path / "vectors", writable=False).search_index("m", 4, catalog)) == 0
    catalog.close()
