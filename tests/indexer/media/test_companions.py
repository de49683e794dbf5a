"""A still's companions (a RAW beside it, a Live Photo's movie) are recorded by the scan, kept current
by later scans, and read for hits from the catalog: no folder is listed per hit."""

from __future__ import annotations

import os
import sqlite3

import pytest

from indexer.default_schemas import DEFAULT_SCHEMAS
from indexer.library import Library
from indexer.media.schema import MEDIA_SCHEMA
from indexer.media.tables import MediaTables
from indexer.search import Query
from tests.support.photos import write_photo

SMALL = (160, 120)


def _companions(lib: Library) -> dict[str, set[tuple[str, str]]]:
    """What the catalog holds: still name -> {(companion name, role)}."""
    rows = lib.catalog.photos_by_id([r[0] for r in lib.catalog.conn.execute("SELECT id FROM photos")])
    stored = MediaTables(lib.catalog).companions(list(rows))
    return {rows[pid].path.name: {(p.name, role) for p, role in found} for pid, found in stored.items()}


def _hits(lib: Library) -> dict[str, set[tuple[str, str]]]:
    hits = lib.reader().search(Query(text="a photo", limit=50))
    return {h.path.name: {(p.name, role) for p, role in h.companions} for h in hits}


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "photos"
    write_photo(folder / "IMG_0001.JPG", 1, SMALL)
    (folder / "IMG_0001.CR2").write_bytes(b"raw " * 64)  # never decoded: a companion
    write_photo(folder / "IMG_0002.jpg", 2, SMALL)
    (folder / "IMG_0002.MOV").write_bytes(b"mov " * 64)
    write_photo(folder / "alone.jpg", 3, SMALL)
    return folder


@pytest.fixture
def lib(tmp_path, folder, toyclip_bundle):
    with Library.open(tmp_path / "library", model=str(toyclip_bundle)) as lib:
        list(lib.index([folder], read_text=False))
        yield lib


def test_the_media_tables_are_a_slice_schema():
    assert MEDIA_SCHEMA in DEFAULT_SCHEMAS and MEDIA_SCHEMA.name == "media"


def test_pairs_are_recorded_at_index_and_shown_with_hits(lib, folder):
    assert lib.status().photos == 3
    expected = {"IMG_0001.JPG": {("IMG_0001.CR2", "raw")}, "IMG_0002.jpg": {("IMG_0002.MOV", "motion")}}
    assert _companions(lib) == expected
    assert _hits(lib) == {**expected, "alone.jpg": set()}
    (hit,) = [h for h in lib.reader().search(Query(text="a photo", limit=50)) if h.path.name == "IMG_0001.JPG"]
    assert hit.companions == ((folder / "IMG_0001.CR2", "raw"),)


def test_hits_read_companions_without_listing_a_folder(lib, folder, monkeypatch):
    reader = lib.reader()
    listed: list[object] = []
    real_scandir, real_listdir = os.scandir, os.listdir
    monkeypatch.setattr(os, "scandir", lambda *a, **k: listed.append(a[0] if a else ".") or real_scandir(*a, **k))
    monkeypatch.setattr(os, "listdir", lambda *a, **k: listed.append(a[0] if a else ".") or real_listdir(*a, **k))
    hits = reader.search(Query(text="a photo", limit=50))
    assert len(hits) == 3 and sum(bool(h.companions) for h in hits) == 2
    photos = str(folder)  # (the model's folders are looked at to see that its files did not change)
    assert [p for p in map(os.fspath, listed) if os.fsdecode(p).startswith(photos)] == []


