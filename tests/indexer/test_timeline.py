"""The library as a timeline: newest first, month sections, filters, pages of rows."""

from __future__ import annotations

from datetime import date

import numpy as np

from indexer.library_reader import LibraryReader
from indexer.timeline import Timeline, month_title


def test_the_timeline_is_every_readable_photo_newest_first(template_library):
    with LibraryReader.open(template_library.library) as reader:
        timeline = reader.timeline()
        hits = reader.photo_hits(timeline.ids.tolist())
        plan = reader.catalog.conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM photos INDEXED BY photos_browse").fetchall()
    assert len(timeline) == template_library.count == len(hits)
    assert [h.photo_id for h in hits] == timeline.ids.tolist()
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    dated = [h.taken_at for h in hits if h.taken_at]
    assert dated == sorted(dated, reverse=True)
    months = [int(t[:4]) * 100 + int(t[5:7]) for t in dated]
    assert set(months) <= set(timeline.months.tolist())
    assert "photos_browse" in str(plan)


def test_filters_apply_to_the_timeline(template_library):
    album = template_library.photos / "album1"
    with LibraryReader.open(template_library.library) as reader:
        inside = reader.timeline(folder=album)
        paths = [h.path for h in reader.photo_hits(inside.ids.tolist())]
        everything = reader.timeline()
        dated = [h for h in reader.photo_hits(everything.ids.tolist()) if h.taken_at]
        day = date.fromisoformat(dated[len(dated) // 2].taken_at[:10])
        later = reader.timeline(after=day)
        later_hits = reader.photo_hits(later.ids.tolist())
    assert paths and all(album in p.parents for p in paths)
    assert len(paths) == sum(1 for p in template_library.paths if p.parent == album)
    assert later_hits and all((h.taken_at or "9999") >= day.isoformat() for h in later_hits if h.taken_at)
    assert len(later) < len(everything)


def test_sections_are_runs_of_one_month():
    timeline = Timeline(np.arange(6), np.array([202403, 202403, 202401, 202312, 202312, 0], dtype=np.int32))
    assert timeline.sections() == [(0, 202403), (2, 202401), (3, 202312), (5, 0)]
    assert Timeline(np.zeros(0), np.zeros(0)).sections() == []
    assert [month_title(m) for _, m in timeline.sections()] == ["March 2024", "January 2024", "December 2023",
                                                               "No date"]
    assert month_title(202413) == "No date"


def test_rows_removed_since_the_timeline_was_read_are_left_out(template_library):
    with LibraryReader.open(template_library.library) as reader:
        ids = reader.timeline().ids.tolist()[:3]
        hits = reader.photo_hits([ids[0], 10**9, ids[1]], first_rank=11)
    assert [h.photo_id for h in hits] == [ids[0], ids[1]]
    assert [h.rank for h in hits] == [11, 13]
