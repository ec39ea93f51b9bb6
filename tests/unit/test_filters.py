"""Filters: parsing URL / API parameters, round-tripping them, and periods."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators.selection import FilterError, Filters, Vocabulary

VOCAB = Vocabulary(
    categories=frozenset({"terrorist_activity", "cyber_threats", "counter_measures"}),
    platforms=frozenset({"telegram", "tiktok", "darknet"}),
    kz_regions=frozenset({"KZ-75", "KZ-19", "KZ-47"}),
)


def parse(query: str) -> Filters:
    """What the dashboard does with its page URL's query string."""
    return Filters.from_params(parse_qs(query, keep_blank_values=True), vocabulary=VOCAB)


def test_parses_every_parameter_and_repeated_values() -> None:
    f = parse(
        "from=2024-03-01&to=2024-03-31&category=cyber_threats&category=terrorist_activity"
        "&region=KZ-75&region=kz-19&platform=telegram&lang=ru&lang=KK&source=3&source=12"
        "&q=%D1%82%D0%B5%D1%80%D0%B0%D0%BA%D1%82"
    )
    assert f == Filters(
        date_from=date(2024, 3, 1),
        date_to=date(2024, 3, 31),
        categories=("cyber_threats", "terrorist_activity"),
        regions=("KZ-19", "KZ-75"),
        platforms=("telegram",),
        langs=("kk", "ru"),
        sources=(3, 12),
        q="теракт",
    )


def test_no_parameters_means_no_restriction() -> None:
    assert parse("") == Filters()
    assert parse("category=&q=&region=") == Filters()
    assert not Filters().has_tag_filter


def test_unrelated_parameters_are_ignored() -> None:
    assert parse("format=csv&view=trends&region=KZ-75") == Filters(regions=("KZ-75",))


def test_comma_separated_ids_are_accepted() -> None:
    assert parse("region=KZ-75,KZ-47") == Filters(regions=("KZ-47", "KZ-75"))


def test_regions_accept_kazakhstan_and_other_countries() -> None:
    assert parse("region=KZ&region=KG&region=af").regions == ("AF", "KG", "KZ")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2024-13-01", "'from' is not a date"),
        ("to=yesterday", "'to' is not a date"),
        ("from=2024-03-10&to=2024-03-01", "after"),
        ("category=weather", "unknown category 'weather'"),
        ("region=KZ-99", "unknown region 'KZ-99'"),
        ("region=XX", "unknown region 'XX'"),
        ("platform=myspace", "unknown platform 'myspace'"),
        ("lang=russian", "not a language code"),
        ("source=abc", "feed id"),
        ("source=0", "feed id"),
        ("source=-3", "feed id"),
        ("q=a&q=b", "more than once"),
        ("q=" + "x" * 201, "longer than 200"),
    ],
)
def test_bad_values_raise_a_message_for_the_user(query: str, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        parse(query)


def test_equal_selections_are_equal_whatever_the_order() -> None:
    a = Filters(regions=("KZ-75", "KZ-19", "KZ-75"), q="  два   слова ")
    b = Filters(regions=("KZ-19", "KZ-75"), q="два слова")
    assert a == b and hash(a) == hash(b)


def test_to_params_is_a_stable_query_string() -> None:
    f = Filters(date(2024, 3, 1), date(2024, 3, 7), categories=("cyber_threats",), sources=(2,))
    assert (
        urlencode(f.to_params()) == "from=2024-03-01&to=2024-03-07&category=cyber_threats&source=2"
    )


filters_strategy = st.builds(
    Filters,
    date_from=st.none() | st.dates(date(2020, 1, 1), date(2024, 12, 31)),
    date_to=st.none() | st.dates(date(2025, 1, 1), date(2026, 12, 31)),
    categories=st.lists(st.sampled_from(sorted(VOCAB.categories))).map(tuple),
    regions=st.lists(st.sampled_from([*sorted(VOCAB.kz_regions), "KZ", "KG", "RU"])).map(tuple),
    platforms=st.lists(st.sampled_from(sorted(VOCAB.platforms))).map(tuple),
    langs=st.lists(st.sampled_from(["ru", "kk", "en"])).map(tuple),
    sources=st.lists(st.integers(1, 10_000)).map(tuple),
    q=st.text(
        st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=","), max_size=40
    ),
)


@given(filters_strategy)
def test_params_round_trip_through_a_url(f: Filters) -> None:
    assert parse(urlencode(f.to_params())) == f


@given(
    st.dates(date(2000, 3, 1), date(2030, 1, 1)),
    st.integers(0, 400),
)
def test_previous_period_has_the_same_length_and_ends_the_day_before(
    start: date, extra: int
) -> None:
    f = Filters(start, start + timedelta(days=extra), regions=("KZ-75",), q="x")
    prev = f.previous_period()
    assert prev.days == f.days == extra + 1
    assert prev.date_to == start - timedelta(days=1)
    assert (prev.regions, prev.q) == (f.regions, f.q)


def test_previous_period_needs_a_bounded_period() -> None:
    with pytest.raises(FilterError, match="both"):
        Filters(date_from=date(2024, 3, 1)).previous_period()
    bounded = Filters(date_from=date(2024, 3, 1)).bounded(date(2024, 1, 1), date(2024, 3, 10))
    assert bounded.previous_period() == Filters(date(2024, 2, 20), date(2024, 2, 29))


def test_bounded_keeps_given_bounds_and_fills_missing_ones() -> None:
    f = Filters(date_to=date(2024, 2, 1)).bounded(date(2024, 1, 1), date(2024, 3, 1))
    assert (f.date_from, f.date_to) == (date(2024, 1, 1), date(2024, 2, 1))
    assert Filters().bounded(None, None) == Filters()


def test_without_drops_the_selection_on_some_axes() -> None:
    f = Filters(categories=("cyber_threats",), regions=("KZ-75",), q="x")
    assert f.without("region", "q") == Filters(categories=("cyber_threats",))


def test_to_dict_describes_the_filters_for_a_snapshot() -> None:
    f = Filters(date(2024, 3, 1), None, regions=("KZ-75",), sources=(4,))
    assert f.to_dict() == {
        "from": "2024-03-01",
        "to": None,
        "category": [],
        "region": ["KZ-75"],
        "platform": [],
        "actor": [],
        "lang": [],
        "source": [4],
        "q": "",
    }


def test_default_vocabulary_is_the_taxonomy() -> None:
    taxonomy = pytest.importorskip("indicators.taxonomy")
    f = Filters.from_params(
        {
            "category": list(taxonomy.CATEGORY_IDS),
            "platform": list(taxonomy.PLATFORM_IDS),
            "region": list(taxonomy.KZ_REGION_CODES),
        }
    )
    assert set(f.categories) == set(taxonomy.CATEGORY_IDS)
    with pytest.raises(FilterError):
        Filters.from_params({"category": ["not_a_category"]})
