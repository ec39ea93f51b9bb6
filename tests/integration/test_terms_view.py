"""The Emerging terms view over HTTP: the list for the filters, and proposals to the overlay.

The callbacks are called exactly as the browser calls them (POST
/_dash-update-component) against a real SQLite store (tests/terms_store.py);
a proposal needs a writable dashboard and this browser's CSRF token, and
lands in the overlay file given to the app.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import yaml

from dashboard import ids, term_actions
from dashboard.app import create_app
from indicators.selection import Filters
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from tests.integration.test_dashboard_http import Callbacks, find, store_for, texts
from tests.terms_store import FIRST, LAST, NOW, fill
from threatmon.settings import DEFAULT_DATA_DIR

PERIOD = store_for(Filters(date_from=FIRST, date_to=LAST))


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'terms.db'}"
    engine = make_engine(url)
    upgrade(engine)
    fill(engine)
    engine.dispose()
    return url


def app_for(url: str, overlay: Path, *, read_only: bool = False) -> Any:
    return create_app(
        url,
        DEFAULT_DATA_DIR,
        clock=lambda: NOW,
        lexicon_version="t",
        read_only=read_only,
        lexicon_overlay=overlay,
    )


def listed(calls: Callbacks, state: dict[str, Any] = PERIOD) -> tuple[str, Any]:
    response = calls.call(
        f"{ids.TE_LIST}.children", {f"{ids.STATE}.data": state, f"{ids.TE_VERSION}.data": 0}
    )
    assert response is not None
    return " ".join(texts(response[ids.TE_SUMMARY]["children"])), response[ids.TE_LIST]["children"]


def rows(table: Any) -> list[list[str]]:
    body = table["props"]["children"][1]["props"]["children"]
    return [[" ".join(texts(cell)) for cell in row["props"]["children"]] for row in body]


def links(tree: Any) -> list[str]:
    found: list[str] = []
    if isinstance(tree, list):
        for child in tree:
            found += links(child)
    elif isinstance(tree, dict):
        props = tree.get("props", {})
        if tree.get("type") == "A":
            found.append(props.get("href"))
        found += links(props.get("children"))
    return found


def test_the_list_shows_each_term_with_counts_g2_trend_and_newest_items(url, tmp_path):
    calls = Callbacks(app_for(url, tmp_path / "overlay.yaml").server.test_client())
    summary, table = listed(calls)
    assert summary.startswith("2026-11-22 to 2026-11-28: 8 relevant items, against 20")
    first = rows(table)[0]
    assert first[:4] == ["квадрокоптер", "6", "0", "20.1"]
    assert " ".join(first[5].split()).startswith("2026-11-27 Полиция сообщила о случае 5")
    assert first[6] == "Propose"
    # the newest example's javascript: link is shown as text; the others link out
    assert links(table["props"]["children"][1]["props"]["children"][0]) == [
        "https://news.example/4",
        "https://news.example/3",
    ]
    # the term opens the Items view of the same period, searching for it
    term_cell = table["props"]["children"][1]["props"]["children"][0]["props"]["children"][0]
    href = term_cell["props"]["children"]["props"]["href"]
    assert unquote(href) == "/items?from=2026-11-01&to=2026-11-28&q=квадрокоптер"


def test_the_filters_apply_and_a_short_period_is_explained(url, tmp_path):
    calls = Callbacks(app_for(url, tmp_path / "overlay.yaml").server.test_client())
    summary, _ = listed(calls, store_for(Filters(date_from=FIRST, date_to=LAST, langs=("en",))))
    assert "0 relevant items" in summary
    _, message = listed(calls, store_for(Filters(date_from=LAST, date_to=LAST)))
    assert "choose a period longer than 7 days" in " ".join(texts(message))


def token_of(calls: Callbacks) -> str:
    layout = json.loads(calls.client.get("/_dash-layout").data)
    return str(find(layout, ids.CSRF_TOKEN)["props"]["data"])


def propose(calls: Callbacks, term: str, token: str | None) -> str:
    response = calls.call(
        f"{ids.TE_MESSAGE}.children",
        {f"{ids.TE_PROPOSE}.n_clicks": 1},
        trigger=f"{ids.TE_PROPOSE}.n_clicks",
        states={
            f"{ids.TE_TERM}.value": term,
            f"{ids.TE_CATEGORY}.value": "tactics_methods",
            f"{ids.TE_LANG}.value": "ru",
            f"{ids.CSRF_TOKEN}.data": token,
            f"{ids.TE_VERSION}.data": 0,
        },
    )
    assert response is not None
    return " ".join(texts(response[ids.TE_MESSAGE]["children"]))


def test_a_proposal_with_this_browsers_token_goes_to_the_overlay_and_leaves_the_list(url, tmp_path):
    overlay = tmp_path / "overlay.yaml"
    calls = Callbacks(app_for(url, overlay).server.test_client())
    message = propose(calls, "квадрокоптер", token_of(calls))
    assert message.startswith("Added 'квадрокоптер' to ")
    assert yaml.safe_load(overlay.read_text(encoding="utf-8"))["ids"] == {
        "tactics_methods": {"ru": ["квадрокоптер"]}
    }
    _, shown = listed(calls)  # the lexicon knows it now, and the pairs holding it
    assert texts(shown) == [
        "No term rose enough in these filters: widen the period or remove a filter."
    ]
    again = propose(calls, "квадрокоптеры", token_of(calls))
    assert again == "Refused: 'квадрокоптеры' is already matched by the lexicon"


def test_a_proposal_without_the_token_is_refused_and_nothing_written(url, tmp_path):
    overlay = tmp_path / "overlay.yaml"
    calls = Callbacks(app_for(url, overlay).server.test_client())
    token_of(calls)  # the browser has its cookie, but the request carries no token
    assert "security token is missing or out of date" in propose(calls, "квадрокоптер", None)
    assert "security token" in propose(calls, "квадрокоптер", "forged")
    assert not overlay.exists()


def test_a_read_only_dashboard_offers_no_proposal_and_refuses_one(url, tmp_path):
    overlay = tmp_path / "overlay.yaml"
    calls = Callbacks(app_for(url, overlay, read_only=True).server.test_client())
    _, table = listed(calls)
    assert len(rows(table)[0]) == 6  # no Propose column
    assert propose(calls, "квадрокоптер", token_of(calls)) == term_actions.READ_ONLY
    assert not overlay.exists()
