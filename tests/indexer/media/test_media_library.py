"""RAW files, videos, Live Photos and pairs in a library, end to end with the toy CLIP.

One folder holds generated photos, a video of three of the generated world's
scenes, DNG files, a RAW+JPEG pair, a Live Photo (JPEG + MOV), an AVIF photo
and hostile files; it is indexed once for the module and searched by text,
through the library and through ``photoseek search --json``.
"""

from __future__ import annotations

import json
import shutil

import pytest

from indexer.config import Settings
from indexer.library import Library
from indexer.library_reader import LibraryReader
from indexer.search import Query
from tests.quality import world
from tests.support.cli import run_photoseek
from tests.support.media import many_streams_video, truncated_copy, world_video, write_dng, write_video

pytest.importorskip("av")
pytest.importorskip("rawpy")

SCENES = world.sample_scenes(1717, 3)
SIDE = 192


def _still(scene: world.Scene):
    return world.render_photo(scene, SIDE)


@pytest.fixture(scope="module")
def media_library(tmp_path_factory, toyclip_bundle):
    root = tmp_path_factory.mktemp("media")
    folder = root / "photos"
    folder.mkdir()
    others = world.sample_scenes(99, 6)
    for i, scene in enumerate(others[:4]):
        _still(scene).save(folder / f"photo{i}.jpg", quality=90)
    segments = world_video(folder / "trip.mp4", SCENES, seconds=4.0, fps=5, side=SIDE)
    write_dng(folder / "sensor.dng", _still(others[4]))  # no preview: demosaiced
    write_dng(folder / "camera.dng", _still(others[5]), preview=_still(others[5]))
    pair = others[0].with_(colour="blue" if others[0].colour != "blue" else "red")
    _still(pair).save(folder / "IMG_0001.JPG", quality=90)
    write_dng(folder / "IMG_0001.DNG", _still(pair))
    live = others[1].with_(setting=world.SETTINGS[(world.SETTINGS.index(others[1].setting) + 1) % len(world.SETTINGS)])
    _still(live).save(folder / "IMG_0002.jpg", quality=90)
    write_video(folder / "IMG_0002.MOV", [_still(live)] * 6, fps=3)
    _still(others[2]).save(folder / "modern.avif", quality=80)
    (folder / "empty.mp4").write_bytes(b"")
    _still(others[3]).save(folder / "still-image.mp4", "JPEG")
    truncated_copy(folder / "trip.mp4", folder / "cut.mov", keep=0.02)
    many_streams_video(folder / "streams.mkv")
    (folder / "junk.nef").write_bytes(b"not a raw file at all" * 100)
    library = root / "library"
    with Library.open(library, model=str(toyclip_bundle)) as lib:
        list(lib.index([folder]))
    reader = LibraryReader.open(library)
    yield {"root": root, "folder": folder, "library": library, "reader": reader, "segments": segments}
    reader.close()


def test_every_kind_is_indexed_and_hostile_files_fail_each_with_a_reason(media_library):
    reader, folder = media_library["reader"], media_library["folder"]
    status = reader.status()
    # 4 photos, trip.mp4, 2 DNGs, IMG_0001 (+ its DNG), IMG_0002 (+ its MOV), the AVIF, 5 hostile files
    assert status.photos == 15 and status.failed == 5 and status.indexed == 10
    assert status.videos == 1  # trip.mp4 (the hostile ones failed; the Live Photo's movie is part of its still)
    reasons = {f.path.name: f.reason for f in reader.failures()}
    assert set(reasons) == {"empty.mp4", "still-image.mp4", "cut.mov", "streams.mkv", "junk.nef"}
    assert reasons["empty.mp4"] == "empty file (0 bytes)"
    assert reasons["still-image.mp4"].startswith("not a video: its content is")
    assert "1000 streams" in reasons["streams.mkv"]
    assert reasons["junk.nef"] == "not a RAW file, or a RAW format that cannot be read"
    assert reasons["cut.mov"]
    assert (folder / "IMG_0001.DNG").exists() and (folder / "IMG_0002.MOV").exists()


@pytest.mark.parametrize("index", range(len(SCENES)))
def test_a_scene_of_the_video_finds_the_video_at_a_time_inside_it(media_library, index):
    reader, segments = media_library["reader"], media_library["segments"]
    hits = reader.search(Query(text=world.caption(SCENES[index]), limit=5))
    videos = [h for h in hits if h.kind == "video"]
    assert len(videos) == 1  # the video once, however many of its frames match
    hit = videos[0]
    assert hit.path.name == "trip.mp4" and hit.duration == pytest.approx(12.0, abs=0.3)
    segment = segments[index]
    assert segment.start <= hit.time < segment.end
    assert hit.thumbnail is not None and hit.thumbnail.name.startswith(f"{hit.photo_id}-")


def test_hits_carry_their_kind_and_pairs_come_once_with_their_companions(media_library):
    reader, folder = media_library["reader"], media_library["folder"]
    hits = reader.search(Query(text="a photo", limit=50))
    by_name = {h.path.name: h for h in hits}
    assert len(by_name) == len(hits)
    assert "IMG_0001.DNG" not in by_name and "IMG_0002.MOV" not in by_name
    assert by_name["IMG_0001.JPG"].companions == ((folder / "IMG_0001.DNG", "raw"),)
    assert by_name["IMG_0002.jpg"].companions == ((folder / "IMG_0002.MOV", "motion"),)
    assert {by_name[n].kind for n in ("sensor.dng", "camera.dng")} == {"raw"}
    assert by_name["modern.avif"].kind == "photo" and by_name["photo0.jpg"].kind == "photo"
    raw = by_name["camera.dng"]
    assert (raw.width, raw.height, raw.camera) == (SIDE, SIDE, "Acme R1")
    data = by_name["IMG_0002.jpg"].to_json()
    assert data["kind"] == "photo" and "time" not in data
    assert data["companions"] == [{"path": str(folder / "IMG_0002.MOV"), "kind": "motion"}]


