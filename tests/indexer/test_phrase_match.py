"""Scoring how a photo's lines show a text query's words (``indexer.text.phrase_match``), and the search
ranking it gives on a small catalog: the photo with the phrase on one line first."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.text.phrase_match import NEAR_MISS, score, tokens, word_match
from indexer.text.tables import PhotoTextTables
from indexer.text.words import WordsInPhotos, find_scored

BOX = ((0.0, 0.0), (10.0, 0.0), (10.0, 5.0), (0.0, 5.0))


def test_tokens_fold_case_and_accents_and_split_digits_from_letters() -> None:
    assert tokens("Crème BRÛLÉE751, wi-fi") == ["creme", "brulee", "751", "wi", "fi"]


@pytest.mark.parametrize(("word", "token", "expected"), [
    ("meadow", "meadow", 1.0),
    ("pass", "password", 1.0),  # a prefix, as the full-text index matches
    ("meadow", "meadoı", NEAR_MISS),  # one letter misread
    ("zephyr", "zephy", NEAR_MISS),  # the last letter lost
    ("thunder", "thnder", NEAR_MISS),
    ("cat", "cot", 0.0),  # short words must be read exactly
    ("meadow", "mellow", 0.0),  # two letters off
    ("751", "754", 0.0),  # numbers must be read exactly
    ("751", "7510", 0.0),
])
def test_word_match(word: str, token: str, expected: float) -> None:
    assert word_match(word, token) == expected


def test_the_phrase_on_one_line_scores_above_the_same_words_scattered() -> None:
    words = tokens("ivory walnut 304")
    together = score(words, ["Ivory Walnut 304"])
    scattered = score(words, ["ivory basalt marble cedar", "304 tango", "pebble walnut quartz ember"])
    crowded = score(words, ["marble ivory walnut pebble cedar 304 tango"])
    assert together is not None and scattered is not None and crowded is not None
    assert together.coverage == scattered.coverage == crowded.coverage == 1.0
    assert together.phrase == 1.0 and scattered.phrase == pytest.approx(1 / 3) and crowded.phrase == pytest.approx(2 / 3)
    assert together.precision == 1.0 > crowded.precision
    assert together.line == 0 and together.shown == (0,)
    assert scattered.shown == (0, 1, 2)


def test_misread_and_glued_words_still_show_the_phrase() -> None:
    result = score(tokens("falcon prairie brûlée 751"), ["falcon prairie brülée751"])
    assert result is not None and result.coverage == 1.0 and result.phrase == 1.0
    near = score(tokens("heron crimson meadow"), ["heron crimson meadoı"])
    assert near is not None and near.coverage == pytest.approx((2 + NEAR_MISS) / 3)
    assert score(tokens("heron crimson"), ["nothing here"]) is None
    assert score([], ["heron"]) is None


def test_search_ranks_the_photo_showing_the_phrase_first(tmp_path) -> None:
    from indexer.catalog import Catalog

    catalog = Catalog(tmp_path / "catalog.sqlite")
    folder = catalog.add_folder(tmp_path)
    with catalog.transaction():
        ids = [catalog.insert_photo(tmp_path / f"p{i}.png", folder.id, 1, 1, None) for i in range(4)]
    sign, page, misread, other = ids
    PhotoTextTables(catalog).record_text(sign, "v", [("Ivory Walnut", 0.9, BOX)])  # the end of "ivory walnut 304" hidden
    PhotoTextTables(catalog).record_text(page, "v", [("ivory marble pebble", 0.9, BOX), ("walnut tango basalt cedar", 0.9, BOX)])
    PhotoTextTables(catalog).record_text(misread, "v", [("ivory walnvt 304", 0.9, BOX)])  # one letter misread
    PhotoTextTables(catalog).record_text(other, "v", [("ivory", 0.9, BOX)])  # one word of three: too few
    found = find_scored(catalog, "ivory walnut 304")
    assert set(found) == {sign, page, misread}
    assert found[sign].text == "Ivory Walnut" and found[page].boxes == (BOX, BOX)
    words = WordsInPhotos(catalog, text="ivory walnut 304", contains="", hybrid=True, allowed=None)
    clip_ids = np.array(ids, dtype=np.int64)
    clip_scores = np.array([0.10, 0.30, 0.05, 0.40], dtype=np.float32)  # CLIP prefers the page and "other"
    ranked, _ = words.fuse(clip_ids, clip_scores, lambda extra: (extra, np.zeros(len(extra), np.float32)), 4)
    assert ranked.tolist() == [misread, sign, page, other]
    catalog.close()



def test_scoring_stops_at_its_line_budget(tmp_path, monkeypatch) -> None:
    from indexer.catalog import Catalog
    from indexer.text import words as photo_words

    catalog = Catalog(tmp_path / "catalog.sqlite")
    folder = catalog.add_folder(tmp_path)
    with catalog.transaction():
        ids = [catalog.insert_photo(tmp_path / f"p{i}.png", folder.id, 1, 1, None) for i in range(6)]
    for pid in ids:
        PhotoTextTables(catalog).record_text(pid, "v", [("wifi password", 0.9, BOX), ("router", 0.9, BOX)])
    assert len(find_scored(catalog, "wifi password")) == 6
    monkeypatch.setattr(photo_words, "SCORE_CHUNK", 2)
    monkeypatch.setattr(photo_words, "MAX_SCORED_LINES", 5)
    assert len(find_scored(catalog, "wifi password")) == 4  # 2 photos (4 lines), 2 more (8 lines): stop
    catalog.close()
