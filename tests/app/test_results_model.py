"""ResultsModel without widgets: rows, roles, drag data, background thumbnails."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.models.results_model import ResultsModel
from app.thumbnails import ThumbnailLoader
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


def test_a_hundred_thousand_rows_are_cheap(qapp, tmp_path):
    """The grid is virtualised: the model holds hits, thumbnails load only when asked."""
    loader = ThumbnailLoader()
    model = ResultsModel(loader)
    many = [Hit(i, tmp_path / f"x{i}.jpg", 1.0 - i * 1e-6, i + 1) for i in range(100_000)]
    model.set_hits(many)
    assert model.rowCount() == 100_000
    assert model.data(model.index(99_999), ResultsModel.RankRole) == 100_000
    assert loader.pending() == 0
    loader.shutdown()
