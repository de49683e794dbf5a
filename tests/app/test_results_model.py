"""ResultsModel without widgets: rows, roles, drag data, background thumbnails."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from app.item_models.results_model import ResultsModel
from app.thumbnails import ThumbnailLoader, read_first
from indexer.search import Hit
from tests.support.photos import write_photo

pytestmark = pytest.mark.gui


@pytest.fixture
def hits(tmp_path) -> list[Hit]:
    paths = [write_photo(tmp_path / f"p{i}.jpg", i, (320, 240)) for i in range(5)]
    return [Hit(i + 1, p, 0.9 - i * 0.1, i + 1, 320, 240, "2021-03-14T09:30:00") for i, p in enumerate(paths)]


def test_rows_and_named_roles(qapp, hits):
    model = ResultsModel()
    assert model.rowCount() == 0
    model.set_hits(hits)
    assert model.rowCount() == 5
    idx = model.index(1)
    assert model.data(idx, ResultsModel.PathRole) == str(hits[1].path)
    assert model.data(idx, ResultsModel.ScoreRole) == pytest.approx(0.8)
    assert model.data(idx, ResultsModel.RankRole) == 2
    assert model.data(idx, ResultsModel.PhotoIdRole) == 2
    assert model.data(idx, ResultsModel.SizeRole) == (320, 240)
    assert model.data(idx, ResultsModel.TakenRole).year == 2021
    assert model.data(idx, Qt.ItemDataRole.DisplayRole) == "p1.jpg"
    tip = model.data(idx, Qt.ItemDataRole.ToolTipRole)
    assert "0.800" in tip and "#2" in tip
    assert model.data(model.index(9), ResultsModel.PathRole) is None
    names = model.roleNames()
    assert names[ResultsModel.ScoreRole] == b"score" and names[ResultsModel.ThumbnailRole] == b"thumbnail"
    model.clear()
    assert model.rowCount() == 0


def test_drag_out_gives_file_urls(qapp, hits):
    model = ResultsModel()
    model.set_hits(hits)
    assert model.flags(model.index(0)) & Qt.ItemFlag.ItemIsDragEnabled
    mime = model.mimeData([model.index(0), model.index(2)])
    assert [Path(u.toLocalFile()) for u in mime.urls()] == [hits[0].path, hits[2].path]
    assert all(u.isLocalFile() for u in mime.urls())


def test_thumbnails_load_in_background_with_placeholder_first(qtbot, hits):
    loader = ThumbnailLoader()
    model = ResultsModel(loader)
    model.set_hits(hits)
    idx = model.index(3)
    with qtbot.waitSignal(model.dataChanged, timeout=10000,
                          check_params_cb=lambda a, b, roles: a.row() == 3):
        assert model.data(idx, ResultsModel.ThumbnailRole) is None     # placeholder now
    image = model.data(idx, ResultsModel.ThumbnailRole)
    assert image is not None and not image.isNull()
    assert (image.width(), image.height()) == (320, 240)   # small photos are not upscaled
    assert loader.shutdown()


def test_thumbnail_of_a_broken_file_is_marked_failed(qtbot, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a jpeg")
    loader = ThumbnailLoader()
    model = ResultsModel(loader)
    model.set_hits([Hit(1, bad, 0.5, 1)])
    with qtbot.waitSignal(loader.failed, timeout=10000):
        assert model.data(model.index(0), ResultsModel.ThumbnailRole) is None
    assert model.data(model.index(0), ResultsModel.FailedRole) is True
    assert loader.shutdown()


def test_a_hundred_thousand_rows_read_no_file_until_a_thumbnail_is_asked_for(qtbot, tmp_path):
    """The grid is virtualised: filling the model and reading rows touches no file; asking for a
    row's thumbnail queues one read on the loader's pool and returns the placeholder at once."""
    reads: list[tuple[tuple[str, ...], int]] = []

    def reader(sources) -> QImage:
        reads.append((tuple(sources), threading.get_ident()))
        return QImage()                                     # unreadable: the row is marked failed

    loader = ThumbnailLoader(reader=reader)
    model = ResultsModel(loader)
    many = [Hit(i, tmp_path / f"x{i}.jpg", 1.0 - i * 1e-6, i + 1) for i in range(100_000)]
    model.set_hits(many)
    assert model.rowCount() == 100_000
    assert model.data(model.index(99_999), ResultsModel.RankRole) == 100_000
    for row in range(0, 100_000, 997):
        model.data(model.index(row), Qt.ItemDataRole.DisplayRole)
        model.data(model.index(row), Qt.ItemDataRole.ToolTipRole)
    assert reads == [] and loader.pending() == 0
    with qtbot.waitSignal(loader.failed, timeout=10000):
        assert model.data(model.index(50_000), Qt.ItemDataRole.DecorationRole) is None
    assert [sources for sources, _ in reads] == [(str(many[50_000].path),)]
    assert reads[0][1] != threading.get_ident()               # read on the pool, not the GUI thread
    assert loader.shutdown()


def test_thumbnails_come_from_the_library_thumbnail_and_the_photo_only_without_one(qtbot, tmp_path):
    photo = write_photo(tmp_path / "big.jpg", 1, (1600, 1200))
    thumb = write_photo(tmp_path / "thumbnails" / "1.jpg", 2, (256, 192))
    bare = write_photo(tmp_path / "bare.jpg", 3, (320, 240))
    asked: list[tuple[str, ...]] = []

    def reader(sources) -> QImage:
        asked.append(tuple(sources))
        return read_first(sources)

    loader = ThumbnailLoader(reader=reader)
    model = ResultsModel(loader)
    model.set_hits([Hit(1, photo, 0.9, 1, thumbnail=thumb), Hit(2, bare, 0.8, 2)])
    for row in (0, 1):
        assert model.data(model.index(row), ResultsModel.ThumbnailRole) is None
    qtbot.waitUntil(lambda: all(model.data(model.index(r), ResultsModel.ThumbnailRole) is not None
                                for r in (0, 1)), timeout=10000)
    assert sorted(asked) == sorted([(str(thumb),), (str(bare),)])   # never the full-size photo
    image = model.data(model.index(0), ResultsModel.ThumbnailRole)
    assert (image.width(), image.height()) == (256, 192)
    assert loader.shutdown()
