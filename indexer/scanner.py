"""Walk photo folders and reconcile what is on disk with the catalog.

Change detection: (size, mtime_ns) is the fast path; a quick content hash
(size + first 1 MiB + last 64 KiB) recognises moved, renamed and copied files so
their vectors are reused without decoding.

Nothing a disk does may wipe the catalog: a photo that the walk did not find
is dropped only when it is positively gone (``FolderGuard``): the nearest
folder above it that exists was listed, holds no entry of that name, and is on
the device the photo was found on (an unmounted share is an empty directory on
another device, or no longer a mount point).  Otherwise it is kept, and at
most a small share of a folder's photos is dropped on weaker evidence.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import stat
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .catalog import Catalog, FolderRow, PhotoRow, encode_path

logger = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".heic", ".heif"}
)
HEAD_BYTES = 1 << 20
TAIL_BYTES = 64 << 10

# A scan drops at most this share of a folder's photos (and at least SMALL_LOSS_MIN) on weak evidence:
# files whose folder exists but is empty where nothing was recorded about its device, or whose
# name is still listed although the walk could not read them.
SMALL_LOSS_SHARE = 0.02
SMALL_LOSS_MIN = 5

Identity = tuple[int, bool]  # (st_dev, is a mount point) of a directory
UNKNOWN: Identity = (-1, False)  # a directory whose device was never recorded: matches no disk


@dataclass(frozen=True)
class FileEntry:
    path: Path
    folder_id: int
    size: int
    mtime_ns: int


@dataclass
class ScanResult:
    """What a reconciliation changed; ``removed`` and ``reused`` matter to the vector index."""

    seen: int = 0
    new: int = 0
    changed: int = 0
    moved: int = 0
    copied: int = 0
    deleted: int = 0
    unchanged: int = 0
    kept: int = 0  # photos not found but kept: they could not be confirmed gone (unmounted? unreadable?)
    removed_ids: list[int] = field(default_factory=list)  # photos whose vectors must leave the index
    reused_ids: list[int] = field(default_factory=list)  # photos given stored vectors without decoding
    offline_folders: list[Path] = field(default_factory=list)

    def merge(self, other: ScanResult) -> None:
        for name in ("seen", "new", "changed", "moved", "copied", "deleted", "unchanged", "kept"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.removed_ids += other.removed_ids
        self.reused_ids += other.reused_ids
        self.offline_folders += other.offline_folders


def is_image_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def quick_hash(path: Path, size: int) -> str | None:
    """Hash of size + first 1 MiB + last 64 KiB; None if the file cannot be read."""
    h = hashlib.blake2b(digest_size=16)
    h.update(size.to_bytes(8, "little"))
    try:
        with open(path, "rb") as f:
            h.update(f.read(HEAD_BYTES))
            if size > HEAD_BYTES:
                f.seek(max(HEAD_BYTES, size - TAIL_BYTES))
                h.update(f.read(TAIL_BYTES))
    except OSError as exc:
        logger.debug("cannot hash %s: %s", path, exc)
        return None
    return h.hexdigest()


_SEP = os.sep.encode()


def _real(path: Path | str) -> bytes:
    return encode_path(os.path.realpath(path))


def _inside(path: Path | str | bytes) -> bytes:
    """The byte prefix of every path strictly inside the directory ``path``."""
    blob = path if isinstance(path, bytes) else encode_path(path)
    return blob.rstrip(_SEP) + _SEP


def _dir_key(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None


class Excluder:
    """Decides which directories the walk skips.

    Hidden ones and the user's exclusions (absolute paths or folder names); always the
    ``always`` folders (the library's own folder and the models folder), however they are
    reached: by path, through a symlink or a bind mount; and, inside one of the library's
    folders (``roots``), a symlink or bind mount that leads into another of them, whose
    photos that folder already holds.
    """

    def __init__(self, excluded: Iterable[str] = (), *, always: Iterable[Path] = (), roots: Iterable[Path] = ()):
        excluded = list(excluded)
        self.paths = {encode_path(Path(e).expanduser()) for e in excluded if os.path.isabs(os.path.expanduser(e))}
        self.names = {e for e in excluded if not os.path.isabs(os.path.expanduser(e))}
        roots = [Path(r) for r in roots]
        self._always_keys: set[tuple[int, int]] = set()
        self._root_keys: set[tuple[int, int]] = set()
        self._own: set[bytes] = set()  # the always folders, by every path they are known under
        self._always_real: list[bytes] = []  # their real paths, each ending with a separator
        self._roots_real: list[tuple[bytes, Path]] = []  # (real path + separator, root) of the folders
        for folder in always:
            folder = Path(folder).expanduser().absolute()
            key = _dir_key(folder)
            if key is None:
                continue
            self._always_keys.add(key)
            real = _real(folder)
            self._own |= {encode_path(folder), real}
            self._always_real.append(_inside(real))
        for root in roots:
            key = _dir_key(root)
            if key is None:
                continue
            self._root_keys.add(key)
            real = _inside(_real(root))
            self._roots_real.append((real, root))
            for own in self._always_real:  # an always folder inside a root that is reached through a symlink
                if own.startswith(real):
                    self._own.add(_inside(root) + own[len(real):].rstrip(_SEP))
        # An always folder that holds a folder of the library is no reason to skip that folder.
        inside = [_inside(r) for r in roots] + [real for real, _ in self._roots_real]
        self._own = {o for o in self._own if not any(r.startswith(_inside(o)) for r in inside)}
        self._always_real = [o for o in self._always_real if not any(r.startswith(o) for r in inside)]

    def skip_dir(self, path: Path) -> bool:
        name = path.name
        if name.startswith(".") or name in self.names:
            return True
        blob = encode_path(path)
        return blob in self.paths or blob in self._own

    def skip_key(self, key: tuple[int, int], *, start: bool) -> bool:
        """Skip the directory with this (device, inode): an always folder, or (below the walk's
        start) another folder's root reached through a symlink or bind mount."""
        return key in self._always_keys or (not start and key in self._root_keys)

    def foreign(self, path: Path, root: Path) -> bool:
        """``path`` (a symlink found in ``root``) leads into an always folder or another folder."""
        real = _inside(_real(path))
        if any(real.startswith(own) for own in self._always_real):
            return True
        return any(real.startswith(other) and other_root != root for other, other_root in self._roots_real)

    def is_own(self, path: Path) -> bool:
        """``path`` is an always folder or inside one, by the path it was named with (cheap: no I/O)."""
        if not self._own:
            return False
        blob = encode_path(path)
        return any(blob == own or blob.startswith(_inside(own)) for own in self._own)

    def excluded_below(self, root: Path, path: Path) -> bool:
        """``path`` (inside ``root``) is, or is inside, a directory the walk skips, or is hidden."""
        if path.name.startswith(".") or self.is_own(path):
            return True
        if path != root and path.is_dir() and self.skip_dir(path):
            return True
        return any(self.skip_dir(p) for p in path.parents if root in p.parents)


class MountTable:
    """The system's mount points (Linux: ``/proc/self/mountinfo``), read once, when first needed.

    Where there is no mount table, ``is_mount`` asks ``os.path.ismount``.
    """

    def __init__(self, source: str = "/proc/self/mountinfo"):
        self._source = source
        self._points: frozenset[bytes] | None = None
        self._available = True

    @property
    def points(self) -> frozenset[bytes]:
        if self._points is None:
            try:
                with open(self._source, "rb") as f:
                    self._points = frozenset(_mount_points(f.read()))
            except OSError:
                self._points, self._available = frozenset(), False
        return self._points

    def is_mount(self, path: Path) -> bool:
        points = self.points
        if not self._available:
            return os.path.ismount(path)
        return _real(path) in points

    def inside(self, root: Path) -> set[bytes]:
        """The mount points strictly inside ``root``, named through ``root``'s own path."""
        points = self.points
        if not points:
            return set()
        real = _inside(_real(root))
        base = _inside(root)
        return {base + p[len(real):] for p in points if p.startswith(real) and len(p) > len(real)}


def _mount_points(text: bytes) -> Iterator[bytes]:
    for line in text.splitlines():
        fields = line.split(b" ")
        if len(fields) > 4:
            yield re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), fields[4])


