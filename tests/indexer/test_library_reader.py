"""A ``LibraryReader`` cannot write: no file under the library changes while it reads."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from indexer.errors import LibraryError
from indexer.library import Library
from indexer.library_reader import LibraryReader
from indexer.search import Query
from tests.support.photos import photo

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "toyclip"


def _snapshot(library: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime_ns) of every file under the library.

    SQLite's shared-memory index (``-shm``) is left out: every WAL reader, even a read-only
    connection, marks its read position there.  It is coordination memory, not data.
    """
    return {
        str(p.relative_to(library)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(library.rglob("*"))
        if p.is_file() and not p.name.endswith("-shm")
    }


def _read_everything(reader: LibraryReader, photo_path: Path) -> None:
    assert reader.search(Query(text="a photo", limit=5))
    assert reader.search(Query(image=photo_path, limit=5))
    status = reader.status()
    assert status.photos == 12 and status.pending in (0, 12)
    assert reader.folders()[0].photos == 12
    assert reader.failures() == []


@pytest.fixture()
def indexed(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(12):
        photo(i, (160, 120)).save(folder / f"p{i:02d}.jpg", quality=85)
    library = tmp_path / "lib"
    with Library.open(library) as lib:
        lib.use_model(str(FIXTURE))
        for _ in lib.index([folder], workers=0):
            pass
    return library, folder


def test_a_reader_changes_no_file_across_searches_status_and_a_model_switch(indexed, tmp_path):
    library, folder = indexed
    other_model = tmp_path / "models" / "toyclip-b"
    shutil.copytree(FIXTURE, other_model)
    (library / "vectors" / "toyclip.hnsw").unlink()  # the reader must rebuild in memory, not on disk
    (library / "vectors" / "toyclip.hnsw.json").unlink()
    with LibraryReader.open(library) as reader:
        before = _snapshot(library)
        _read_everything(reader, folder / "p03.jpg")
        assert _snapshot(library) == before

        with Library.open(library) as writer:  # the writer switches model beside the reader
            writer.use_model(str(other_model))
            before = _snapshot(library)
            _read_everything(reader, folder / "p03.jpg")  # still answered by the old model
            assert _snapshot(library) == before
            for _ in writer.sync(workers=0):
                pass
        before = _snapshot(library)
        _read_everything(reader, folder / "p03.jpg")  # now answered by the new model
        assert reader.status().model == "toyclip-b"
        assert _snapshot(library) == before


def test_the_in_process_reader_writes_nothing_either(indexed):
    library, folder = indexed
    with Library.open(library) as writer:
        for _ in writer.sync(workers=0):
            pass
        reader = writer.reader()
        before = _snapshot(library)
        _read_everything(reader, folder / "p03.jpg")
        assert _snapshot(library) == before


def test_a_reader_has_no_write_methods_and_a_read_only_connection(indexed):
    library, _ = indexed
    with LibraryReader.open(library) as reader:
        for name in ("add_folder", "remove_folder", "index", "sync", "use_model", "rebuild", "save_settings"):
            assert not hasattr(reader, name)
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            reader.catalog.conn.execute("DELETE FROM photos")
        with pytest.raises(LibraryError):
            with reader.catalog.transaction():
                pass


def test_opening_a_missing_library_for_reading_creates_nothing(tmp_path):
    with pytest.raises(LibraryError, match="no Photoseek library"):
        LibraryReader.open(tmp_path / "nothing")
    assert not (tmp_path / "nothing").exists()
