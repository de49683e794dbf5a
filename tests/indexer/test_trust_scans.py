"""Nothing a disk does may wipe the library, and nothing is indexed twice or from the library itself.

- An unmounted share (an empty directory, or one on another device, or one that is no
  longer a mount point), an unreadable folder or a folder that became empty keeps its
  photos and vectors; really deleted photos and folders still go.
- A watched folder deleted and re-created, or unmounted and remounted, is watched again
  at once (no waiting for the periodic rescan).
- The library's own folder and the models folder are never indexed, wherever they are.
- A symlink (or bind mount) to a folder of the library never indexes its photos twice.

Mount tests need root (tmpfs and bind mounts) and are skipped without it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from indexer.cancel import CancelToken
from indexer.errors import UsageError
from indexer.library import Library
from indexer.library_reader import LibraryReader
from indexer.progress import Phase
from indexer.watcher import ChangeQueue, watch
from tests.support.bundles import TOYCLIP
from tests.support.photos import write_photo

SMALL = (64, 48)

needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("mount") is None,
    reason="mounting needs root",
)


# -- helpers ---------------------------------------------------------------------------------------


def photos(folder: Path, count: int, *, start: int = 0, sub: str = "") -> list[Path]:
    return [write_photo(folder / sub / f"img_{start + i:03d}.jpg", start + i, SMALL) for i in range(count)]


def count(lib: Library) -> int:
    return lib.status().photos


def paths_in(lib: Library) -> set[Path]:
    return {row.path for f in lib.catalog.folders() for row in lib.catalog.photos_in_folder(f.id).values()}


def index(lib: Library) -> list:
    return list(lib.index())


@pytest.fixture
def mounts() -> Iterator[Callable[..., Path]]:
    """``mount(target, *args)`` mounts (``-t tmpfs tmpfs`` or ``--bind SRC``) and unmounts it at the end."""
    done: list[Path] = []

    def mount(target: Path, *args: str) -> Path:
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", *args, str(target)], check=True)
        done.append(target)
        return target

    try:
        yield mount
    finally:
        for target in reversed(done):
            if os.path.ismount(target) or _mounted(target):
                subprocess.run(["umount", "-l", str(target)], check=False)


def _mounted(target: Path) -> bool:
    with open("/proc/self/mountinfo", "rb") as f:
        return any(os.fsencode(os.path.realpath(target)) == line.split(b" ")[4] for line in f)


def umount(target: Path) -> None:
    subprocess.run(["umount", str(target)], check=True)


def bind(mount: Callable[..., Path], source: Path, target: Path) -> Path:
    return mount(target, "--bind", str(source))


@pytest.fixture
def lib(tmp_path) -> Iterator[Library]:
    library = Library.open(tmp_path / "library", model=str(TOYCLIP))
    yield library
    library.close()


# -- 1. an unmounted share keeps its photos -----------------------------------------------------------


@needs_root
def test_unmounted_share_keeps_its_photos_and_vectors(tmp_path, lib, mounts):
    disk = mounts(tmp_path / "disk", "-t", "tmpfs", "tmpfs")  # the share's files live on their own device
    photos(disk, 12)
    share = bind(mounts, disk, tmp_path / "share")
    lib.add_folder(share)
    index(lib)
    assert (count(lib), lib.status().indexed) == (12, 12)

    umount(share)  # the mount point is now an empty directory on another device
    index(lib)
    status = lib.status()
    assert (status.photos, status.indexed) == (12, 12) and status.offline_folders == (str(share),)

    bind(mounts, disk, share)
    index(lib)
    status = lib.status()
    assert (status.photos, status.indexed, status.offline_folders) == (12, 12, ())
    assert lib.last_decoded == 0  # nothing re-embedded


@needs_root
def test_unmounted_share_that_leaves_files_visible_keeps_its_photos(tmp_path, lib, mounts):
    """The mount point held a photo of its own (hidden while mounted), on the same disk as the
    share's files: only the mount table tells that the share is gone."""
    disk = tmp_path / "disk"  # same device as the mount point: a bind mount of a local folder
    photos(disk, 10)
    share = tmp_path / "share"
    write_photo(share / "underneath.jpg", 99, SMALL)
    bind(mounts, disk, share)
    lib.add_folder(share)
    lib.scan()
    assert count(lib) == 10

    umount(share)
    result = lib.scan()
    assert count(lib) == 10 and result.deleted == 0 and result.new == 0
    assert share / "underneath.jpg" not in paths_in(lib)
    assert lib.status().offline_folders == (str(share),)

    bind(mounts, disk, share)
    result = lib.scan()
    assert (result.unchanged, result.new, result.deleted, lib.status().offline_folders) == (10, 0, 0, ())