class FolderGuard:
    """One folder during one scan: where its photos live, and which missing ones are really gone.

    ``recorded`` is what the last scan found (directory -> ``Identity``: the folder's root and
    every mount point or other device inside it), None when nothing was recorded yet.  The walk
    reports the directories it lists (``visit_dir``); ``settle`` compares the recorded places
    with the disk before reconciling; ``judge`` picks the missing photos to keep; ``to_record``
    is what to store for the next scan.
    """

    GONE, DOUBTFUL, HELD = "gone", "doubtful", "held"

    def __init__(
        self, root: Path, recorded: str | None, excluder: Excluder, mounts: MountTable, *,
        folder_size: Callable[[], int],
    ):
        self.root = root
        self.recorded = decode_devices(recorded)
        self.records: dict[str, Identity] = dict(self.recorded or {})
        self.found: dict[str, Identity] = {}  # places the walks of this scan listed
        self.offline: list[str] = []  # recorded places whose disk changed: left alone in this scan
        self.kept: list[PhotoRow] = []
        self.withheld = 0  # known photos left alone in places whose disk changed
        self._excluder = excluder
        self._mounts = mounts
        self._folder_size = folder_size
        self._inner: set[bytes] | None = None
        self._identities: dict[Path, Identity | None] = {}
        self._listings: dict[Path, set[str] | None] = {}
        self._empty: dict[Path, Path] = {}  # photo -> the empty directory that held it (nothing recorded)
        self._unknown: set[Path] = set()  # such directories whose photos are kept: recorded as UNKNOWN

    # -- the walk reports every directory it lists --------------------------------------

    def visit_dir(self, path: Path, dev: int, parent_dev: int | None, linked: bool) -> None:
        if path == self.root:
            ident = self.identity(path)
            if ident is not None:
                self.found[str(path)] = ident
            return
        if parent_dev is None:  # the start of a partial walk
            parent = self.identity(path.parent)
            parent_dev = parent[0] if parent else dev
        if linked:
            mounted = self._mounts.is_mount(path)
        else:
            if self._inner is None:
                self._inner = self._mounts.inside(self.root)
            mounted = bool(self._inner) and encode_path(path) in self._inner
        if mounted or dev != parent_dev:
            self.found[str(path)] = (dev, mounted)

    # -- before reconciling ----------------------------------------------------------

    def settle(self, seen: dict[bytes, FileEntry], known: dict[bytes, PhotoRow], *, whole: bool = True) -> bool:
        """Compare the recorded places with the disk; False when the root itself is on another disk.

        A place now on another device (or no longer, or newly, a mount point) is accepted when
        most of the photos known there were found there again (a share remounted under a new
        device number); otherwise it is left alone for this scan: its photos are kept and what
        is there now is not added (the files of a directory an unmounted share left visible).
        ``seen`` and ``known`` lose that place's entries.  ``whole``: they cover the whole folder;
        otherwise (a partial scan, which sees too little to accept a change) every changed place
        is left alone, and False for the root asks for a whole scan.
        """
        for place, old in list((self.recorded or {}).items()):
            now = self.identity(Path(place))
            if now is None or now == old:
                continue  # a missing place: ``judge`` keeps its photos
            prefix = _inside(place)
            there = sum(1 for key in known if key.startswith(prefix))
            found = sum(1 for key in seen if key.startswith(prefix) and key in known)
            if not there and not whole:
                continue  # nothing of this partial scan is there
            if whole and (not there or found >= there - found):
                logger.info("%s is on another device than before, with the same photos", place)
                self.records[place] = now
                continue
            self.offline.append(place)
            if Path(place) == self.root:
                return False
            logger.warning("%s is not the disk its photos were found on (unmounted?); keeping them", place)
            for key in [k for k in seen if k.startswith(prefix)]:
                del seen[key]
            for key in [k for k in known if k.startswith(prefix)]:
                del known[key]
                self.withheld += 1
        return True

    # -- deciding about photos the walk did not find -------------------------------------

    def judge(self, rows: list[PhotoRow]) -> set[int]:
        """The ids of ``rows`` (photos not found) to keep: all but those positively gone, and
        the doubtful ones too when they are more than a small share of the folder."""
        verdicts = {row.id: self._verdict(row.path) for row in rows}
        held = [r for r in rows if verdicts[r.id] == self.HELD]
        doubtful = [r for r in rows if verdicts[r.id] == self.DOUBTFUL]
        keep = held
        if doubtful:
            limit = max(SMALL_LOSS_MIN, int(SMALL_LOSS_SHARE * self._folder_size()))
            if len(doubtful) > limit:
                logger.warning(
                    "keeping %d missing photo(s) of %s: their folders exist but could not confirm they are "
                    "gone (more than %d at once; an unmounted share?)", len(doubtful), self.root, limit,
                )
                keep = held + doubtful
        if held:
            logger.warning(
                "keeping %d missing photo(s) of %s: the folders that held them are unreadable, missing "
                "or on another disk (unmounted?)", len(held), self.root,
            )
        self.kept += keep
        self._unknown |= {self._empty[r.path] for r in keep if r.path in self._empty}
        return {r.id for r in keep}

    def _verdict(self, path: Path) -> str:
        root = self.root
        if root not in path.parents:
            return self.GONE  # a stale path outside the folder (an alias of it, merged)
        if self._excluder.excluded_below(root, path):
            return self.GONE  # excluded now
        place = next((p for p in path.parents if str(p) in self.records), None)
        expected = self.records[str(place)] if place is not None else None
        if place is not None and self.identity(place) != expected:
            return self.HELD  # its disk is not there (missing, unmounted, another one)
        parent = path.parent
        while self.identity(parent) is None:
            if parent == root or parent == place:
                return self.HELD
            parent = parent.parent
        if expected is not None and parent != place and self.identity(parent) != (expected[0], False):
            return self.HELD  # another disk is mounted over the folder that held it
        listing = self._listing(parent)
        if listing is None:
            return self.HELD
        if not listing and self.recorded is None:
            self._empty[path] = parent
            return self.DOUBTFUL  # an empty directory, and no record of the device it was on
        name = path.relative_to(parent).parts[0]
        return self.DOUBTFUL if name in listing else self.GONE

    def identity(self, path: Path) -> Identity | None:
        """(device, is a mount point) of the directory ``path``; None if it is not one."""
        if path not in self._identities:
            ident: Identity | None = None
            try:
                st = os.stat(path)
                if stat.S_ISDIR(st.st_mode):
                    ident = (st.st_dev, self._mounts.is_mount(path))
            except OSError:
                pass
            self._identities[path] = ident
        return self._identities[path]

    def _listing(self, path: Path) -> set[str] | None:
        if path not in self._listings:
            try:
                with os.scandir(path) as it:
                    self._listings[path] = {e.name for e in it}
            except OSError as exc:
                logger.debug("cannot list %s: %s", path, exc)
                self._listings[path] = None
        return self._listings[path]

    # -- after reconciling -----------------------------------------------------------

    def to_record(self, *, whole: bool) -> dict[str, Identity]:
        """What to store for the next scan.

        ``whole``: the walk covered the folder, so places not found again are forgotten unless
        photos are still kept below them; otherwise (a partial scan) new places are only added.
        """
        records = dict(self.records)
        for directory in self._unknown:  # its photos stay kept until what held them is back
            records.setdefault(str(directory), UNKNOWN)
        offline = [_inside(p) for p in self.offline]
        for place, ident in self.found.items():
            if place in self.offline or any(encode_path(place).startswith(o) for o in offline):
                continue
            if whole or place not in records:
                records[place] = ident
        if whole:  # a place no longer there is remembered while photos found there are kept
            kept = [encode_path(r.path) for r in self.kept]
            for place in list(records):
                prefix = _inside(place)
                if place not in self.found and place not in self.offline and not any(
                    k.startswith(prefix) for k in kept
                ):
                    del records[place]
        return records


