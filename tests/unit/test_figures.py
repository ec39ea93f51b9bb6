"""The dashboard's pure core: rows -> figure dicts, and item text -> highlighted runs.

No database, no server: these functions take plain values, so they are
specified here with small explicit inputs and a few properties.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard import figures
from dashboard.components import fill, highlight_parts, merge_spans, split_spans
from dashboard.context import MapShapes
from dashboard.i18n import ENGLISH, load_translators
from indicators.models import tagged_text
from indicators.store.queries import bucket
from indicators.weblinks import safe_href

D = date(2026, 3, 1)


def days(*counts: int, start: date = D) -> list[tuple[date, int]]:
    return [(start + timedelta(days=i), n) for i, n in enumerate(counts)]


# --- time buckets ---------------------------------------------------------------------------


def test_buckets_start_on_the_day_the_monday_or_the_first_of_the_month() -> None:
    wednesday = date(2026, 3, 4)
    assert bucket(wednesday, "day") == wednesday
    assert bucket(wednesday, "week") == date(2026, 3, 2)
    assert bucket(wednesday, "month") == date(2026, 3, 1)
    with pytest.raises(ValueError, match="granularity"):
        bucket(wednesday, "hour")


def test_bucket_range_covers_the_period_including_partial_buckets() -> None:
    assert figures.bucket_range(date(2026, 1, 30), date(2026, 3, 2), "month") == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
    assert figures.bucket_range(date(2026, 3, 4), date(2026, 3, 16), "week") == [
        date(2026, 3, 2),
        date(2026, 3, 9),
        date(2026, 3, 16),
    ]
    assert len(figures.bucket_range(D, D + timedelta(days=9), "day")) == 10


def test_fill_buckets_adds_zero_days_and_merges_days_into_weeks() -> None:
    sparse = [(D, 2), (D + timedelta(days=3), 1)]
    assert figures.fill_buckets(sparse, D, D + timedelta(days=4), "day") == days(2, 0, 0, 1, 0)
    weekly = figures.fill_buckets(days(1, 1, 1, 1, 1, 1, 1, 1), D, D + timedelta(days=7), "week")
    assert weekly == [(date(2026, 2, 23), 1), (date(2026, 3, 2), 7)]


@given(
    st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=60),
    st.sampled_from(["day", "week", "month"]),
)
def test_filling_buckets_never_loses_or_invents_items(counts: list[int], granularity: str) -> None:
    points = days(*counts)
    end = D + timedelta(days=len(counts) - 1)
    assert sum(n for _, n in figures.fill_buckets(points, D, end, granularity)) == sum(counts)


def test_rolling_mean_is_trailing_and_waits_for_a_full_window() -> None:
    mean = figures.rolling_mean([7, 0, 0, 0, 0, 0, 0, 14], window=7)
    assert mean[:6] == [None] * 6
    assert mean[6:] == [1.0, 2.0]
    assert figures.rolling_mean([1, None, 1, 1], window=2) == [None, None, None, 1.0]


def test_per_thousand_is_relative_to_ingested_volume_and_blank_without_it() -> None:
    assert figures.per_thousand_series([1, 5, 0, 3], [200, 1000, 0, 0]) == [5.0, 5.0, None, None]


# --- figures ------------------------------------------------------------------------------------


def test_a_trend_has_one_dense_line_per_id_with_its_label_colour_and_utc_axis() -> None:
    fig = figures.trend_figure(
        {"cyber_threats": [(D, 2), (D + timedelta(days=2), 1)], "terrorist_activity": [(D, 1)]},
        start=D,
        end=D + timedelta(days=3),
        labels={"cyber_threats": "Cyber threats"},
        colors={"cyber_threats": "#123456"},
    )
    cyber, terror = fig["data"]
    assert cyber["name"] == "Cyber threats" and cyber["line"]["color"] == "#123456"
    assert cyber["x"] == ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]
    assert cyber["y"] == [2, 0, 1, 0] and terror["y"] == [1, 0, 0, 0]
    assert terror["name"] == "terrorist_activity", "an id without a label is shown as is"
    assert fig["layout"]["xaxis"]["title"]["text"] == "Day (UTC)"
    assert fig["layout"]["yaxis"]["dtick"] == 1, "small counts get whole-number ticks"
    json.dumps(fig)  # a plain, serializable dict


def test_stacked_areas_and_the_smoothed_view() -> None:
    series = {"a": days(7, 0, 0, 0, 0, 0, 0, 7)}
    areas = figures.trend_figure(
        series, start=D, end=D + timedelta(days=7), labels={}, colors={}, chart="areas"
    )
    assert areas["data"][0]["stackgroup"] == "one"
    smooth = figures.trend_figure(
        series, start=D, end=D + timedelta(days=7), labels={}, colors={}, smooth=True
    )
    raw, mean = smooth["data"]
    assert raw["y"] == [7, 0, 0, 0, 0, 0, 0, 7] and raw["showlegend"] is False
    assert mean["y"][-2:] == [1.0, 1.0] and "stackgroup" not in mean


def test_a_per_thousand_trend_divides_each_bucket_by_its_volume() -> None:
    fig = figures.trend_figure(
        {"a": days(1, 2)},
        start=D,
        end=D + timedelta(days=1),
        labels={},
        colors={},
        volume=days(500, 1000),
    )
    assert fig["data"][0]["y"] == [2.0, 2.0]
    assert fig["layout"]["yaxis"]["title"]["text"] == "items per 1,000 ingested"


def test_figures_without_rows_say_why_instead_of_drawing_empty_axes() -> None:
    empty = figures.trend_figure({}, start=D, end=D, labels={}, colors={})
    assert empty["data"] == []
    assert "No items match" in empty["layout"]["annotations"][0]["text"]
    bars = figures.bar_figure([], {}, empty="nothing here")
    assert bars["layout"]["annotations"][0]["text"] == "nothing here"
    assert figures.heatmap_figure([], ["KZ-75"], ["cyber_threats"], {}, {})["data"] == []


def test_bars_show_the_largest_on_top_and_carry_their_ids_for_clicks() -> None:
    rows = [("KZ-75", 5), ("KZ-79", 2), ("KG", 1)]
    fig = figures.bar_figure(rows, {"KZ-75": "Almaty"}, limit=2)
    (bars,) = fig["data"]
    assert bars["customdata"] == ["KZ-79", "KZ-75"] and bars["x"] == [2, 5]
    assert bars["y"] == ["KZ-79", "Almaty"]


def test_the_heatmap_puts_each_count_in_its_cell_with_both_ids() -> None:
    fig = figures.heatmap_figure(
        [("KZ-75", "cyber", 3), ("KZ-79", "terror", 1), ("XX", "cyber", 9)],
        ["KZ-75", "KZ-79"],
        ["cyber", "terror"],
        {},
        {"cyber": "Cyber"},
    )
    (heat,) = fig["data"]
    assert heat["z"] == [[3, 0], [0, 1]]
    assert heat["text"] == [["3", ""], ["", "1"]]
    assert heat["customdata"][1][1] == ["KZ-79", "terror"]
    assert heat["x"] == ["Cyber", "terror"]


def test_the_share_donut_keeps_ids_and_colours() -> None:
    fig = figures.share_figure(
        [("telegram", 3), ("tiktok", 1)], {"telegram": "Telegram"}, {"telegram": "#111111"}
    )
    (pie,) = fig["data"]
    assert pie["values"] == [3, 1] and pie["customdata"] == ["telegram", "tiktok"]
    assert pie["marker"]["colors"] == ["#111111", figures.MUTED]


SHAPES = MapShapes(
    geojson_url="/assets/map/central_asia.geojson",
    topojson_url="/assets/topojson/",
    ids=("KZ-35", "KZ-75", "KG"),
    names={"KZ-35": "Karaganda Region", "KZ-75": "Almaty", "KG": "Kyrgyzstan"},
    kinds={"KZ-35": "kz_unit", "KZ-75": "kz_unit", "KG": "country"},
    label_points={"KZ-35": (73.4, 48.7), "KZ-75": (76.9, 43.2), "KG": (74.5, 41.5)},
)


def test_the_map_colours_units_and_countries_from_local_shapes_and_outlines_the_selection() -> None:
    fig = figures.map_figure(
        {"KZ-75": 4, "KG": 2}, SHAPES, selected=["KZ-75"], labels={"KZ-75": "Almaty (city)"}
    )
    countries, units, cities = fig["data"]
    assert units["locations"] == ["KZ-35", "KZ-75"] and units["z"] == [0, 4]
    assert countries["locations"] == ["KG"] and countries["z"] == [2]
    assert units["text"] == ["Karaganda Region", "Almaty (city)"]
    assert units["marker"]["line"]["width"][1] > units["marker"]["line"]["width"][0]
    assert {t.get("geojson") for t in (countries, units)} == {SHAPES.geojson_url}
    assert cities["customdata"] == ["KZ-75"], "the city unit gets a clickable marker"
    assert cities["marker"]["color"] == [4]
    geo = fig["layout"]["geo"]
    assert not any(geo[k] for k in geo if k.startswith("show")), "no base map layers to fetch"
    assert "http" not in json.dumps(fig)


def test_colours_are_stable_per_position_and_distinct_for_every_platform() -> None:
    from indicators.taxonomy import PLATFORM_IDS

    colours = figures.colors_for(PLATFORM_IDS)
    assert len(set(colours.values())) == len(PLATFORM_IDS)
    # a colour belongs to a position, so a fixed order of ids always gets the same colours
    assert colours == dict(zip(PLATFORM_IDS, figures.PALETTE, strict=False))
    assert figures.colors_for(["b", "a"]) == {"b": figures.PALETTE[0], "a": figures.PALETTE[1]}
    many = [str(n) for n in range(len(figures.PALETTE) + 1)]
    assert figures.colors_for(many)[many[-1]] == figures.PALETTE[0]  # the palette repeats


# --- item text: highlights and links --------------------------------------------------------


def test_highlights_merge_overlapping_spans_and_ignore_impossible_ones() -> None:
    assert merge_spans([(5, 8), (0, 3), (2, 4), (7, 9), (20, 30), (4, 2)], 10) == [(0, 4), (5, 9)]
    assert highlight_parts("Cyber attack in Almaty", [(0, 12), (16, 22)]) == [
        ("Cyber attack", True),
        (" in ", False),
        ("Almaty", True),
    ]


@given(
    st.text(max_size=60), st.lists(st.tuples(st.integers(-5, 70), st.integers(-5, 70)), max_size=8)
)
def test_highlighted_runs_always_join_back_to_the_text(text: str, spans: list) -> None:
    parts = highlight_parts(text, spans)
    assert "".join(piece for piece, _ in parts) == text
    assert all(piece for piece, _ in parts)


def test_spans_over_title_and_summary_are_split_onto_each() -> None:
    title, summary = "DDoS in Almaty", "Banks in Almaty were hit"
    text = tagged_text(title, summary)
    spans = [
        (text.index("DDoS"), text.index("DDoS") + 4),
        (text.rindex("Almaty"), text.rindex("Almaty") + 6),
    ]
    in_title, in_summary = split_spans(title, summary, spans)
    assert [title[s:e] for s, e in in_title] == ["DDoS"]
    assert [summary[s:e] for s, e in in_summary] == ["Almaty"]


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://news.example/a?b=1", "https://news.example/a?b=1"),
        ("http://news.example/", "http://news.example/"),
        ("HTTPS://NEWS.EXAMPLE/", "HTTPS://NEWS.EXAMPLE/"),
        ("javascript:alert(1)", None),
        (" javascript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("vbscript:msgbox", None),
        ("//news.example/a", None),
        ("/relative", None),
        ("ftp://files.example/x", None),
        ("https://", None),
        ("https://news.example/a\nb", None),
        ("", None),
        (None, None),
    ],
)
def test_only_absolute_http_urls_become_links(url: str | None, expected: str | None) -> None:
    assert safe_href(url) == expected


def test_a_localized_figure_writes_numbers_the_languages_way() -> None:
    figure = figures.bar_figure([("KZ-75", 1234)], {"KZ-75": "Almaty"})
    assert figures.localized(figure, ENGLISH) is figure
    russian = figures.localized(figure, load_translators()["ru"])
    assert russian["layout"]["separators"] == ",\xa0"
    assert "separators" not in figure["layout"]  # the original is left as it was


def test_fill_puts_components_where_the_translation_puts_its_placeholders() -> None:
    assert fill("Items {range} of {total}", range="1–2", total=7) == ["Items ", "1–2", " of ", 7]
    assert fill("{total} материалдың {range}", range="1–2", total=7) == [7, " материалдың ", "1–2"]
