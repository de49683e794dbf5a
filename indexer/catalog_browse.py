"""The library in date order, for browsing (a part of ``Catalog``).

The browse order is newest first by the date a photo was taken (EXIF), else
its file's modification time (UTC), then by id; the expression index
``photos_browse`` (catalog_schema) serves it, so a million photos come back in
order without a sort.  ``BrowseQueries`` is mixed into ``Catalog``, which
provides the connection and the filters.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

# the sort key; it must stay exactly the expression of the photos_browse index for SQLite to use it
BROWSE_KEY = "COALESCE(taken_at, strftime('%Y-%m-%dT%H:%M:%S', mtime_ns / 1000000000, 'unixepoch'))"
FETCH_ROWS = 50_000


class BrowseQueries:
    conn: sqlite3.Connection

    def _filter_sql(
        self, *, folder: Path | None, after: str | None, before: str | None, online_only: bool
    ) -> tuple[str, tuple[object, ...]]:
        raise NotImplementedError  # provided by Catalog

    def browse_order(
        self, *, folder: Path | None = None, after: str | None = None, before: str | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(ids, months) of the readable photos passing the filters, newest first; ``months`` as
        YYYYMM integers (0: no date).  Dates are ISO strings, ``before`` exclusive."""
        where, params = self._filter_sql(folder=folder, after=after, before=before, online_only=True)
        where = f"{where} AND p.status = 'ok'" if where else "WHERE p.status = 'ok'"
        key = BROWSE_KEY.replace("taken_at", "p.taken_at").replace("mtime_ns", "p.mtime_ns")
        cursor = self.conn.execute(
            f"SELECT p.id, CAST(substr({key}, 1, 4) AS INTEGER) * 100 + CAST(substr({key}, 6, 2) AS INTEGER) "
            f"FROM photos p INDEXED BY photos_browse {where} ORDER BY {key} DESC, p.id DESC",
            params,
        )
        chunks: list[np.ndarray] = []
        while rows := cursor.fetchmany(FETCH_ROWS):
            chunks.append(np.array(rows, dtype=np.int64).reshape(-1, 2))
        if not chunks:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
        table = np.concatenate(chunks)
        return table[:, 0].copy(), table[:, 1].astype(np.int32)
