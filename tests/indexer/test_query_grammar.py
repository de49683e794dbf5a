"""The query grammar and algebra of the core: terms as typed, the registered kinds, month names."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from indexer.errors import UsageError
from indexer.places.filter import PlaceFilter
from indexer.query.grammar import Term, read_terms
from indexer.query.kinds import (
    EditQuery,
    Filters,
    ImageQuery,
    KindInfo,
    QueryKind,
    SketchQuery,
    TextQuery,
    WordsQuery,
    kind_named,
    query_kind,
    query_kinds,
)
from indexer.query.months import locale_months, month_languages
from indexer.query.parse import parse_query
from indexer.query.understanding import typed_query, understand
from indexer.search import Query, has_strategy

TODAY = date(2026, 11, 29)


@pytest.mark.parametrize("text, words, negatives", [
    ("beach -people", "beach", ("people",)),
    ('sign "open late" not cars', 'sign "open late"', ("cars",)),
    ("NOT cars dog", "dog", ("cars",)),
    ('beach -"red car" not "blue boat"', "beach", ("red car", "blue boat")),
    ("t-shirt - -- 3-4", "t-shirt 3-4", ()),
    ("do not", "do not", ()),
    ("not -dogs cat", "cat", ("dogs",)),
    ("“smart quotes” -x", '"smart quotes"', ("x",)),
    ('left "open', 'left "open"', ()),
    ('"" -', "", ()),
])
def test_terms_as_typed(text, words, negatives):
    terms = read_terms(text)
    assert (terms.text, terms.negatives) == (words, negatives)
    assert read_terms(terms.text).words == terms.words and read_terms(terms.text).negatives == ()  # reading the words again changes nothing


def test_a_phrase_is_one_term_without_its_quotes():
    terms = read_terms('sign "open  late"')
    assert terms.words == (Term("sign"), Term("open late", phrase=True)) and terms.plain == "sign open late"


def test_the_parser_owns_the_whole_grammar():
    parsed = parse_query('beach -people not "red car" 2019', today=TODAY, places=None)
    assert (parsed.words, parsed.negatives, parsed.dates.label) == ("beach", ("people", "red car"), "2019")
    assert parsed.explain() == "words: beach · place: any · dates: 2019 · not: people, red car"
    quoted = parse_query('"summer 2019" beach', today=TODAY, places=None)  # a phrase is never a date
    assert (quoted.words, quoted.dates) == ("summer 2019 beach", None)


def test_understanding_takes_negatives_out_of_every_kind():
    text, _ = understand(typed_query(TextQuery, "beach -people"), None, today=TODAY)
    assert (text.text, text.negatives) == ("beach", ["people"])
    edit = typed_query(EditQuery, 'at "blue hour" -people', Path("/p.jpg"))
    edit, parsed = understand(edit, None, today=TODAY)
    assert (edit.kind, edit.negatives, parsed) == (EditQuery(Path("/p.jpg"), "at blue hour"), ["people"], None)
    image, _ = understand(typed_query(ImageQuery, "at night -people", Path("/p.jpg")), None, today=TODAY)
    assert (image.kind, image.negatives) == (ImageQuery(Path("/p.jpg")), ["people"])  # only negatives apply
    assert typed_query(ImageQuery, "x", None) is None


def test_negatives_alone_are_no_query():
    query, _ = understand(typed_query(TextQuery, "-people"), None, today=TODAY)
    assert not query.searchable()
    with pytest.raises(UsageError, match="besides the excluded words"):
        _ = query.kind


def test_a_place_chosen_apart_replaces_the_one_read_from_the_words():
    chosen = PlaceFilter.near(38.7, -9.1)
    query, parsed = understand(typed_query(TextQuery, "2019", filters=Filters(place=chosen)), None, today=TODAY)
    assert (query.text, query.place, parsed.dates.label) == ("a photo", chosen, "2019")


def test_every_kind_is_a_frozen_value_with_a_strategy():
    assert [k.info.name for k in query_kinds()] == ["text", "image", "sketch", "edit", "words"]
    for kind in query_kinds():
        assert has_strategy(kind), kind
        assert kind_named(kind.info.name) is kind
    with pytest.raises(AttributeError):
        TextQuery("a").text = "b"  # type: ignore[misc]


@pytest.mark.parametrize("kind", [TextQuery("dog"), ImageQuery(Path("/p.jpg")), EditQuery(Path("/p.jpg"), "at night"),
                                  SketchQuery(Path("/s.png"), "red"), SketchQuery(Path("/s.png")), WordsQuery("total")])
def test_a_query_gives_back_its_kind_and_filters(kind):
    filters = Filters(folder=Path("/photos"), after=date(2020, 1, 1), place=PlaceFilter.near(1.0, 2.0))
    query = Query.of(kind, negatives=["x"], filters=filters, limit=7)
    assert (query.kind, query.filters, query.negatives, query.limit) == (kind, filters, ["x"], 7) or \
        isinstance(kind, WordsQuery) and query.kind == kind and query.filters == Filters(**{**vars(filters),
                                                                                         "contains": "total"})


def test_a_new_kind_registers_once_and_travels_in_a_query():
    with pytest.raises(ValueError, match="registered already"):
        query_kind(KindInfo("text", "Again", "text", ""))(type("Again", (QueryKind,), {}))
    person = object.__new__(QueryKind)
    assert Query.of(person).kind is person


def test_english_month_names_and_the_users_language(monkeypatch):
    months = dict(locale_months("C"))
    assert months["march"] == 3 and months["september"] == 9 and "may" in months and "jan" not in months
    assert locale_months("xx_NOWHERE") == ()  # a language without a table adds nothing (English is always read)
    assert dict(locale_months("pt_PT"))["marco"] == 3 and dict(locale_months("pt-PT.UTF-8"))["dezembro"] == 12
    assert dict(locale_months("de_DE"))["marz"] == 3 and dict(locale_months("de-AT"))["janner"] == 1
    assert dict(locale_months("es_ES"))["septiembre"] == dict(locale_months("es"))["setiembre"] == 9
    for language in month_languages():  # twelve months each, every name read back to one month
        assert sorted(set(dict(locale_months(language)).values())) == list(range(1, 13))
    locale_months.cache_clear()
    monkeypatch.setenv("LC_ALL", "")
    monkeypatch.setenv("LC_TIME", "es_MX.UTF-8")
    assert dict(locale_months())["marzo"] == 3  # the command line follows the environment
    locale_months.cache_clear()
