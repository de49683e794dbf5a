"""Readers are typed read-only: the reading interfaces hold no write method, and every tables class's
writing methods are typed to need the writer's ``Catalog`` (mypy then rejects a write through a reader)."""

from __future__ import annotations

import inspect
import typing

import pytest

from indexer.catalog import Catalog
from indexer.catalog_browse import BrowseQueries
from indexer.catalog_reading import CatalogPart, CatalogReading
from indexer.clip.vector_store import SearchIndex, SearchIndexes, VectorStore, VectorStores
from indexer.clip.vector_tables import VectorTables
from indexer.duplicates.tables import DuplicateTables
from indexer.library import Library
from indexer.library_reader import LibraryReader
from indexer.media.tables import MediaTables
from indexer.places.name_index import PlaceNameIndex
from indexer.places.tables import PlaceTables
from indexer.text.tables import PhotoTextTables
from indexer.thumbnails import ThumbnailPaths, ThumbnailStore

# The methods of ``Catalog`` that change the catalog: none of them may be part of what a reader sees.
CATALOG_WRITES = {
    "add_folder", "remove_folder", "merge_folder", "set_folder_online", "set_folder_devices", "insert_photo",
    "move_photo", "mark_changed", "copy_vectors", "delete_photos", "record_failure", "retry_failures", "migrate",
    "transaction", "set_meta", "bump_checkpoint",
}
WRITE_PREFIXES = ("record_", "register_", "drop_", "prune_", "log_", "mark_", "copy_", "delete_", "forget_")
PARTS = (VectorTables, MediaTables, BrowseQueries, PlaceTables, PlaceNameIndex, PhotoTextTables, DuplicateTables)


def _public_methods(cls: type) -> set[str]:
    return {name for name, value in vars(cls).items() if not name.startswith("_") and callable(value)}


def test_the_reading_protocol_has_no_write_and_every_catalog_method_is_classified():
    reading = _public_methods(CatalogReading) | {"path", "readonly", "immutable", "conn"}
    assert not reading & CATALOG_WRITES
    unclassified = _public_methods(Catalog) - reading - CATALOG_WRITES - {"db", "in_transaction"}
    assert unclassified == set(), "a new Catalog method: add it to CatalogReading or to CATALOG_WRITES"


@pytest.mark.parametrize("part", PARTS, ids=lambda p: p.__name__)
def test_writing_methods_of_a_part_need_the_writers_catalog(part):
    assert issubclass(part, CatalogPart)
    for name in _public_methods(part):
        self_type = inspect.signature(getattr(part, name)).parameters["self"].annotation
        writes = name.startswith(WRITE_PREFIXES)
        assert writes == (self_type == f"{part.__name__}[Catalog]"), (part.__name__, name, self_type)


def test_a_reader_gets_paths_of_thumbnails_and_search_indexes_only(tmp_path):
    hints = typing.get_type_hints(LibraryReader.catalog.fget)
    assert hints["return"] is CatalogReading
    for write in ("save", "save_frame", "copy", "remove"):
        assert hasattr(ThumbnailStore, write) and not hasattr(ThumbnailPaths, write)
    for write in ("add", "remove", "catch_up", "rebuild", "save"):
        assert hasattr(VectorStore, write) and not hasattr(SearchIndex, write)
    assert not hasattr(SearchIndexes, "get") and hasattr(VectorStores, "search_index")
    with Library.open(tmp_path / "lib") as lib:
        reader = lib.reader()
        assert type(reader.thumbnails) is ThumbnailPaths and isinstance(lib.thumbnails, ThumbnailStore)
