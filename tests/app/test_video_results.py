"""Videos in the results: roles, the badge with the length, opening at the best frame."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPainter

from app.durations import format_duration
from app.item_models.results_model import ResultsModel
from app.video_player import player_command
from app.widgets.results_grid import ResultsGrid
from indexer.search import Hit

pytestmark = pytest.mark.gui


def _hits(tmp_path: Path) -> list[Hit]:
    video = tmp_path / "trip.mp4"
    photo = tmp_path / "IMG_1.JPG"
    for p in (video, photo):
        p.write_bytes(b"x")
    return [
        Hit(1, video, 0.9, 1, 1920, 1080, kind="video", time=64.2, duration=125.0),
        Hit(2, photo, 0.8, 2, 640, 480, companions=((tmp_path / "IMG_1.CR2", "raw"),)),
    ]


def test_durations_read_like_a_player():
    assert [format_duration(s) for s in (None, 7.2, 125, 3723)] == ["", "0:07", "2:05", "1:02:03"]


def test_video_roles_and_tooltips(qapp, tmp_path):
    model = ResultsModel()
    model.set_hits(_hits(tmp_path))
    video, photo = model.index(0), model.index(1)
    assert (model.data(video, ResultsModel.KindRole), model.data(video, ResultsModel.VideoTimeRole),
            model.data(video, ResultsModel.DurationRole)) == ("video", 64.2, 125.0)
    assert (model.data(photo, ResultsModel.KindRole), model.data(photo, ResultsModel.VideoTimeRole)) == ("photo", None)
    assert "best match at 1:04 of 2:05" in model.data(video, Qt.ItemDataRole.ToolTipRole)
    assert "with IMG_1.CR2" in model.data(photo, Qt.ItemDataRole.ToolTipRole)


def test_the_badge_is_painted_on_video_cells_only(qtbot, tmp_path):
    model = ResultsModel()
    model.set_hits(_hits(tmp_path))
    grid = ResultsGrid()
    qtbot.addWidget(grid)
    grid.setModel(model)
    delegate = grid.itemDelegate()

    def cell(row: int) -> QImage:
        image = QImage(QSize(200, 200), QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        from PySide6.QtWidgets import QStyleOptionViewItem

        option = QStyleOptionViewItem()
        option.rect = image.rect()
        option.font = grid.font()
        delegate.paint(painter, option, model.index(row))
        painter.end()
        return image

    corner = (16, 16)  # inside the badge's pill, outside the placeholder icon
    assert cell(0).pixelColor(*corner).lightness() < 128  # the dark pill
    assert cell(1).pixelColor(*corner).lightness() > 128


def test_opening_a_video_asks_for_its_best_frame(qtbot, tmp_path):
    model = ResultsModel()
    model.set_hits(_hits(tmp_path))
    grid = ResultsGrid()
    qtbot.addWidget(grid)
    grid.setModel(model)
    with qtbot.waitSignal(grid.openVideoRequested) as opened:
        grid.open_index(model.index(0))
    assert opened.args == [tmp_path / "trip.mp4", 64.2]
    with qtbot.waitSignal(grid.openRequested) as plain:
        grid.open_index(model.index(1))
    assert plain.args == [tmp_path / "IMG_1.JPG"]


def test_a_player_that_takes_a_start_time_is_chosen():
    found = {"vlc": "/usr/bin/vlc"}
    command = player_command(Path("/v/a b.mp4"), 12.345, which=found.get, exists=lambda _p: False)
    assert command == ["/usr/bin/vlc", "--start-time=12.35", "/v/a b.mp4"]
    assert player_command(Path("/v/a.mp4"), 3, which=lambda _p: None, exists=lambda _p: False) is None


def test_the_menu_offers_a_photos_other_files(qtbot, tmp_path):
    model = ResultsModel()
    model.set_hits(_hits(tmp_path))
    grid = ResultsGrid()
    qtbot.addWidget(grid)
    grid.setModel(model)
    menu = grid.build_context_menu(model.index(1))
    action = next(a for a in menu.actions() if a.text() == "Open the RAW file (IMG_1.CR2)")
    with qtbot.waitSignal(grid.openRequested) as opened:
        action.trigger()
    assert opened.args == [tmp_path / "IMG_1.CR2"]
    assert not any("RAW" in a.text() for a in grid.build_context_menu(model.index(0)).actions())


def test_the_preview_caption_says_what_a_hit_is(qtbot, tmp_path):
    from app.widgets.preview_dialog import PreviewDialog

    model = ResultsModel()
    model.set_hits(_hits(tmp_path))
    dialog = PreviewDialog(model, 0)
    qtbot.addWidget(dialog)
    assert "video, best match at 1:04 of 2:05" in dialog.caption.text()
    dialog.show_row(1)
    assert "with IMG_1.CR2" in dialog.caption.text()


def test_a_video_shows_the_frame_that_matched_each_search(qtbot, tmp_path):
    from PIL import Image

    from app.thumbnails import ThumbnailLoader

    video = tmp_path / "trip.mp4"
    video.write_bytes(b"x")
    frames = []
    for number, colour in enumerate([(250, 0, 0), (0, 0, 250)]):
        frames.append(tmp_path / f"9-{number}.jpg")
        Image.new("RGB", (64, 36), colour).save(frames[-1])
    loader = ThumbnailLoader()
    model = ResultsModel(loader)
    shown = []
    for frame in frames:  # two searches, two best frames of the same video
        model.set_hits([Hit(9, video, 0.9, 1, kind="video", time=1.0, thumbnail=frame)])
        idx = model.index(0)
        if model.data(idx, ResultsModel.ThumbnailRole) is None:
            with qtbot.waitSignal(model.dataChanged, timeout=10000):
                pass
        image = model.data(idx, ResultsModel.ThumbnailRole)
        shown.append(image.pixelColor(10, 10))
    assert shown[0].red() > 200 and shown[1].blue() > 200
    assert loader.shutdown()
