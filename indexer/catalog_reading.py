"""What reading a catalog offers, and the base of the tables of each part of the library.

``CatalogReading`` is the catalog as a reader sees it: the shared tables
(folders, photos, failures, counts, the vector change log's head) and no
method that writes.  A ``Catalog`` (the writer's, or a read-only one) is one;
readers are typed against this protocol, so a write through a reader is a
type error, not only a refusal of SQLite at run time.

``CatalogPart`` is the base of a part's tables (``PlaceTables(catalog)``,
``PhotoTextTables(catalog)``, ...): a thin wrapper over one catalog
connection, generic in the catalog it wraps.  Its reading methods work on
any ``CatalogReading``; its writing methods declare ``self: Part[Catalog]``,
so that they can be called only on the tables of a writable ``Catalog``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from indexer.catalog_rows import FolderRow, PhotoRow
from indexer.slice_schema import SliceSchema

T = TypeVar("T")


class CatalogReading(Protocol):
    """The reading methods of a catalog connection (see the module doc)."""

    @property
    def path(self) -> Path: ...

    @property
    def readonly(self) -> bool: ...

    @property
    def immutable(self) -> bool: ...

    @property
    def conn(self) -> sqlite3.Connection: ...  # for the SQL of a part's reading methods

    def close(self) -> None: ...
    def check_integrity(self) -> None: ...
    def known_schema_version(self) -> int: ...
    def known_slice_version(self, schema: SliceSchema) -> int: ...
    def schema_version(self) -> int: ...
    def change_stamp(self) -> tuple[int, int]: ...

    def folders(self) -> list[FolderRow]: ...
    def folder_devices(self, folder_id: int) -> str | None: ...
    def folder_counts(self, model: str | None) -> dict[int, dict[str, int]]: ...

    def photos_in_folder(self, folder_id: int) -> dict[bytes, PhotoRow]: ...
    def photos_under(self, folder: Path) -> dict[bytes, PhotoRow]: ...
    def photo_by_path(self, path: Path) -> PhotoRow | None: ...
    def photos_by_hash(self, quick_hash: str) -> list[PhotoRow]: ...
    def photos_by_id(self, ids: Sequence[int]) -> dict[int, PhotoRow]: ...
    def photo_rows(self, where: str, params: tuple[object, ...]) -> list[PhotoRow]: ...
    def failures(self) -> list[PhotoRow]: ...
    def counts(self, model: str | None) -> dict[str, int]: ...
    def checkpoint(self, model: str) -> int: ...


C = TypeVar("C", bound=CatalogReading, covariant=True)


class CatalogPart(Generic[C]):
    """The tables of one part of the library, over one catalog connection (see the module doc)."""

    def __init__(self, catalog: C) -> None:
        self.catalog = catalog
        self.conn = catalog.conn


def chunks(items: list[T], size: int = 900) -> Iterable[list[T]]:
    """``items`` in lists of at most ``size`` (SQLite allows 999 parameters in one statement)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


__all__ = ["C", "CatalogPart", "CatalogReading", "chunks"]
