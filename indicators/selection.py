"""What the analyst is looking at: one immutable value shared by every view and export.

The same `Filters` travels from the page URL, the `/api/snapshot` query string
and the `threatmon export` flags to the queries, so all three agree by
construction. Parsing validates every value (a typo in a bookmarked URL is an
error the user sees, not an empty chart that looks like "no threats").

Semantics: values of one axis are OR-ed, axes are AND-ed; `q` matches title or
summary, case-insensitively. Dates are inclusive UTC days.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache

# Each axis a selection can be made on (the tag axes first) -> the `Filters` field holding it.
AXIS_FIELDS: dict[str, str] = {
    "category": "categories",
    "region": "regions",
    "platform": "platforms",
    "actor": "actors",
    "lang": "langs",
    "source": "sources",
}
PARAM_NAMES = ("from", "to", *AXIS_FIELDS, "q")
MAX_Q_LENGTH = 200
_LANG_RE = re.compile(r"^[a-z]{2,3}$")
# Actor ids are data (data/actors.yaml), not constants: a selection checks their form,
# and a Vocabulary that lists them checks they exist.
_ACTOR_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


class FilterError(ValueError):
    """A filter value that cannot be understood; the message is meant for the user."""


@dataclass(frozen=True)
class Vocabulary:
    """The ids a filter may name. Defaults to the taxonomy; tests may pass a small one."""

    categories: frozenset[str]
    platforms: frozenset[str]
    kz_regions: frozenset[str]
    actors: frozenset[str] | None = None  # None: any well-formed actor id

    def actor_known(self, actor_id: str) -> bool:
        if not _ACTOR_RE.match(actor_id):
            return False
        return self.actors is None or actor_id in self.actors

    def region_known(self, code: str) -> bool:
        """KZ units, `KZ` itself, or any ISO 3166-1 alpha-2 country (activity abroad)."""
        if code in self.kz_regions:
            return True
        from indicators.taxonomy import is_country_code  # lazy: pulls in pycountry

        return is_country_code(code)


@lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The taxonomy's ids (imported lazily so this module stays import-light)."""
    from indicators.taxonomy import CATEGORY_IDS, KZ_REGION_CODES, PLATFORM_IDS

    return Vocabulary(
        categories=frozenset(CATEGORY_IDS),
        platforms=frozenset(PLATFORM_IDS),
        kz_regions=frozenset(KZ_REGION_CODES),
    )


def _canon(values: Iterable[object]) -> tuple:  # type: ignore[type-arg]
    """Sorted, de-duplicated: equal selections compare (and cache) equal."""
    return tuple(sorted(set(values)))  # type: ignore[type-var]


