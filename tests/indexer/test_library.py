"""The library end to end on generated photos with a test-exported model."""

from __future__ import annotations

import shutil
import threading
import time

import pytest

from indexer.cancel import CancelToken
from indexer.errors import LibraryLocked, UnreadableImage, UsageError
from indexer.library import Library
from indexer.search import Query
from indexer.vectors import VectorIndex
from indexer.watcher import watch
from tests.support.bundles import TINY_NAME
from tests.support.photos import resized_copy, taken_date, write_library, write_photo


def _drain(gen) -> list:
    return list(gen)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, tiny_bundle):
    """A library of 200 generated photos (2 of them 12 MP) plus resized copies of photo 7."""
    root = tmp_path_factory.mktemp("indexed")
    photos = root / "photos"
    paths = write_library(photos, 200, big=2)
    original = paths[7]
    resized_copy(original, photos / "copies" / "seven_small.jpg", 0.5, 70)
    resized_copy(original, photos / "copies" / "seven_smaller.jpg", 0.35, 60)
    lib = Library.open(root / "lib", model=str(tiny_bundle))
    progress = _drain(lib.index([photos]))
    yield lib, photos, paths, progress
    lib.close()


def test_index_reports_progress_and_counts(indexed):
    lib, photos, paths, progress = indexed
    phases = [p.phase for p in progress]
    assert phases[0] == "scanning" and phases[-1] == "done"
    indexing = [p for p in progress if p.phase == "indexing" and p.total]
    assert indexing[-1].done == indexing[-1].total == 202
    assert all(a.done <= b.done for a, b in zip(indexing, indexing[1:]))
    assert indexing[-1].rate > 0
    status = lib.status()
    assert {k: status[k] for k in ("photos", "indexed", "pending", "failed", "folders")} == {
        "photos": 202, "indexed": 202, "pending": 0, "failed": 0, "folders": 1,
    }
    assert status["model"] == TINY_NAME


def test_image_query_finds_itself_then_its_copies(indexed):
    lib, photos, paths, _ = indexed
    hits = lib.search(Query(image=paths[7], limit=5, exclude_self=False))
    assert hits[0].path == paths[7]
    assert hits[0].score == pytest.approx(1.0, abs=1e-4)
    assert {h.path.name for h in hits[1:3]} == {"seven_small.jpg", "seven_smaller.jpg"}
    excluded = lib.search(Query(image=paths[7], limit=5))
    assert paths[7] not in [h.path for h in excluded]
    assert {h.path.name for h in excluded[:2]} == {"seven_small.jpg", "seven_smaller.jpg"}
    assert [h.rank for h in excluded] == list(range(1, len(excluded) + 1))


def test_query_image_outside_the_library(indexed, tmp_path):
    lib, photos, paths, _ = indexed
    outside = resized_copy(paths[11], tmp_path / "query.jpg", 0.6, 75)
    hits = lib.search(Query(image=outside, limit=3))
    assert hits[0].path == paths[11]
    with pytest.raises(UnreadableImage):
        lib.search(Query(image=tmp_path / "missing.jpg"))
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    with pytest.raises(UnreadableImage):
        lib.search(Query(image=bad))


def test_text_query_returns_limit_sorted_hits(indexed):
    lib, *_ = indexed
    hits = lib.search(Query(text="a dog on a beach at sunset", limit=25))
    assert len(hits) == 25
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert len({h.photo_id for h in hits}) == 25
    with pytest.raises(UsageError):
        lib.search(Query(text="   "))


def test_filters_never_return_fewer_results_than_exist(indexed):
    lib, photos, paths, _ = indexed
    album1 = lib.search(Query(text="sunset", folder=photos / "album1", limit=500))
    expected = {p for p in paths if p.parent.name == "album1"}
    assert {h.path for h in album1} == expected
    # EXIF dates: photo seed i was taken BASE_DATE + i days; PNGs have no EXIF (file time is today).
    after, before = taken_date(20).date(), taken_date(40).date()
    hits = lib.search(Query(text="sunset", after=after, before=before, limit=500))
    expected_dated = {p for i, p in enumerate(paths) if p.suffix == ".jpg" and 20 <= i < 40}
    assert {h.path for h in hits} == expected_dated


