"""A library folder made by someone else, and private text readable by everyone (issue 26, classes 1-2).

As a user's disk would hold them: a ``lock``, ``photoseek.log``, ``.write-test``,
``settings.toml.tmp``, ``thumbnails`` or ``vectors`` planted as a link (or hard
link) to a file or folder of the victim; a library folder owned by another user
(root only: chowned to ``nobody``), or one that the group or everyone may write;
a folder another user owns, or everyone may write without the sticky bit, as
the place a new library is created.  None of them may change the victim's file
or write into the victim's folder; a refused library says why, in one line.
And a new library is the user's alone: folders 0700, files 0600 (catalog with
its -wal and -shm, lock, settings, log, thumbnails, vectors, socket).
"""

from __future__ import annotations

import logging
import os
import pwd
import stat
from pathlib import Path

import pytest

from app.log_file import PrivateLogFile
from indexer import private_files
from indexer.errors import LibraryUnsafe
from indexer.library import Library
from indexer.lock import LibraryLock
from indexer.thumbnails import ThumbnailStore
from tests.support.images import photo, write_jpeg

VICTIM_TEXT = "export PATH=$HOME/bin:$PATH  # the victim's own file\n"
as_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                             reason="giving a folder to another user needs root")


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def victim(tmp_path) -> Path:
    """A file of the user's that no library may write: their shell profile."""
    home = tmp_path / "home"
    home.mkdir()
    profile = home / ".profile"
    profile.write_text(VICTIM_TEXT)
    return profile


@pytest.fixture
def library(tmp_path) -> Path:
    lib = tmp_path / "lib"
    lib.mkdir(mode=0o700)
    return lib


def _nobody() -> int:
    try:
        return pwd.getpwnam("nobody").pw_uid
    except KeyError:
        return 65534


# -- 1. links planted in the library ---------------------------------------------------

@pytest.mark.parametrize("name", ["lock", ".write-test"])
def test_a_link_planted_as_a_library_file_never_empties_the_victim(library, victim, name):
    (library / name).symlink_to(victim)
    try:
        Library.open(library).close()
    except LibraryUnsafe as exc:
        assert name in str(exc) and "link" in str(exc)
    assert victim.read_text() == VICTIM_TEXT


def test_a_linked_lock_is_refused_before_anything_is_written(library, victim):
    (library / "lock").symlink_to(victim)
    with pytest.raises(LibraryUnsafe, match="lock is a link"):
        Library.open(library)
    assert victim.read_text() == VICTIM_TEXT
    assert not (library / "catalog.sqlite").exists()


def test_a_hard_linked_lock_is_refused(library, victim):
    os.link(victim, library / "lock")
    with pytest.raises(LibraryUnsafe, match="hard link"):
        LibraryLock(library / "lock").acquire()
    assert victim.read_text() == VICTIM_TEXT


def test_a_lock_that_is_a_fifo_or_a_folder_is_refused_without_hanging(library):
    os.mkfifo(library / "lock")
    with pytest.raises(LibraryUnsafe, match="not a plain file"):
        LibraryLock(library / "lock").acquire()


def test_a_dangling_link_as_the_lock_creates_nothing_where_it_points(library, tmp_path):
    target = tmp_path / "home" / "created-by-photoseek"
    target.parent.mkdir()
    (library / "lock").symlink_to(target)
    with pytest.raises(LibraryUnsafe):
        LibraryLock(library / "lock").acquire()
    assert not target.exists()


def test_an_old_lock_open_to_others_is_taken_and_made_private(library):
    (library / "lock").write_text("999999\n")
    os.chmod(library / "lock", 0o666)
    lock = LibraryLock(library / "lock")
    lock.acquire()
    try:
        assert _mode(library / "lock") == 0o600
        assert (library / "lock").read_text().strip() == str(os.getpid())
    finally:
        lock.release()


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_the_log_is_never_written_through_a_link(library, victim, link):
    if link == "symlink":
        (library / "photoseek.log").symlink_to(victim)
    else:
        os.link(victim, library / "photoseek.log")
    handler = PrivateLogFile(library / "photoseek.log")
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "model $(rm -rf ~) loaded", None, None)
    handler.emit(record)
    handler.close()
    assert victim.read_text() == VICTIM_TEXT


