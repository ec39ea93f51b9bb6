"""The dashboard over HTTP (Flask test client) against a real SQLite store of known items.

Callbacks are called the way the browser calls them (POST /_dash-update-component),
and every number they return is compared with a plain-Python recount of the
items put in (tests/browser/known_store.py).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from dashboard import ids
from dashboard.app import create_app
from dashboard.url_state import (
    PageState,
    build_search,
    default_view,
    parse_view,
    read_state,
    to_store,
)
from indicators import taxonomy
from indicators.selection import Filters
from indicators.store.engine import StoreError, make_engine
from indicators.store.migrations import upgrade
from tests.browser.known_store import (
    KNOWN,
    LEXICON_VERSION,
    NOW,
    build_store,
    count_by,
    recount,
)

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
TAXONOMY = taxonomy.load_taxonomy(DATA_DIR)


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, int]]:
    return build_store(tmp_path_factory.mktemp("dash") / "known.db")


@pytest.fixture(scope="module")
def app(known: tuple[str, dict[str, int]]) -> Any:
    return create_app(known[0], DATA_DIR, clock=lambda: NOW, lexicon_version=LEXICON_VERSION)


@pytest.fixture(scope="module")
def feed_ids(known: tuple[str, dict[str, int]]) -> dict[str, int]:
    return known[1]


class Callbacks:
    """Calls Dash callbacks through HTTP exactly as dash-renderer does."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.deps = json.loads(client.get("/_dash-dependencies").data)

    def _find(self, output: str, trigger: str | None) -> dict[str, Any]:
        for dep in self.deps:
            outputs = dep["output"].strip(".").split("...")
            names = [o.split("@")[0] for o in outputs]
            ins = [f"{i['id']}.{i['property']}" for i in dep["inputs"]]
            if trigger and trigger.startswith("{"):  # a pattern id: match its wildcard input
                ins = [i.split("}", 1)[-1] for i in ins if i.startswith("{")]
                trigger_key: str | None = trigger.split("}", 1)[-1]
            else:
                trigger_key = trigger
            if output in names and (trigger_key is None or trigger_key in ins):
                return dep
        raise LookupError(f"no callback outputs {output} (triggered by {trigger})")

    def call(
        self,
        output: str,
        values: Mapping[str, Any],
        *,
        trigger: str | None = None,
        states: Mapping[str, Any] | None = None,
        pattern_inputs: Mapping[str, list[dict[str, Any]]] | None = None,
    ) -> dict[str, dict[str, Any]] | None:
        """Fire the callback that writes `output`; None when it declined (204)."""
        dep = self._find(output, trigger)
        outputs = []
        for spec in dep["output"].strip(".").split("..."):
            component, prop = spec.split("@")[0].rsplit(".", 1)
            outputs.append({"id": component, "property": prop})

        def items(specs: list[dict[str, Any]], given: Mapping[str, Any]) -> list[Any]:
            out: list[Any] = []
            for spec in specs:
                key = f"{spec['id']}.{spec['property']}"
                if spec["id"].startswith("{"):  # a pattern-matching (ALL) input
                    out.append((pattern_inputs or {}).get(spec["property"], []))
                else:
                    out.append(
                        {"id": spec["id"], "property": spec["property"], "value": given.get(key)}
                    )
            return out

        body = {
            "output": dep["output"],
            "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": items(dep["inputs"], values),
            "state": items(dep["state"], states or {}),
            "changedPropIds": [trigger] if trigger else [],
        }
        response = self.client.post("/_dash-update-component", json=body)
        if response.status_code == 204:
            return None
        assert response.status_code == 200, response.data[:500]
        return json.loads(response.data)["response"]


@pytest.fixture(scope="module")
def callbacks(app: Any) -> Callbacks:
    return Callbacks(app.server.test_client())


def store_for(f: Filters, **view: str) -> dict[str, Any]:
    return to_store(PageState(f, {**default_view(), **view}, None))


def texts(tree: Any) -> list[str]:
    """Every string in a rendered component tree, in order."""
    out: list[str] = []
    if isinstance(tree, str):
        out.append(tree)
    elif isinstance(tree, list):
        for child in tree:
            out += texts(child)
    elif isinstance(tree, dict):
        out += texts(tree.get("props", {}).get("children"))
    return out


