"""The library in date order, for browsing (a part of ``Catalog``).

The browse order is newest first by the date a photo was taken (EXIF), else
its file's modification time (UTC), then by id: the generated columns
``browse_at`` and ``browse_month`` and the index ``photos_browse``
(catalog_schema) serve it, so a million photos come back in order without a
sort and without reading the table.  ``BrowseQueries`` is mixed into ``Catalog``, which
provides the connection and the filters.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

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
        cursor = self.conn.execute(
            f"SELECT p.id, p.browse_month FROM photos p INDEXED BY photos_browse {where} "
            "ORDER BY p.browse_at DESC, p.id DESC",
            params,
        )
        chunks: list[np.ndarray] = []
        while rows := cursor.fetchmany(FETCH_ROWS):
            chunks.append(np.array(rows, dtype=np.int64).reshape(-1, 2))
        if not chunks:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
        table = np.concatenate(chunks)
        return table[:, 0].copy(), table[:, 1].astype(np.int32)
