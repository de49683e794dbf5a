"""What the GUI's signals carry where no Qt type says it: named, immutable payload types.

A Qt signal declares its arguments by type, and ``Signal(list)`` or
``Signal(object)`` declares nothing about what is inside.  A list of
folders, a set of paths or "a place, or none" crosses a signal here as one
of these types instead, so the declaration (``foldersChanged =
Signal(Folders)``) says what arrives, an emitter builds the payload with a
typed constructor that mypy checks, and a slot annotated with the type reads
it as what it is.  PySide6 passes an instance of a Python class through a
signal (queued across threads too) as the very object that was emitted.

The collections are tuple subclasses: frozen, and usable wherever a
``Sequence`` of their items is (``Folders`` is a ``Sequence[FolderInfo]``),
so a slot that takes a sequence takes them unchanged.  A payload that may be
"nothing" is a frozen dataclass holding an optional value, since a signal
argument declared as a class must not be None.

``tests/app/test_typed_signals.py`` fails when a signal in ``app/`` is
declared with ``object``, ``list`` or ``dict`` again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from indexer.places.filter import PlaceFilter
from indexer.places.tables import PlaceCount
from indexer.query.parse import ParsedQuery
from indexer.status import Failure, FolderInfo


class Folders(tuple[FolderInfo, ...]):
    """The library's folders with their counts, in the order the library lists them."""

    __slots__ = ()


class Failures(tuple[Failure, ...]):
    """The files that could not be read, and why."""

    __slots__ = ()


class PlaceCounts(tuple[PlaceCount, ...]):
    """The places of the library's photos with how many were taken in each, most photos first."""

    __slots__ = ()


class Paths(tuple[Path, ...]):
    """Files or folders the user chose (to copy, to try again, to index)."""

    __slots__ = ()


class PhotoIds(tuple[int, ...]):
    """Catalog ids of photos (a page of the browsed timeline)."""

    __slots__ = ()


class CleanupPlan(tuple[tuple[Path, tuple[int, ...]], ...]):
    """What to move to the trash: per group of duplicates, (the photo kept, the ids of the photos to trash)."""

    __slots__ = ()


@dataclass(frozen=True)
class ScanRequest:
    """Find duplicate groups of ``kind`` ("exact", "near", "burst"), or of every kind (None)."""

    kind: str | None = None


@dataclass(frozen=True)
class PlaceChoice:
    """The place chosen in the Places list, or None for "Anywhere"."""

    place: PlaceFilter | None = None


@dataclass(frozen=True)
class Understood:
    """How the last text query was read (its words, place and dates), or None: no text query, or none yet."""

    parsed: ParsedQuery | None = None
