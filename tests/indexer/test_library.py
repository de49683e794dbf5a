"""The library end to end on generated photos with the committed toy CLIP.

The writer (``Library``) and the readers (``Library.reader()`` in the same
process, ``LibraryReader.open`` as another process would) work on private
copies of the session's template library (tests/support/template.py).
"""

from __future__ import annotations

import shutil
import threading
import time

import pytest

from indexer.cancel import CancelToken
from indexer.clip.vector_store import VectorStore
from indexer.errors import LibraryLocked, UnreadableImage, UsageError
from indexer.library import Library
from indexer.library_reader import LibraryReader
from indexer.progress import Phase
from indexer.search import Query
from indexer.watcher import watch
from tests.support.bundles import TOYCLIP_DIM, TOYCLIP_NAME
from tests.support.consistency import library_files
from tests.support.photos import resized_copy, taken_date, write_photo
from tests.support.shapes import shape_of, sketch
from tests.support.template import TOTAL, copy_template


def _drain(gen) -> list:
    return list(gen)


# -- searching (a reader on a copy of the template, shared by the module) ----------------------


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, template_library):
    """A reader on a copy of the template: 40 generated photos plus 2 resized copies of photo 7."""
    t = copy_template(template_library, tmp_path_factory.mktemp("indexed") / "t")
    reader = LibraryReader.open(t.library)
    yield reader, t.photos, t.paths, t
    reader.close()


def test_index_reports_progress_and_counts(template_library, indexed):
    progress = template_library.progress
    assert progress[0].phase is Phase.SCANNING and progress[-1].phase is Phase.DONE
    indexing = [p for p in progress if p.phase is Phase.INDEXING and p.total]
    assert indexing[-1].done == indexing[-1].total == TOTAL
    assert all(a.done <= b.done for a, b in zip(indexing, indexing[1:]))
    assert indexing[-1].rate > 0
    assert (progress[-1].done, progress[-1].total, progress[-1].failed) == (TOTAL, TOTAL, 0)
    assert template_library.decoded == TOTAL
    reader, *_ = indexed
    status = reader.status()
    assert (status.photos, status.indexed, status.pending, status.failed, status.folders) == (TOTAL, TOTAL, 0, 0, 1)
    assert status.model == TOYCLIP_NAME and status.offline_folders == ()
    assert status.to_json() == {"photos": TOTAL, "indexed": TOTAL, "pending": 0, "failed": 0, "folders": 1,
                                "model": TOYCLIP_NAME, "offline_folders": [], "library": str(reader.path),
                                "videos": 0,

                                "ocr_done": 0, "ocr_pending": TOTAL,  # the template reads no text
                                "faces": 0, "people": 0}


def test_image_query_finds_itself_then_its_copies(indexed):
    reader, photos, paths, t = indexed
    hits = reader.search(Query(image=paths[7], limit=5, exclude_self=False))
    assert hits[0].path == paths[7]
    assert hits[0].score == pytest.approx(1.0, abs=1e-4)
    assert {h.path for h in hits[1:3]} == set(t.copies)
    excluded = reader.search(Query(image=paths[7], limit=5))
    assert paths[7] not in [h.path for h in excluded]
    assert {h.path for h in excluded[:2]} == set(t.copies)
    assert [h.rank for h in excluded] == list(range(1, len(excluded) + 1))


def test_hits_carry_their_thumbnails(indexed):
    reader, *_ = indexed
    hits = reader.search(Query(text="a photo", limit=TOTAL))
    assert len(hits) == TOTAL
    assert all(h.thumbnail == reader.thumbnail_path(h.photo_id) and h.thumbnail.is_file() for h in hits)


def test_query_image_outside_the_library(indexed, tmp_path):
    reader, photos, paths, _ = indexed
    outside = resized_copy(paths[11], tmp_path / "query.jpg", 0.6, 75)
    hits = reader.search(Query(image=outside, limit=3))
    assert hits[0].path == paths[11]
    with pytest.raises(UnreadableImage):
        reader.search(Query(image=tmp_path / "missing.jpg"))
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    with pytest.raises(UnreadableImage):
        reader.search(Query(image=bad))


def test_text_query_returns_limit_sorted_hits(indexed):
    reader, *_ = indexed
    hits = reader.search(Query(text="a dog on a beach at sunset", limit=25))
    assert len(hits) == 25
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert len({h.photo_id for h in hits}) == 25
    with pytest.raises(UsageError):
        reader.search(Query(text="   "))


def test_filters_never_return_fewer_results_than_exist(indexed):
    reader, photos, paths, _ = indexed
    album1 = reader.search(Query(text="sunset", folder=photos / "album1", limit=500))
    expected = {p for p in paths if p.parent.name == "album1"}
    assert {h.path for h in album1} == expected
    # EXIF dates: photo seed i was taken BASE_DATE + i days; PNGs have no EXIF (file time is today),
    # and the resized copies have none either.
    after, before = taken_date(20).date(), taken_date(35).date()
    hits = reader.search(Query(text="sunset", after=after, before=before, limit=500))
    expected_dated = {p for i, p in enumerate(paths) if p.suffix == ".jpg" and 20 <= i < 35}
    assert {h.path for h in hits} == expected_dated