@needs_root
@pytest.mark.parametrize("kind", ["tmpfs", "same-disk bind"])
def test_unmounted_share_inside_a_folder_keeps_its_photos(tmp_path, lib, mounts, kind):
    folder = tmp_path / "Photos"
    photos(folder, 6)
    if kind == "tmpfs":
        disk = mounts(tmp_path / "disk", "-t", "tmpfs", "tmpfs")
    else:
        disk = tmp_path / "disk"
    photos(disk, 10, start=100)
    nas = bind(mounts, disk, folder / "nas")
    lib.add_folder(folder)
    lib.scan()
    assert count(lib) == 16

    umount(nas)
    write_photo(nas / "left-underneath.jpg", 77, SMALL)  # what the unmounted share leaves visible
    result = lib.scan()
    assert count(lib) == 16 and result.deleted == 0 and result.kept == 10
    assert nas / "left-underneath.jpg" not in paths_in(lib)
    assert lib.status().offline_folders == ()  # the rest of the folder stays searchable
    # what the watcher reports meanwhile: a new photo beside the share, and the share's changes
    write_photo(folder / "new.jpg", 78, SMALL)
    result = lib.scan_paths([folder / "new.jpg", nas / "left-underneath.jpg", nas / "img_100.jpg", nas])
    assert (result.new, result.deleted, count(lib)) == (1, 0, 17)
    (folder / "new.jpg").unlink()
    assert lib.scan_paths([folder / "new.jpg"]).deleted == 1

    bind(mounts, disk, nas)
    result = lib.scan()
    assert (count(lib), result.new, result.deleted, result.kept, result.unchanged) == (16, 0, 0, 0, 16)


@needs_root
def test_share_remounted_under_a_new_device_number_is_the_same_share(tmp_path, lib, mounts):
    share = mounts(tmp_path / "share", "-t", "tmpfs", "tmpfs")
    kept = tmp_path / "copy"
    photos(share, 8)
    shutil.copytree(share, kept, copy_function=shutil.copy2)
    lib.add_folder(share)
    lib.scan()
    umount(share)
    assert lib.scan().deleted == 0 and count(lib) == 8

    mounts(share, "-t", "tmpfs", "tmpfs")  # a new tmpfs: another device number, the same files
    shutil.copytree(kept, share, dirs_exist_ok=True, copy_function=shutil.copy2)
    (share / "img_000.jpg").unlink()  # ... but for one, deleted meanwhile
    result = lib.scan()
    assert (result.unchanged, result.deleted, lib.status().offline_folders) == (7, 1, ())
    assert count(lib) == 7


@needs_root
def test_disk_mounted_over_a_folder_of_photos_hides_them_without_dropping_them(tmp_path, lib, mounts):
    folder = tmp_path / "Photos"
    photos(folder, 4)
    photos(folder, 6, start=10, sub="album")
    lib.add_folder(folder)
    lib.scan()
    mounts(folder / "album", "-t", "tmpfs", "tmpfs")
    write_photo(folder / "album" / "on-the-new-disk.jpg", 55, SMALL)
    result = lib.scan()
    assert (result.new, result.deleted, result.kept, count(lib)) == (1, 0, 6, 11)  # the new disk's photo counts
    umount(folder / "album")
    result = lib.scan()
    assert (result.unchanged, result.kept, count(lib)) == (10, 0, 10)  # the one photo of the new disk is gone


