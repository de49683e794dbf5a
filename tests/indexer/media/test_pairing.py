"""Which files are one photo: a RAW beside its still, a Live Photo's movie beside its still."""

from __future__ import annotations

from indexer.catalog import FolderRow
from indexer.folder_walk import Excluder, stat_entry, walk
from indexer.media.pairing import Pairing, companion_files, companions_in, is_companion


def _touch(folder, *names):
    for name in names:
        (folder / name).write_bytes(b"x")


def test_companions_are_found_by_stem_whatever_the_case():
    names = ["IMG_1.JPG", "img_1.cr2", "IMG_2.HEIC", "IMG_2.MOV", "IMG_3.NEF", "IMG_4.mov", "IMG_5.png", "IMG_5.dng"]
    assert companions_in(names, Pairing()) == {"img_1.cr2", "IMG_2.MOV"}
    assert companions_in(names, Pairing(raw_with_still=False)) == {"IMG_2.MOV"}
    assert companions_in(names, Pairing(live_photos=False)) == {"img_1.cr2"}


def test_the_walk_and_a_single_changed_file_skip_companions(tmp_path):
    _touch(tmp_path, "a.jpg", "a.arw", "b.heic", "b.mov", "c.arw", "d.mov")
    walked = sorted(e.path.name for e in walk(FolderRow(1, tmp_path, True), Excluder()))
    assert walked == ["a.jpg", "b.heic", "c.arw", "d.mov"]
    assert stat_entry(tmp_path / "a.arw", 1, Pairing()) is None
    assert stat_entry(tmp_path / "c.arw", 1, Pairing()) is not None
    separate = Excluder(pairing=Pairing(raw_with_still=False, live_photos=False))
    assert len(list(walk(FolderRow(1, tmp_path, True), separate))) == 6
    assert is_companion(tmp_path / "b.mov", Pairing()) and not is_companion(tmp_path / "d.mov", Pairing())


def test_a_still_lists_its_companions_and_follows_the_folder(tmp_path):
    _touch(tmp_path, "IMG_7.jpg", "IMG_7.CR3")
    assert companion_files(tmp_path / "IMG_7.jpg") == ((tmp_path / "IMG_7.CR3", "raw"),)
    _touch(tmp_path, "IMG_7.mov")  # the folder changed: listed again
    assert set(companion_files(tmp_path / "IMG_7.jpg")) == {(tmp_path / "IMG_7.CR3", "raw"),
                                                            (tmp_path / "IMG_7.mov", "motion")}
    assert companion_files(tmp_path / "IMG_7.CR3") == ()  # only a still has companions


def test_each_still_gets_its_companions_and_a_change_reaches_the_files_paired_with_it(tmp_path):
    from indexer.media.pairing import companions_by_still, paired_with

    names = ["IMG_1.JPG", "img_1.cr2", "IMG_1.mov", "IMG_2.HEIC", "IMG_3.NEF"]
    assert companions_by_still(names, Pairing()) == {"IMG_1.JPG": (("IMG_1.mov", "motion"), ("img_1.cr2", "raw"))}
    assert companions_by_still(names, Pairing(live_photos=False)) == {"IMG_1.JPG": (("img_1.cr2", "raw"),)}
    _touch(tmp_path, *names)
    assert paired_with(tmp_path / "img_1.cr2", Pairing()) == (tmp_path / "IMG_1.JPG",)
    assert set(paired_with(tmp_path / "IMG_1.JPG", Pairing())) == {tmp_path / "img_1.cr2", tmp_path / "IMG_1.mov"}
    assert paired_with(tmp_path / "IMG_1.JPG", Pairing(raw_with_still=False)) == (tmp_path / "IMG_1.mov",)
    assert paired_with(tmp_path / "IMG_3.NEF", Pairing()) == () and paired_with(tmp_path / "x.png", Pairing()) == ()
    entry = stat_entry(tmp_path / "IMG_1.JPG", 1, Pairing(live_photos=False))
    assert entry is not None and entry.companions == ((tmp_path / "img_1.cr2", "raw"),)
    walked = {e.path.name: e.companions for e in walk(FolderRow(1, tmp_path, True), Excluder())}
    assert walked["IMG_1.JPG"] == ((tmp_path / "IMG_1.mov", "motion"), (tmp_path / "img_1.cr2", "raw"))
    assert walked["IMG_2.HEIC"] == () and walked["IMG_3.NEF"] == ()
