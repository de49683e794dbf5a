"""The library in date order, for browsing, and the filters of searches and browsing.

The browse order is newest first by the date a photo was taken (EXIF), else
its file's modification time (UTC), then by id: the generated columns
``browse_at`` and ``browse_month`` and the index ``photos_browse``
(catalog_schema) serve it, so a million photos come back in order without a
sort and without reading the table.  ``BrowseQueries(catalog)`` reads through
any catalog (a reader's too): ``filtered_ids`` gives the photos passing a
folder and date filter, ``hit_rows`` what a result shows of each photo.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.catalog_reading import C, CatalogPart, chunks
from indexer.catalog_rows import decode_path, prefix_bounds

FETCH_ROWS = 50_000


class BrowseQueries(CatalogPart[C]):
    """Browsing and filtering the photos of one catalog connection (see the module doc)."""

    def filtered_ids(
        self, *, folder: Path | None, after: str | None, before: str | None, online_only: bool = True
    ) -> list[int]:
        """Ids of photos passing the filters (dates as ISO strings, ``before`` exclusive)."""
        where, params = self.filter_sql(folder=folder, after=after, before=before, online_only=online_only)
        return [r[0] for r in self.conn.execute(f"SELECT p.id FROM photos p {where}", params)]

    def filter_sql(
        self, *, folder: Path | None, after: str | None, before: str | None, online_only: bool
    ) -> tuple[str, tuple[object, ...]]:
        """A WHERE clause on ``photos p`` and its parameters for the filters (empty: no filter)."""
        clauses: list[str] = []
        params: list[object] = []
        if folder is not None:
            lo, hi = prefix_bounds(folder)
            clauses.append("p.path >= ? AND p.path < ?")
            params += [lo, hi]
        date_expr = "COALESCE(p.taken_at, strftime('%Y-%m-%dT%H:%M:%S', p.mtime_ns / 1e9, 'unixepoch', 'localtime'))"
        if after:
            clauses.append(f"{date_expr} >= ?")
            params.append(after)
        if before:
            clauses.append(f"{date_expr} < ?")
            params.append(before)
        if online_only:
            clauses.append("p.folder_id IN (SELECT id FROM folders WHERE online=1)")
        return ("WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)

    def hit_rows(self, ids: Sequence[int]) -> dict[int, tuple[Any, ...]]:
        """(path, width, height, taken_at, camera, mtime_ns, folder online) for result display."""
        out: dict[int, tuple[Any, ...]] = {}
        for chunk in chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            for r in self.conn.execute(
                "SELECT p.id, p.path, p.width, p.height, p.taken_at, p.camera, p.mtime_ns, f.online "
                f"FROM photos p JOIN folders f ON f.id = p.folder_id WHERE p.id IN ({marks})",
                tuple(chunk),
            ):
                out[r[0]] = (decode_path(r[1]), *r[2:])
        return out

    def browse_order(
        self, *, folder: Path | None = None, after: str | None = None, before: str | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(ids, months) of the readable photos passing the filters, newest first; ``months`` as
        YYYYMM integers (0: no date).  Dates are ISO strings, ``before`` exclusive."""
        where, params = self.filter_sql(folder=folder, after=after, before=before, online_only=True)
        where = f"{where} AND p.status = 'ok'" if where else "WHERE p.status = 'ok'"
        cursor = self.conn.execute(
            f"SELECT p.id, p.browse_month FROM photos p INDEXED BY photos_browse {where} "
            "ORDER BY p.browse_at DESC, p.id DESC",
            params,
        )
        blocks: list[np.ndarray] = []
        while rows := cursor.fetchmany(FETCH_ROWS):
            blocks.append(np.array(rows, dtype=np.int64).reshape(-1, 2))
        if not blocks:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
        table = np.concatenate(blocks)
        return table[:, 0].copy(), table[:, 1].astype(np.int32)