def find(tree: Any, component_id: str) -> dict[str, Any] | None:
    if isinstance(tree, list):
        for child in tree:
            hit = find(child, component_id)
            if hit:
                return hit
    elif isinstance(tree, dict):
        props = tree.get("props", {})
        if props.get("id") == component_id:
            return tree
        return find(props.get("children"), component_id)
    return None


def walk(tree: Any) -> Iterator[dict[str, Any]]:
    if isinstance(tree, list):
        for child in tree:
            yield from walk(child)
    elif isinstance(tree, dict):
        yield tree
        yield from walk(tree.get("props", {}).get("children"))


# --- the page and its assets ------------------------------------------------------------


def status(client: Any, url: str) -> int:
    """GET and close (static files are streamed from open file handles)."""
    with client.get(url) as response:
        return int(response.status_code)


def test_the_page_and_every_script_and_style_it_loads_are_served_by_the_app(app: Any) -> None:
    client = app.server.test_client()
    page = client.get("/")
    assert page.status_code == 200
    html = page.data.decode()
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert refs, "the page references its scripts and styles"
    for ref in refs:
        assert ref.startswith("/"), f"{ref} is not served by the app"
        assert status(client, ref) == 200, ref
    assert "/assets/style.css" in html
    for asset in ("/assets/map/central_asia.geojson", "/assets/topojson/world_110m.json"):
        assert status(client, asset) == 200
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy


def test_the_map_file_has_the_20_kazakh_units_with_their_iso_codes(app: Any) -> None:
    with app.server.test_client().get("/assets/map/central_asia.geojson") as response:
        shapes = json.loads(response.data)
    units = {f["id"] for f in shapes["features"] if f["properties"]["kind"] == "kz_unit"}
    assert units == set(taxonomy.KZ_REGION_CODES)
    countries = {f["id"] for f in shapes["features"] if f["properties"]["kind"] == "country"}
    assert {"KG", "UZ", "TJ", "TM", "AF", "RU", "CN"} <= countries


def test_the_layout_holds_no_item_data_and_offers_the_taxonomy_in_the_filters(app: Any) -> None:
    layout = json.loads(app.server.test_client().get("/_dash-layout").data)
    category = find(layout, ids.F_CATEGORY)
    assert category is not None
    assert [o["value"] for o in category["props"]["options"]] == list(taxonomy.CATEGORY_IDS)
    region = find(layout, ids.F_REGION)
    values = [o["value"] for o in region["props"]["options"]]
    assert values[:20] == list(taxonomy.KZ_REGION_CODES) and "KZ" in values and "KG" in values
    source = find(layout, ids.F_SOURCE)
    assert {o["label"] for o in source["props"]["options"]} == {
        "Steppe Wire",
        "Dala Aqparat",
        "Cyber KZ Weekly",
    }
    assert not any(k.title in json.dumps(layout, ensure_ascii=False) for k in KNOWN)


def test_a_database_that_was_never_initialized_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="threatmon init"):
        create_app(f"sqlite:///{tmp_path}/none.db", DATA_DIR)


# --- URL <-> filters ------------------------------------------------------------------------


def test_page_urls_use_the_api_parameter_names_and_round_trip() -> None:
    state = read_state(
        "?region=KZ-75&category=cyber_threats&from=2026-03-01&to=2026-03-10"
        "&lang=ru&lang=en&source=2&q=DDoS&granularity=week&page=3"
    )
    assert state.error is None
    f = state.filters
    assert (f.regions, f.categories, f.langs, f.sources, f.q) == (
        ("KZ-75",),
        ("cyber_threats",),
        ("en", "ru"),
        (2,),
        "DDoS",
    )
    assert state.view["granularity"] == "week" and state.view["page"] == "3"
    again = read_state(build_search(f, state.view))
    assert again == state
    assert parse_qs(build_search(f, default_view()).lstrip("?")) == {
        "from": ["2026-03-01"],
        "to": ["2026-03-10"],
        "category": ["cyber_threats"],
        "region": ["KZ-75"],
        "lang": ["en", "ru"],
        "source": ["2"],
        "q": ["DDoS"],
    }


