from __future__ import annotations

import os
from pathlib import Path

from indexer.catalog import Catalog, FolderRow
from indexer.scanner import Excluder, quick_hash, reconcile, walk
from tests.support.photos import write_photo


def _names(folder: Path, excluded=()) -> list[str]:
    return sorted(str(e.path.relative_to(folder)) for e in walk(FolderRow(1, folder, True), Excluder(excluded)))


def test_walk_filters_extensions_hidden_and_excluded(tmp_path):
    for rel in ["a.jpg", "b.JPEG", "c.png", "d.heic", "notes.txt", "e.tif", ".hidden.jpg",
                ".thumbs/x.jpg", "raw/skip.jpg", "keep/f.webp"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    (tmp_path / "dir.jpg").mkdir()
    assert _names(tmp_path, ["raw"]) == ["a.jpg", "b.JPEG", "c.png", "d.heic", "e.tif", "keep/f.webp"]
    assert _names(tmp_path, [str(tmp_path / "keep")]) == ["a.jpg", "b.JPEG", "c.png", "d.heic", "e.tif", "raw/skip.jpg"]


def test_walk_survives_symlink_loops_and_never_yields_a_file_twice(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.jpg").write_bytes(b"x")
    os.symlink(tmp_path, tmp_path / "sub" / "loop")
    outside = tmp_path.parent / (tmp_path.name + "-outside.jpg")
    outside.write_bytes(b"y")
    os.symlink(outside, tmp_path / "link.jpg")
    os.symlink(tmp_path / "sub" / "a.jpg", tmp_path / "alias.jpg")
    os.symlink(tmp_path / "missing.jpg", tmp_path / "dangling.jpg")
    assert _names(tmp_path) == ["link.jpg", "sub/a.jpg"]


def test_quick_hash_sees_head_and_tail(tmp_path):
    big = tmp_path / "big.bin"
    data = bytearray(os.urandom(3 << 20))
    big.write_bytes(data)
    h1 = quick_hash(big, len(data))
    data[-10] ^= 0xFF
    big.write_bytes(data)
    assert quick_hash(big, len(data)) != h1
    assert quick_hash(tmp_path / "gone", 5) is None


def test_reconcile_detects_new_changed_moved_deleted(tmp_path):
    photos = tmp_path / "p"
    a = write_photo(photos / "a.jpg", 1)
    b = write_photo(photos / "b.jpg", 2)
    c = write_photo(photos / "c.jpg", 3)
    catalog = Catalog(tmp_path / "c.sqlite")
    catalog.migrate()
    folder = catalog.add_folder(photos)

    def sync():
        seen = {os.fsencode(str(e.path)): e for e in walk(folder, Excluder())}
        return reconcile(catalog, seen, catalog.photos_in_folder(folder.id))

    first = sync()
    assert (first.new, first.unchanged) == (3, 0)
    ids = {r.path.name: r.id for r in catalog.photos_in_folder(folder.id).values()}
    a.rename(photos / "renamed.jpg")
    write_photo(b, 20)
    c.unlink()
    second = sync()
    assert (second.moved, second.changed, second.deleted, second.new) == (1, 1, 1, 0)
    after = {r.path.name: r.id for r in catalog.photos_in_folder(folder.id).values()}
    assert after == {"renamed.jpg": ids["a.jpg"], "b.jpg": ids["b.jpg"]}
    assert sync().unchanged == 2
