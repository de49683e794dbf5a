"""Fusing CLIP's ranking with the photos that show the query's words, and turning words into terms."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.text.fusion import TEXT_BOOST, fuse, text_score
from indexer.text.tables import PhotoTextTables
from indexer.text.words import significant, terms

IDS = np.array([1, 2, 3, 4, 5], dtype=np.int64)
COSINES = np.array([0.30, 0.28, 0.25, 0.20, 0.10], dtype=np.float32)


@pytest.mark.parametrize("method", ["boost", "rrf"])
def test_without_matches_clip_decides(method: str) -> None:
    ids, scores = fuse(IDS, COSINES, {}, 5, method=method)
    assert ids.tolist() == [1, 2, 3, 4, 5]
    if method == "boost":
        assert scores.tolist() == pytest.approx(COSINES.tolist())


def test_boost_puts_the_photo_showing_the_words_first_and_keeps_the_rest_in_clip_order() -> None:
    ids, scores = fuse(IDS, COSINES, {5: text_score(1.0, 1.0, 1.0)}, 5, method="boost")
    assert ids.tolist() == [5, 1, 2, 3, 4]
    assert scores[0] == pytest.approx(0.10 + text_score(1.0, 1.0, 1.0))
    assert text_score(1.0, 0.0, 0.0) == TEXT_BOOST
    assert scores[1:].tolist() == pytest.approx([0.30, 0.28, 0.25, 0.20])


def test_more_words_and_words_together_rank_higher() -> None:
    # 4 shows every word, scattered over lines; 3 two of three side by side on a line of their own;
    # 2 two of three, scattered over lines full of other words
    shown = {2: text_score(2 / 3, 1 / 3, 0.25), 3: text_score(2 / 3, 2 / 3, 1.0), 4: text_score(1.0, 1 / 3, 0.25)}
    ids, _ = fuse(IDS, COSINES, shown, 5, method="boost")
    assert ids.tolist() == [4, 3, 2, 1, 5]


def test_rrf_needs_clip_to_agree_more_than_boost_does() -> None:
    ids, _ = fuse(IDS, COSINES, {5: 1.0}, 5, method="rrf")
    assert ids.tolist()[0] == 5  # text rank 1 plus CLIP rank 5 beats CLIP rank 1 alone
    with pytest.raises(ValueError):
        fuse(IDS, COSINES, {}, 5, method="sum")


def test_terms_words_prefixes_and_phrases() -> None:
    assert terms('WiFi password "total due" a') == ['"WiFi"*', '"password"*', '"total due"*', '"a"']
    assert terms("crème-brûlée, 4,50 €") == ['"crème"*', '"brûlée"*', '"4"', '"50"']
    assert terms('"""  ---') == []
    assert len(terms(" ".join(f"w{i}" for i in range(40)))) == 12
    assert [significant(t) for t in terms('a of the 42 "in it" lake')] == [False, False, True, True, True, True]


def test_most_words_matching_counts_terms_in_any_order(tmp_path) -> None:
    from indexer.catalog import Catalog

    catalog = Catalog(tmp_path / "catalog.sqlite")
    folder = catalog.add_folder(tmp_path)
    with catalog.transaction():
        ids = [catalog.insert_photo(tmp_path / f"p{i}.png", folder.id, 1, 1, None) for i in range(3)]
    box = ((0.0, 0.0), (10.0, 0.0), (10.0, 5.0), (0.0, 5.0))
    PhotoTextTables(catalog).record_text(ids[0], "v", [("amber harbor", 0.9, box)])
    PhotoTextTables(catalog).record_text(ids[1], "v", [("harbor", 0.9, box), ("lantern 42", 0.8, box)])
    PhotoTextTables(catalog).record_text(ids[2], "v", [("nothing here", 0.9, box)])
    wanted = terms("zebra harbor lantern 42")
    assert set(PhotoTextTables(catalog).photos_with_terms(wanted, min_terms=3)) == {ids[1]}
    assert {pid: held for pid, (held, _) in PhotoTextTables(catalog).photos_with_terms(wanted, min_terms=1).items()} == {
        ids[0]: 1, ids[1]: 3}
    assert PhotoTextTables(catalog).photos_with_terms(wanted) == {}  # every term: "zebra" is nowhere
    catalog.close()