@given(
    categories=st.lists(st.sampled_from(taxonomy.CATEGORY_IDS), max_size=3),
    regions=st.lists(st.sampled_from([*taxonomy.KZ_REGION_CODES, "KZ", "KG", "AF"]), max_size=3),
    platforms=st.lists(st.sampled_from(taxonomy.PLATFORM_IDS), max_size=2),
    langs=st.lists(st.sampled_from(["ru", "kk", "en"]), max_size=2),
    sources=st.lists(st.integers(1, 500), max_size=2),
    q=st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=40),
    first=st.dates(date(2020, 1, 1), date(2030, 1, 1)),
    length=st.one_of(st.none(), st.integers(0, 400)),
)
def test_any_selection_survives_the_trip_through_a_page_url(
    categories: list[str],
    regions: list[str],
    platforms: list[str],
    langs: list[str],
    sources: list[int],
    q: str,
    first: date,
    length: int | None,
) -> None:
    f = Filters(
        date_from=first,
        date_to=None if length is None else first + timedelta(days=length),
        categories=tuple(categories),
        regions=tuple(regions),
        platforms=tuple(platforms),
        langs=tuple(langs),
        sources=tuple(sources),
        q=q,
    )
    state = read_state(build_search(f, {"granularity": "month"}))
    assert state.error is None
    assert state.filters == f and state.view["granularity"] == "month"


def test_a_bad_filter_value_is_reported_and_cosmetic_view_values_fall_back() -> None:
    state = read_state("?category=no_such_thing&region=KZ-75")
    assert state.filters == Filters() and "no_such_thing" in (state.error or "")
    assert parse_view({"granularity": ["fortnight"], "page": ["-2"], "sort": ["title"]}) == {
        **default_view(),
        "sort": "title",
    }


def test_opening_a_shared_url_sets_every_control_and_the_state(callbacks: Callbacks) -> None:
    search = "?region=KZ-75&category=cyber_threats&from=2026-03-02&lang=en&source=3&q=ddos"
    out = callbacks.call(
        ids.STATE + ".data", {ids.URL + ".search": search}, trigger=ids.URL + ".search"
    )
    assert out is not None
    assert out[ids.F_REGION]["value"] == ["KZ-75"]
    assert out[ids.F_CATEGORY]["value"] == ["cyber_threats"]
    assert out[ids.F_DATES]["start_date"] == "2026-03-02"
    assert out[ids.F_DATES]["end_date"] is None
    assert out[ids.F_LANG]["value"] == ["en"] and out[ids.F_SOURCE]["value"] == [3]
    assert out[ids.F_Q]["value"] == "ddos"
    assert ids.URL not in out, "opening a URL never rewrites it (the back button must work)"
    assert out[ids.STATE]["data"]["error"] is None


def test_changing_a_control_writes_the_url_and_resets_the_items_page(callbacks: Callbacks) -> None:
    current = store_for(Filters(), page="4", granularity="week")
    out = callbacks.call(
        ids.STATE + ".data",
        {f"{ids.F_REGION}.value": ["KZ-79"], f"{ids.F_CATEGORY}.value": ["cyber_threats"]},
        trigger=f"{ids.F_REGION}.value",
        states={ids.STATE + ".data": current},
    )
    assert out is not None
    search = out[ids.URL]["search"]
    assert parse_qs(search.lstrip("?")) == {
        "category": ["cyber_threats"],
        "region": ["KZ-79"],
        "granularity": ["week"],
    }
    assert read_state(search).filters == Filters(categories=("cyber_threats",), regions=("KZ-79",))


def test_a_date_preset_sets_the_last_n_utc_days_up_to_today(callbacks: Callbacks) -> None:
    presets = [
        {"id": {"type": ids.PRESET, "days": d}, "property": "n_clicks", "value": 1 if d == 7 else 0}
        for d in (7, 30, 90, 365, 0)
    ]
    trigger = json.dumps({"days": 7, "type": ids.PRESET}, separators=(",", ":"))
    out = callbacks.call(
        ids.STATE + ".data",
        {},
        trigger=trigger + ".n_clicks",
        states={ids.STATE + ".data": store_for(Filters())},
        pattern_inputs={"n_clicks": presets},
    )
    assert out is not None
    today = NOW.date()
    assert out[ids.F_DATES]["start_date"] == (today - timedelta(days=6)).isoformat()
    assert out[ids.F_DATES]["end_date"] == today.isoformat()
    assert f"from={today - timedelta(days=6)}" in out[ids.URL]["search"]