@needs_root
def test_unmounting_a_share_mounted_over_a_stray_photo_keeps_the_share(tmp_path, lib, mounts):
    """The mount point held a photo of its own, indexed while the share was not mounted: once the
    share is unmounted again that photo is there, but the share's photos are not gone."""
    folder = tmp_path / "Photos"
    photos(folder, 3)
    write_photo(folder / "nas" / "stray.jpg", 99, SMALL)
    lib.add_folder(folder)
    lib.scan()
    disk = mounts(tmp_path / "disk", "-t", "tmpfs", "tmpfs")
    photos(disk, 12, start=100)
    bind(mounts, disk, folder / "nas")
    lib.scan()
    assert count(lib) == 16  # the stray photo is hidden, not gone
    umount(folder / "nas")
    result = lib.scan_paths([folder / "nas" / "stray.jpg"])  # an event: too little to judge the share by
    assert (result.deleted, count(lib)) == (0, 16)
    result = lib.scan()
    assert (result.deleted, count(lib)) == (0, 16)
    bind(mounts, disk, folder / "nas")
    result = lib.scan()
    assert (result.unchanged, result.new) == (15, 0)  # the share's 12 photos and the folder's 3, kept


def test_folder_that_became_empty_is_offline(tmp_path, lib):
    folder = tmp_path / "Photos"
    files = photos(folder, 8, sub="album")
    lib.add_folder(folder)
    index(lib)
    saved = tmp_path / "saved"
    shutil.move(folder / "album", saved)
    (folder / "album").mkdir()  # what an unmounted share looks like: empty directories
    index(lib)
    assert (count(lib), lib.status().indexed, lib.status().offline_folders) == (8, 8, (str(folder),))
    for f in files:
        os.replace(saved / f.name, f)
    index(lib)
    assert (count(lib), lib.status().offline_folders, lib.last_decoded) == (8, (), 0)


def test_folder_on_another_disk_than_recorded_is_offline(tmp_path, lib):
    """The record says where the photos were found; a different disk with other files there is not them."""
    folder = tmp_path / "Photos"
    photos(folder, 6)
    row = lib.add_folder(folder)
    lib.scan()
    record = json.loads(lib.catalog.folder_devices(row.id) or "{}")
    assert record[str(folder)][0] == os.stat(folder).st_dev
    lib.catalog.set_folder_devices(row.id, json.dumps({str(folder): [record[str(folder)][0] + 1, 0]}))
    saved = tmp_path / "saved"
    shutil.move(folder, saved)
    photos(folder, 3, start=50)  # other photos: another disk at the same place
    result = lib.scan()
    assert (count(lib), result.new, result.deleted) == (6, 0, 0)
    assert lib.status().offline_folders == (str(folder),)

    shutil.rmtree(folder)
    shutil.move(saved, folder)  # the photos are back (on "another device number"): the same photos
    os.remove(folder / "img_005.jpg")
    result = lib.scan()
    assert (result.unchanged, result.deleted, lib.status().offline_folders) == (5, 1, ())
    assert json.loads(lib.catalog.folder_devices(row.id) or "{}")[str(folder)][0] == os.stat(folder).st_dev


def test_unreadable_subfolder_keeps_its_photos(tmp_path, lib, monkeypatch):
    folder = tmp_path / "Photos"
    photos(folder, 4)
    photos(folder, 6, start=10, sub="locked")
    lib.add_folder(folder)
    lib.scan()
    real_scandir = os.scandir

    def scandir(path=".", *a, **kw):
        if Path(path) == folder / "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path, *a, **kw)

    monkeypatch.setattr(os, "scandir", scandir)
    result = lib.scan()
    assert (count(lib), result.deleted, result.kept) == (10, 0, 6)
    monkeypatch.undo()
    result = lib.scan()
    assert (result.unchanged, result.kept) == (10, 0)