def test_the_log_is_written_0600_and_an_old_one_is_made_private(library):
    handler = PrivateLogFile(library / "photoseek.log")
    handler.emit(logging.LogRecord("t", logging.INFO, __file__, 1, "first", None, None))
    handler.close()
    assert "first" in (library / "photoseek.log").read_text()
    assert _mode(library / "photoseek.log") == 0o600
    os.chmod(library / "photoseek.log", 0o644)
    handler = PrivateLogFile(library / "photoseek.log")
    handler.emit(logging.LogRecord("t", logging.INFO, __file__, 1, "second", None, None))
    handler.close()
    assert (library / "photoseek.log").read_text().splitlines()[-1].endswith("second")
    assert _mode(library / "photoseek.log") == 0o600


def test_the_log_writes_nothing_in_a_folder_others_may_write(library):
    os.chmod(library, 0o777)
    handler = PrivateLogFile(library / "photoseek.log")
    handler.emit(logging.LogRecord("t", logging.INFO, __file__, 1, "hello", None, None))
    handler.close()
    assert not (library / "photoseek.log").exists()


def test_settings_are_never_saved_through_a_link(library, victim):
    lib = Library.open(library)
    try:
        (library / "settings.toml.tmp").symlink_to(victim)
        lib.settings.ocr = False
        lib.save_settings()
    finally:
        lib.close()
    assert victim.read_text() == VICTIM_TEXT
    assert "ocr = false" in (library / "settings.toml").read_text()
    assert _mode(library / "settings.toml") == 0o600


@pytest.mark.parametrize("planted", ["thumbnails", "subfolder"])
def test_a_linked_thumbnails_folder_gets_no_thumbnail(library, tmp_path, planted, caplog):
    elsewhere = tmp_path / "home" / "Pictures"
    elsewhere.mkdir(parents=True)
    store = ThumbnailStore(library / "thumbnails")
    if planted == "thumbnails":
        (library / "thumbnails").symlink_to(elsewhere, target_is_directory=True)
    else:
        (library / "thumbnails").mkdir(mode=0o700)
        (library / "thumbnails" / "07").symlink_to(elsewhere, target_is_directory=True)
    with caplog.at_level(logging.WARNING):
        assert store.save(7, photo(64, 48)) is False
        assert store.copy(7, 263) is False  # 263 % 256 == 7: the same planted folder
    assert list(elsewhere.iterdir()) == []
    assert "link" in caplog.text


def test_a_linked_vectors_folder_is_never_written(tmp_path, toyclip_bundle):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(2):
        write_jpeg(photos / f"p{i}.jpg", photo(96, 64, seed=i))
    library = tmp_path / "lib"
    elsewhere = tmp_path / "home" / "Documents"
    elsewhere.mkdir(parents=True)
    with Library.open(library) as lib:
        lib.use_model(str(toyclip_bundle))
        lib.settings.ocr = False
        lib.save_settings()
        (library / "vectors").symlink_to(elsewhere, target_is_directory=True)
        with pytest.raises(LibraryUnsafe, match="vectors: it is a link"):
            list(lib.index([photos]))
    assert list(elsewhere.iterdir()) == []


# -- 1. folders of another user, or writable by others -----------------------------------

@pytest.mark.parametrize("mode", [0o777, 0o775, 0o770, 0o1777])
def test_a_library_folder_others_may_write_is_refused(library, mode):
    os.chmod(library, mode)
    with pytest.raises(LibraryUnsafe, match="may be written by other users") as err:
        Library.open(library)
    assert str(library) in str(err.value) and "chmod 700" in str(err.value)
    assert list(library.iterdir()) == []  # no lock, no catalog, no probe


@as_root
def test_a_library_folder_of_another_user_is_refused(library, victim):
    (library / "lock").symlink_to(victim)
    (library / "photoseek.log").symlink_to(victim)
    os.chown(library, _nobody(), -1)
    with pytest.raises(LibraryUnsafe, match="belongs to another user"):
        Library.open(library)
    assert victim.read_text() == VICTIM_TEXT
    assert sorted(p.name for p in library.iterdir()) == ["lock", "photoseek.log"]


@as_root
def test_a_lock_file_of_another_user_is_refused(library):
    (library / "lock").write_text("")
    os.chown(library / "lock", _nobody(), -1)
    with pytest.raises(LibraryUnsafe, match="another user"):
        LibraryLock(library / "lock").acquire()


@as_root
def test_a_new_library_is_not_created_in_a_folder_of_another_user(tmp_path):
    parent = tmp_path / "theirs"
    parent.mkdir(mode=0o755)
    os.chown(parent, _nobody(), -1)
    with pytest.raises(LibraryUnsafe, match="belongs to another user"):
        Library.open(parent / "lib")
    assert not (parent / "lib").exists()