def test_an_impossible_period_keeps_the_last_filters_and_says_why(callbacks: Callbacks) -> None:
    current = store_for(Filters(regions=("KZ-75",)))
    out = callbacks.call(
        ids.STATE + ".data",
        {
            f"{ids.F_DATES}.start_date": "2026-03-10",
            f"{ids.F_DATES}.end_date": "2026-03-01",
            f"{ids.F_REGION}.value": ["KZ-75"],
        },
        trigger=f"{ids.F_DATES}.end_date",
        states={ids.STATE + ".data": current},
    )
    assert out is not None and ids.URL not in out
    assert out[ids.STATE]["data"]["params"] == [["region", "KZ-75"]]
    assert "after" in out[ids.STATE]["data"]["error"]


def test_nav_links_and_export_links_carry_exactly_the_current_filters(
    callbacks: Callbacks,
) -> None:
    f = Filters(regions=("KZ-75",), categories=("cyber_threats",))
    out = callbacks.call(
        f"{ids.EXPORT_CSV}.href",
        {
            ids.STATE + ".data": store_for(f, page="2", granularity="month"),
            ids.URL + ".pathname": "/trends",
        },
    )
    assert out is not None
    assert out[ids.EXPORT_CSV]["href"] == (
        "/api/snapshot?category=cyber_threats&region=KZ-75&format=csv"
    )
    assert (
        out["nav-regions"]["href"] == "/regions?category=cyber_threats&region=KZ-75"
        "&granularity=month"
    )
    assert out["nav-trends"]["className"] == "nav-link active"
    assert out[ids.ERROR_BANNER]["hidden"] is True


# --- views: every number equals the items behind it ----------------------------------------

FILTER_CASES = [
    Filters(),
    Filters(regions=("KZ-75",)),
    Filters(categories=("cyber_threats",), langs=("en",)),
    Filters(
        regions=("KZ-75", "KZ-79"),
        date_from=NOW.date() - timedelta(days=12),
        date_to=NOW.date() - timedelta(days=3),
    ),
    Filters(q="almaty"),
]


