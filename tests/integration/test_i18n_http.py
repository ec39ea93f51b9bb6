"""The interface language over HTTP: the cookie, Accept-Language, the URL, translated views.

The app is the one of tests/browser/known_store.py; callbacks are called the
way dash-renderer calls them (see test_dashboard_http.Callbacks).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from dashboard import ids
from dashboard.app import create_app
from dashboard.i18n import UI_COOKIE
from dashboard.pages import overview, trends
from dashboard.url_state import PageState, default_view, to_store
from indicators import taxonomy
from indicators.selection import Filters
from tests.browser.known_store import LEXICON_VERSION, NOW, build_store
from tests.integration.test_dashboard_http import Callbacks, find, texts

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
TAXONOMY = taxonomy.load_taxonomy(DATA_DIR)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    db_url, _ = build_store(tmp_path_factory.mktemp("i18n") / "known.db")
    return create_app(db_url, DATA_DIR, clock=lambda: NOW, lexicon_version=LEXICON_VERSION)


@pytest.fixture(scope="module")
def callbacks(app: Any) -> Callbacks:
    return Callbacks(app.server.test_client())


def store(lang: str, f: Filters | None = None, **view: str) -> dict[str, Any]:
    return to_store(PageState(f or Filters(), {**default_view(), **view}, None), lang)


def layout_of(client: Any, **headers: str) -> Any:
    return json.loads(client.get("/_dash-layout", headers=headers).data)


def nav_texts(layout: Any) -> list[str]:
    return texts(find(layout, ids.NAV))


def test_a_page_served_with_ui_leaves_a_cookie_and_other_responses_do_not(app: Any) -> None:
    client = app.server.test_client()
    page = client.get("/trends?ui=kk&category=cyber_threats")
    assert page.status_code == 200
    (cookie,) = [c for c in page.headers.getlist("Set-Cookie") if c.startswith(UI_COOKIE)]
    assert cookie.startswith(f"{UI_COOKIE}=kk;") and "Max-Age=" in cookie
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie

    def ui_cookies(response: Any) -> list[str]:
        return [c for c in response.headers.getlist("Set-Cookie") if c.startswith(UI_COOKIE)]

    assert ui_cookies(client.get("/?ui=xx")) == []  # not a language
    assert ui_cookies(app.server.test_client().get("/")) == []
    api = app.server.test_client().get("/api/snapshot?ui=kk&format=json")
    assert api.mimetype != "text/html" and ui_cookies(api) == []
    # the layout fetched after that page comes in Kazakh
    assert nav_texts(layout_of(client))[0] == "Шолу"


def test_the_layout_follows_the_cookie_then_accept_language_then_russian(app: Any) -> None:
    fresh = app.server.test_client
    assert nav_texts(layout_of(fresh()))[:2] == ["Обзор", "Тренды"]  # no header: Russian
    assert nav_texts(layout_of(fresh(), **{"Accept-Language": "de-DE,fr"}))[0] == "Обзор"
    kk = layout_of(fresh(), **{"Accept-Language": "kk-KZ,ru;q=0.9"})
    assert nav_texts(kk)[:2] == ["Шолу", "Үрдістер"]
    assert find(kk, ids.UI_LANG)["props"]["data"] == "kk"
    en = layout_of(fresh(), **{"Accept-Language": "en-GB,en;q=0.9"})
    assert nav_texts(en)[:2] == ["Overview", "Trends"]
    client = fresh()
    client.set_cookie(UI_COOKIE, "en")
    assert nav_texts(layout_of(client, **{"Accept-Language": "kk"}))[0] == "Overview"


def test_the_header_and_filter_bar_are_translated_and_the_switch_marks_the_language(
    app: Any,
) -> None:
    layout = layout_of(app.server.test_client(), **{"Accept-Language": "ru"})
    switch = find(layout, ids.LANG_SWITCH)
    links = {c["props"]["id"]: c["props"] for c in switch["props"]["children"]}
    assert [p["children"] for p in links.values()] == ["ru", "kk", "en"]
    assert links["ui-ru"]["className"] == "lang-option active"
    assert links["ui-kk"]["href"] == "?ui=kk"
    category = find(layout, ids.F_CATEGORY)["props"]
    assert category["placeholder"] == "Все категории"
    assert [o["label"] for o in category["options"]] == [
        TAXONOMY.label("category", c, "ru") for c in taxonomy.CATEGORY_IDS
    ]
    region = find(layout, ids.F_REGION)["props"]["options"]
    assert region[0]["label"] == f"{TAXONOMY.label('region', region[0]['value'], 'ru')} (KZ-10)"
    everything = json.dumps(layout, ensure_ascii=False)
    for english in ("Clear filters", "All categories", "Export snapshot", "Period (UTC days)"):
        assert english not in everything
    assert "Сбросить фильтры" in everything and "Экспорт среза" in everything


def test_sync_puts_the_language_in_the_state_and_ui_in_the_url_wins(callbacks: Callbacks) -> None:
    def state_for(search: str, served: str) -> dict[str, Any]:
        out = callbacks.call(
            ids.STATE + ".data",
            {ids.URL + ".search": search},
            trigger=ids.URL + ".search",
            states={ids.UI_LANG + ".data": served},
        )
        assert out is not None
        return out[ids.STATE]["data"]

    assert state_for("?category=cyber_threats", "kk")["lang"] == "kk"
    data = state_for("?category=cyber_threats&ui=ru", "kk")
    assert data["lang"] == "ru" and data["view"]["ui"] == "ru"
    # a filter change keeps ui= in the new URL
    out = callbacks.call(
        ids.STATE + ".data",
        {ids.URL + ".search": "?ui=kk", ids.F_CATEGORY + ".value": ["cyber_threats"]},
        trigger=ids.F_CATEGORY + ".value",
        states={ids.STATE + ".data": state_for("?ui=kk", "ru"), ids.UI_LANG + ".data": "ru"},
    )
    assert out is not None
    assert "ui=kk" in out[ids.URL]["search"] and "category=cyber_threats" in out[ids.URL]["search"]
    assert out[ids.STATE]["data"]["lang"] == "kk"


def test_nav_links_keep_ui_and_the_switch_keeps_view_and_filters(callbacks: Callbacks) -> None:
    f = Filters(categories=("cyber_threats",))
    out = callbacks.call(
        ids.ERROR_BANNER + ".children",
        {ids.STATE + ".data": store("kk", f, ui="kk"), ids.URL + ".pathname": "/trends"},
    )
    assert out is not None
    assert out["nav-trends"]["href"] == "/trends?category=cyber_threats&ui=kk"
    assert out["ui-ru"]["href"] == "/trends?category=cyber_threats&ui=ru"
    assert out["ui-en"]["href"] == "/trends?category=cyber_threats&ui=en"


def test_a_bad_filter_is_explained_in_the_language(callbacks: Callbacks) -> None:
    data = {**store("ru"), "error": "unknown category 'nope'"}
    out = callbacks.call(
        ids.ERROR_BANNER + ".children", {ids.STATE + ".data": data, ids.URL + ".pathname": "/"}
    )
    assert out is not None
    message = out[ids.ERROR_BANNER]["children"]
    assert message.startswith("Фильтр не удалось применить: неизвестная категория 'nope'.")


def test_the_router_renders_the_view_in_the_url_language(callbacks: Callbacks) -> None:
    out = callbacks.call(
        ids.PAGE + ".children",
        {ids.URL + ".pathname": "/trends"},
        states={ids.URL + ".search": "?ui=kk", ids.UI_LANG + ".data": "ru"},
    )
    assert out is not None
    shown = texts(out[ids.PAGE]["children"])
    assert "Санаттар уақыт бойынша" in shown and "Categories over time" not in shown
    missing = callbacks.call(
        ids.PAGE + ".children",
        {ids.URL + ".pathname": "/nowhere"},
        states={ids.URL + ".search": "", ids.UI_LANG + ".data": "ru"},
    )
    assert missing is not None
    assert "Страница не найдена" in texts(missing[ids.PAGE]["children"])
    assert overview.PATH == "/" and trends.PATH == "/trends"


def test_the_overview_speaks_kazakh_with_kazakh_labels_and_number_format(
    callbacks: Callbacks,
) -> None:
    out = callbacks.call(ids.OV_TOTALS + ".children", {ids.STATE + ".data": store("kk")})
    assert out is not None
    shown = " ".join(
        texts(out[ids.OV_TOTALS]["children"]) + texts(out[ids.OV_CATEGORIES]["children"])
    )
    assert "Материалдар" in shown and "Ашық ескертулер" in shown and "Санат" in shown
    for cid in taxonomy.CATEGORY_IDS:
        assert TAXONOMY.label("category", cid, "kk") in shown
        assert TAXONOMY.label("category", cid, "en") not in shown
    for english in ("Items", "Relevant items", "Stories", "Open alerts", "Change", "all time"):
        assert english not in shown.split(" · ")
    regions = out[ids.OV_REGIONS]["figure"]
    labels = regions["data"][0]["y"]
    assert labels and all(any("\u0400" <= ch <= "\u04ff" for ch in label) for label in labels)
    assert regions["layout"]["xaxis"]["title"]["text"] == "материал"


def test_the_trends_view_speaks_russian_down_to_the_axes(callbacks: Callbacks) -> None:
    out = callbacks.call(
        ids.TR_GRAPH + ".figure", {ids.STATE + ".data": store("ru", granularity="month")}
    )
    assert out is not None
    figure = out[ids.TR_GRAPH]["figure"]
    assert figure["layout"]["xaxis"]["title"]["text"] == "Месяц (UTC)"
    ticks = figure["layout"]["xaxis"]["ticktext"]
    assert ticks and all(not any("a" <= ch.lower() <= "z" for ch in tick) for tick in ticks)
    names = {trace["name"] for trace in figure["data"]}
    assert names <= {TAXONOMY.label("category", c, "ru") for c in taxonomy.CATEGORY_IDS}
    bar = texts(out[ids.TR_OPTIONS]["children"])
    assert "Шаг" in bar and "месяц" in bar and "Per" not in bar
    assert out[ids.TR_NOTE]["children"].startswith("Даты — дни по UTC.")
    methods = callbacks.call(ids.TR_METHODS + ".figure", {ids.STATE + ".data": store("ru")})
    assert methods is not None
    axis = methods[ids.TR_METHODS]["figure"]["layout"]["xaxis"]
    assert axis["title"]["text"] == "Месяц (UTC)"


def test_english_stays_english(callbacks: Callbacks) -> None:
    out = callbacks.call(ids.OV_TOTALS + ".children", {ids.STATE + ".data": store("en")})
    assert out is not None
    shown = texts(out[ids.OV_TOTALS]["children"])
    assert "Items" in shown and "Open alerts" in shown


# --- the snapshot export ----------------------------------------------------------------


def test_a_csv_export_in_russian_names_its_columns_tables_and_labels_in_russian(
    app: Any,
) -> None:
    body = app.server.test_client().get("/api/snapshot?format=csv&ui=ru&category=cyber_threats")
    assert body.status_code == 200
    rows = list(csv.reader(io.StringIO(body.data.decode("utf-8-sig"))))
    header = rows[0]
    assert header[0] == "Таблица" and "Опубликовано (UTC)" in header and "Заголовок" in header
    assert "published_at" not in header
    tables = {row[0] for row in rows[1:]}
    assert {"Об экспорте", "Итоги", "Индикаторы", "Материалы"} <= tables
    label = header.index("Название")
    labels = {row[label] for row in rows[1:] if row[0] == "Индикаторы"}
    assert TAXONOMY.label("category", "cyber_threats", "ru") in labels
    keys = {row[header.index("Параметр")] for row in rows[1:] if row[0] == "Об экспорте"}
    assert "Версия лексикона" in keys


def test_an_xlsx_export_in_kazakh_names_its_sheets_in_kazakh(app: Any) -> None:
    body = app.server.test_client().get("/api/snapshot?format=xlsx&ui=kk")
    assert body.status_code == 200
    book = load_workbook(io.BytesIO(body.data), read_only=True)
    assert book.sheetnames[:5] == [
        "Экспорт туралы", "Қорытынды", "Индикаторлар", "Уақыт қатарлары", "Материалдар"
    ]  # fmt: skip
    first_row = next(book["Материалдар"].iter_rows(max_row=1, values_only=True))
    assert "Жарияланды (UTC)" in first_row


def test_json_keeps_its_keys_and_english_stays_the_default(app: Any) -> None:
    client = app.server.test_client()
    data = client.get("/api/snapshot?format=json&ui=kk").get_json()
    assert {"generated_at", "totals", "indicators", "items"} <= set(data)
    labels = {i["label"] for i in data["indicators"] if i["axis"] == "category"}
    assert TAXONOMY.label("category", "cyber_threats", "kk") in labels
    english = client.get("/api/snapshot?format=csv").data.decode("utf-8-sig")
    assert english.splitlines()[0].startswith("table,key,value")
    assert client.get("/api/snapshot?format=csv&ui=xx").status_code == 400


def test_the_export_links_carry_the_interface_language(callbacks: Callbacks) -> None:
    out = callbacks.call(
        f"{ids.EXPORT_CSV}.href", {ids.STATE + ".data": store("kk"), ids.URL + ".pathname": "/"}
    )
    assert out is not None
    assert out[ids.EXPORT_CSV]["href"].endswith("format=csv&ui=kk")


def test_the_page_names_its_language_for_screen_readers(app: Any) -> None:
    client = app.server.test_client()
    assert '<html lang="kk">' in client.get("/?ui=kk").get_data(as_text=True)
    fresh = app.server.test_client()
    page = fresh.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert '<html lang="ru">' in page.get_data(as_text=True)  # none of the three: Russian
    assert "Accept-Language" in page.headers["Vary"]
    english = fresh.get("/trends", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert '<html lang="en">' in english.get_data(as_text=True)
    layout = fresh.get("/_dash-layout", headers={"Accept-Language": "kk"})
    assert {"Cookie", "Accept-Language"} <= {v.strip() for v in layout.headers["Vary"].split(",")}