def test_a_new_library_is_not_created_in_a_folder_everyone_may_write(tmp_path):
    parent = tmp_path / "shared"
    parent.mkdir()
    os.chmod(parent, 0o777)
    with pytest.raises(LibraryUnsafe, match="no sticky bit"):
        Library.open(parent / "deeper" / "lib")
    assert list(parent.iterdir()) == []


def test_a_new_library_may_be_created_in_a_sticky_shared_folder(tmp_path):
    parent = tmp_path / "tmp"
    parent.mkdir()
    os.chmod(parent, 0o1777)  # like /tmp: nobody may rename or delete another's entry
    Library.open(parent / "lib").close()
    assert _mode(parent / "lib") == 0o700


def test_the_checks_name_the_folder_and_what_to_do(tmp_path):
    st = os.stat(tmp_path)
    fake = os.stat_result((st.st_mode | 0o022, *tuple(st)[1:]))
    with pytest.raises(LibraryUnsafe, match="chmod 700"):
        private_files.check_folder(fake, tmp_path)
    other = os.stat_result((st.st_mode, st.st_ino, st.st_dev, st.st_nlink, os.geteuid() + 1, *tuple(st)[5:]))
    with pytest.raises(LibraryUnsafe, match=r"belongs to another user \(uid"):
        private_files.check_folder(other, tmp_path)


# -- 2. private text readable by no one else ---------------------------------------------

def _walk_modes(root: Path) -> dict[str, int]:
    out = {".": _mode(root)}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            out[str(path.relative_to(root))] = _mode(path)
    return out


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_a_new_library_is_private_whatever_the_umask(tmp_path, toyclip_bundle, umask):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(3):
        write_jpeg(photos / f"p{i}.jpg", photo(96, 64, seed=i))
    library = tmp_path / "new" / "lib"
    old = os.umask(umask)
    try:
        with Library.open(library) as lib:
            lib.use_model(str(toyclip_bundle))
            lib.settings.ocr = False
            lib.save_settings()
            list(lib.index([photos]))
            lib.reader().status()
            open_modes = _walk_modes(library)  # while open: the -wal and -shm are there
        modes = {**open_modes, **_walk_modes(library)}
    finally:
        os.umask(old)
    assert {"catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm", "lock", "settings.toml",
            "thumbnails", "vectors"} <= set(modes)
    assert any(name.endswith(".jpg") for name in modes) and any(".hnsw" in name for name in modes)
    folders = {name for name in modes if (library / name).is_dir()}
    assert {name: m for name, m in modes.items() if name in folders and m != 0o700} == {}
    assert {name: m for name, m in modes.items() if name not in folders and m != 0o600} == {}
    assert _mode(tmp_path / "new") == 0o700  # the parent it made, too


def test_a_stricter_umask_is_kept(tmp_path):
    old = os.umask(0o277)  # owner-only, and not even writable by the owner, for what is created
    try:
        fd = private_files.create_new(tmp_path / "f")
        os.close(fd)
        os.mkdir(tmp_path / "d", private_files.FOLDER_MODE)
    finally:
        os.umask(old)
    assert _mode(tmp_path / "f") == 0o400 and _mode(tmp_path / "d") == 0o500


def test_an_existing_library_open_to_others_is_made_private(tmp_path):
    library = tmp_path / "lib"
    Library.open(library).close()
    os.chmod(library, 0o755)  # as an older Photoseek made it
    Library.open(library).close()
    assert _mode(library) == 0o700


def test_a_chosen_folder_of_other_things_keeps_its_mode(tmp_path):
    chosen = tmp_path / "Documents"
    chosen.mkdir(mode=0o755)
    (chosen / "letter.txt").write_text("hello")
    Library.open(chosen).close()
    assert _mode(chosen) == 0o755  # the user's folder, not ours to change...
    assert _mode(chosen / "catalog.sqlite") == 0o600  # ...but what Photoseek put there is private
    assert _mode(chosen / "lock") == 0o600


def test_old_thumbnail_folders_open_to_others_are_made_private(library):
    (library / "thumbnails" / "07").mkdir(parents=True)
    os.chmod(library / "thumbnails", 0o755)
    os.chmod(library / "thumbnails" / "07", 0o755)
    assert ThumbnailStore(library / "thumbnails").save(7, photo(64, 48))
    assert _mode(library / "thumbnails") == 0o700 and _mode(library / "thumbnails" / "07") == 0o700
    assert _mode(library / "thumbnails" / "07" / "7.jpg") == 0o600
