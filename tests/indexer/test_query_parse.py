"""The query parser: places and dates read from what people type, and the traps left as words."""

from __future__ import annotations

from datetime import date

import pytest

from indexer.places.names import fold
from indexer.query.parse import parse_query, place_named
from tests.quality.query_parse_quality import HELD_OUT, HELD_OUT_2, cases, evaluate
from tests.support.place_source import FakeLibraryPlaces

TODAY = date(2026, 11, 29)


@pytest.fixture(scope="module")
def library() -> FakeLibraryPlaces:
    return FakeLibraryPlaces()


def parse(text, places, today=TODAY, **kw):
    return parse_query(text, today=today, places=places, **kw)


def test_the_test_sets_are_read_well_enough():
    tuned = evaluate()
    assert tuned["queries"] >= 150
    for key in ("place_precision", "place_recall", "date_precision", "date_recall"):
        assert tuned[key] >= 0.95, key
    held_out = evaluate(path=HELD_OUT)
    assert min(held_out["place_precision"], held_out["place_recall"]) >= 0.9
    assert min(held_out["date_precision"], held_out["date_recall"]) >= 0.9
    assert len(cases(HELD_OUT_2)) >= 40  # its figures are reported (docs/quality.md), never tuned on


def test_the_example_of_the_search_box(library):
    parsed = parse("beach in Lisbon", library)
    assert parsed.words == "beach" and parsed.place is not None and parsed.dates is None
    assert parsed.place.label == "Lisbon, Portugal" and parsed.place.km is not None and parsed.place.km > 10
    assert parsed.explain() == "words: beach · place: Lisbon, Portugal · dates: any"


def test_dates_are_relative_to_the_day_given(library):
    assert parse("snow last winter", library).dates.label == "Winter 2025/26"
    assert parse("snow last winter", library, today=date(2020, 7, 1)).dates.label == "Winter 2019/20"
    y = parse("yesterday", library, today=date(2024, 3, 1)).dates
    assert (y.after, y.before) == (date(2024, 2, 29), date(2024, 3, 1))


def test_whether_the_library_has_photos_there_decides_a_lower_case_everyday_word():
    with_nice = FakeLibraryPlaces()
    without_nice = FakeLibraryPlaces([("Lisbon", "PT")])
    assert parse("sunset in nice", with_nice).place.label == "Nice, France"
    assert parse("sunset in nice", without_nice).place is None
    assert parse("sunset in Nice", without_nice).place.label == "Nice, France"  # a name, after "in"
    for trap in ("nice sunset", "Nice sunset", "reading a book", "china plate", "turkey dinner"):
        assert parse(trap, with_nice).place is None, trap


def test_an_ambiguous_name_picks_the_place_the_library_has_photos_in():
    assert parse("Paris", FakeLibraryPlaces([("Lisbon", "PT")])).place.label == "Paris, France"  # most populous
    texas = FakeLibraryPlaces([("Paris", "US")])
    assert parse("Paris", texas).place.label == "Paris, Texas, United States"


def test_a_plain_lower_case_query_never_loads_geonames(library):
    library.gazetteer_lookups = 0
    for text in ("red car on a street", "dog playing with a ball", "sunset over the sea 2019"):
        parsed = parse(text, library)
        assert parsed.place is None
    assert library.gazetteer_lookups == 0
    assert parse("beach in Lisbon", library).place.label == "Lisbon, Portugal"  # a place the library knows
    assert library.gazetteer_lookups == 0


def test_removing_a_filter_gives_its_words_back(library):
    parsed = parse("nice sunset in Lisbon last summer", library)
    assert parsed.words == "nice sunset" and parsed.place and parsed.dates
    no_place = parsed.without_place()
    assert no_place.place is None and no_place.dates == parsed.dates and no_place.words == "nice sunset in Lisbon"
    neither = no_place.without_dates()
    assert neither.words == "nice sunset in Lisbon last summer" and neither.dates is None


def test_month_names_of_the_users_language(library):
    months = {fold("março"): 3, fold("dezembro"): 12}
    assert parse("praia em março 2019", library, months=months).dates.label == "March 2019"
    assert parse("praia em março 2019", library).dates.label == "2019"  # without them: only the year