def test_deleted_photos_and_folders_still_go(tmp_path, lib):
    folder = tmp_path / "Photos"
    photos(folder, 4)
    album = photos(folder, 6, start=10, sub="album")
    big = photos(folder, 20, start=30, sub="big")
    raw = photos(folder, 3, start=60, sub="raw")
    lib.add_folder(folder)
    lib.scan()
    assert count(lib) == 33
    (folder / "img_000.jpg").unlink()  # one photo
    shutil.rmtree(folder / "album")  # a whole folder
    for p in big[:18]:  # nearly all of a folder, keeping the folder
        p.unlink()
    lib.settings.excluded = ["raw"]  # excluded now
    result = lib.scan()
    assert (result.deleted, result.kept, count(lib)) == (1 + len(album) + 18 + len(raw), 0, 3 + 2)
    for p in big[18:]:
        p.unlink()
    assert lib.scan().deleted == 2  # the last photos of a subfolder (an empty directory, same disk)


def test_library_from_before_device_records_keeps_an_emptied_share(tmp_path, lib):
    """A library written before devices were recorded: an empty directory that held many photos
    may be an unmounted share; they are kept (and stay kept) instead of dropped."""
    folder = tmp_path / "Photos"
    photos(folder, 12)
    nas = photos(folder, 8, start=20, sub="nas")
    row = lib.add_folder(folder)
    lib.scan()
    lib.catalog.set_folder_devices(row.id, None)
    saved = tmp_path / "saved"
    shutil.move(folder / "nas", saved)
    (folder / "nas").mkdir()
    for _ in range(2):
        result = lib.scan()
        assert (count(lib), result.deleted, result.kept) == (20, 0, 8)
    (folder / "nas").rmdir()
    shutil.move(saved, folder / "nas")
    result = lib.scan()
    assert (result.unchanged, result.kept, count(lib)) == (20, 0, 20)
    nas[0].unlink()
    assert lib.scan().deleted == 1


# -- 1. the watch re-arms -------------------------------------------------------------------------------


class Watching:
    def __init__(self, lib: Library):
        lib.settings.debounce_seconds = 0.2
        self.lib = lib
        self.cancel = CancelToken()
        self.events: list = []
        self.syncs = 0
        real_sync = lib.sync

        def counted(*a, **kw):
            self.syncs += 1
            return real_sync(*a, **kw)

        lib.sync = counted  # type: ignore[method-assign]
        self.thread = threading.Thread(
            target=lambda: self.events.extend(watch(lib, self.cancel, poll_interval=0.1)), daemon=True
        )

    def __enter__(self) -> Watching:
        self.thread.start()
        assert self.wait(lambda: any(e.phase is Phase.WATCHING for e in self.events))
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel.cancel()
        self.thread.join(20)
        assert not self.thread.is_alive()

    def wait(self, predicate: Callable[[], bool], timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.1)
        return predicate()


def paths_in_reader(lib: Library) -> list[Path]:
    from indexer.connections import CatalogConnections
    from indexer.library_files import CATALOG_FILE

    conns = CatalogConnections(lib.path / CATALOG_FILE, readonly=True)
    try:
        cat = conns.get()
        return [row.path for f in cat.folders() for row in cat.photos_in_folder(f.id).values()]
    finally:
        conns.close_all()


def test_watched_folder_deleted_and_recreated_is_watched_again(tmp_path, lib):
    folder = tmp_path / "Photos"
    photos(folder, 3)
    lib.add_folder(folder)
    with Watching(lib) as w:
        shutil.rmtree(folder)
        assert w.wait(lambda: lib_offline(w.lib, folder))
        assert len(paths_in_reader(lib)) == 3  # a deleted folder is kept as offline
        folder.mkdir()
        write_photo(folder / "fresh.jpg", 500, SMALL)
        assert w.wait(lambda: {p.name for p in paths_in_reader(lib)} == {"fresh.jpg"}, timeout=10)


def pending(lib: Library) -> int:
    with LibraryReader.open(lib.path) as reader:
        return reader.status().pending


def lib_offline(lib: Library, folder: Path) -> bool:
    from indexer.connections import CatalogConnections
    from indexer.library_files import CATALOG_FILE

    conns = CatalogConnections(lib.path / CATALOG_FILE, readonly=True)
    try:
        return any(f.path == folder and not f.online for f in conns.get().folders())
    finally:
        conns.close_all()


