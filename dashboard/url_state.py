"""The page URL <-> `Filters` <-> the filter controls, and the view options beside them.

The URL is the dashboard's state: the filter parameters use exactly the names
of `/api/snapshot` (see `indicators.selection.PARAM_NAMES`), so a bookmark, a
shared link and an export all describe the same selection. View options
(granularity, sort, page, ...) ride along under their own names; they are
cosmetic, so an unknown value falls back to the default instead of failing.

Everything here is pure: strings and values in, strings and values out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

from dashboard.i18n import N_, SOURCE_LANGUAGE, UI_PARAM, valid_language
from indicators.selection import PARAM_NAMES, FilterError, Filters, Vocabulary

FILTER_NAMES = PARAM_NAMES

# name -> (allowed values, default). Order is the order they appear in URLs.
VIEW_OPTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "granularity": (("day", "week", "month"), "day"),
    "measure": (("items", "stories"), "items"),
    "scale": (("count", "per1000"), "count"),
    "chart": (("lines", "areas"), "lines"),
    "smooth": (("off", "on"), "off"),
    "sort": (("published_at", "title", "source", "lang"), "published_at"),
    "order": (("desc", "asc"), "desc"),
}
PAGE_PARAM = "page"  # items table page, 1-based; any positive integer
ALERT_PARAM = "alert"  # the alert open in the Alerts view (its id; "" for none)
# The interface language chosen on the switch ("" when the URL names none: then the
# cookie or the browser decides, see dashboard.i18n). It rides along like a view option,
# so it survives navigation and filter changes.
VIEW_NAMES = (*VIEW_OPTIONS, PAGE_PARAM, ALERT_PARAM, UI_PARAM)

# The quick date buttons: (text, tooltip, days); the texts are translated where shown.
PRESETS: tuple[tuple[str, str, int], ...] = (
    (N_("7 days"), N_("Last 7 days"), 7),
    (N_("30 days"), N_("Last 30 days"), 30),
    (N_("90 days"), N_("Last 90 days"), 90),
    (N_("1 year"), N_("Last 1 year"), 365),
    (N_("All time"), N_("No date limit"), 0),
)


def parse_query(search: str | None) -> dict[str, list[str]]:
    """`?a=1&a=2&b=` -> {"a": ["1", "2"]}: repeated names kept, blanks dropped."""
    return parse_qs((search or "").lstrip("?"), keep_blank_values=False)


def default_view() -> dict[str, str]:
    view = {name: default for name, (_, default) in VIEW_OPTIONS.items()}
    view[PAGE_PARAM] = "1"
    view[ALERT_PARAM] = ""
    view[UI_PARAM] = ""
    return view


def parse_view(params: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """The view options in `params`, each valid or replaced by its default."""
    view = default_view()
    for name, (allowed, _default) in VIEW_OPTIONS.items():
        values = params.get(name) or []
        if values and values[-1] in allowed:
            view[name] = values[-1]
    pages = params.get(PAGE_PARAM) or []
    if pages and pages[-1].isdigit() and 0 < int(pages[-1]) < 1_000_000:
        view[PAGE_PARAM] = str(int(pages[-1]))
    chosen = params.get(ALERT_PARAM) or []
    if chosen and chosen[-1].isdigit() and 0 < int(chosen[-1]) < 2**63:
        view[ALERT_PARAM] = str(int(chosen[-1]))
    languages = params.get(UI_PARAM) or []
    if languages:
        view[UI_PARAM] = valid_language(languages[-1]) or ""
    return view


@dataclass(frozen=True)
class PageState:
    """What the URL says: the filters, the view options, and why filters were dropped."""

    filters: Filters = field(default_factory=Filters)
    view: dict[str, str] = field(default_factory=default_view)
    error: str | None = None


def read_state(search: str | None, vocabulary: Vocabulary | None = None) -> PageState:
    """Parse a page URL's query string. A bad filter value shows all items plus an error.

    `vocabulary` names the ids that exist (the dashboard's organizations included).
    """
    params = parse_query(search)
    view = parse_view(params)
    try:
        filters = Filters.from_params(params, vocabulary=vocabulary)
    except FilterError as exc:
        return PageState(Filters(), view, str(exc))
    return PageState(filters, view, None)


def build_search(filters: Filters, view: Mapping[str, str] | None = None) -> str:
    """The canonical query string: filters first, then view options that differ from defaults."""
    pairs = list(filters.to_params())
    defaults = default_view()
    for name in VIEW_NAMES:
        value = (view or {}).get(name)
        if value is not None and value != defaults[name]:
            pairs.append((name, value))
    return "?" + urlencode(pairs) if pairs else ""


def with_view(view: Mapping[str, str], **changes: str) -> dict[str, str]:
    return {**view, **changes}


# --- the store between the URL and the pages --------------------------------------------


def to_store(state: PageState, lang: str | None = None) -> dict[str, Any]:
    """JSON-ready form kept in a dcc.Store; pages re-parse it with `from_store`.

    `lang` is the interface language the page is shown in (the URL's `ui=` or
    what the cookie or browser chose); pages read it with `language_of`.
    """
    return {
        "params": [list(p) for p in state.filters.to_params()],
        "view": dict(state.view),
        "error": state.error,
        "lang": state.view.get(UI_PARAM) or valid_language(lang) or SOURCE_LANGUAGE,
    }


def page_language(search: str | None, resolved: str | None) -> str:
    """The language a page URL asks for (`ui=`), else the one chosen when it was served."""
    return parse_view(parse_query(search))[UI_PARAM] or valid_language(resolved) or SOURCE_LANGUAGE


def language_of(data: Mapping[str, Any] | None) -> str:
    """The interface language a state store was made for (English when it names none)."""
    return valid_language((data or {}).get("lang")) or SOURCE_LANGUAGE


def from_store(data: Mapping[str, Any]) -> tuple[Filters, dict[str, str]]:
    params: dict[str, list[str]] = {}
    for name, value in data.get("params") or []:
        params.setdefault(name, []).append(value)
    view = parse_view({k: [v] for k, v in (data.get("view") or {}).items()})
    return Filters.from_params(params), view


# --- the controls -----------------------------------------------------------------------


@dataclass(frozen=True)
class ControlValues:
    """The values of the filter controls, in the order the sync callback lists them."""

    start_date: str | None = None
    end_date: str | None = None
    category: list[str] = field(default_factory=list)
    region: list[str] = field(default_factory=list)
    platform: list[str] = field(default_factory=list)
    actor: list[str] = field(default_factory=list)
    lang: list[str] = field(default_factory=list)
    source: list[int] = field(default_factory=list)
    q: str = ""

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.start_date,
            self.end_date,
            self.category,
            self.region,
            self.platform,
            self.actor,
            self.lang,
            self.source,
            self.q,
        )


def controls_from_filters(f: Filters) -> ControlValues:
    return ControlValues(
        start_date=f.date_from.isoformat() if f.date_from else None,
        end_date=f.date_to.isoformat() if f.date_to else None,
        category=list(f.categories),
        region=list(f.regions),
        platform=list(f.platforms),
        actor=list(f.actors),
        lang=list(f.langs),
        source=[int(s) for s in f.sources],
        q=f.q,
    )


def filters_from_controls(values: ControlValues) -> Filters:
    """Read the controls through the same parser as the URL, so both validate alike."""
    params: dict[str, list[str]] = {
        "category": list(values.category or []),
        "region": list(values.region or []),
        "platform": list(values.platform or []),
        "actor": list(values.actor or []),
        "lang": list(values.lang or []),
        "source": [str(s) for s in values.source or []],
    }
    if values.start_date:
        params["from"] = [values.start_date[:10]]
    if values.end_date:
        params["to"] = [values.end_date[:10]]
    if values.q and values.q.strip():
        params["q"] = [values.q]
    return Filters.from_params(params)


def preset_range(days: int, today: date) -> tuple[date | None, date | None]:
    """The last `days` UTC days up to and including today; 0 means all time."""
    if days <= 0:
        return None, None
    return today - timedelta(days=days - 1), today


def set_axis(filters: Filters, axis: str, values: Sequence[str]) -> Filters:
    """`filters` with one axis replaced (used by map and heatmap clicks)."""
    params: dict[str, list[str]] = {}
    for name, value in filters.to_params():
        params.setdefault(name, []).append(value)
    params[axis] = list(values)
    return Filters.from_params(params)


def snapshot_href(api_path: str, filters: Filters, fmt: str, lang: str = "") -> str:
    """The `/api/snapshot` link that exports exactly `filters`, labelled in `lang`."""
    ui = [(UI_PARAM, lang)] if lang and lang != SOURCE_LANGUAGE else []
    return api_path + "?" + urlencode([*filters.to_params(), ("format", fmt), *ui])
