"""Indexing a fresh folder opens each photo for its pixels once: the embedding pipeline's decode serves the
fingerprint for duplicates, the place (its EXIF) and the text gate; only a photo the gate finds text in is
opened a second time, to be read in full.

The count is taken at the guarded opener every decode of a file goes through
(``indexer.models.image_input.open_image_file``, called by ``open_image`` for pixels and by
``read_gps_file`` for EXIF headers), wrapped with a counter keyed by path.  The scan's quick hash reads
files with a plain ``open`` and is not counted.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest

from indexer import gps
from indexer.duplicates.tables import DuplicateTables
from indexer.library import Library
from indexer.models import image_input
from indexer.search import Query
from tests.support.geo_photos import write_geo_photo
from tests.support.photos import write_photo
from tests.support.text_images import write_text_image


def make_folder(folder: Path) -> tuple[set[str], set[str]]:
    """Photos with GPS, near-duplicates and text; returns (names with text, the rest)."""
    write_geo_photo(folder / "lisbon.jpg", 38.7223, -9.1393, seed=3)  # (seed 1's noise passes the gate)
    write_geo_photo(folder / "porto.jpg", 41.1496, -8.6110, seed=2)
    write_photo(folder / "beach.jpg", 11, (640, 480), quality=95)
    write_photo(folder / "beach-copy.jpg", 11, (640, 480), quality=70)  # the same picture, re-encoded
    write_text_image(folder / "sign.png", ["OPEN 24 HOURS", "Fresh bread daily"])
    write_text_image(folder / "receipt.jpg", ["TOTAL 12,80 EUR", "Thank you"], size=(480, 360))
    with_text = {"sign.png", "receipt.jpg"}
    return with_text, {p.name for p in folder.iterdir()} - with_text


def test_a_fresh_index_opens_each_photo_for_pixels_once(
    tmp_path: Path, toyclip_bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_text, without_text = make_folder(tmp_path / "photos")
    opened: Counter[str] = Counter()
    lock = threading.Lock()
    real = image_input.open_image_file

    def counting(path: str | Path):  # noqa: ANN202
        with lock:
            opened[Path(path).name] += 1
        return real(path)

    monkeypatch.setattr(image_input, "open_image_file", counting)
    monkeypatch.setattr(gps, "open_image_file", counting)
    monkeypatch.setenv("PHOTOSEEK_MODELS", str(tmp_path / "models"))
    with Library.open(tmp_path / "library") as lib:
        lib.use_model(str(toyclip_bundle))
        opened.clear()  # choosing the model decodes nothing of the folder, but count only the index
        list(lib.index([tmp_path / "photos"], workers=2))
        status = lib.status()
        assert (status.indexed, status.ocr_done, status.ocr_pending) == (6, 6, 0)
        places = {c.place.label for c in lib.reader().places()}
        assert places == {"Lisbon, Portugal", "Porto, Portugal"}
        assert DuplicateTables(lib.catalog).count_missing_fingerprints() == 0
        assert [h.path.name for h in lib.reader().search(Query(contains="bread"))] == ["sign.png"]
    assert {name: opened[name] for name in without_text} == dict.fromkeys(without_text, 1)
    assert {name: opened[name] for name in with_text} == dict.fromkeys(with_text, 2)  # the decode, the full read