@needs_root
def test_watched_share_unmounted_and_remounted_is_watched_again(tmp_path, lib, mounts):
    disk = mounts(tmp_path / "disk", "-t", "tmpfs", "tmpfs")
    photos(disk, 4)
    share = bind(mounts, disk, tmp_path / "share")
    lib.add_folder(share)
    with Watching(lib) as w:
        assert len(paths_in_reader(lib)) == 4
        umount(share)
        assert w.wait(lambda: lib_offline(lib, share))
        assert len(paths_in_reader(lib)) == 4
        bind(mounts, disk, share)
        assert w.wait(lambda: not lib_offline(lib, share))
        write_photo(share / "fresh.jpg", 500, SMALL)
        assert w.wait(lambda: "fresh.jpg" in {p.name for p in paths_in_reader(lib)}, timeout=10)
        assert w.wait(lambda: pending(lib) == 0)
    assert count(lib) == 5


def test_deleting_a_watched_folder_keeps_its_photos(tmp_path, lib):
    """What the watcher reports when a folder is deleted: the folder and its files."""
    folder = tmp_path / "Photos"
    files = photos(folder, 5, sub="a")
    lib.add_folder(folder)
    lib.scan()
    shutil.rmtree(folder)
    result = lib.scan_paths([*files, folder / "a", folder])
    assert (count(lib), result.deleted) == (5, 0) and lib.status().offline_folders == (str(folder),)


def test_a_change_in_an_offline_folder_brings_it_back(tmp_path, lib):
    folder = tmp_path / "Photos"
    files = photos(folder, 4)
    lib.add_folder(folder)
    lib.scan()
    saved = tmp_path / "saved"
    shutil.move(folder, saved)
    folder.mkdir()
    lib.scan()
    assert lib.status().offline_folders == (str(folder),)
    for f in files:
        os.replace(saved / f.name, f)
    result = lib.scan_paths([files[0]])  # one event: the whole folder is checked again
    assert (result.unchanged, lib.status().offline_folders, count(lib)) == (4, (), 4)


def test_excluding_every_photo_of_a_folder_drops_them(tmp_path, lib):
    folder = tmp_path / "Photos"
    photos(folder, 3, sub="raw")
    lib.add_folder(folder)
    lib.scan()
    lib.settings.excluded = ["raw"]
    assert lib.scan().deleted == 3 and lib.status().offline_folders == ()


def test_watching_starts_natively_when_a_folder_vanished_meanwhile(tmp_path):
    from watchdog.observers.polling import PollingObserver

    from indexer.watcher import ChangeQueue, start_observer

    observer = start_observer([tmp_path, tmp_path / "gone"], ChangeQueue())
    try:
        assert not isinstance(observer, PollingObserver)
    finally:
        observer.stop()
        observer.join(5)


def test_changed_excluded_folder_is_not_indexed(tmp_path, lib):
    folder = tmp_path / "Photos"
    photos(folder, 2)
    lib.add_folder(folder)
    lib.scan()
    lib.settings.excluded = ["raw"]
    photos(folder, 3, start=10, sub="raw")
    lib.scan_paths([folder / "raw"])
    assert count(lib) == 2


# -- 12. the library and models folders are never indexed ------------------------------------------------


def test_library_inside_a_watched_folder_is_not_indexed(tmp_path, monkeypatch):
    folder = tmp_path / "Pictures"
    photos(folder, 5)
    models = folder / "models"  # also the models folder, with an image in it
    write_photo(models / "toyclip" / "preview.jpg", 7, SMALL)
    monkeypatch.setenv("PHOTOSEEK_MODELS", str(models))
    os.symlink(folder / "photoseek", folder / "alias-of-library")
    with Library.open(folder / "photoseek", model=str(TOYCLIP)) as lib:
        lib.add_folder(folder)
        for _ in range(3):
            index(lib)
            assert count(lib) == 5  # the thumbnails of the last run are not photos
        thumbnails = sorted((lib.path / "thumbnails").rglob("*.jpg"))
        assert thumbnails and lib.scan_paths(thumbnails).seen == 0
        # a library that indexed its thumbnails before: they leave at the next scan
        row = lib.catalog.folders()[0]
        with lib.catalog.transaction():
            for t in thumbnails:
                st = t.stat()
                lib.catalog.insert_photo(t, row.id, st.st_size, st.st_mtime_ns, None)
        assert count(lib) == 5 + len(thumbnails)
        assert (lib.scan().deleted, count(lib)) == (len(thumbnails), 5)
        with pytest.raises(UsageError, match="library's own folder"):
            lib.add_folder(lib.path / "thumbnails")
        with pytest.raises(UsageError, match="models folder"):
            lib.add_folder(models)