@pytest.mark.parametrize("typed", ['a red square -"a blue circle"', 'a red square not "a blue circle"'])
def test_negative_terms_move_the_excluded_concept_down(indexed, typed):
    """What the user types: the photos most like the words to avoid rank lower than without them."""
    from indexer.query.kinds import TextQuery
    from indexer.query.understanding import typed_query

    reader, *_ = indexed
    avoided = [h.photo_id for h in reader.search(Query(text="a blue circle", limit=5))]
    query, _ = reader.understand(typed_query(TextQuery, typed, limit=TOTAL))
    assert (query.text, query.negatives) == ("a red square", ["a blue circle"])
    plain = [h.photo_id for h in reader.search(Query(text="a red square", limit=TOTAL))]
    negative = [h.photo_id for h in reader.search(query)]
    assert sorted(plain) == sorted(negative)
    # the photos most like the excluded words each rank lower than without them
    assert [(plain.index(p), negative.index(p)) for p in avoided if negative.index(p) <= plain.index(p)] == []


def test_composed_query_moves_with_the_weight(indexed):
    reader, photos, paths, _ = indexed
    near_photo = reader.search(Query(image=paths[3], text="at night", weight=0.0, limit=10))
    near_words = reader.search(Query(image=paths[3], text="at night", weight=1.0, limit=10))
    only_words = reader.search(Query(text="at night", limit=10))
    only_photo = reader.search(Query(image=paths[3], limit=10))
    assert [h.photo_id for h in near_photo] == [h.photo_id for h in only_photo]
    assert [h.photo_id for h in near_words][:5] == [h.photo_id for h in only_words if h.path != paths[3]][:5]
    harris = reader.search(Query(image=paths[3], text="at night", recipe="harris", limit=10))
    assert len(harris) == 10 and paths[3] not in [h.path for h in harris]


