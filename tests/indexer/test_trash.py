"""The system trash on freedesktop systems: where a trashed file went, and putting it back."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from indexer.duplicates.trash import find_trashed, move_to_trash, restore
from indexer.errors import TrashError
from tests.support.trash import temporary_trash


@pytest.fixture
def trash(tmp_path, monkeypatch) -> Path:
    return temporary_trash(tmp_path, monkeypatch)


def test_files_of_one_name_are_told_apart_and_the_newest_is_found(tmp_path, trash):
    a, b = tmp_path / "one" / "IMG 1.jpg", tmp_path / "two" / "IMG 1.jpg"
    for path, data in ((a, b"first"), (b, b"second")):
        path.parent.mkdir()
        path.write_bytes(data)
    first = move_to_trash(a)
    second = move_to_trash(b)
    assert first == trash / "files" / "IMG 1.jpg" and second == trash / "files" / "IMG 1 1.jpg"
    a.write_bytes(b"again")  # a new file at the same place, trashed later
    time.sleep(0.01)
    third = move_to_trash(a)
    assert third is not None and third.read_bytes() == b"again" and find_trashed(a) == third
    restore(third, a)
    assert a.read_bytes() == b"again" and not third.exists()
    assert not (trash / "info" / (third.name + ".trashinfo")).exists()
    assert find_trashed(a) == first  # the older record is still there


def test_restore_never_overwrites_and_says_why(tmp_path, trash):
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"x")
    where = move_to_trash(photo)
    assert where is not None
    photo.write_bytes(b"new")
    with pytest.raises(TrashError, match="already"):
        restore(where, photo)
    assert photo.read_bytes() == b"new" and where.exists()
    photo.unlink()
    where.unlink()
    with pytest.raises(TrashError, match="no longer in the trash"):
        restore(where, photo)


def test_a_missing_file_cannot_be_trashed(tmp_path, trash):
    with pytest.raises(TrashError):
        move_to_trash(tmp_path / "gone.jpg")