@pytest.mark.parametrize("f", FILTER_CASES, ids=lambda f: build_search(f) or "all")
def test_overview_totals_and_category_counts_equal_the_known_items(
    callbacks: Callbacks, feed_ids: dict[str, int], f: Filters
) -> None:
    out = callbacks.call(f"{ids.OV_TOTALS}.children", {ids.STATE + ".data": store_for(f)})
    assert out is not None
    expected = recount(f, feed_ids)
    kpis = out[ids.OV_TOTALS]["children"]
    shown = {
        k: int(find(kpis, k)["props"]["children"].replace(",", ""))
        for k in ("kpi-items", "kpi-relevant", "kpi-stories")
    }
    assert shown == {
        "kpi-items": len(expected),
        "kpi-relevant": sum(k.relevant for k in expected),
        "kpi-stories": sum(k.story is None for k in expected),
    }
    table = out[ids.OV_CATEGORIES]["children"]
    by_category = count_by(f, feed_ids, "category")
    for cid in taxonomy.CATEGORY_IDS:
        cell = find(table, f"ov-count-{cid}")
        assert int(cell["props"]["children"]) == by_category.get(cid, 0), cid
    regions = out[ids.OV_REGIONS]["figure"]
    if expected and count_by(f, feed_ids, "region"):
        bars = regions["data"][0]
        assert dict(zip(bars["customdata"], bars["x"], strict=True)) == dict(
            sorted(count_by(f, feed_ids, "region").items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        )


def test_overview_compares_a_period_with_the_one_before(
    callbacks: Callbacks, feed_ids: dict[str, int]
) -> None:
    f = Filters(date_from=NOW.date() - timedelta(days=6), date_to=NOW.date())
    out = callbacks.call(f"{ids.OV_TOTALS}.children", {ids.STATE + ".data": store_for(f)})
    assert out is not None
    before = f.previous_period()
    now_cyber = count_by(f, feed_ids, "category").get("cyber_threats", 0)
    before_cyber = count_by(before, feed_ids, "category").get("cyber_threats", 0)
    assert now_cyber and before_cyber, "the known items cover both periods"
    row = next(
        r
        for r in walk(out[ids.OV_CATEGORIES]["children"])
        if r.get("type") == "Tr" and find(r, "ov-count-cyber_threats")
    )
    change = texts(row["props"]["children"][2])[0]
    assert change == f"{round(100 * (now_cyber - before_cyber) / before_cyber):+d}%"


def test_newest_relevant_items_are_relevant_and_newest_first(
    callbacks: Callbacks, feed_ids: dict[str, int]
) -> None:
    out = callbacks.call(f"{ids.OV_NEWEST}.children", {ids.STATE + ".data": store_for(Filters())})
    assert out is not None
    shown = texts(out[ids.OV_NEWEST]["children"])
    relevant = sorted((k for k in KNOWN if k.relevant), key=lambda k: k.published_at, reverse=True)
    titles = [k.title for k in relevant[:8]]
    assert [t for t in shown if t in {k.title for k in KNOWN}] == titles


@pytest.mark.parametrize("measure", ["items", "stories"])
def test_trend_lines_add_up_to_the_items_per_category(
    callbacks: Callbacks, feed_ids: dict[str, int], measure: str
) -> None:
    f = Filters(date_from=NOW.date() - timedelta(days=14), date_to=NOW.date())
    out = callbacks.call(
        f"{ids.TR_GRAPH}.figure", {ids.STATE + ".data": store_for(f, measure=measure)}
    )
    assert out is not None
    fig = out[ids.TR_GRAPH]["figure"]
    labels = {TAXONOMY.label("category", c): c for c in taxonomy.CATEGORY_IDS}
    sums = {labels[t["name"]]: sum(t["y"]) for t in fig["data"]}
    expected: dict[str, int] = {}
    for k in recount(f, feed_ids):
        if measure == "stories" and k.story is not None:
            continue
        for cid in k.values("category"):
            expected[cid] = expected.get(cid, 0) + 1
    assert sums == expected
    assert len(fig["data"][0]["x"]) == 15, "one point per UTC day, zeros included"
    assert fig["layout"]["xaxis"]["title"]["text"] == "Day (UTC)"


def test_per_thousand_divides_by_all_items_ingested_that_day(
    callbacks: Callbacks, feed_ids: dict[str, int]
) -> None:
    f = Filters(
        date_from=NOW.date() - timedelta(days=14), date_to=NOW.date(), categories=("cyber_threats",)
    )
    out = callbacks.call(
        f"{ids.TR_GRAPH}.figure", {ids.STATE + ".data": store_for(f, scale="per1000")}
    )
    assert out is not None
    (trace,) = out[ids.TR_GRAPH]["figure"]["data"]
    for x, y in zip(trace["x"], trace["y"], strict=True):
        day = [k for k in KNOWN if k.published_at.date().isoformat() == x]
        cyber = [k for k in day if "cyber_threats" in k.values("category")]
        assert y == (round(1000 * len(cyber) / len(day), 2) if day else None), x


def test_the_map_colours_each_unit_by_its_items_ignoring_the_region_filter(
    callbacks: Callbacks, feed_ids: dict[str, int]
) -> None:
    f = Filters(regions=("KZ-75",), categories=("cyber_threats", "terrorist_activity"))
    out = callbacks.call(f"{ids.RG_MAP}.figure", {ids.STATE + ".data": store_for(f)})
    assert out is not None
    traces = out[ids.RG_MAP]["figure"]["data"]
    units = next(t for t in traces if t["name"] == "Kazakhstan")
    countries = next(t for t in traces if t["name"] == "countries")
    expected = count_by(f.without("region"), feed_ids, "region")
    assert dict(zip(units["locations"], units["z"], strict=True)) == {
        code: expected.get(code, 0) for code in taxonomy.KZ_REGION_CODES
    }
    assert dict(zip(countries["locations"], countries["z"], strict=True))["KG"] == expected["KG"]
    widths = dict(zip(units["locations"], units["marker"]["line"]["width"], strict=True))
    assert widths["KZ-75"] > widths["KZ-79"], "the selected unit is outlined"
    assert units["geojson"] == "/assets/map/central_asia.geojson"
    heat = out[ids.RG_HEATMAP]["figure"]["data"][0]
    cells = {
        tuple(c): z
        for row_c, row_z in zip(heat["customdata"], heat["z"], strict=True)
        for c, z in zip(row_c, row_z, strict=True)
    }
    for k in recount(f, feed_ids):
        for region in k.values("region"):
            for cid in k.values("category"):
                assert cells[(region, cid)] >= 1
    total = sum(cells.values())
    assert total == sum(
        len(k.values("region")) * len(k.values("category")) for k in recount(f, feed_ids)
    )


def test_clicking_a_map_unit_or_a_heatmap_cell_filters_by_it(callbacks: Callbacks) -> None:
    data = store_for(Filters(langs=("ru",)), page="3")
    out = callbacks.call(
        ids.URL + ".search",
        {f"{ids.RG_MAP}.clickData": {"points": [{"location": "KZ-47", "z": 1}]}},
        trigger=f"{ids.RG_MAP}.clickData",
        states={ids.STATE + ".data": data},
    )
    assert out is not None
    assert parse_qs(out[ids.URL]["search"].lstrip("?")) == {"region": ["KZ-47"], "lang": ["ru"]}
    out = callbacks.call(
        ids.URL + ".search",
        {f"{ids.RG_HEATMAP}.clickData": {"points": [{"customdata": ["KZ-75", "cyber_threats"]}]}},
        trigger=f"{ids.RG_HEATMAP}.clickData",
        states={ids.STATE + ".data": data},
    )
    assert out is not None
    assert read_state(out[ids.URL]["search"]).filters == Filters(
        regions=("KZ-75",), categories=("cyber_threats",), langs=("ru",)
    )


def test_platform_share_and_cyber_view_count_the_known_items(
    callbacks: Callbacks, feed_ids: dict[str, int]
) -> None:
    out = callbacks.call(f"{ids.PL_SHARE}.figure", {ids.STATE + ".data": store_for(Filters())})
    assert out is not None
    pie = out[ids.PL_SHARE]["figure"]["data"][0]
    assert dict(zip(pie["customdata"], pie["values"], strict=True)) == count_by(
        Filters(), feed_ids, "platform"
    )
    f = Filters(categories=("terrorist_activity",), regions=("KZ-75",))
    out = callbacks.call(f"{ids.CY_SOURCES}.figure", {ids.STATE + ".data": store_for(f)})
    assert out is not None
    cyber = Filters(categories=("cyber_threats",), regions=("KZ-75",))
    bars = out[ids.CY_SOURCES]["figure"]["data"][0]
    by_feed: dict[str, int] = {}
    for k in recount(cyber, feed_ids):
        by_feed[str(feed_ids[k.feed])] = by_feed.get(str(feed_ids[k.feed]), 0) + 1
    assert dict(zip(bars["customdata"], bars["x"], strict=True)) == by_feed
    assert "set aside" in out[ids.CY_NOTE]["children"]


# --- items: paging, sorting, text as text ------------------------------------------------


def test_items_are_paged_and_sorted_by_the_server(
    callbacks: Callbacks, feed_ids: dict[str, int]
) -> None:
    out = callbacks.call(
        f"{ids.IT_TABLE}.children",
        {ids.STATE + ".data": store_for(Filters(), sort="title", order="asc")},
    )
    assert out is not None
    rows = [r for r in walk(out[ids.IT_TABLE]["children"]) if "data-item-id" in r["props"]]
    assert len(rows) == len(KNOWN)
    shown = ["".join(texts(r["props"]["children"][3]["props"]["children"][0])) for r in rows]
    assert shown == sorted(k.title for k in KNOWN)  # SQLite compares code points, as Python
    assert "".join(texts(out[ids.IT_SUMMARY]["children"])).startswith(
        f"Items 1–{len(KNOWN)} of {len(KNOWN)}"
    )


def test_a_bookmarked_page_past_the_end_shows_the_last_page(callbacks: Callbacks) -> None:
    out = callbacks.call(
        f"{ids.IT_TABLE}.children", {ids.STATE + ".data": store_for(Filters(), page="99")}
    )
    assert out is not None
    current = find(out[ids.IT_PAGER]["children"], "page-current")
    assert current["props"]["children"] == "1"


def test_item_text_is_rendered_as_text_and_only_http_links_are_links(
    callbacks: Callbacks,
) -> None:
    hostile = next(k for k in KNOWN if "<script>" in k.title)
    out = callbacks.call(
        f"{ids.IT_TABLE}.children", {ids.STATE + ".data": store_for(Filters(q="darknet"))}
    )
    assert out is not None
    table = out[ids.IT_TABLE]["children"]
    raw = json.dumps(table)
    assert "javascript:" not in raw
    assert "dangerouslySetInnerHTML" not in raw
    kinds = {node["type"] for node in walk(table)}
    assert kinds <= {"Table", "Thead", "Tbody", "Tr", "Th", "Td", "Span", "A", "P", "Mark", "Link"}
    row = next(r for r in walk(table) if "data-item-id" in r["props"])
    title = row["props"]["children"][3]["props"]["children"][0]
    assert title["type"] == "Span", "a javascript: URL is not rendered as a link"
    assert "".join(texts(title)) == hostile.title
    marks = ["".join(texts(n)) for n in walk(title) if n["type"] == "Mark"]
    assert marks == ["Data leak", "darknet"]


def test_matched_terms_are_highlighted_in_title_and_summary(callbacks: Callbacks) -> None:
    item = next(k for k in KNOWN if k.key == "k1")
    out = callbacks.call(
        f"{ids.IT_TABLE}.children", {ids.STATE + ".data": store_for(Filters(q="предотвращен"))}
    )
    assert out is not None
    row = next(r for r in walk(out[ids.IT_TABLE]["children"]) if "data-item-id" in r["props"])
    cell = row["props"]["children"][3]
    link = cell["props"]["children"][0]
    assert link["type"] == "A" and link["props"]["href"] == item.url
    assert link["props"]["rel"] == "noopener noreferrer nofollow"
    marks = ["".join(texts(n)) for n in walk(cell) if n["type"] == "Mark"]
    # one mark per span: a method's evidence may be the same words as a category's
    assert sorted(marks) == sorted(
        {term for values in item.tags.values() for term in values.values()}
    )


def test_feed_health_shows_status_errors_and_items(
    callbacks: Callbacks, feed_ids: dict[str, int]
) -> None:
    out = callbacks.call(f"{ids.SR_TABLE}.children", {ids.STATE + ".data": store_for(Filters())})
    assert out is not None
    table = out[ids.SR_TABLE]["children"]
    failing = find(table, f"feed-{feed_ids['dala']}")
    words = " ".join(texts(failing))
    assert "error ×3" in words and "503 Service Unavailable" in words
    assert str(sum(k.feed == "dala" for k in KNOWN)) in texts(failing)
    never = " ".join(texts(find(table, f"feed-{feed_ids['cyberkz']}")))
    assert "not fetched yet" in never


def test_an_empty_store_says_that_no_feed_was_fetched(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/empty.db"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    calls = Callbacks(
        create_app(
            url, DATA_DIR, clock=lambda: NOW, lexicon_version=LEXICON_VERSION
        ).server.test_client()
    )
    out = calls.call(f"{ids.OV_TOTALS}.children", {ids.STATE + ".data": store_for(Filters())})
    assert out is not None
    assert "no feeds have been fetched" in " ".join(texts(out[ids.OV_TOTALS]["children"]))
    out = calls.call(f"{ids.SR_TABLE}.children", {ids.STATE + ".data": store_for(Filters())})
    assert "threatmon init" in " ".join(texts(out[ids.SR_TABLE]["children"]))


def test_a_filter_that_matches_nothing_says_so(callbacks: Callbacks) -> None:
    f = Filters(q="no item says this")
    out = callbacks.call(f"{ids.TR_GRAPH}.figure", {ids.STATE + ".data": store_for(f)})
    assert out is not None
    annotation = out[ids.TR_GRAPH]["figure"]["layout"]["annotations"][0]["text"]
    assert "No items match these filters" in annotation


# --- Methods over time ----------------------------------------------------------------------


def expected_method_shares(f: Filters, feed_ids: dict[str, int]) -> dict[str, float]:
    """Per method, its share of the stories naming a method (every known item is in March)."""
    starts = [
        k for k in recount(f, feed_ids) if k.relevant and (k.story is None or k.story == k.key)
    ]
    with_method = [k for k in starts if k.values("method")]
    methods = {m for k in with_method for m in k.values("method")}
    return {
        m: round(100 * sum(m in k.values("method") for k in with_method) / len(with_method), 1)
        for m in methods
    }


@pytest.mark.parametrize("f", [Filters(), Filters(regions=("KZ-75",))])
def test_methods_over_time_shows_each_methods_share_of_the_stories_naming_one(
    callbacks: Callbacks, feed_ids: dict[str, int], f: Filters
) -> None:
    out = callbacks.call(
        f"{ids.TR_METHODS}.figure", {ids.STATE + ".data": store_for(f)}, trigger=ids.STATE + ".data"
    )
    assert out is not None
    traces = out[ids.TR_METHODS]["figure"]["data"]
    shares = {t["customdata"][0][0]: t["y"][0] for t in traces}
    assert shares == expected_method_shares(f, feed_ids)
    assert all(t["x"] == ["2026-03-01"] for t in traces)


def test_clicking_a_method_point_lists_that_months_stories(callbacks: Callbacks) -> None:
    point = {"points": [{"customdata": ["hostage_taking", "2026-03-01", 1, 3]}]}
    out = callbacks.call(
        f"{ids.TR_METHOD_STORIES}.children",
        {ids.TR_METHODS + ".clickData": point},
        trigger=ids.TR_METHODS + ".clickData",
        states={ids.STATE + ".data": store_for(Filters())},
    )
    assert out is not None
    words = " ".join(texts(out[ids.TR_METHOD_STORIES]["children"]))
    assert "Учения антитеррористического центра в Актау" in words
    assert "В Алматы предотвращен теракт" not in words  # names another method


# --- /api/snapshot ---------------------------------------------------------------------------


def test_the_snapshot_api_counts_exactly_the_filtered_items(
    app: Any, feed_ids: dict[str, int]
) -> None:
    client = app.server.test_client()
    response = client.get(
        "/api/snapshot?region=KZ-75&region=KZ-79&category=cyber_threats&format=json"
    )
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    snap = json.loads(response.data)
    f = Filters(regions=("KZ-75", "KZ-79"), categories=("cyber_threats",))
    expected = recount(f, feed_ids)
    assert snap["totals"]["items"] == len(expected)
    assert snap["filters"]["region"] == ["KZ-75", "KZ-79"]
    assert {i["title"] for i in snap["items"]} == {k.title for k in expected}
    assert snap["taxonomy_version"] == TAXONOMY.version
    assert snap["lexicon_version"] == LEXICON_VERSION


def test_csv_and_xlsx_snapshots_carry_the_same_items(app: Any) -> None:
    client = app.server.test_client()
    query = "/api/snapshot?category=cyber_threats&format="
    as_json = json.loads(client.get(query + "json").data)
    csv_response = client.get(query + "csv")
    assert csv_response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(csv_response.data.decode("utf-8-sig"))))
    assert {r["title"] for r in rows if r["table"] == "items"} == {
        i["title"] for i in as_json["items"]
    }
    xlsx = client.get(query + "xlsx")
    assert xlsx.headers["Content-Disposition"].endswith('.xlsx"')
    book = load_workbook(io.BytesIO(xlsx.data), read_only=True)
    assert "items" in book.sheetnames
    sheet = list(book["items"].iter_rows(values_only=True))
    assert len(sheet) - 1 == len(as_json["items"])