@pytest.mark.parametrize("shape", ["triangle", "star"])
def test_a_sketch_finds_photos_of_the_shape_drawn(shapes_library, shape):
    reader = LibraryReader.open(shapes_library.library)
    try:
        for drawing in (sketch(shape), sketch(shape, transparent=True)):   # on white, and as the canvas exports
            hits = reader.search(Query(sketch=drawing, limit=5))
            assert shape_of(hits[0].path) == shape, [h.path.name for h in hits]
            assert len(hits) == 5 and [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        with_words = reader.search(Query(sketch=sketch(shape), text="red", limit=5))
        assert len(with_words) == 5 and shape in {shape_of(h.path) for h in with_words[:3]}
    finally:
        reader.close()


def test_large_limits_return_every_photo(indexed):
    reader, photos, paths, _ = indexed
    everything = reader.search(Query(image=paths[7], limit=1000))
    assert len(everything) == TOTAL - 1  # every photo but the query photo itself
    assert len(reader.search(Query(text="anything", limit=1000))) == TOTAL


# -- the writer (a private copy of the template per test) -------------------------------------


@pytest.fixture()
def small_lib(tmp_path, template_library):
    """The writer on a private copy of the template (photos and library)."""
    t = copy_template(template_library, tmp_path / "t")
    lib = Library.open(t.library)
    yield lib, t.photos, t.paths
    lib.close()


def _search(lib: Library, query: Query):
    return lib.reader().search(query)


def test_unchanged_rescan_decodes_nothing(small_lib, template_library):
    lib, photos, paths = small_lib
    assert template_library.decoded == TOTAL
    progress = _drain(lib.index())
    assert lib.last_decoded == 0
    assert progress[-1].phase is Phase.DONE and progress[-1].total == 0
    assert lib.status().indexed == TOTAL


def test_move_keeps_vector_without_decoding(small_lib):
    lib, photos, paths = small_lib
    before = _search(lib, Query(image=paths[2], limit=1, exclude_self=False))[0]
    target = photos / "moved" / "renamed.jpg"
    target.parent.mkdir()
    paths[2].rename(target)
    _drain(lib.index())
    assert lib.last_decoded == 0
    after = _search(lib, Query(image=target, limit=1, exclude_self=False))[0]
    assert after.path == target and after.photo_id == before.photo_id
    assert after.score == pytest.approx(1.0, abs=1e-4)


def test_copy_reuses_vector_and_delete_removes(small_lib):
    lib, photos, paths = small_lib
    copy = photos / "copy_of_3.jpg"
    shutil.copy2(paths[3], copy)
    paths[8].unlink()  # a deletion in the same scan as the copy
    _drain(lib.index())
    assert lib.last_decoded == 0
    assert lib.status().indexed == TOTAL
    found = [h.path for h in _search(lib, Query(text="anything", limit=100))]
    assert copy in found and paths[8] not in found
    paths[3].unlink()
    _drain(lib.index())
    hits = _search(lib, Query(text="anything", limit=100))
    assert paths[3] not in [h.path for h in hits] and copy in [h.path for h in hits]
    assert lib.status().photos == TOTAL - 1


def test_changed_file_is_reembedded(small_lib):
    lib, photos, paths = small_lib
    write_photo(paths[4], 999)
    _drain(lib.index())
    assert lib.last_decoded == 1
    hit = _search(lib, Query(image=paths[4], limit=1, exclude_self=False))[0]
    assert hit.path == paths[4] and hit.score == pytest.approx(1.0, abs=1e-4)


def test_sync_of_some_paths_looks_at_nothing_else(small_lib):
    lib, photos, paths = small_lib
    seen = write_photo(photos / "album0" / "seen.jpg", 501)
    unseen = write_photo(photos / "album1" / "unseen.jpg", 502)
    paths[5].unlink()
    progress = _drain(lib.sync([seen, paths[5]]))
    assert progress[-1].phase is Phase.DONE and progress[-1].done == 1
    assert lib.last_decoded == 1
    names = {h.path.name for h in _search(lib, Query(text="x", limit=100))}
    assert "seen.jpg" in names and paths[5].name not in names and unseen.name not in names
    assert lib.status().photos == TOTAL  # + seen - paths[5]; unseen.jpg waits for a full sync
    _drain(lib.sync())
    assert lib.status().photos == TOTAL + 1 and lib.last_decoded == 1


@pytest.mark.parametrize("damage", ["delete", "truncate", "garbage"])
def test_damaged_vector_file_is_rebuilt(small_lib, damage):
    lib, photos, paths = small_lib
    libdir = lib.path
    expected = [h.photo_id for h in _search(lib, Query(text="a photo", limit=TOTAL))]
    lib.close()
    hnsw, stamp = VectorStore.paths(libdir / "vectors", TOYCLIP_NAME)
    if damage == "delete":
        hnsw.unlink()
    elif damage == "truncate":
        hnsw.write_bytes(hnsw.read_bytes()[: hnsw.stat().st_size // 3])
    else:
        hnsw.write_bytes(b"\0" * hnsw.stat().st_size)
    damaged = library_files(libdir)
    with LibraryReader.open(libdir) as reader:  # rebuilds its own copy in memory, writes nothing
        assert [h.photo_id for h in reader.search(Query(text="a photo", limit=TOTAL))] == expected
    assert library_files(libdir) == damaged
    with Library.open(libdir) as reopened:  # the writer rebuilds and saves it
        got = [h.photo_id for h in _search(reopened, Query(text="a photo", limit=TOTAL))]
    assert got == expected
    loaded = VectorStore.load(libdir / "vectors", TOYCLIP_NAME, TOYCLIP_DIM)
    assert loaded is not None and len(loaded) == TOTAL


def test_stale_vector_file_is_caught_up(small_lib, tmp_path):
    lib, photos, paths = small_lib
    libdir = lib.path
    lib.close()
    hnsw, stamp = VectorStore.paths(libdir / "vectors", TOYCLIP_NAME)
    old = (hnsw.read_bytes(), stamp.read_bytes())
    with Library.open(libdir) as lib2:
        paths[0].unlink()
        write_photo(photos / "new.jpg", 500)
        _drain(lib2.index())
    hnsw.write_bytes(old[0])
    stamp.write_bytes(old[1])  # as if the process died before saving the index
    for opened in (LibraryReader.open(libdir), Library.open(libdir)):
        with opened as lib3:
            reader = lib3 if isinstance(lib3, LibraryReader) else lib3.reader()
            hits = reader.search(Query(text="x", limit=100))
            names = {h.path.name for h in hits}
            assert paths[0].name not in names and "new.jpg" in names and len(hits) == TOTAL


def test_second_writer_is_refused_and_reader_allowed(small_lib):
    lib, photos, paths = small_lib
    with pytest.raises(LibraryLocked, match="in use by pid"):
        Library.open(lib.path)
    with LibraryReader.open(lib.path) as reader:
        assert reader.status().indexed == TOTAL
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
    assert status.photos == TOTAL and status.offline_folders == (str(photos),)
    assert _search(lib, Query(text="x", limit=100)) == []
    unplugged.rename(photos)
    _drain(lib.index())
    assert lib.last_decoded == 0 and lib.status().offline_folders == ()
    assert len(_search(lib, Query(text="x", limit=100))) == TOTAL


def test_remove_folder_forgets_its_photos(small_lib):
    lib, photos, paths = small_lib
    assert lib.remove_folder(photos) == TOTAL
    assert lib.status().photos == 0
    assert _search(lib, Query(text="x", limit=5)) == []
    assert not list((lib.path / "thumbnails").rglob("*.jpg"))
    assert all(p.is_file() for p in paths)  # the files are untouched


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
        assert wait_for(lambda: any(e.phase is Phase.WATCHING for e in events))
        with LibraryReader.open(lib.path) as reader:  # follows the writer from the catalog, as another process
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
        cancel.cancel()
        thread.join(15)
    assert not thread.is_alive()
    status = lib.status()
    assert (status.photos, status.pending) == (TOTAL, 0)  # + fresh_renamed - paths[5]
