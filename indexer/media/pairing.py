"""Files that are one photo: a RAW beside its JPEG or HEIC, the movie of a Live Photo beside its still.

Two files in the same folder with the same name but for the extension
(compared without regard to case) are one photo when one is a *still*
(JPEG, HEIC/HEIF) and the other a RAW file (``raw_with_still``) or a
QuickTime movie (``live_photos``: the motion part of a Live Photo).  The
still is indexed and searched; its companions are not indexed on their own
and come with it in search results (``companions``), so it is shown once
and can be opened in either form.  Turning a rule off makes the files
separate photos again.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from indexer.media.kinds import RAW_EXTENSIONS, extension

STILL_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".heic", ".heif", ".hif"})
MOTION_EXTENSIONS = frozenset({".mov"})
RAW_ROLE = "raw"
MOTION_ROLE = "motion"
MAX_LISTED = 50_000  # entries read from one folder when looking for companions
_CACHE_FOLDERS = 256


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


def companions_in(names: Iterable[str], pairing: Pairing) -> set[str]:
    """Those of ``names`` (the files of one folder) that are companions of a still among them."""
    names = list(names)
    stills = {_stem(n) for n in names if extension(n) in STILL_EXTENSIONS}
    return {n for n in names if pairing.role(n) is not None and _stem(n) in stills}


def is_companion(path: Path, pairing: Pairing) -> bool:
    """Whether the file ``path`` is the companion of a still beside it (a few ``stat`` calls)."""
    if pairing.role(path.name) is None:
        return False
    stem = os.path.splitext(path.name)[0]
    for ext in STILL_EXTENSIONS:
        for candidate in (ext, ext.upper()):
            if (path.parent / (stem + candidate)).is_file():
                return True
    return _stem(path.name) in _listing(path.parent).stills


@dataclass(frozen=True)
class _Listing:
    stills: frozenset[str]
    companions: dict[str, tuple[tuple[str, str], ...]]  # stem -> ((name, role), ...)


class _FolderCache:
    """Folder listings by (path, mtime): a folder's mtime changes whenever a file is added or removed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Path, tuple[int, _Listing]] = {}

    def get(self, folder: Path) -> _Listing:
        try:
            stamp = os.stat(folder).st_mtime_ns
        except OSError:
            return _Listing(frozenset(), {})
        with self._lock:
            hit = self._entries.get(folder)
            if hit is not None and hit[0] == stamp:
                return hit[1]
        listing = _list(folder)
        with self._lock:
            if len(self._entries) >= _CACHE_FOLDERS:
                self._entries.pop(next(iter(self._entries)))
            self._entries[folder] = (stamp, listing)
        return listing


def _list(folder: Path) -> _Listing:
    every = Pairing()
    stills: set[str] = set()
    companions: dict[str, list[tuple[str, str]]] = {}
    try:
        with os.scandir(folder) as it:
            for count, entry in enumerate(it):
                if count >= MAX_LISTED:
                    break
                ext = extension(entry.name)
                if ext in STILL_EXTENSIONS:
                    stills.add(_stem(entry.name))
                role = every.role(entry.name)
                if role is not None:
                    companions.setdefault(_stem(entry.name), []).append((entry.name, role))
    except OSError:
        pass
    return _Listing(frozenset(stills), {k: tuple(sorted(v)) for k, v in companions.items()})


_cache = _FolderCache()


def _listing(folder: Path) -> _Listing:
    return _cache.get(folder)


def companion_files(path: Path) -> tuple[tuple[Path, str], ...]:
    """The companions of the still ``path`` found beside it: (path, ``"raw"`` | ``"motion"``)."""
    return companions_of([path])[0]


def companions_of(paths: Sequence[Path]) -> list[tuple[tuple[Path, str], ...]]:
    """``companion_files`` of each of ``paths``, each folder looked at once."""
    listings: dict[Path, _Listing] = {}
    out: list[tuple[tuple[Path, str], ...]] = []
    for path in paths:
        if extension(path.name) not in STILL_EXTENSIONS:
            out.append(())
            continue
        listing = listings.get(path.parent)
        if listing is None:
            listing = listings[path.parent] = _listing(path.parent)
        found = listing.companions.get(_stem(path.name), ())
        out.append(tuple((path.parent / name, role) for name, role in found))
    return out