def test_negative_terms_change_the_ranking(indexed):
    lib, *_ = indexed
    plain = lib.search(Query(text="a red square", limit=20))
    negative = lib.search(Query(text="a red square", negatives=["a blue circle"], limit=20))
    assert [h.photo_id for h in plain] != [h.photo_id for h in negative]


def test_composed_query_moves_with_the_weight(indexed):
    lib, photos, paths, _ = indexed
    near_photo = lib.search(Query(image=paths[3], text="at night", weight=0.0, limit=10))
    near_words = lib.search(Query(image=paths[3], text="at night", weight=1.0, limit=10))
    only_words = lib.search(Query(text="at night", limit=10))
    only_photo = lib.search(Query(image=paths[3], limit=10))
    assert [h.photo_id for h in near_photo] == [h.photo_id for h in only_photo]
    assert [h.photo_id for h in near_words][:5] == [h.photo_id for h in only_words if h.path != paths[3]][:5]
    harris = lib.search(Query(image=paths[3], text="at night", recipe="harris", limit=10))
    assert len(harris) == 10 and paths[3] not in [h.path for h in harris]


def test_sketch_query_runs(indexed, tmp_path):
    from PIL import Image, ImageDraw

    lib, *_ = indexed
    sketch = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    ImageDraw.Draw(sketch).ellipse([50, 30, 250, 170], outline=(0, 0, 0, 255), width=6)
    hits = lib.search(Query(sketch=sketch, limit=5))
    assert len(hits) == 5
    with_words = lib.search(Query(sketch=sketch, text="red", limit=5))
    assert len(with_words) == 5


@pytest.fixture()
def small_lib(tmp_path, tiny_bundle):
    photos = tmp_path / "photos"
    paths = write_library(photos, 12)
    lib = Library.open(tmp_path / "lib", model=str(tiny_bundle))
    _drain(lib.index([photos]))
    yield lib, photos, paths
    lib.close()


def test_unchanged_rescan_decodes_nothing(small_lib):
    lib, photos, paths = small_lib
    assert lib.last_decoded == 12
    _drain(lib.index())
    assert lib.last_decoded == 0
    assert lib.status()["indexed"] == 12


def test_move_keeps_vector_without_decoding(small_lib):
    lib, photos, paths = small_lib
    before = lib.search(Query(image=paths[2], limit=1, exclude_self=False))[0]
    target = photos / "moved" / "renamed.jpg"
    target.parent.mkdir()
    paths[2].rename(target)
    _drain(lib.index())
    assert lib.last_decoded == 0
    after = lib.search(Query(image=target, limit=1, exclude_self=False))[0]
    assert after.path == target and after.photo_id == before.photo_id
    assert after.score == pytest.approx(1.0, abs=1e-4)


def test_copy_reuses_vector_and_delete_removes(small_lib):
    lib, photos, paths = small_lib
    copy = photos / "copy_of_3.jpg"
    shutil.copy2(paths[3], copy)
    paths[8].unlink()  # a deletion in the same scan as the copy
    _drain(lib.index())
    assert lib.last_decoded == 0
    assert lib.status()["indexed"] == 12
    found = [h.path for h in lib.search(Query(text="anything", limit=50))]
    assert copy in found and paths[8] not in found
    paths[3].unlink()
    _drain(lib.index())
    hits = lib.search(Query(text="anything", limit=50))
    assert paths[3] not in [h.path for h in hits] and copy in [h.path for h in hits]
    assert lib.status()["photos"] == 11


def test_changed_file_is_reembedded(small_lib):
    lib, photos, paths = small_lib
    write_photo(paths[4], 999)
    _drain(lib.index())
    assert lib.last_decoded == 1
    hit = lib.search(Query(image=paths[4], limit=1, exclude_self=False))[0]
    assert hit.path == paths[4] and hit.score == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize("damage", ["delete", "truncate", "garbage"])