def test_the_stix_snapshot_has_one_report_per_story_of_the_filtered_relevant_items(
    app: Any, feed_ids: dict[str, int]
) -> None:
    import stix2

    response = app.server.test_client().get("/api/snapshot?region=KZ-75&format=stix")
    assert response.status_code == 200
    assert response.mimetype == "application/stix+json"
    assert response.headers["Content-Disposition"].endswith('.stix.json"')
    objects = stix2.parse(response.data.decode("utf-8"), allow_custom=False).objects
    expected = {
        k.story or k.key for k in recount(Filters(regions=("KZ-75",)), feed_ids) if k.relevant
    }
    assert len([o for o in objects if o.type == "report"]) == len(expected) > 0
    places = {o.get("administrative_area") for o in objects if o.type == "location"}
    assert "KZ-75" in places


@pytest.mark.parametrize(
    "query, message",
    [
        ("?categroy=cyber_threats", "unknown parameter"),
        ("?category=cyber", "unknown category"),
        ("?from=yesterday", "not a date"),
        ("?format=pdf", "unknown format"),
        ("?granularity=hour", "unknown granularity"),
    ],
)
def test_the_snapshot_api_refuses_what_it_does_not_understand(
    app: Any, query: str, message: str
) -> None:
    response = app.server.test_client().get("/api/snapshot" + query)
    assert response.status_code == 400
    assert message in response.get_json()["error"]