def test_search_and_status_json_carry_kind_time_duration_and_videos(media_library):
    library, segments = media_library["library"], media_library["segments"]
    done = run_photoseek("search", world.caption(SCENES[1]), "--limit", "3", "--json", library=library)
    assert done.returncode == 0, done.stderr
    hits = json.loads(done.stdout)
    video = next(h for h in hits if h["kind"] == "video")
    assert segments[1].start <= video["time"] < segments[1].end and video["duration"] == pytest.approx(12, abs=0.3)
    assert all(h["kind"] in ("photo", "raw", "video") for h in hits)
    status = json.loads(run_photoseek("status", "--json", library=library).stdout)
    assert status["videos"] == 1


def test_a_setting_keeps_raw_and_jpeg_separate(media_library, tmp_path, toyclip_bundle):
    folder = tmp_path / "pair"
    shutil.copytree(media_library["folder"], folder,
                    ignore=lambda _d, names: [n for n in names if not n.startswith("IMG_0001")])
    library = tmp_path / "library"
    library.mkdir()
    Settings(pair_raw_with_still=False).save(library)
    with Library.open(library, model=str(toyclip_bundle)) as lib:
        list(lib.index([folder]))
        hits = lib.reader().search(Query(text="a photo", limit=10))
    assert sorted(h.path.name for h in hits) == ["IMG_0001.DNG", "IMG_0001.JPG"]
    assert all(h.companions == () for h in hits)


def test_pairs_follow_changes_in_the_folder(tmp_path, toyclip_bundle):
    folder = tmp_path / "photos"
    folder.mkdir()
    scene = world.sample_scenes(31, 1)[0]
    write_dng(folder / "DSC_0001.NEF", _still(scene))  # a RAW alone is a photo of its own
    with Library.open(tmp_path / "library", model=str(toyclip_bundle)) as lib:
        list(lib.index([folder]))
        assert [h.path.name for h in lib.reader().search(Query(text="a photo", limit=5))] == ["DSC_0001.NEF"]
        _still(scene).save(folder / "DSC_0001.JPG", quality=90)  # its JPEG arrives: one photo from now on
        list(lib.sync())
        hits = lib.reader().search(Query(text="a photo", limit=5))
        assert [(h.path.name, h.companions) for h in hits] == [("DSC_0001.JPG", ((folder / "DSC_0001.NEF", "raw"),))]
        write_video(folder / "DSC_0001.MOV", [_still(scene)] * 3, fps=3)  # a change seen by the watcher
        lib.scan_paths([folder / "DSC_0001.MOV"])
        assert lib.status().photos == 1
        names = {p.name for p, _ in lib.reader().search(Query(text="a photo", limit=5))[0].companions}
        assert names == {"DSC_0001.NEF", "DSC_0001.MOV"}


def test_a_changed_video_loses_its_frames_until_it_is_indexed_again(media_library, tmp_path, toyclip_bundle):
    folder = tmp_path / "videos"
    folder.mkdir()
    shutil.copy(media_library["folder"] / "trip.mp4", folder / "trip.mp4")
    with Library.open(tmp_path / "library", model=str(toyclip_bundle)) as lib:
        list(lib.index([folder]))
        reader = lib.reader()  # one reader throughout: it must follow the frames as they change
        late = reader.search(Query(text=world.caption(SCENES[2]), limit=1))[0]
        assert late.time is not None and late.time >= media_library["segments"][2].start
        frames = lib.catalog.conn.execute("SELECT COUNT(*) FROM video_frames").fetchone()[0]
        assert frames >= len(SCENES)
        world_video(folder / "trip.mp4", SCENES[:1], seconds=2.0)  # rewritten: one scene
        lib.scan()
        assert lib.catalog.conn.execute("SELECT COUNT(*) FROM video_frames").fetchone()[0] == 0
        assert lib.status().videos == 0 and lib.status().pending == 1
        list(lib.sync())
        assert lib.catalog.conn.execute("SELECT COUNT(*) FROM video_frames").fetchone()[0] == 1
        assert lib.status().videos == 1
        now = reader.search(Query(text=world.caption(SCENES[2]), limit=1))[0]
        assert now.path.name == "trip.mp4" and now.time < 2.0 and now.duration == pytest.approx(2.0, abs=0.3)


def test_a_catalog_from_before_videos_is_searched_once_a_writer_brought_it_up_to_date(tmp_path, template_library):
    from indexer.errors import CatalogOutdated
    from indexer.library import Library
    from tests.support.old_catalogs import as_schema_2
    from tests.support.template import copy_template

    t = copy_template(template_library, tmp_path / "t")
    as_schema_2(t.library)  # as a writer of a version before videos left it
    with pytest.raises(CatalogOutdated):  # a reader never migrates, and never guesses at missing tables
        LibraryReader.open(t.library)
    Library.open(t.library).close()
    with LibraryReader.open(t.library) as reader:
        hits = reader.search(Query(text="a photo", limit=3))
        assert len(hits) == 3 and all(h.kind == "photo" for h in hits)
        assert reader.status().videos == 0