def encode_devices(records: dict[str, Identity]) -> str:
    return json.dumps({k: [dev, int(mounted)] for k, (dev, mounted) in sorted(records.items())})


def decode_devices(text: str | None) -> dict[str, Identity] | None:
    if text is None:
        return None
    try:
        data = json.loads(text)
        return {str(k): (int(v[0]), bool(v[1])) for k, v in data.items()}
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        logger.warning("ignoring an unreadable device record of a folder: %.80r", text)
        return None


def walk(
    folder: FolderRow, excluder: Excluder, guard: FolderGuard | None = None, *, root: Path | None = None
) -> Iterator[FileEntry]:
    """Every image file under ``folder``; follows symlinks once, never loops, never yields a file twice.

    ``guard`` (if given) hears of every directory listed, with its device.  ``root``: the
    library folder that ``folder`` is part of (default: ``folder`` itself).
    """
    root = folder.path if root is None else root
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()
    linked: list[tuple[Path, os.stat_result]] = []  # symlinked files: yielded last, unless the real file is here too
    # (directory, device of the directory it was found in; None for the start)
    stack: list[tuple[Path, int | None]] = [(folder.path, None)]
    linked_dirs: list[tuple[Path, int | None]] = []  # symlinked directories: walked after the real tree
    while stack or linked_dirs:
        is_link = not stack
        directory, parent_dev = stack.pop() if stack else linked_dirs.pop(0)
        try:
            st = os.stat(directory)
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            logger.info("skipping %s: already visited (symlink loop?)", directory)
            continue
        seen_dirs.add(key)
        if excluder.skip_key(key, start=parent_dev is None) or (is_link and excluder.foreign(directory, root)):
            logger.debug("skipping %s: the library's own folder, or another folder of the library", directory)
            continue
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: (e.is_symlink(), e.name))
        except OSError as exc:
            logger.warning("cannot list %s: %s", directory, exc)
            continue
        if guard is not None:
            guard.visit_dir(directory, st.st_dev, parent_dev, is_link)
        for entry in entries:
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                continue
            if is_dir:
                if not excluder.skip_dir(path):
                    (linked_dirs if entry.is_symlink() else stack).append((path, st.st_dev))
                continue
            if entry.name.startswith(".") or not is_image_name(entry.name):
                continue
            try:
                fst = entry.stat(follow_symlinks=True)
            except OSError:
                continue  # dangling symlink or vanished file
            if not stat.S_ISREG(fst.st_mode):
                continue
            if entry.is_symlink():
                linked.append((path, fst))
                continue
            fkey = (fst.st_dev, fst.st_ino)
            if fkey in seen_files:
                continue  # a hard link to a file already found
            seen_files.add(fkey)
            yield FileEntry(path, folder.id, fst.st_size, fst.st_mtime_ns)
    for path, fst in linked:
        fkey = (fst.st_dev, fst.st_ino)
        if fkey not in seen_files and not excluder.foreign(path, root):
            seen_files.add(fkey)
            yield FileEntry(path, folder.id, fst.st_size, fst.st_mtime_ns)


