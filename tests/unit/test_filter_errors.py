"""Every FilterError the filter bar and the URL can raise is explained in ru and kk."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from dashboard.filter_errors import filter_error_text
from dashboard.i18n import ENGLISH, load_translators
from indicators.emerging_report import emerging_terms, split_periods
from indicators.selection import FilterError, Filters, default_vocabulary

TRANSLATORS = load_translators()
VOCABULARY = replace(default_vocabulary(), actors=frozenset({"isis"}))  # as the dashboard's
BAD_PARAMS = (
    {"from": ["2026-03-10"], "to": ["2026-03-01"]},
    {"q": ["a", "b"]},
    {"category": ["terror"]},
    {"region": ["KZ-99"]},
    {"platform": ["myspace"]},
    {"actor": ["nobody"]},
    {"lang": ["r1"]},
    {"q": ["x" * 500]},
    {"from": ["10.03.2026"]},
    {"source": ["steppe"]},
)


def raised(params: dict[str, list[str]]) -> str:
    with pytest.raises(FilterError) as caught:
        Filters.from_params(params, vocabulary=VOCABULARY)
    return str(caught.value)


def emerging_messages() -> list[str]:
    """The period errors: too short for emerging terms, open-ended, and the general one."""
    found = []
    for attempt in (
        lambda: split_periods(date(2026, 3, 1), date(2026, 3, 3), 7),
        lambda: emerging_terms(None, Filters(), None, frozenset()),  # type: ignore[arg-type]
        lambda: Filters(date_from=date(2026, 3, 1)).previous_period(),
    ):
        try:
            attempt()
        except FilterError as exc:
            found.append(str(exc))
    return found


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_filter_error_is_said_in_the_language(lang: str) -> None:
    t = TRANSLATORS[lang]
    messages = [raised(p) for p in BAD_PARAMS] + emerging_messages()
    assert len(messages) == len(BAD_PARAMS) + 3
    for message in messages:
        shown = filter_error_text(message, t)
        assert shown != message, f"no known form matches {message!r}"
        # what the analyst typed is quoted back as typed
        for quoted in [part for part in message.split("'")[1::2] if part not in ("from", "to")]:
            if quoted in ("category", "region", "q", "source"):
                continue
            assert quoted in shown or quoted.lower() in shown


def test_english_and_unknown_messages_are_shown_as_written() -> None:
    message = raised({"actor": ["isiss"]})
    assert filter_error_text(message, ENGLISH) == message == "unknown actor 'isiss'"
    assert filter_error_text("something new", TRANSLATORS["ru"]) == "something new"
