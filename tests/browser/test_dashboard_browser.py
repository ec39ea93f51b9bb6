"""The dashboard in headless Chromium, as an analyst uses it.

Every test records each request and console message of its page: nothing may
leave 127.0.0.1 and nothing may be logged as an error. Expected numbers are
recounted from the known items, never typed in.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from indicators.selection import Filters
from indicators.taxonomy import CATEGORY_IDS
from tests.browser.conftest import LiveServer, Recorder
from tests.browser.known_store import KNOWN, count_by, recount

pytestmark = pytest.mark.browser

PAGES = {
    "nav-overview": "#ov-regions",
    "nav-trends": "#tr-graph",
    "nav-regions": "#rg-map",
    "nav-platforms": "#pl-share",
    "nav-organizations": "#or-list",
    "nav-cyber": "#cy-trend",
    "nav-items": "#it-table",
    "nav-alerts": "#al-list",
    "nav-sources": "#sr-table",
}


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def plotted(page: Page, graph_id: str) -> list[dict[str, Any]]:
    """The traces plotly is drawing in a graph right now."""
    return page.evaluate(
        "id => JSON.parse(JSON.stringify(document.getElementById(id)"
        ".querySelector('.js-plotly-plot').data))",
        graph_id,
    )


def wait_plotted(page: Page, graph_id: str) -> None:
    page.wait_for_function(
        "id => { const g = document.getElementById(id);"
        " const p = g && g.querySelector('.js-plotly-plot');"
        " return p && p.data && p.data.length > 0 && !document.querySelector("
        "'[data-dash-is-loading=\"true\"]'); }",
        arg=graph_id,
    )


def kpi(page: Page, name: str) -> int:
    """A KPI's number, once it is rendered (the cards fill in one callback at a time).

    Checked and read in one step in the page: a check and a later read could
    straddle a re-render that empties the card for a moment (seen in CI: the
    check saw a number, the read an empty string).
    """
    number = page.wait_for_function(
        "id => { const e = document.getElementById(id);"
        " const t = e ? e.innerText.replace(/,/g, '').trim() : '';"
        " return /^[0-9]+$/.test(t) ? t : null; }",
        arg=f"kpi-{name}",
    )
    return int(number.json_value())


def choose(page: Page, dropdown: str, option: str) -> None:
    page.click(f"#{dropdown}")
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


def test_every_view_loads_locally_without_console_errors(
    live_server: LiveServer, recorded_page: tuple[Page, Recorder]
) -> None:
    page, recorder = recorded_page
    page.goto(live_server.url + "/")
    expect(page.locator("#kpi-items")).to_have_text(str(len(KNOWN)))
    for nav, content in PAGES.items():
        page.click(f"#{nav}")
        expect(page.locator(f"#{nav}")).to_have_class(re.compile(r"\bactive\b"))
        page.wait_for_selector(content)
        if nav == "nav-alerts":  # the known store has no alerts: the view says so
            expect(page.locator(content)).to_contain_text("No alerts match these filters")
        elif nav == "nav-organizations":  # nor organizations: see test_organizations_browser
            expect(page.locator(content)).to_contain_text("No organization is named")
        elif nav not in ("nav-items", "nav-sources"):
            wait_plotted(page, content.lstrip("#"))
        else:
            expect(page.locator(f"{content} table")).to_be_visible()
    assert any(u.endswith("/assets/map/central_asia.geojson") for u in recorder.requests)
    assert any("/assets/topojson/" in u for u in recorder.requests)
    recorder.assert_clean()


def test_changing_a_filter_updates_the_charts_and_the_url(
    live_server: LiveServer, recorded_page: tuple[Page, Recorder]
) -> None:
    page, recorder = recorded_page
    page.goto(live_server.url + "/")
    expect(page.locator("#kpi-items")).to_have_text(str(len(KNOWN)))
    choose(page, "f-category", "Cyber threats")
    f = Filters(categories=("cyber_threats",))
    expect(page.locator("#kpi-items")).to_have_text(str(len(recount(f, live_server.feed_ids))))
    assert query(page) == {"category": ["cyber_threats"]}
    page.wait_for_function(
        "n => document.querySelector('#ov-regions .js-plotly-plot').data[0].x.reduce("
        "(a, b) => a + b, 0) === n",
        arg=sum(count_by(f, live_server.feed_ids, "region").values()),
    )
    bars = plotted(page, "ov-regions")[0]
    assert dict(zip(bars["customdata"], bars["x"], strict=True)) == count_by(
        f, live_server.feed_ids, "region"
    )
    page.fill("#f-q", "almaty")
    page.press("#f-q", "Enter")
    f = Filters(categories=("cyber_threats",), q="almaty")
    expect(page.locator("#kpi-items")).to_have_text(str(len(recount(f, live_server.feed_ids))))
    assert query(page) == {"category": ["cyber_threats"], "q": ["almaty"]}
    recorder.assert_clean()


def test_a_shared_url_restores_the_filters_and_the_view(
    live_server: LiveServer, recorded_page: tuple[Page, Recorder]
) -> None:
    page, recorder = recorded_page
    page.goto(
        live_server.url + "/items?region=KZ-75&category=cyber_threats&lang=en&sort=title&order=asc"
    )
    f = Filters(regions=("KZ-75",), categories=("cyber_threats",), langs=("en",))
    expected = recount(f, live_server.feed_ids)
    expect(page.locator("#items-total")).to_have_text(str(len(expected)))
    expect(page.locator("#f-region")).to_contain_text("KZ-75")
    expect(page.locator("#f-category")).to_contain_text("Cyber threats")
    expect(page.locator("#f-lang")).to_contain_text("English")
    expect(page.locator("#nav-items")).to_have_class(re.compile(r"\bactive\b"))
    expect(page.locator("#sort-title")).to_have_class(re.compile(r"\bactive\b"))
    rows = page.locator("#it-table tr.item-row .item-title")
    expect(rows).to_have_text(sorted(k.title for k in expected))
    # the nav links carry the filters to the other views
    page.click("#nav-overview")
    expect(page.locator("#kpi-items")).to_have_text(str(len(expected)))
    assert query(page)["region"] == ["KZ-75"]
    recorder.assert_clean()


def test_presets_sorting_and_the_back_button_go_through_the_url(
    live_server: LiveServer, recorded_page: tuple[Page, Recorder]
) -> None:
    page, recorder = recorded_page
    page.goto(live_server.url + "/items")
    expect(page.locator("#items-total")).to_have_text(str(len(KNOWN)))
    page.get_by_role("button", name="7 days").click()
    expect(page).to_have_url(re.compile(r"from=2026-03-10&to=2026-03-16"))
    week = Filters.from_params({"from": ["2026-03-10"], "to": ["2026-03-16"]})
    expect(page.locator("#items-total")).to_have_text(str(len(recount(week, live_server.feed_ids))))
    page.click("#sort-title")
    expect(page).to_have_url(re.compile(r"sort=title"))
    titles = sorted(k.title for k in recount(week, live_server.feed_ids))
    expect(page.locator("#it-table tr.item-row .item-title")).to_have_text(titles)
    page.go_back()
    expect(page.locator("#sort-published_at")).to_have_class(re.compile(r"\bactive\b"))
    page.go_back()
    expect(page.locator("#items-total")).to_have_text(str(len(KNOWN)))
    expect(page.locator("#f-dates")).not_to_contain_text("2026-03-10")
    recorder.assert_clean()


def test_clicking_a_region_on_the_map_filters_everything(
    live_server: LiveServer, recorded_page: tuple[Page, Recorder]
) -> None:
    page, recorder = recorded_page
    page.goto(live_server.url + "/regions")
    wait_plotted(page, "rg-map")
    units = next(t for t in plotted(page, "rg-map") if t["name"] == "Kazakhstan")
    index = units["locations"].index("KZ-35")  # Karaganda: large, easy to hit
    # plotly hit-tests geo clicks itself, under its own background layer: click the spot
    page.locator("#rg-map .choroplethlocation").nth(
        len(plotted(page, "rg-map")[0]["locations"]) + index
    ).click(force=True)
    expect(page).to_have_url(re.compile(r"region=KZ-35"))
    expect(page.locator("#f-region")).to_contain_text("KZ-35")
    page.wait_for_function(
        "() => { const t = document.querySelector('#rg-map .js-plotly-plot').data[1];"
        " return t.marker.line.width[t.locations.indexOf('KZ-35')] > 1; }"
    )
    page.click("#nav-overview")
    f = Filters(regions=("KZ-35",))
    expect(page.locator("#kpi-items")).to_have_text(str(len(recount(f, live_server.feed_ids))))
    recorder.assert_clean()


def test_changing_the_granularity_redraws_the_trend_per_week(
    live_server: LiveServer, recorded_page: tuple[Page, Recorder]
) -> None:
    page, recorder = recorded_page
    page.goto(live_server.url + "/trends?category=cyber_threats")
    wait_plotted(page, "tr-graph")
    page.click("#tr-granularity-week")
    expect(page).to_have_url(re.compile(r"granularity=week"))
    page.wait_for_function(
        "() => document.querySelector('#tr-graph .js-plotly-plot').layout.xaxis.title.text"
        " === 'Week starting (UTC)'"
    )
    (trace,) = plotted(page, "tr-graph")
    f = Filters(categories=("cyber_threats",))
    assert sum(trace["y"]) == count_by(f, live_server.feed_ids, "category")["cyber_threats"]
    recorder.assert_clean()


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_an_export_downloads_a_file_whose_counts_match_the_screen(
    live_server: LiveServer, recorded_page: tuple[Page, Recorder], fmt: str
) -> None:
    page, recorder = recorded_page
    page.goto(live_server.url + "/?region=KZ-75")
    f = Filters(regions=("KZ-75",))
    expect(page.locator("#kpi-items")).to_have_text(str(len(recount(f, live_server.feed_ids))))
    on_screen = {
        "items": kpi(page, "items"),
        "relevant": kpi(page, "relevant"),
        "categories": {c: int(page.locator(f"#ov-count-{c}").inner_text()) for c in CATEGORY_IDS},
    }
    expect(page.locator(f"#export-{fmt}")).to_have_attribute("href", re.compile("region=KZ-75"))
    with page.expect_download() as info:
        page.click(f"#export-{fmt}")
    body = Path(info.value.path()).read_bytes()
    if fmt == "json":
        snap = json.loads(body)
        exported = {
            "items": snap["totals"]["items"],
            "relevant": snap["totals"]["relevant"],
            "categories": {
                i["id"]: i["count"] for i in snap["indicators"] if i["axis"] == "category"
            },
        }
        assert len(snap["items"]) == on_screen["items"]
    else:
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        totals = {r["measure"]: int(r["count"]) for r in rows if r["table"] == "totals"}
        exported = {
            "items": totals["items"],
            "relevant": totals["relevant"],
            "categories": {
                r["id"]: int(r["count"])
                for r in rows
                if r["table"] == "indicators" and r["axis"] == "category"
            },
        }
        assert sum(r["table"] == "items" for r in rows) == on_screen["items"]
    exported["categories"] = {c: exported["categories"].get(c, 0) for c in CATEGORY_IDS}
    assert exported == on_screen
    recorder.assert_clean()


def test_the_stix_button_downloads_a_bundle_of_the_filtered_stories(
    live_server: LiveServer, recorded_page: tuple[Page, Recorder]
) -> None:
    import stix2

    page, recorder = recorded_page
    page.goto(live_server.url + "/?region=KZ-75")
    expect(page.locator("#export-stix")).to_have_attribute("href", re.compile("format=stix"))
    expect(page.locator("#export-stix")).to_have_attribute("href", re.compile("region=KZ-75"))
    with page.expect_download() as info:
        page.click("#export-stix")
    assert info.value.suggested_filename.endswith(".stix.json")
    body = Path(info.value.path()).read_text(encoding="utf-8")
    objects = stix2.parse(body, allow_custom=False).objects
    f = Filters(regions=("KZ-75",))
    stories = {k.story or k.key for k in recount(f, live_server.feed_ids) if k.relevant}
    assert len([o for o in objects if o.type == "report"]) == len(stories) > 0
    (almaty,) = [o for o in objects if o.get("administrative_area") == "KZ-75"]
    assert (almaty.country, round(almaty.latitude), round(almaty.longitude)) == ("KZ", 43, 77)
    recorder.assert_clean()


def test_methods_over_time_draws_each_method_and_a_click_lists_its_stories(
    live_server: LiveServer, recorded_page: tuple[Page, Recorder]
) -> None:
    page, recorder = recorded_page
    page.goto(live_server.url + "/trends")
    wait_plotted(page, "tr-methods")
    traces = plotted(page, "tr-methods")
    starts = [
        k
        for k in recount(Filters(), live_server.feed_ids)
        if k.relevant and (k.story is None or k.story == k.key) and k.values("method")
    ]
    assert {t["customdata"][0][0] for t in traces} == {
        m for k in starts for m in k.values("method")
    }
    hostage = next(i for i, t in enumerate(traces) if t["customdata"][0][0] == "hostage_taking")
    # the known methods share one month and one value: isolate the line first (legend
    # double-click), so the click can only land on it
    legend = page.locator("#tr-methods .legend .traces", has_text=traces[hostage]["name"])
    legend.locator(".legendtoggle").dblclick()
    page.wait_for_function(
        "() => document.querySelector('#tr-methods .js-plotly-plot').data"
        ".filter(t => t.visible !== 'legendonly').length === 1"
    )
    point = page.locator("#tr-methods .scatterlayer .trace").nth(hostage).locator(".point").first
    box = point.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    stories = page.locator("#tr-method-stories")
    expect(stories).to_contain_text("Учения антитеррористического центра в Актау")
    expect(stories).not_to_contain_text("В Алматы предотвращен теракт")
    recorder.assert_clean()