def test_a_companion_deleted_added_or_renamed_updates_its_still(lib, folder):
    (folder / "IMG_0001.CR2").unlink()
    list(lib.sync(read_text=False))  # a whole scan
    assert _companions(lib) == {"IMG_0002.jpg": {("IMG_0002.MOV", "motion")}}
    assert lib.status().photos == 3
    (folder / "IMG_0001.dng").write_bytes(b"raw " * 64)  # a later RAW, seen by the watcher
    lib.scan_paths([folder / "IMG_0001.dng"])
    assert _companions(lib)["IMG_0001.JPG"] == {("IMG_0001.dng", "raw")}
    (folder / "IMG_0002.MOV").rename(folder / "IMG_0002.mov")  # renamed: still its companion
    lib.scan_paths([folder / "IMG_0002.MOV", folder / "IMG_0002.mov"])
    assert _companions(lib)["IMG_0002.jpg"] == {("IMG_0002.mov", "motion")}
    (folder / "IMG_0002.mov").rename(folder / "other.mov")  # no longer beside its still
    lib.scan_paths([folder / "IMG_0002.mov", folder / "other.mov"])
    assert "IMG_0002.jpg" not in _companions(lib)
    assert _hits(lib)["IMG_0001.JPG"] == {("IMG_0001.dng", "raw")}


def test_a_still_moved_or_deleted_takes_its_rows_along(lib, folder):
    (folder / "sub").mkdir()
    for name in ("IMG_0001.JPG", "IMG_0001.CR2"):
        (folder / name).rename(folder / "sub" / name)
    list(lib.sync(read_text=False))
    assert _companions(lib)["IMG_0001.JPG"] == {("IMG_0001.CR2", "raw")}
    (hit,) = [h for h in lib.reader().search(Query(text="a photo", limit=50)) if h.path.name == "IMG_0001.JPG"]
    assert hit.companions == ((folder / "sub" / "IMG_0001.CR2", "raw"),)
    (folder / "IMG_0002.jpg").unlink()  # the still leaves: its movie becomes a video of its own
    lib.scan_paths([folder / "IMG_0002.jpg"])
    count = lib.catalog.conn.execute("SELECT COUNT(*) FROM photo_companions").fetchone()[0]
    assert count == 1 and "IMG_0002.jpg" not in _companions(lib)
    assert lib.catalog.photo_by_path(folder / "IMG_0002.MOV") is not None


def test_an_existing_library_gets_its_companions_at_the_next_scan(tmp_path, folder, toyclip_bundle):
    library = tmp_path / "library"
    with Library.open(library, model=str(toyclip_bundle)) as lib:
        list(lib.index([folder], read_text=False))
    with sqlite3.connect(library / "catalog.sqlite") as conn:  # as a version before the table left it
        conn.execute("DROP TABLE photo_companions")
        conn.execute("DELETE FROM meta WHERE key=?", (MEDIA_SCHEMA.meta_key,))
    conn.close()
    with Library.open(library, model=str(toyclip_bundle)) as lib:
        assert _companions(lib) == {}  # the migration made the table; it cannot know the pairs
        assert lib.reader().search(Query(text="a photo", limit=50))  # searches work meanwhile
        lib.scan()
        assert _companions(lib) == {"IMG_0001.JPG": {("IMG_0001.CR2", "raw")},
                                    "IMG_0002.jpg": {("IMG_0002.MOV", "motion")}}


def test_turning_a_rule_off_makes_the_companion_a_photo_of_its_own(lib, folder):
    lib.settings.pair_raw_with_still = False
    lib.save_settings()
    assert _hits(lib)["IMG_0001.JPG"] == {("IMG_0001.CR2", "raw")}  # until a scan: as recorded
    lib.scan()
    assert "IMG_0001.JPG" not in _companions(lib)
    assert lib.catalog.photo_by_path(folder / "IMG_0001.CR2") is not None


def test_a_burst_of_changes_in_one_folder_lists_it_once(lib, folder, monkeypatch):
    new = []
    for i in range(5):
        new += [write_photo(folder / f"burst{i}.jpg", 10 + i, SMALL), folder / f"burst{i}.arw"]
        new[-1].write_bytes(b"raw " * 64)
    listed: list[str] = []
    real_scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda p=".": listed.append(os.fspath(p)) or real_scandir(p))
    lib.scan_paths(new)
    assert listed.count(str(folder)) == 1
    stored = _companions(lib)
    assert all(stored[f"burst{i}.jpg"] == {(f"burst{i}.arw", "raw")} for i in range(5))