def test_damaged_vector_file_is_rebuilt(small_lib, damage):
    lib, photos, paths = small_lib
    libdir = lib.path
    expected = [h.photo_id for h in lib.search(Query(text="a photo", limit=12))]
    lib.close()
    hnsw, stamp = VectorIndex.paths(libdir / "vectors", TINY_NAME)
    if damage == "delete":
        hnsw.unlink()
    elif damage == "truncate":
        hnsw.write_bytes(hnsw.read_bytes()[: hnsw.stat().st_size // 3])
    else:
        hnsw.write_bytes(b"\0" * hnsw.stat().st_size)
    with Library.open(libdir) as reopened:
        got = [h.photo_id for h in reopened.search(Query(text="a photo", limit=12))]
    assert got == expected


def test_stale_vector_file_is_caught_up(small_lib, tmp_path):
    lib, photos, paths = small_lib
    libdir = lib.path
    lib.close()
    hnsw, stamp = VectorIndex.paths(libdir / "vectors", TINY_NAME)
    old = (hnsw.read_bytes(), stamp.read_bytes())
    with Library.open(libdir) as lib2:
        paths[0].unlink()
        write_photo(photos / "new.jpg", 500)
        _drain(lib2.index())
    hnsw.write_bytes(old[0])
    stamp.write_bytes(old[1])  # as if the process died before saving the index
    with Library.open(libdir) as lib3:
        hits = lib3.search(Query(text="x", limit=50))
        names = {h.path.name for h in hits}
    assert paths[0].name not in names and "new.jpg" in names and len(hits) == 12


def test_second_writer_is_refused_and_reader_allowed(small_lib):
    lib, photos, paths = small_lib
    with pytest.raises(LibraryLocked, match="in use by pid"):
        Library.open(lib.path)
    with Library.open(lib.path, readonly=True) as reader:
        assert reader.status()["indexed"] == 12
        assert len(reader.search(Query(text="x", limit=3))) == 3


def test_stale_lock_is_taken_over(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "lock").write_text("999999\n")
    with Library.open(tmp_path / "lib") as lib:
        assert (lib.path / "lock").read_text().strip() != "999999"


def test_offline_folder_keeps_photos_and_returns(small_lib, tmp_path):
    lib, photos, paths = small_lib
    unplugged = tmp_path / "unplugged"
    photos.rename(unplugged)
    _drain(lib.index())
    status = lib.status()
    assert status["photos"] == 12 and status["offline_folders"] == [str(photos)]
    assert lib.search(Query(text="x", limit=50)) == []
    unplugged.rename(photos)
    _drain(lib.index())
    assert lib.last_decoded == 0
    assert len(lib.search(Query(text="x", limit=50))) == 12


def test_remove_folder_forgets_its_photos(small_lib):
    lib, photos, paths = small_lib
    assert lib.remove_folder(photos) == 12
    assert lib.status()["photos"] == 0
    assert lib.search(Query(text="x", limit=5)) == []


def test_watch_follows_new_renamed_and_deleted_files(small_lib):
    lib, photos, paths = small_lib
    lib.settings.debounce_seconds = 0.3
    cancel = CancelToken()
    events: list = []
    thread = threading.Thread(target=lambda: events.extend(watch(lib, cancel, poll_interval=0.1)), daemon=True)
    thread.start()

    def wait_for(predicate, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.1)
        return False

    try:
        assert wait_for(lambda: any(e.phase == "watching" for e in events))
        reader = Library.open(lib.path, readonly=True)
        try:
            def names():
                return {h.path.name for h in reader.search(Query(text="x", limit=100))}

            write_photo(photos / "fresh.jpg", 4242)
            assert wait_for(lambda: "fresh.jpg" in names())
            (photos / "fresh.jpg").rename(photos / "fresh_renamed.jpg")
            assert wait_for(lambda: "fresh_renamed.jpg" in names() and "fresh.jpg" not in names())
            paths[5].unlink()
            assert wait_for(lambda: paths[5].name not in names())
            # editor-style save: write a temp file, rename over the original
            query = write_photo(lib.path.parent / "edited.jpg", 777)
            tmp = photos / ".tmp-save.jpg"
            shutil.copy(query, tmp)
            tmp.replace(paths[6])

            def edited_found():
                top = reader.search(Query(image=query, limit=1))
                return bool(top) and top[0].path == paths[6] and top[0].score > 0.999

            assert wait_for(edited_found)
        finally:
            reader.close()
    finally:
        cancel.cancel()
        thread.join(15)
    assert not thread.is_alive()
    assert lib.status()["photos"] == 12  # 12 + fresh_renamed - paths[5]
    assert lib.status()["pending"] == 0


def test_large_limits_return_every_photo(indexed):
    lib, photos, paths, _ = indexed
    everything = lib.search(Query(image=paths[7], limit=1000))
    assert len(everything) == 201  # all 202 photos but the query photo itself
    assert len(lib.search(Query(text="anything", limit=1000))) == 202
