"""A capability's own tables: ``SliceSchema``, its migrations, numbered apart from the core's.

The core's schema is one numbered list of migrations (``catalog_schema``); the
capabilities that shipped with it (vectors, videos, duplicates, places, text
in photos) have their tables there, and those migrations are never edited.  A
capability added since brings its tables as a ``SliceSchema``: a name and its
own list of migrations.  The catalog records each slice's version in ``meta``
(``schema:<name>``), so a slice's migrations run once, in order, in the
writer's transaction, whatever other slices do, and a reader refuses a
catalog whose slice tables are older than it knows (``CatalogOutdated``) or
newer (``LibraryError``), as it does for the core's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # migrations run in writers only: a reader does not import sqlite_utils
    import sqlite_utils

Migration = Callable[["sqlite_utils.Database"], None]


@dataclass(frozen=True)
class SliceSchema:
    """One capability's tables: ``migrations[0]`` makes version 1, ``migrations[1]`` version 2, ...

    Add a migration at the end to change them; never edit one that has shipped."""

    name: str
    migrations: tuple[Migration, ...]
    key: str = ""  # the ``meta`` key of its version (default ``schema:<name>``)

    @property
    def version(self) -> int:
        return len(self.migrations)

    @property
    def meta_key(self) -> str:
        return self.key or f"schema:{self.name}"


def run_script(db: sqlite_utils.Database, script: str) -> None:
    """Run DDL statements one by one: ``executescript`` would commit the migration's transaction."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)
