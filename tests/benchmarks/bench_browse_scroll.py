"""Benchmark: browsing a library of 1,000,000 photos -- reading its timeline, and frame time while scrolling.

    QT_QPA_PLATFORM=offscreen python -m tests.benchmarks.bench_browse_scroll           # 1,000,000 photos
    QT_QPA_PLATFORM=offscreen python -m tests.benchmarks.bench_browse_scroll --quick   # 50,000 photos

1. Timeline: a catalog with N photo rows (dates spread over ten years, one in
   ten without EXIF: its file time counts) is created once (cached); then
   ``BrowseQueries.browse_order`` (what ``LibraryReader.timeline`` runs on the
   browse thread) reads every id and month newest first, timed three times.
2. Frames: the real ``ResultsGrid`` (1380 x 880, 196-px cells) on a
   ``BrowseModel`` of that timeline.  Pages are answered at once with rows
   made up in memory (no disk), and every thumbnail is the same decoded
   image, so a frame is exactly what the GUI thread does per frame: lay out,
   ask the model, paint the visible cells.  Two scrolls: 600 wheel steps of
   120 px from the top, and 300 jumps spread over the whole library (the
   scrubber).  Each frame is ``viewport().repaint()`` after moving the scroll
   bar, timed on the GUI thread.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QObject, Signal  # noqa: E402
from PySide6.QtGui import QColor, QImage  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.compat import protect_bool_singletons  # noqa: E402
from app.item_models.browse_model import BrowseModel  # noqa: E402
from app.widgets.results_grid import ResultsGrid  # noqa: E402
from indexer.catalog import Catalog, encode_path  # noqa: E402
from indexer.catalog_browse import BrowseQueries
from indexer.catalog_schema import BROWSE_INDEX_COLUMNS  # noqa: E402
from indexer.search import Hit  # noqa: E402
from indexer.timeline import Timeline  # noqa: E402
from tests.benchmarks._common import CACHE, load, parser  # noqa: E402

YEARS = 10


class SameThumbnail(QObject):
    """Stands in for the ThumbnailLoader: every photo has the same, already decoded thumbnail."""

    loaded = Signal(str, QImage)
    failed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.image = QImage(256, 192, QImage.Format.Format_RGB32)
        self.image.fill(QColor("#6a8caf"))

    def get(self, _key: str, _sources: tuple[str]) -> QImage:
        return self.image

    def is_failed(self, _key: str) -> bool:
        return False


def catalog_with(n: int) -> Path:
    """A catalog of ``n`` photo rows (one folder), cached between runs."""
    path = CACHE / f"browse-{n}" / "catalog.sqlite"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".building")
    if tmp.exists():
        tmp.unlink()
    cat = Catalog(tmp)
    cat.conn.execute("INSERT INTO folders(id, path, added_at, online) VALUES (1, ?, 0, 1)",
                     (encode_path(Path("/photos")),))
    rng = np.random.default_rng(0)
    start = 1_420_070_400  # 2015-01-01
    seconds = rng.integers(0, YEARS * 365 * 86400, n).tolist()
    cat.conn.execute("DROP INDEX photos_browse")   # built once at the end: much faster than row by row
    with cat.transaction():
        for first in range(0, n, 100_000):
            rows = []
            for i in range(first, min(n, first + 100_000)):
                s = seconds[i]
                taken = None if i % 10 == 0 else time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start + s))
                rows.append((i + 1, encode_path(Path(f"/photos/{i // 1000:04d}/img_{i:07d}.jpg")), 1, 1000,
                             (start + s) * 1_000_000_000, 4000, 3000, taken))
            cat.conn.executemany(
                "INSERT INTO photos(id, path, folder_id, size, mtime_ns, width, height, taken_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)", rows)
    cat.conn.execute(f"CREATE INDEX photos_browse ON photos({BROWSE_INDEX_COLUMNS})")
    cat.close()
    tmp.rename(path)
    return path


def time_timeline(path: Path) -> tuple[list[float], Timeline]:
    conn_cat = Catalog(path, readonly=True)
    times = []
    timeline = Timeline(np.zeros(0), np.zeros(0))
    for _ in range(3):
        t0 = time.perf_counter()
        ids, months = BrowseQueries(conn_cat).browse_order()
        times.append(time.perf_counter() - t0)
        timeline = Timeline(ids, months)
    conn_cat.close()
    return times, timeline


def frames(grid: ResultsGrid, app: QApplication, positions: list[int]) -> list[float]:
    out = []
    bar = grid.verticalScrollBar()
    for value in positions:
        t0 = time.perf_counter()
        bar.setValue(value)
        grid.viewport().repaint()
        app.processEvents()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def summary(ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=100)
    return (f"median {statistics.median(ms):.1f} ms, p95 {q[94]:.1f} ms, p99 {q[98]:.1f} ms, "
            f"max {max(ms):.1f} ms ({len(ms)} frames)")


def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__).parse_args(argv)
    n = 50_000 if args.quick else 1_000_000
    app = QApplication.instance() or QApplication([])
    protect_bool_singletons()   # as the app does: painting makes many calls that drop a reference to None
    t0 = time.perf_counter()
    path = catalog_with(n)
    print(f"catalog of {n:,} photos ready in {time.perf_counter() - t0:.1f} s ({path})")
    times, timeline = time_timeline(path)
    print(f"timeline read (browse_order, newest first): {', '.join(f'{t:.2f}' for t in times)} s  [{load()}]")
    sections = timeline.sections()
    print(f"  {len(timeline):,} photos in {len(sections)} month sections; "
          f"{timeline.ids.nbytes + timeline.months.nbytes >> 20} MB")

    thumbs = SameThumbnail()
    model = BrowseModel(thumbs)  # type: ignore[arg-type]  # the stand-in has the loader's interface

    def answer(generation: int, page: int, ids: Sequence[int]) -> None:
        model.set_page(generation, page, [Hit(pid, Path(f"/photos/img_{pid:07d}.jpg"), 0.0, 0, 4000, 3000,
                                              "2020-01-01T00:00:00") for pid in ids])

    model.pageWanted.connect(answer)
    grid = ResultsGrid()
    grid.resize(1380, 880)
    t0 = time.perf_counter()
    model.set_timeline(timeline)
    grid.setModel(model)
    grid.show()
    app.processEvents()
    print(f"model sized and laid out: {(time.perf_counter() - t0) * 1000:.0f} ms; "
          f"{grid.columns} columns of {grid.cell} px, content {grid.content_height():,} px")
    frames(grid, app, list(range(0, 120 * 20, 120)))   # warm-up (tile cache, fonts)
    wheel = frames(grid, app, list(range(0, 120 * 600, 120)))
    print(f"wheel scroll, 600 steps of 120 px: {summary(wheel)}  [{load()}]")
    top = grid.verticalScrollBar().maximum()
    jumps = frames(grid, app, [int(top * f) for f in np.random.default_rng(1).random(300)])
    print(f"jumps across the library (scrubber), 300: {summary(jumps)}  [{load()}]")
    grid.close()
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
