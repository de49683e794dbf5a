"""Which photos the walk did not find are positively gone, and where a folder's photos live.

Nothing a disk does may wipe the catalog: a photo that the walk did not find
is dropped only when it is positively gone (``FolderGuard``): the nearest
folder above it that exists was listed, holds no entry of that name, and is on
the device the photo was found on (an unmounted share is an empty directory on
another device, or no longer a mount point).  Otherwise it is kept, and at
most a small share of a folder's photos is dropped on weaker evidence.

The devices a folder's photos were found on are stored per folder between scans
(``encode_devices``/``decode_devices``); ``MountTable`` says which directories are
mount points.
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from indexer.catalog import PhotoRow, encode_path
from indexer.folder_walk import Excluder, FileEntry, inside_prefix, real_path

logger = logging.getLogger(__name__)

# A scan drops at most this share of a folder's photos (and at least SMALL_LOSS_MIN) on weak evidence:
# files whose folder exists but is empty where nothing was recorded about its device, or whose
# name is still listed although the walk could not read them.
SMALL_LOSS_SHARE = 0.02
SMALL_LOSS_MIN = 5

Identity = tuple[int, bool]  # (st_dev, is a mount point) of a directory
UNKNOWN: Identity = (-1, False)  # a directory whose device was never recorded: matches no disk


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
        return real_path(path) in points

    def inside(self, root: Path) -> set[bytes]:
        """The mount points strictly inside ``root``, named through ``root``'s own path."""
        points = self.points
        if not points:
            return set()
        real = inside_prefix(real_path(root))
        base = inside_prefix(root)
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
            prefix = inside_prefix(place)
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
        offline = [inside_prefix(p) for p in self.offline]
        for place, ident in self.found.items():
            if place in self.offline or any(encode_path(place).startswith(o) for o in offline):
                continue
            if whole or place not in records:
                records[place] = ident
        if whole:  # a place no longer there is remembered while photos found there are kept
            kept = [encode_path(r.path) for r in self.kept]
            for place in list(records):
                prefix = inside_prefix(place)
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