def test_watcher_ignores_the_librarys_own_writes(tmp_path, monkeypatch):
    folder = tmp_path / "Pictures"
    photos(folder, 3)
    turns: list[list[Path] | None] = []  # what each `take` of the watcher returned (None: a take began)
    real_take = ChangeQueue.take

    def recorded(queue: ChangeQueue, timeout: float) -> list[Path]:
        turns.append(None)
        batch = real_take(queue, timeout)
        turns.append(batch)
        return batch

    monkeypatch.setattr(ChangeQueue, "take", recorded)
    with Library.open(folder / "photoseek", model=str(TOYCLIP)) as lib:
        lib.add_folder(folder)

        def own_writes_passed_over() -> bool:
            """The watcher was handed a batch of only the library's own files (the first sync wrote its
            catalog and thumbnails inside the watched folder), and went round to its next `take`."""
            taken = list(turns)
            own = [i for i, b in enumerate(taken) if b and all(lib.path in p.parents or p == lib.path for p in b)]
            return bool(own) and None in taken[own[0] + 1:]

        with Watching(lib) as w:
            assert w.wait(own_writes_passed_over)
            syncs = w.syncs
        assert syncs == 1 and count(lib) == 3


# -- smaller: a symlinked alias is not indexed twice -----------------------------------------------------


def test_symlinked_alias_of_a_folder_is_the_same_folder(tmp_path, lib):
    folder = tmp_path / "Photos"
    photos(folder, 4, sub="2020")
    first = lib.add_folder(folder)
    os.symlink(folder, tmp_path / "alias")
    assert lib.add_folder(tmp_path / "alias") == first
    os.symlink(folder / "2020", tmp_path / "alias-inside")
    with pytest.raises(UsageError, match="already watched as part of"):
        lib.add_folder(tmp_path / "alias-inside")
    index(lib)
    assert (count(lib), len(lib.catalog.folders())) == (4, 1)


def test_adding_an_alias_of_a_parent_takes_over_the_folder(tmp_path, lib):
    parent = tmp_path / "Photos"
    photos(parent, 4, sub="2020")
    photos(parent, 2, start=10)
    lib.add_folder(parent / "2020")
    index(lib)
    os.symlink(parent, tmp_path / "alias")
    row = lib.add_folder(tmp_path / "alias")
    index(lib)
    assert [f.path for f in lib.catalog.folders()] == [row.path]
    assert count(lib) == 6 and lib.last_decoded == 2  # the 2020 photos moved, not re-embedded


@pytest.mark.parametrize("link", ["dir", "file"])
def test_symlink_into_another_folder_is_not_indexed_twice(tmp_path, lib, link):
    a, b = tmp_path / "A", tmp_path / "B"
    photos(a, 2)
    files = photos(b, 3, start=10, sub="sub")
    if link == "dir":
        os.symlink(b / "sub", a / "link-to-b")
    else:
        os.symlink(files[0], a / "link.jpg")
    os.symlink(b, a / "link-to-b-root")
    lib.add_folder(a)
    lib.add_folder(b)
    lib.scan()
    assert count(lib) == 5
    assert all(p.is_relative_to(b) for p in paths_in(lib) if p.name.startswith("img_01"))


@needs_root
def test_bind_mount_of_another_folder_is_not_indexed_twice(tmp_path, lib, mounts):
    a, b = tmp_path / "A", tmp_path / "B"
    photos(a, 2)
    photos(b, 3, start=10)
    bind(mounts, b, a / "b-again")
    lib.add_folder(a)
    lib.add_folder(b)
    lib.scan()
    assert count(lib) == 5
