"""What a disk holds cannot spoof, wipe or block Photoseek.

* A damaged vector file is never loaded (its stamp holds a checksum), and a
  search's scores are always the cosines of the stored vectors, whatever the
  vector index says.
* A catalog is created only where none exists: an empty, non-SQLite or foreign
  file is reported and left exactly as it was (no lock, log, WAL or table).
* A library on a read-only disk can be searched and is called read-only, not
  damaged (these tests need root, to mount: they are skipped without it).
* An unwritable thumbnail cache does not stop indexing.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from indexer.catalog import Catalog, PhotoMeta
from indexer.clip.vector_store import VectorStore
from indexer.clip.vector_tables import VectorTables
from indexer.connections import CatalogConnections
from indexer.errors import CatalogCorrupt, LibraryError, LibraryReadOnly
from indexer.library import Library
from indexer.library_files import CATALOG_FILE
from indexer.library_reader import LibraryReader
from indexer.search import Query
from tests.support.cli import run_photoseek
from tests.support.photos import photo
from tests.support.template import copy_template

META = PhotoMeta(10, 20, None, None, None, None)
QUERY = "a red circle on a blue sky"


# -- helpers -------------------------------------------------------------------


def _unit(n: int, d: int = 16, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _scale_vectors_in_place(index_file: Path, dim: int, factor: float) -> None:
    """Multiply every vector stored in an hnswlib file by ``factor``: same size, same graph, wrong scores.

    hnswlib's file: a 96-byte header (offsetLevel0, max_elements, count, size_data_per_element,
    label_offset, offset_data, ...), then ``count`` records of size_data_per_element bytes, each
    holding its vector at offset_data.
    """
    data = bytearray(index_file.read_bytes())
    _, _, count, per_element, _, offset_data = struct.unpack_from("<6Q", data, 0)
    for i in range(count):
        at = 96 + i * per_element + offset_data
        vec = np.frombuffer(bytes(data[at : at + 4 * dim]), dtype=np.float32) * np.float32(factor)
        data[at : at + 4 * dim] = vec.astype(np.float32).tobytes()
    index_file.write_bytes(bytes(data))


def _flip_bytes(index_file: Path, at: float) -> None:
    data = bytearray(index_file.read_bytes())
    i = min(int(len(data) * at), len(data) - 4)
    for j in range(i, i + 4):
        data[j] ^= 0x5A
    index_file.write_bytes(bytes(data))


def _snapshot(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file under ``folder``: (size, mtime, first bytes)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            st = p.stat()
            out[str(p.relative_to(folder))] = (st.st_size, st.st_mtime_ns, p.read_bytes()[:4096])
    return out


def _scores(library: Path) -> list[tuple[int, float]]:
    with LibraryReader.open(library) as reader:
        return [(h.photo_id, h.score) for h in reader.search(Query(text=QUERY, limit=10))]


@pytest.fixture()
def catalog(tmp_path: Path):
    c = Catalog(tmp_path / "catalog.sqlite")
    c.migrate()
    VectorTables(c).register_model("m", "src", 16)
    yield c
    c.close()


def _photos(catalog: Catalog, folder: Path, vecs: np.ndarray) -> list[int]:
    row = catalog.add_folder(folder)
    with catalog.transaction():
        ids = [catalog.insert_photo(folder / f"{i}.jpg", row.id, 1, 1, f"h{i}") for i in range(len(vecs))]
        for pid, vec in zip(ids, vecs):
            VectorTables(catalog).record_indexed(pid, "m", vec, META)
    return ids


# -- 3. a damaged vector file is never served ------------------------------------------


@pytest.mark.parametrize("damage", ["scaled vectors", "flipped bytes early", "flipped bytes late"])
def test_a_vector_file_damaged_without_changing_size_is_rebuilt_not_loaded(catalog, tmp_path, damage):
    vecs = _unit(40)
    ids = _photos(catalog, tmp_path, vecs)
    directory = tmp_path / "vectors"
    store = VectorStore.open(directory, "m", 16, catalog, writable=True)
    store.save()
    index_file, stamp_file = VectorStore.paths(directory, "m")
    assert VectorStore.load(directory, "m", 16) is not None
    size = index_file.stat().st_size
    if damage == "scaled vectors":
        _scale_vectors_in_place(index_file, 16, 3.0)
    else:
        _flip_bytes(index_file, 0.3 if damage.endswith("early") else 0.9)
    assert index_file.stat().st_size == size and json.loads(stamp_file.read_text())["bytes"] == size

    assert VectorStore.load(directory, "m", 16) is None  # the checksum differs: not loaded
    rebuilt = VectorStore.open(directory, "m", 16, catalog, writable=False)
    assert rebuilt.labels() == set(ids)
    top, scores = rebuilt.search(vecs[5], 3)
    assert top[0] == ids[5] and scores[0] == pytest.approx(1.0, abs=1e-5) and float(scores.max()) <= 1.0 + 1e-5


def test_a_stamp_without_a_checksum_is_not_trusted(catalog, tmp_path):
    _photos(catalog, tmp_path, _unit(10))
    directory = tmp_path / "vectors"
    VectorStore.open(directory, "m", 16, catalog, writable=True).save()
    _, stamp_file = VectorStore.paths(directory, "m")
    stamp = json.loads(stamp_file.read_text())
    del stamp["crc32"]
    stamp_file.write_text(json.dumps(stamp))
    assert VectorStore.load(directory, "m", 16) is None


def test_a_file_replaced_between_its_check_and_its_load_is_not_trusted(catalog, tmp_path, monkeypatch):
    import indexer.clip.vector_store as vector_store

    _photos(catalog, tmp_path, _unit(10))
    directory = tmp_path / "vectors"
    VectorStore.open(directory, "m", 16, catalog, writable=True).save()
    index_file, _ = VectorStore.paths(directory, "m")
    other = tmp_path / "other.hnsw"
    shutil.copyfile(index_file, other)
    _scale_vectors_in_place(other, 16, 3.0)
    checksum = vector_store._crc32

    def check_then_swap(f):
        crc = checksum(f)
        os.replace(other, index_file)  # the file is swapped after it was checked, before it is loaded
        return crc

    monkeypatch.setattr(vector_store, "_crc32", check_then_swap)
    assert VectorStore.load(directory, "m", 16) is None


def test_a_damaged_vector_file_is_not_served(template_library, tmp_path):
    t = copy_template(template_library, tmp_path / "t")
    truth = _scores(t.library)
    assert truth and all(-1.0 <= s <= 1.0 for _, s in truth)
    index_file, _ = VectorStore.paths(t.library / "vectors", "toyclip")
    _scale_vectors_in_place(index_file, 64, 3.0)
    damaged = _scores(t.library)
    assert [i for i, _ in damaged] == [i for i, _ in truth]
    assert [s for _, s in damaged] == pytest.approx([s for _, s in truth], abs=1e-5)


def test_scores_come_from_the_stored_vectors_even_when_the_index_is_wrong(template_library, tmp_path):
    """Damage the checksum cannot see (the stamp matches the damaged file): the scores are still true cosines."""
    t = copy_template(template_library, tmp_path / "t")
    truth = _scores(t.library)
    index_file, stamp_file = VectorStore.paths(t.library / "vectors", "toyclip")
    _scale_vectors_in_place(index_file, 64, 3.0)
    stamp = json.loads(stamp_file.read_text())
    with open(index_file, "rb") as f:
        import indexer.clip.vector_store as vector_store

        stamp["crc32"] = vector_store._crc32(f)
    stamp_file.write_text(json.dumps(stamp))
    assert VectorStore.load(t.library / "vectors", "toyclip", 64) is not None  # served by this damaged file
    served = _scores(t.library)
    assert max(s for _, s in served) <= 1.0 + 1e-5
    assert [i for i, _ in served] == [i for i, _ in truth]
    assert [s for _, s in served] == pytest.approx([s for _, s in truth], abs=1e-5)


# -- 4. a catalog is created only where none exists ---------------------------------------


def _foreign(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("CREATE TABLE meta (k TEXT, v TEXT)")  # a "meta" table of another shape
        conn.execute("INSERT INTO notes(body) VALUES ('keep me')")
    conn.close()


def _foreign_key_value_meta(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        conn.execute("INSERT INTO meta VALUES ('owner', 'another app')")
    conn.close()


def _no_tables(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 7")  # a valid SQLite file with a header and no tables
    conn.close()


NOT_A_CATALOG = {
    "zero bytes": (lambda p: p.write_bytes(b""), CatalogCorrupt, "empty"),
    "not SQLite": (lambda p: p.write_bytes(b"\x00photos?" * 3000), CatalogCorrupt, "not a database"),
    "foreign SQLite": (_foreign, LibraryError, "not a Photoseek catalog"),
    "foreign meta table": (_foreign_key_value_meta, LibraryError, "not a Photoseek catalog"),
    "no tables": (_no_tables, CatalogCorrupt, "no tables"),
}


@pytest.mark.parametrize("kind", list(NOT_A_CATALOG))
def test_a_file_that_is_not_a_catalog_is_reported_and_left_untouched(tmp_path, kind):
    make, error, words = NOT_A_CATALOG[kind]
    library = tmp_path / "library"
    library.mkdir()
    make(library / CATALOG_FILE)
    before = _snapshot(library)
    assert list(before) == [CATALOG_FILE]
    for open_library in (Library.open, LibraryReader.open):
        with pytest.raises(error, match=words):
            open_library(library)
        assert _snapshot(library) == before  # no lock, WAL, log, table or page written
    with pytest.raises(error, match=words):
        Catalog(library / CATALOG_FILE)
    assert _snapshot(library) == before


def test_the_command_line_reports_a_foreign_catalog_and_writes_nothing(tmp_path):
    library = tmp_path / "library"
    library.mkdir()
    _foreign(library / CATALOG_FILE)
    before = _snapshot(library)
    for args in (("status",), ("index", str(tmp_path))):
        result = run_photoseek(*args, library=library)
        assert result.returncode == 1, result.stderr
        assert "not a Photoseek catalog" in result.stderr and "Traceback" not in result.stderr
    assert _snapshot(library) == before
    with sqlite3.connect(library / CATALOG_FILE) as conn:
        assert conn.execute("SELECT body FROM notes").fetchall() == [("keep me",)]
    conn.close()


def test_a_new_catalog_is_created_complete_or_not_at_all(tmp_path, monkeypatch):
    library = tmp_path / "library"

    def crash(self):
        raise KeyboardInterrupt  # killed while the schema is being written

    with monkeypatch.context() as m:
        m.setattr(Catalog, "migrate", crash)
        with pytest.raises(KeyboardInterrupt):
            Library.open(library)
    assert not (library / CATALOG_FILE).exists()  # no half-made catalog for the next open to refuse
    with Library.open(library) as lib:  # the interrupted attempt's leftovers do not matter
        assert lib.status().photos == 0
    assert sorted(p.name for p in library.iterdir() if "catalog" in p.name) == [CATALOG_FILE]


def test_a_writer_connection_never_creates_a_catalog(tmp_path):
    connections = CatalogConnections(tmp_path / CATALOG_FILE, readonly=False)
    with pytest.raises(LibraryError, match="missing"):
        connections.get()
    assert list(tmp_path.iterdir()) == []


def test_a_library_path_with_uri_characters_is_read(template_library, tmp_path):
    """The catalog's URI is percent-encoded: ``?``, ``#`` and ``%`` in a folder name are just characters."""
    t = copy_template(template_library, tmp_path / "odd ?name#1 %41")
    with LibraryReader.open(t.library) as reader:
        assert reader.status().photos == t.count