def test_names_without_accents_and_in_english(library):
    assert parse("Reykjavik", library).place.label == "Reykjavík, Iceland"
    assert parse("Lisboa", library).place.label == "Lisbon, Portugal"
    assert place_named("lisboa", library).label == "Lisbon, Portugal"
    assert place_named("the Netherlands", library).label == "The Netherlands"
    assert place_named("Atlantis of the Deep", library) is None


def test_a_query_with_no_places_source_reads_only_dates():
    parsed = parse_query("beach in Lisbon 2019", today=TODAY, places=None)
    assert parsed.place is None and parsed.dates.label == "2019" and parsed.words == "beach in Lisbon"


@pytest.mark.parametrize("text", ["", "   ", "-", "!!!", "in", "2019 2019 2019", "x" * 5000, "in " * 500,
                                  "\x1b[31mred\x00", "‮gpj.exe"], ids=[f"odd{i}" for i in range(10)])
def test_odd_input_never_fails(library, text):
    parsed = parse(text, library)
    assert parsed.text == text
    # the words for CLIP come only from what was typed: nothing invented, nothing grown
    assert len(parsed.words) <= len(text)
    assert all(word in text for word in parsed.words.split())
    # no place is read from these, and a date only from the year that is there
    assert parsed.place is None
    assert (parsed.dates.label if parsed.dates else None) == ("2019" if "2019" in text else None)
    assert parsed.words == parsed.words.strip()       # no stray spaces at the ends
    for plain in (parsed.without_place(), parsed.without_dates()):
        assert all(word in text for word in plain.words.split())
    assert parsed.explain().startswith(f"words: {parsed.words or '(none)'} · ")


def test_a_season_or_month_takes_its_year_after_of_or_in(library):
    parsed = parse("Paris in the spring of 2019", library)
    assert (parsed.words, parsed.place.label, parsed.dates.label) == ("", "Paris, France", "Spring 2019")
    assert parse("beach summer in 2021", library).dates.label == "Summer 2021"
    assert parse("snow in the winter of 2022", library).dates.label == "Winter 2022/23"
    assert parse("March of 2020", library).dates.label == "March 2020"
    # a month takes "of" only: "in 2017" is the year of the march
    march = parse("the womens march in 2017", library)
    assert (march.words, march.dates.label) == ("womens march", "2017")
    assert parse("march of penguins", library).dates is None


def test_a_lower_case_name_before_a_noun_keeps_its_words(library):
    tower = parse("tokyo tower", library)
    assert (tower.words, tower.place.label) == ("tokyo tower", "Tokyo, Japan")
    assert tower.without_place().words == "tokyo tower"
    assert parse("kyoto garden at night", library).words == "kyoto garden at night"
    # a name written as one, after a preposition, or before a date is read as the place alone
    assert parse("Prague castle", library).words == "castle"
    assert parse("tower in tokyo", library).words == "tower"
    assert parse("tokyo 2019", library).words == ""
    assert parse("tokyo", library).words == ""


def test_a_region_the_library_has_photos_in_and_a_city_that_goes_by_its_name():
    bavarian = FakeLibraryPlaces([("Munich", "DE"), ("Nuremberg", "DE"), ("Lisbon", "PT")])
    for text in ("photos from Bavaria", "beer in Bavaria", "Bavaria", "bavaria 2019"):
        assert parse(text, bavarian).place.label == "Bavaria, Germany", text
    assert parse("Lisbon", bavarian).place.label == "Lisbon, Portugal"  # the city, not its district
    assert place_named("bavaria", bavarian).label == "Bavaria, Germany"
    new_york = FakeLibraryPlaces([("New York City", "US"), ("Buffalo", "US")])
    assert parse("photos from New York", new_york).place.label == "New York City, New York, United States"
    assert parse("snow in buffalo", new_york).place.label.startswith("Buffalo, New York")
    # generic region names and everyday words are never regions read from the words
    iceland = FakeLibraryPlaces([("Reykjavík", "IS")])
    assert parse("sunset in the capital region", iceland).place is None
    assert parse("dinner in the west", iceland).place is None
