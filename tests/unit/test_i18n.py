"""The interface language: how a request's language is chosen, the catalogs, the formats."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from dashboard.client_locales import (
    PLOTLY_MESSAGES,
    calendar_names,
    locales_script,
    plotly_locale,
)
from dashboard.context import DashboardContext
from dashboard.i18n import (
    DEFAULT_LANGUAGE,
    ENGLISH,
    LOCALE_DIR,
    UI_LANGUAGES,
    Translator,
    accepted_languages,
    load_translators,
    pick_language,
    read_catalog,
    valid_language,
)
from dashboard.url_state import (
    build_search,
    default_view,
    from_store,
    language_of,
    page_language,
    read_state,
    to_store,
)
from indicators.selection import Filters
from indicators.taxonomy import load_taxonomy

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
TRANSLATORS = load_translators()


# --- choosing the language ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "cookie", "header", "expected"),
    [
        ("kk", "en", "en-GB", "kk"),  # the URL wins
        (None, "en", "kk-KZ", "en"),  # then the cookie
        (None, None, "kk-KZ,ru;q=0.8", "kk"),  # then the browser
        (None, None, "de-DE,en;q=0.7,ru;q=0.9", "ru"),  # weights, not order
        (None, None, "de-DE,fr;q=0.5", "ru"),  # nothing we speak: Russian
        (None, None, None, "ru"),
        ("xx", "zz", "", "ru"),  # junk is ignored at every level
        ("EN", None, None, "en"),  # case and region do not matter
        (None, "kk_KZ", None, "kk"),
    ],
)
def test_the_language_is_url_then_cookie_then_browser_then_russian(
    url: str | None, cookie: str | None, header: str | None, expected: str
) -> None:
    assert pick_language(url, cookie, header) == expected


def test_accept_language_is_read_by_weight_and_skips_refusals_and_junk() -> None:
    assert accepted_languages("en;q=0.2, kk;q=0.9, ru;q=0.5") == ["kk", "ru", "en"]
    assert accepted_languages("ru;q=0, en") == ["en"]  # q=0 means "not this one"
    assert accepted_languages("ru;q=abc, ;;, kk-KZ") == ["kk"]
    assert accepted_languages("en-US,en;q=0.9") == ["en"]
    assert DEFAULT_LANGUAGE == "ru" and UI_LANGUAGES == ("ru", "kk", "en")
    assert valid_language(" Ru-ru ") == "ru" and valid_language("") is None


# --- the URL carries it --------------------------------------------------------------------


def test_ui_rides_in_the_url_like_a_view_option_and_survives_the_store() -> None:
    state = read_state("?category=cyber_threats&ui=kk&granularity=week")
    assert state.view["ui"] == "kk"
    search = build_search(state.filters, state.view)
    assert "ui=kk" in search and "category=cyber_threats" in search
    filters, view = from_store(to_store(state, "ru"))
    assert view["ui"] == "kk" and filters == state.filters
    assert language_of(to_store(state, "ru")) == "kk"  # the URL beats the served language


def test_without_ui_the_url_stays_clean_and_the_served_language_is_kept() -> None:
    state = read_state("?ui=fr&category=cyber_threats")
    assert state.view["ui"] == "" and state.error is None
    assert "ui" not in build_search(state.filters, state.view)
    assert language_of(to_store(state, "kk")) == "kk"
    assert language_of(to_store(state)) == "en"  # nobody chose: the source language
    assert language_of(None) == "en"
    assert page_language("?ui=ru", "kk") == "ru" and page_language("", "kk") == "kk"
    assert build_search(Filters(), default_view()) == ""


# --- catalogs and formats ------------------------------------------------------------------


def test_the_catalogs_translate_and_pick_russian_and_kazakh_plural_forms() -> None:
    ru, kk = TRANSLATORS["ru"], TRANSLATORS["kk"]
    assert ru("Overview") == "Обзор" and kk("Overview") == "Шолу"
    assert TRANSLATORS["en"]("Overview") == "Overview"
    one = "{n} open alert on this category: open it"
    many = "{n} open alerts on this category: open them"
    forms = {n: ru.plural(one, many, n) for n in (1, 2, 5, 11, 21, 22)}
    assert "открытое оповещение" in forms[1] and "открытое оповещение" in forms[21]
    assert "открытых оповещения" in forms[2] and "открытых оповещения" in forms[22]
    assert "открытых оповещений" in forms[5] and "открытых оповещений" in forms[11]
    assert kk.plural(one, many, 1) == kk.plural(one, many, 5)  # Kazakh: a numeral, no plural
    assert ENGLISH.plural(one, many, 2) == many
    assert ru("not in any catalog") == "not in any catalog"  # unknown: English shows


def test_a_fuzzy_entry_is_not_used(tmp_path: Path) -> None:
    po = tmp_path / "ru.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        '#, fuzzy\nmsgid "Overview"\nmsgstr "Обзор?"\n\n'
        'msgid "Trends"\nmsgstr "Тренды"\n',
        encoding="utf-8",
    )
    translations = read_catalog(po, "ru")
    assert translations.gettext("Overview") == "Overview"
    assert translations.gettext("Trends") == "Тренды"
    assert LOCALE_DIR.joinpath("ru.po").is_file() and LOCALE_DIR.joinpath("kk.po").is_file()


def test_numbers_months_and_percentages_follow_the_language() -> None:
    ru, kk, en = Translator("ru"), Translator("kk"), ENGLISH
    assert en.number(12345) == "12,345"
    assert ru.number(12345) == "12\xa0345" and kk.number(12345) == "12\xa0345"
    assert en.month(date(2026, 3, 1)) == "March 2026"
    assert ru.month(date(2026, 3, 1)) == "март 2026"
    assert kk.month(date(2026, 3, 1)).lower() == "наурыз 2026"
    assert en.percent(0.12, signed=True) == "+12%" and en.percent(-0.05) == "-5%"
    assert ru.percent(0.12, signed=True).startswith("+12")
    assert ru.country("CN") == "Китай" and kk.country("CN") == "Қытай"


def test_taxonomy_labels_come_in_the_interface_language() -> None:
    taxonomy = load_taxonomy(DATA_DIR)
    ctx = DashboardContext(
        engine=None,  # type: ignore[arg-type]  # labels need no store
        shapes=None,
        taxonomy=taxonomy,
        lexicon_version="t",
        translators=TRANSLATORS,
    )
    assert ctx.label("category", "cyber_threats", lang="ru") == "Киберугрозы"
    assert ctx.label("category", "cyber_threats", lang="kk") == "Киберқауіптер"
    assert ctx.label("category", "cyber_threats") == "Cyber threats"
    assert ctx.label("region", "KZ-75", lang="kk") == taxonomy.regions["KZ-75"]["kk"]
    assert ctx.label("region", "KZ-75", lang="ru") == taxonomy.regions["KZ-75"]["ru"]
    # a country the taxonomy names only in English comes from Babel's CLDR data
    assert ctx.label("region", "BR", lang="ru") == "Бразилия"
    assert ctx.label("region", "BR") == "Brazil"
    assert ctx.label("lang", "kk", lang="ru") == "казахский"
    assert ctx.label("lang", "kk", lang="kk") == "қазақ тілі"
    assert ctx.label("source", "7", {7: "Steppe Wire"}, lang="kk") == "Steppe Wire"
    assert ctx.label("source", "8", {}, lang="ru") == "источник 8"
    assert ctx.labeller("kk")("platform", "telegram") == taxonomy.platforms["telegram"]["kk"]


def test_plotly_speaks_russian_and_kazakh_from_our_catalogs_and_babel() -> None:
    translators = load_translators()
    ru = plotly_locale(translators["ru"])
    assert ru["name"] == "ru"
    assert ru["dictionary"]["Zoom in"] == translators["ru"]("Zoom in") != "Zoom in"
    assert set(ru["dictionary"]) == set(PLOTLY_MESSAGES)
    form = ru["format"]
    assert form["months"][2] == "март" and form["shortDays"][0] == "вс"
    assert (form["decimal"], form["thousands"]) == (",", "\xa0")
    script = locales_script(translators)
    assert "window.PlotlyLocales" in script  # plotly may load after the script
    assert json.dumps(ru["dictionary"], ensure_ascii=False) in script
    assert "window.dateFns.locale" in script  # the date picker's, for the page's language


def test_the_date_picker_gets_stand_alone_names_sunday_first_as_date_fns_wants() -> None:
    names = calendar_names(load_translators()["ru"])
    assert names["months"]["wide"][0] == "январь"  # not the genitive "января"
    assert names["days"]["short"][0] == "вс" and len(names["days"]["wide"]) == 7