def stat_entry(path: Path, folder_id: int) -> FileEntry | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode) or not is_image_name(path.name):
        return None
    return FileEntry(path, folder_id, st.st_size, st.st_mtime_ns)


def reconcile(
    catalog: Catalog, seen: dict[bytes, FileEntry], known: dict[bytes, PhotoRow],
    keep: Callable[[list[PhotoRow]], Collection[int]] | None = None,
) -> ScanResult:
    """Bring the catalog rows ``known`` in line with the files ``seen`` (same scope), in one transaction.

    A known photo not seen (and not moved) is deleted unless ``keep`` (given those rows)
    returns its id: without ``keep``, every one is deleted.
    """
    result = ScanResult(seen=len(seen))
    new: list[FileEntry] = []
    with catalog.transaction():
        for key, entry in seen.items():
            row = known.get(key)
            if row is None:
                new.append(entry)
            elif row.size == entry.size and row.mtime_ns == entry.mtime_ns and row.folder_id == entry.folder_id:
                result.unchanged += 1
            else:
                catalog.mark_changed(row.id, entry.size, entry.mtime_ns, quick_hash(entry.path, entry.size))
                result.changed += 1
                result.removed_ids.append(row.id)
        gone = {key: row for key, row in known.items() if key not in seen}
        gone_by_hash: dict[str, list[PhotoRow]] = {}
        for row in gone.values():
            if row.quick_hash:
                gone_by_hash.setdefault(row.quick_hash, []).append(row)
        for entry in new:
            digest = quick_hash(entry.path, entry.size)
            candidates = gone_by_hash.get(digest or "", [])
            if candidates:
                row = candidates.pop()
                del gone[encode_path(row.path)]
                catalog.move_photo(row.id, entry.path, entry.folder_id, entry.size, entry.mtime_ns)
                result.moved += 1
                continue
            photo_id = catalog.insert_photo(entry.path, entry.folder_id, entry.size, entry.mtime_ns, digest)
            twin = _indexed_twin(catalog, digest, photo_id) if digest else None
            if twin is not None and catalog.copy_vectors(twin, photo_id):
                result.copied += 1
                result.reused_ids.append(photo_id)
            else:
                result.new += 1
        if gone:
            kept = set(keep(list(gone.values()))) if keep is not None else set()
            ids = [row.id for row in gone.values() if row.id not in kept]
            if ids:
                catalog.delete_photos(ids)
            result.deleted += len(ids)
            result.kept += len(gone) - len(ids)
            result.removed_ids += ids
    return result


def _indexed_twin(catalog: Catalog, digest: str, exclude_id: int) -> int | None:
    for row in catalog.photos_by_hash(digest):
        if row.id != exclude_id and row.status == "ok":
            return row.id
    return None
