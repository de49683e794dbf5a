"""The library as a timeline: every readable photo newest first, in month sections.

A ``Timeline`` holds only ids and months (a million photos take 12 MB), so the
app can size and scroll a grid of the whole library at once and read the rows
it shows a page at a time (``photo_hits``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from indexer.catalog_browse import BrowseQueries
from indexer.catalog_reading import CatalogReading
from indexer.media.kinds import VIDEO, media_kind
from indexer.media.tables import MediaTables
from indexer.search import Hit
from indexer.thumbnails import ThumbnailPaths

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")


@dataclass(frozen=True)
class Timeline:
    """Photo ids newest first and the month (YYYYMM; 0: no date) of each."""

    ids: np.ndarray
    months: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def sections(self) -> list[tuple[int, int]]:
        """(first row, month) of each run of photos from the same month, in order."""
        if not len(self.months):
            return []
        starts = np.concatenate([[0], np.nonzero(np.diff(self.months))[0] + 1])
        return [(int(s), int(self.months[s])) for s in starts]


def month_title(month: int) -> str:
    """``"March 2021"`` for 202103; ``"No date"`` for 0 or anything that is not a month."""
    year, number = divmod(int(month), 100)
    if not 1 <= number <= 12 or year <= 0:
        return "No date"
    return f"{MONTH_NAMES[number - 1]} {year}"


def read_timeline(catalog: CatalogReading, *, folder: Path | None = None, after: date | None = None,
                  before: date | None = None) -> Timeline:
    """The timeline of the photos passing the filters (``before`` exclusive)."""
    ids, months = BrowseQueries(catalog).browse_order(
        folder=Path(folder).expanduser().absolute() if folder else None,
        after=after.isoformat() if after else None,
        before=before.isoformat() if before else None,
    )
    return Timeline(ids, months)


def photo_hits(
    catalog: CatalogReading, thumbnails: ThumbnailPaths, ids: Sequence[int], first_rank: int = 1
) -> list[Hit]:
    """The photos ``ids`` as hits (score 0, ranks from ``first_rank``), in that order; ids no longer in the
    catalog are left out."""
    rows = BrowseQueries(catalog).hit_rows(list(ids))
    durations = MediaTables(catalog).video_durations([pid for pid, row in rows.items() if media_kind(row[0]) == VIDEO])
    hits: list[Hit] = []
    for offset, pid in enumerate(ids):
        row = rows.get(pid)
        if row is None:
            continue
        path, width, height, taken_at, camera, _mtime, online = row
        thumb = thumbnails.path(pid)
        hits.append(Hit(pid, path, 0.0, first_rank + offset, width, height, taken_at, camera, bool(online),
                        thumb if thumb.exists() else None, media_kind(path), duration=durations.get(pid)))
    return hits