# -- 10. thumbnails are a cache ------------------------------------------------------


def _write_photos(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        path = folder / f"p{i}.jpg"
        photo(i, (160, 120)).save(path, quality=85)
        out.append(path)
    return out


def _index_without_thumbnails(tmp_path: Path, toyclip_bundle: Path, caplog, block) -> None:
    photos = tmp_path / "photos"
    paths = _write_photos(photos, 5)
    library = tmp_path / "library"
    with Library.open(library, model=str(toyclip_bundle)) as lib:
        lib.use_model(str(toyclip_bundle))
        block(library / "thumbnails")
        with caplog.at_level(logging.DEBUG, logger="indexer.thumbnails"):
            list(lib.index([photos], workers=0))
            status = lib.status()
            assert (status.indexed, status.pending, status.failed) == (5, 0, 0)
            paths[0].unlink()
            shutil.copyfile(paths[1], photos / "copy.jpg")  # a copy gets its twin's thumbnail: copied
            list(lib.sync(workers=0))  # a removal deletes its thumbnail: cannot either
            assert lib.status().photos == 5
    warnings = [r for r in caplog.records if r.name == "indexer.thumbnails" and r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "thumbnails" in warnings[0].getMessage()


def test_a_thumbnail_cache_that_cannot_be_written_does_not_stop_indexing(tmp_path, toyclip_bundle, caplog):
    def file_in_the_way(thumbnails: Path) -> None:
        shutil.rmtree(thumbnails, ignore_errors=True)
        thumbnails.write_bytes(b"not a folder")

    _index_without_thumbnails(tmp_path, toyclip_bundle, caplog, file_in_the_way)


# -- 11. a read-only library (needs root, to mount) ---------------------------------------

needs_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("mount"),
                                reason="mounting a read-only folder needs root")


def _mount_read_only(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "--bind", str(source), str(target)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {done.stderr.strip()}")
    done = subprocess.run(["mount", "-o", "remount,ro,bind", str(target)], capture_output=True, text=True)
    if done.returncode != 0:
        _unmount(target)
        pytest.skip(f"cannot remount read-only here: {done.stderr.strip()}")


def _unmount(target: Path) -> None:
    if subprocess.run(["umount", str(target)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


@pytest.fixture()
def read_only_library(template_library, tmp_path):
    """A copy of the template library, seen through a read-only mount (the photos stay readable)."""
    t = copy_template(template_library, tmp_path / "t")
    mount = tmp_path / "backup-drive"
    _mount_read_only(t.library, mount)
    try:
        yield t, mount
    finally:
        _unmount(mount)


@needs_root
def test_a_library_on_a_read_only_disk_can_be_searched(read_only_library):
    t, library = read_only_library
    with pytest.raises(OSError):
        (library / "probe").write_bytes(b"")  # really read-only, even for root
    before = _snapshot(library)
    with LibraryReader.open(library) as reader:
        assert reader.read_only
        status = reader.status()
        assert (status.photos, status.indexed) == (t.count, t.count)
        hits = reader.search(Query(text=QUERY, limit=5))
        assert len(hits) == 5 and all(-1.0 <= h.score <= 1.0 for h in hits)
        assert len(reader.folders()) == 1 and reader.failures() == []
    assert _snapshot(library) == before
    with pytest.raises(LibraryReadOnly, match="read-only"):
        Library.open(library)


@needs_root
def test_the_command_line_says_read_only_not_damaged(read_only_library):
    t, library = read_only_library
    search = run_photoseek("search", QUERY, "--limit", "3", "--json", library=library)
    assert search.returncode == 0, search.stderr
    assert len(json.loads(search.stdout)) == 3
    status = run_photoseek("status", library=library)
    assert status.returncode == 0, status.stderr
    assert f"photos: {t.count}" in status.stdout and "read-only" in status.stdout
    index = run_photoseek("index", library=library)
    assert index.returncode == 1
    assert "read-only" in index.stderr and "damaged" not in index.stderr, index.stderr


@needs_root
def test_a_read_only_thumbnail_cache_does_not_stop_indexing(tmp_path, toyclip_bundle, caplog):
    mounts: list[Path] = []

    def read_only(thumbnails: Path) -> None:
        thumbnails.mkdir(parents=True, exist_ok=True)
        _mount_read_only(thumbnails, thumbnails)
        mounts.append(thumbnails)

    try:
        _index_without_thumbnails(tmp_path, toyclip_bundle, caplog, read_only)
    finally:
        for mount in mounts:
            _unmount(mount)


def test_a_thumbnail_that_cannot_be_written_is_skipped_but_a_full_disk_stops(tmp_path, monkeypatch, caplog):
    import errno

    from PIL import Image

    from indexer.thumbnails import ThumbnailStore

    store = ThumbnailStore(tmp_path / "thumbnails")
    image = photo(1, (64, 48))
    assert store.save(1, image) and store.path(1).is_file()
    failure = {"errno": errno.EACCES}

    def refuse(self, fp, *args, **kwargs):
        raise OSError(failure["errno"], os.strerror(failure["errno"]), str(fp))

    monkeypatch.setattr(Image.Image, "save", refuse)
    with caplog.at_level(logging.DEBUG, logger="indexer.thumbnails"):
        assert not store.save(2, image) and not store.save(3, image)
    assert [r.levelno for r in caplog.records if r.name == "indexer.thumbnails"] == [logging.WARNING, logging.DEBUG]
    failure["errno"] = errno.ENOSPC
    with pytest.raises(OSError) as info:
        store.save(4, image)  # the catalog cannot grow either: indexing stops, to resume later
    assert info.value.errno == errno.ENOSPC
    assert sorted(p.name for p in store.path(1).parent.parent.rglob("*") if p.is_file()) == ["1.jpg"]


@needs_root
@pytest.mark.parametrize("with_shm", [True, False])
def test_a_library_copied_while_in_use_is_read_from_a_read_only_disk(template_library, tmp_path, with_shm, caplog):
    t = copy_template(template_library, tmp_path / "t")
    more = tmp_path / "more"
    more.mkdir()
    snapshot = tmp_path / "snapshot"
    with Library.open(t.library) as lib:
        lib.add_folder(more)  # committed to the WAL, not yet to the catalog file
        shutil.copytree(t.library, snapshot)  # a backup taken while the writer runs: catalog, -wal, -shm
    assert (snapshot / (CATALOG_FILE + "-wal")).stat().st_size > 0
    if not with_shm:
        (snapshot / (CATALOG_FILE + "-shm")).unlink()  # a copy tool that skipped it
    mount = tmp_path / "backup-drive"
    _mount_read_only(snapshot, mount)
    try:
        with LibraryReader.open(mount) as reader:
            assert reader.read_only
            # with its -shm the WAL is read; without, SQLite cannot read the WAL there: the catalog as saved
            assert len(reader.folders()) == (2 if with_shm else 1)
            assert len(reader.search(Query(text=QUERY, limit=3))) == 3
    finally:
        _unmount(mount)
    if not with_shm:
        assert any("cannot be read" in r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
