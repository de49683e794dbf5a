"""Cleaning duplicates: to the trash and back, photos trashed outside Photoseek, keepers on offline folders.

Every test trashes into a temporary home (``$HOME`` and ``$XDG_DATA_HOME`` inside the test's
temporary directory), never the user's trash.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.duplicates.trash import find_trashed, move_to_trash
from indexer.errors import UsageError
from indexer.library import Library
from indexer.search import Query
from tests.support.template import copy_template
from tests.support.trash import temporary_trash


@pytest.fixture
def trash_home(tmp_path, monkeypatch) -> Path:
    return temporary_trash(tmp_path, monkeypatch)


@pytest.fixture
def lib(tmp_path, template_library, trash_home):
    t = copy_template(template_library, tmp_path / "t")
    with Library.open(t.library) as library:
        yield library, t


def _group(library):
    gen = library.reader().duplicates()
    while True:
        try:
            next(gen)
        except StopIteration as stop:
            return stop.value


def _paths_in_results(library) -> set[Path]:
    return {h.path for h in library.reader().search(Query(text="a photo", limit=1000))}


def test_trash_and_undo_round_trip(lib, trash_home):
    library, t = lib
    (group,) = _group(library)
    doomed = [p.path for p in group.suggested]
    sizes = sum(p.stat().st_size for p in doomed)
    report = library.trash_photos([(group.keep.path, [p.id for p in group.suggested])])
    assert sorted(report.trashed) == sorted(doomed) and report.bytes == sizes and report.skipped == []
    for path in doomed:
        assert not path.exists()
        in_trash = find_trashed(path)
        assert in_trash is not None and in_trash.is_file() and trash_home in in_trash.parents
    assert group.keep.path.exists()
    assert not set(doomed) & _paths_in_results(library)  # gone from results at once
    assert library.status().photos == t.count - len(doomed)
    (action,) = library.reader().cleanups()
    assert action.id == report.action_id and not action.undone and action.bytes == sizes
    assert {i.path for i in action.items} == set(doomed) and {i.kept for i in action.items} == {group.keep.path}

    undo = library.undo_cleanup()
    assert sorted(undo.restored) == sorted(doomed) and undo.skipped == []
    assert all(p.exists() for p in doomed) and all(find_trashed(p) is None for p in doomed)
    assert not any((trash_home / "info").iterdir())
    list(library.sync())
    assert set(doomed) <= _paths_in_results(library)
    (again,) = _group(library)
    assert {p.path for p in again.photos} == {p.path for p in group.photos}
    assert library.reader().cleanups()[0].undone
    with pytest.raises(UsageError):
        library.undo_cleanup()  # nothing left to undo


def test_undo_never_overwrites_a_file_put_back_by_hand(lib):
    library, t = lib
    (group,) = _group(library)
    victim = group.suggested[0]
    library.trash_photos([(group.keep.path, [victim.id])])
    victim.path.write_bytes(b"something else now")
    undo = library.undo_cleanup()
    assert undo.restored == [] and "already" in undo.skipped[0][1]
    assert victim.path.read_bytes() == b"something else now"
    assert find_trashed(victim.path) is not None  # still safe in the trash


def test_a_photo_trashed_outside_photoseek_is_forgotten_not_an_error(lib):
    library, t = lib
    (group,) = _group(library)
    gone, other = group.suggested
    move_to_trash(gone.path)  # the user's file manager did it
    report = library.trash_photos([(group.keep.path, [gone.id, other.id])])
    assert report.already_gone == [gone.path] and report.trashed == [other.path]
    assert [i.path for i in library.reader().cleanups()[0].items] == [other.path]
    assert library.status().photos == t.count - 2
    assert not {gone.path, other.path} & _paths_in_results(library)


def test_a_group_whose_keeper_is_on_an_offline_drive_is_left_alone(tmp_path, lib):
    library, t = lib
    drive = tmp_path / "drive"
    drive.mkdir()
    original = drive / "best.jpg"
    shutil.copy2(t.paths[7], original)
    library.add_folder(drive)
    list(library.sync())
    (group,) = _group(library)
    assert group.kind == "near" and original in {p.path for p in group.photos}
    keep_original = group.with_keeper(next(p.id for p in group.photos if p.path == original))
    plan = [(original, [p.id for p in keep_original.suggested])]
    shutil.rmtree(drive)  # the drive is unplugged: its folder can no longer be listed
    list(library.sync())
    assert str(drive) in library.status().offline_folders
    (offline,) = _group(library)
    offline = offline.with_keeper(next(p.id for p in offline.photos if p.path == original))
    assert offline.keeper_offline and offline.suggested == ()
    report = library.trash_photos(plan)
    assert report.trashed == [] and report.action_id is None
    assert {why for _, why in report.skipped} == {f"the photo to keep, {original}, is on an offline folder"}
    assert all(p.exists() for p in (t.paths[7], *t.copies))
    assert library.reader().cleanups() == []
