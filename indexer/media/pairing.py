"""Files that are one photo: a RAW beside its JPEG or HEIC, the movie of a Live Photo beside its still.

Two files in the same folder with the same name but for the extension
(compared without regard to case) are one photo when one is a *still*
(JPEG, HEIC/HEIF) and the other a RAW file (``raw_with_still``) or a
QuickTime movie (``live_photos``: the motion part of a Live Photo).  The
still is indexed and searched; its companions are not indexed on their own
and come with it in search results, so it is shown once and can be opened in
either form.  Turning a rule off makes the files separate photos again.

The scan finds a still's companions in the folder listing it reads anyway
(``companions_by_still``; ``companion_files`` for a single changed still) and
the catalog records them, so a search reads them from there.  A changed file
changes the standing of the files paired with it (``paired_with``): a RAW that
arrives or leaves changes its still's companions, a still that leaves makes
its companions photos of their own.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from indexer.media.kinds import RAW_EXTENSIONS, extension

STILL_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".heic", ".heif", ".hif"})
MOTION_EXTENSIONS = frozenset({".mov"})
RAW_ROLE = "raw"
MOTION_ROLE = "motion"
MAX_LISTED = 50_000  # entries read from one folder when looking for companions
_CACHE_FOLDERS = 256
_RACY_NS = 2_000_000_000  # a folder changed this recently may change again within its mtime's tick: not cached


@dataclass(frozen=True)
class Pairing:
    """Which companions go with a still (both by default)."""

    raw_with_still: bool = True
    live_photos: bool = True

    def role(self, name: str) -> str | None:
        """The role a file named ``name`` would have beside a still, under these rules (None: none)."""
        ext = extension(name)
        if self.raw_with_still and ext in RAW_EXTENSIONS:
            return RAW_ROLE
        if self.live_photos and ext in MOTION_EXTENSIONS:
            return MOTION_ROLE
        return None


def _stem(name: str) -> str:
    return os.path.splitext(name)[0].casefold()


Companions = tuple[tuple[str, str], ...]  # (file name, role) of each companion of a still


def companions_by_still(names: Iterable[str], pairing: Pairing) -> dict[str, Companions]:
    """The stills among ``names`` (the files of one folder) that have companions there, with them
    (name and role, sorted by name)."""
    names = list(names)
    by_stem: dict[str, list[tuple[str, str]]] = {}
    for name in names:
        role = pairing.role(name)
        if role is not None:
            by_stem.setdefault(_stem(name), []).append((name, role))
    return {n: tuple(sorted(by_stem[_stem(n)])) for n in names
            if extension(n) in STILL_EXTENSIONS and _stem(n) in by_stem}


def companions_in(names: Iterable[str], pairing: Pairing) -> set[str]:
    """Those of ``names`` (the files of one folder) that are companions of a still among them."""
    return {name for found in companions_by_still(names, pairing).values() for name, _role in found}


def is_companion(path: Path, pairing: Pairing, listings: FolderListings | None = None) -> bool:
    """Whether the file ``path`` is the companion of a still beside it (a few ``stat`` calls)."""
    if pairing.role(path.name) is None:
        return False
    stem = os.path.splitext(path.name)[0]
    for ext in STILL_EXTENSIONS:
        for candidate in (ext, ext.upper()):
            if (path.parent / (stem + candidate)).is_file():
                return True
    return _stem(path.name) in _listing(path.parent, listings).stills


@dataclass(frozen=True)
class _Listing:
    stills: dict[str, tuple[str, ...]]  # stem -> names of the stills of that stem
    companions: dict[str, Companions]  # stem -> ((name, role), ...) under every rule


class _FolderCache:
    """Folder listings by (path, mtime): a folder's mtime changes whenever a file is added or removed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Path, tuple[int, _Listing]] = {}

    def get(self, folder: Path) -> _Listing:
        try:
            stamp = os.stat(folder).st_mtime_ns
        except OSError:
            return _Listing({}, {})
        with self._lock:
            hit = self._entries.get(folder)
            if hit is not None and hit[0] == stamp:
                return hit[1]
        listing = _list(folder)
        if time.time_ns() - stamp < _RACY_NS:  # another change in the same tick would keep this mtime
            return listing
        with self._lock:
            if len(self._entries) >= _CACHE_FOLDERS:
                self._entries.pop(next(iter(self._entries)))
            self._entries[folder] = (stamp, listing)
        return listing


def _list(folder: Path) -> _Listing:
    every = Pairing()
    stills: dict[str, list[str]] = {}
    companions: dict[str, list[tuple[str, str]]] = {}
    try:
        with os.scandir(folder) as it:
            for count, entry in enumerate(it):
                if count >= MAX_LISTED:
                    break
                ext = extension(entry.name)
                if ext in STILL_EXTENSIONS:
                    stills.setdefault(_stem(entry.name), []).append(entry.name)
                role = every.role(entry.name)
                if role is not None:
                    companions.setdefault(_stem(entry.name), []).append((entry.name, role))
    except OSError:
        pass
    return _Listing({k: tuple(sorted(v)) for k, v in stills.items()},
                    {k: tuple(sorted(v)) for k, v in companions.items()})


class FolderListings:
    """Folder listings, each folder listed once: what one scan sees of the folders it looks at (a burst
    of changes in one folder lists it once, however recently it changed)."""

    def __init__(self) -> None:
        self._seen: dict[Path, _Listing] = {}

    def __call__(self, folder: Path) -> _Listing:
        listing = self._seen.get(folder)
        if listing is None:
            listing = self._seen[folder] = _list(folder)
        return listing


_cache = _FolderCache()


def _listing(folder: Path, listings: FolderListings | None = None) -> _Listing:
    return listings(folder) if listings is not None else _cache.get(folder)


def companion_files(path: Path, pairing: Pairing | None = None,
                    listings: FolderListings | None = None) -> tuple[tuple[Path, str], ...]:
    """The companions of the still ``path`` found beside it (under ``pairing``, default every rule):
    (path, ``"raw"`` | ``"motion"``).  ``listings``: a scan's own listings (default: a shared cache)."""
    if extension(path.name) not in STILL_EXTENSIONS:
        return ()
    pairing = pairing or Pairing()
    found = _listing(path.parent, listings).companions.get(_stem(path.name), ())
    return tuple((path.parent / name, role) for name, role in found if pairing.role(name) is not None)


def paired_with(path: Path, pairing: Pairing, listings: FolderListings | None = None) -> tuple[Path, ...]:
    """The files beside ``path`` whose standing changes when it changes (arrives, leaves, is renamed):
    the stills of a would-be companion, the would-be companions of a still.  ``path`` itself may be gone."""
    stem = _stem(path.name)
    if pairing.role(path.name) is not None:
        names: Iterable[str] = _listing(path.parent, listings).stills.get(stem, ())
    elif extension(path.name) in STILL_EXTENSIONS:
        found = _listing(path.parent, listings).companions.get(stem, ())
        names = (n for n, _role in found if pairing.role(n) is not None)
    else:
        return ()
    return tuple(path.parent / n for n in names if n != path.name)