@dataclass(frozen=True)
class Filters:
    """The current selection. Empty tuples and None mean "no restriction"."""

    date_from: date | None = None
    date_to: date | None = None
    categories: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    sources: tuple[int, ...] = ()
    q: str = field(default="")

    def __post_init__(self) -> None:
        for name in AXIS_FIELDS.values():
            object.__setattr__(self, name, _canon(getattr(self, name)))
        object.__setattr__(self, "q", " ".join(self.q.split()))
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise FilterError(f"'from' ({self.date_from}) is after 'to' ({self.date_to})")

    # --- parsing -----------------------------------------------------------

    @classmethod
    def from_params(
        cls, params: Mapping[str, Sequence[str]], *, vocabulary: Vocabulary | None = None
    ) -> Filters:
        """Parse URL / API / CLI parameters (names as in `PARAM_NAMES`, repeatable).

        Unknown parameter names are ignored (the API adds `format`, the page may
        add view state); unknown *values* raise `FilterError`. Id parameters also
        accept comma-separated lists.
        """
        vocab = vocabulary or default_vocabulary()

        def values(name: str, *, split: bool = True) -> list[str]:
            raw = params.get(name, ())
            if isinstance(raw, str):  # a plain dict {"q": "text"} is a common slip
                raw = (raw,)
            out: list[str] = []
            for value in raw:
                parts = value.split(",") if split else [value]
                out.extend(p.strip() for p in parts if p.strip())
            return out

        def one(name: str) -> str | None:
            found = values(name, split=False)
            if len(set(found)) > 1:
                raise FilterError(f"'{name}' given more than once with different values")
            return found[0] if found else None

        categories = values("category")
        for cid in categories:
            if cid not in vocab.categories:
                raise FilterError(f"unknown category {cid!r}")
        regions = [r.upper() for r in values("region")]
        for code in regions:
            if not vocab.region_known(code):
                raise FilterError(f"unknown region {code!r} (use ISO 3166-2:KZ or a country code)")
        platforms = [p.lower() for p in values("platform")]
        for pid in platforms:
            if pid not in vocab.platforms:
                raise FilterError(f"unknown platform {pid!r}")
        actors = [a.lower() for a in values("actor")]
        for aid in actors:
            if not vocab.actor_known(aid):
                raise FilterError(f"unknown actor {aid!r}")
        langs = [lang.lower() for lang in values("lang")]
        for lang in langs:
            if not _LANG_RE.match(lang):
                raise FilterError(f"not a language code: {lang!r}")
        sources = [_parse_source(s) for s in values("source")]
        q = one("q") or ""
        if len(q) > MAX_Q_LENGTH:
            raise FilterError(f"search text longer than {MAX_Q_LENGTH} characters")
        return cls(
            date_from=_parse_day("from", one("from")),
            date_to=_parse_day("to", one("to")),
            categories=tuple(categories),
            regions=tuple(regions),
            platforms=tuple(platforms),
            actors=tuple(actors),
            langs=tuple(langs),
            sources=tuple(sources),
            q=q,
        )

    def to_params(self) -> list[tuple[str, str]]:
        """Query parameters in a stable order; `from_params` reads them back equal."""
        out: list[tuple[str, str]] = []
        if self.date_from:
            out.append(("from", self.date_from.isoformat()))
        if self.date_to:
            out.append(("to", self.date_to.isoformat()))
        out += [("category", v) for v in self.categories]
        out += [("region", v) for v in self.regions]
        out += [("platform", v) for v in self.platforms]
        out += [("actor", v) for v in self.actors]
        out += [("lang", v) for v in self.langs]
        out += [("source", str(v)) for v in self.sources]
        if self.q:
            out.append(("q", self.q))
        return out

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready description (the snapshot's `filters`)."""
        return {
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "category": list(self.categories),
            "region": list(self.regions),
            "platform": list(self.platforms),
            "actor": list(self.actors),
            "lang": list(self.langs),
            "source": list(self.sources),
            "q": self.q,
        }

    # --- periods -------------------------------------------------------------

    @property
    def days(self) -> int:
        """Length of the period in days; requires both bounds."""
        start, end = self._bounds()
        return (end - start).days + 1

    def previous_period(self) -> Filters:
        """The same filters over the period of equal length that ends the day before.

        Needs a bounded period (use `bounded()` first): an open period has no
        "previous" of the same length.
        """
        start, end = self._bounds()
        length = (end - start).days + 1
        return replace(
            self,
            date_from=start - timedelta(days=length),
            date_to=start - timedelta(days=1),
        )

    def bounded(self, first: date | None, last: date | None) -> Filters:
        """Fill a missing bound with the store's first/last day (see `date_bounds`)."""
        start = self.date_from or first
        end = self.date_to or last
        if start and end and start > end:  # e.g. from= after the newest item
            end = start
        return replace(self, date_from=start, date_to=end)

    def without(self, *axes: str) -> Filters:
        """These filters minus the selection on some axes (for facet lists)."""
        names = {**AXIS_FIELDS, "q": "q"}
        changes: dict[str, object] = {}
        for axis in axes:
            changes[names[axis]] = "" if axis == "q" else ()
        return replace(self, **changes)  # type: ignore[arg-type]

    def selection(self, axis: str) -> tuple[str, ...]:
        """The values chosen on `axis` (a tag axis, lang or source) as text."""
        if axis == "source":
            return tuple(str(s) for s in self.sources)
        name = AXIS_FIELDS.get(axis)
        if name is None:
            raise ValueError(f"unknown axis {axis!r}")
        return tuple(getattr(self, name))

    @property
    def has_tag_filter(self) -> bool:
        return bool(self.categories or self.regions or self.platforms or self.actors)

    def _bounds(self) -> tuple[date, date]:
        if self.date_from is None or self.date_to is None:
            raise FilterError("this needs a period with both 'from' and 'to'")
        return self.date_from, self.date_to


def _parse_day(name: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"'{name}' is not a date (YYYY-MM-DD): {value!r}") from None


def _parse_source(value: str) -> int:
    if not value.isdigit() or int(value) <= 0:
        raise FilterError(f"'source' must be a feed id (a positive number): {value!r}")
    return int(value)
