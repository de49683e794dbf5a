"""Places and dates in the app: the chips of what the search box understood, the Places list, the preview."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from app.hit_captions import where_and_when
from app.item_models.results_model import ResultsModel
from app.payloads import PlaceChoice
from app.places_wiring import chip_labels
from app.widgets.parse_chips import ParseChips, chip_text
from app.widgets.places_filter import PlacesFilter
from indexer.library import Library
from indexer.places.filter import PlaceFilter
from indexer.places.gazetteer import Place
from indexer.places.tables import PlaceCount
from indexer.search import Hit
from tests.support.geo_photos import write_geo_photo

pytestmark = pytest.mark.gui

LISBON = Place(2267057, "Lisbon", 38.72509, -9.1498, 517802, "PT", None, "Portugal")
PORTO = Place(2735943, "Porto", 41.14961, -8.61099, 249633, "PT", None, "Portugal")


def test_chips_show_the_place_and_dates_and_say_when_removed(qtbot):
    host = QWidget()  # never shown: the chips are part of a window, not one
    qtbot.addWidget(host)
    chips = ParseChips(host)
    chips.set_parse(None, None)
    assert chips.isHidden()
    chips.set_parse("Lisbon, Portugal", "Winter 2025/26")
    assert not chips.isHidden() and not chips.place.isHidden() and not chips.dates.isHidden()
    assert chips.place.text() == "Lisbon, Portugal  ×" and chips.dates.text() == "Winter 2025/26  ×"
    with qtbot.waitSignal(chips.placeRemoved):
        chips.place.click()
    with qtbot.waitSignal(chips.datesRemoved):
        chips.dates.click()
    chips.set_parse(None, "2019")
    assert chips.place.isHidden() and not chips.dates.isHidden()


def test_a_chip_shows_its_label_as_text():
    assert chip_text("Trinidad & Tobago") == "Trinidad && Tobago  ×"  # not a keyboard shortcut
    assert chip_text("x" * 500).endswith("…  ×") and len(chip_text("x" * 500)) < 70


def test_the_places_list_shows_counts_and_chooses_a_place(qtbot):
    host = QWidget()
    qtbot.addWidget(host)
    places = PlacesFilter(host)
    places.set_places([])
    assert places.isHidden() and places.count() == 1
    places.set_places([PlaceCount(LISBON, 3), PlaceCount(PORTO, 1)])
    assert [places.itemText(i) for i in range(places.count())] == [
        "Anywhere", "Lisbon, Portugal (3)", "Porto, Portugal (1)"]
    with qtbot.waitSignal(places.placeChosen) as chosen:
        places.setCurrentIndex(2)
    assert chosen.args[0] == PlaceChoice(PlaceFilter.of_place(PORTO))
    with qtbot.waitSignal(places.placeChosen) as gone:
        places.set_places([PlaceCount(LISBON, 3)])  # Porto left the library: its filter goes too
    assert gone.args[0] == PlaceChoice(None) and places.currentIndex() == 0


def test_the_preview_line_says_where_and_when():
    hit = Hit(1, Path("/p/a.jpg"), 0.5, 1, taken_at="2019-05-03T12:00:00", place="Lisbon, Portugal",
              lat=38.7, lon=-9.1)
    assert where_and_when(hit) == "Lisbon, Portugal   ·   3 May 2019"
    assert where_and_when(Hit(2, Path("/p/b.jpg"), 0.5, 2, lat=-40.0, lon=-30.0)) == "-40.0000, -30.0000"
    assert where_and_when(Hit(3, Path("/p/c.jpg"), 0.5, 3, taken_at="garbage")) == ""
    assert chip_labels(None) == (None, None)


# -- the real app ----------------------------------------------------------------------------

GEO = {"lisbon_2021.jpg": (38.7223, -9.1393, "2021:06:01 10:00:00"),
       "lisbon_2019.jpg": (38.7300, -9.1450, "2019:08:15 18:30:00"),
       "porto_2021.jpg": (41.1496, -8.6109, "2021:04:01 12:00:00"),
       "nowhere_2021.jpg": (None, None, "2021:07:07 07:07:07")}


@pytest.fixture
def geo_library(tmp_path, tiny_bundle) -> Path:
    photos = tmp_path / "Pictures"
    for i, (name, (lat, lon, taken)) in enumerate(GEO.items()):
        write_geo_photo(photos / name, lat, lon, taken, seed=i)
    path = tmp_path / "library"
    lib = Library.open(path)
    try:
        lib.use_model(str(tiny_bundle))
        for _ in lib.index([photos]):
            pass
    finally:
        lib.close()
    return path


def names(window) -> set[str]:
    m = window.results
    return {Path(m.data(m.index(r), ResultsModel.PathRole)).name for r in range(m.rowCount())}


def test_chips_explain_and_undo_the_filters_read_from_the_words(make_app, qtbot, geo_library):
    w = make_app(geo_library).window
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        w.search_bar.setText("street in Lisbon 2021")
        QTest.keyClick(w.search_bar, Qt.Key.Key_Return)
    assert names(w) == {"lisbon_2021.jpg"}
    assert not w.parse_chips.isHidden()
    assert w.parse_chips.place.text() == "Lisbon, Portugal  ×" and w.parse_chips.dates.text() == "2021  ×"
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        QTest.mouseClick(w.parse_chips.place, Qt.MouseButton.LeftButton)   # anywhere, still 2021
    assert names(w) == {"lisbon_2021.jpg", "porto_2021.jpg", "nowhere_2021.jpg"}
    assert w.parse_chips.place.isHidden() and not w.parse_chips.dates.isHidden()
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        QTest.mouseClick(w.parse_chips.dates, Qt.MouseButton.LeftButton)
    assert names(w) == set(GEO) and w.parse_chips.isHidden()


def test_the_places_list_filters_and_the_preview_says_where(make_app, qtbot, geo_library):
    w = make_app(geo_library).window
    places = w.filter_bar.places
    qtbot.waitUntil(lambda: places.count() == 3, timeout=20000)
    assert places.itemText(1) == "Lisbon, Portugal (2)" and places.itemText(2) == "Porto, Portugal (1)"
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        w.search_bar.setText("a photo")
        QTest.keyClick(w.search_bar, Qt.Key.Key_Return)
    assert names(w) == set(GEO)
    with qtbot.waitSignal(w.controller.resultsChanged, timeout=20000):
        places.setCurrentIndex(2)
    assert names(w) == {"porto_2021.jpg"}
    w.show_preview(0)
    preview = w._preview
    assert preview is not None        # the viewer's info panel says where and when
    assert preview.info["Place"].text() == "Porto, Portugal" and preview.info["Date"].text() == "1 April 2021"
    QTest.keyClick(preview, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: w._preview is None)
