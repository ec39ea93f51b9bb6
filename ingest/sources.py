"""The feed list: what a feed entry may say, and loading it from TOML.

A feed list is data a person edits by hand (`data/feeds.toml`), so every
mistake in it must come back as a message that names the file, the entry and
the reason, all at once, before anything touches the database. Nothing here
does network or database I/O; the only I/O is reading the one TOML file.

Whether a URL actually serves a feed is not checked here: a dead or moved feed
is a runtime fact and shows up in feed health, not at load time.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import pycountry

from indicators.models import LANGS, FeedFields
from ingest.langdetect import normalize_language_code

KINDS = ("media", "official", "cyber", "search")
# How a source publishes, separate from who publishes it (`kind`); see ingest.formats.
FORMATS = ("rss", "telegram", "sitemap", "html")
MIN_INTERVAL_MINUTES = 5  # politeness floor: no public feed needs polling more often
MAX_NAME_CHARS = 300  # the width of feeds.name in the store
MAX_URL_CHARS = 2048

# Keys a [[feeds]] entry may carry. `note` is for the humans editing the file
# (verification status, why the feed is there) and is not loaded.
ENTRY_KEYS = frozenset(
    {
        "name",
        "url",
        "language",
        "country",
        "kind",
        "format",
        "selectors",
        "interval_minutes",
        "enabled",
        "note",
    }
)

T = TypeVar("T")

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Characters a name may not hold: controls, plus what XML 1.0 cannot carry
# (surrogates, U+FFFE, U+FFFF), so that every valid feed can be exported.
_BAD_NAME_CHAR = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_WHITESPACE_RUN = re.compile(r"\s+")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a feed list; `entry` is 1-based, None for the whole file."""

    entry: int | None
    reason: str


class FeedListError(ValueError):
    """A feed list that cannot be loaded, with every problem found in it."""

    def __init__(self, path: Path | str, problems: list[Problem]) -> None:
        self.path = Path(path)
        self.problems = tuple(problems)
        first = self.problems[0] if self.problems else Problem(None, "unknown problem")
        self.entry = first.entry  # the first problem, for callers that show one line
        self.reason = first.reason
        lines = [
            f"{self.path}: {reason}" if entry is None else f"{self.path}: entry {entry}: {reason}"
            for entry, reason in ((p.entry, p.reason) for p in self.problems)
        ]
        super().__init__("\n".join(lines))


def validate_feed_url(url: str) -> str:
    """Return the URL ready to store, or raise ValueError saying what is wrong.

    Only http and https are accepted: the fetcher speaks nothing else, and a
    `file:` or `javascript:` URL in a shared list is an attack, not a feed.
    Surrounding whitespace is dropped (copy-paste), and the scheme and host
    are lower-cased so the same feed cannot be listed twice by case alone.
    """
    if not isinstance(url, str):
        raise ValueError(f"URL must be a string, not {type(url).__name__}")
    url = url.strip()
    if not url:
        raise ValueError("URL is empty")
    if len(url) > MAX_URL_CHARS:
        raise ValueError(f"URL is longer than {MAX_URL_CHARS} characters")
    if _CONTROL.search(url) or any(ch.isspace() for ch in url):
        raise ValueError(f"URL contains whitespace or control characters: {url!r}")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError on a non-numeric or out-of-range port
    except ValueError as exc:
        raise ValueError(f"malformed URL {url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        shown = f"{scheme!r}" if scheme else "none"
        raise ValueError(f"URL scheme {shown} is not supported (use http or https): {url!r}")
    host = parts.hostname or ""
    if not host:
        raise ValueError(f"URL has no host: {url!r}")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    if "@" in parts.netloc:
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
    return urlunsplit((scheme, netloc, parts.path, parts.query, parts.fragment))


def clean_name(name: object) -> str:
    """A display name: one line, trimmed, no control characters, not too long."""
    if not isinstance(name, str):
        raise ValueError(f"name must be a string, not {type(name).__name__}")
    cleaned = _WHITESPACE_RUN.sub(" ", name).strip()
    if not cleaned:
        raise ValueError("name is empty")
    if _BAD_NAME_CHAR.search(cleaned):
        raise ValueError(f"name contains control or non-XML characters: {cleaned!r}")
    if len(cleaned) > MAX_NAME_CHARS:
        raise ValueError(f"name is longer than {MAX_NAME_CHARS} characters")
    return cleaned


def _language(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"language must be a string, not {type(value).__name__}")
    if value not in ("", *LANGS):
        # The list is ours: it spells canonical codes, but says which one was meant.
        meant = normalize_language_code(value)
        hint = f"; did you mean {meant!r}?" if meant in LANGS else ""
        raise ValueError(f"language {value!r} is not one of {', '.join(LANGS)} (or empty){hint}")
    return value


def _country(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"country must be a string, not {type(value).__name__}")
    code = value.strip().upper()
    if not code:
        return ""
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(
            f'country {value!r} is not an ISO 3166-1 alpha-2 code (use "" for international)'
        )
    return code


def _one_of(field: str, choices: tuple[str, ...], value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a string, not {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{field} {value!r} is not one of {', '.join(choices)}")
    return value


def _kind(value: object) -> str:
    return _one_of("kind", KINDS, value)


def _format(value: object) -> str:
    return _one_of("format", FORMATS, value)


def _selector_table(value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ValueError("selectors must be a table of part = value")
    return value


FOLLOW = "follow"  # a sitemap index's selector: text each followed sitemap's URL contains
MAX_FOLLOW = 200


def _selectors(source_format: str, table: dict[str, object]) -> tuple[tuple[str, str], ...]:
    """The selectors a format reads: an html listing's CSS selectors (`ingest.listing`), or
    a sitemap index's `follow` text; any other format reads none."""
    if source_format == "html":
        from ingest.listing import check_selectors  # late: only html sources need cssselect

        return check_selectors(table)
    if source_format == "sitemap":
        unknown = sorted(set(table) - {FOLLOW})
        if unknown:
            raise ValueError(f"a sitemap reads only the selector {FOLLOW!r}, not {unknown}")
        value = table.get(FOLLOW)
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_FOLLOW:
            raise ValueError(
                f"selector {FOLLOW!r} must be a non-empty text of at most {MAX_FOLLOW} "
                "characters that the URLs of the sitemaps to follow contain"
            )
        return ((FOLLOW, value.strip()),)
    raise ValueError('selectors are only read for format "html" and "sitemap"')


def _interval(value: object) -> int | None:
    if value is None:
        return None
    # bool is an int in Python; `interval_minutes = true` is a mistake, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"interval_minutes must be a whole number, not {value!r}")
    if value < MIN_INTERVAL_MINUTES:
        raise ValueError(
            f"interval_minutes {value} is below the minimum of {MIN_INTERVAL_MINUTES} minutes"
        )
    return value


def _enabled(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"enabled must be true or false, not {value!r}")
    return value


def _url(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"url must be a string, not {type(value).__name__}")
    return validate_feed_url(value)


def _field(
    fields: Mapping[str, object],
    key: str,
    check: Callable[[object], T],
    default: T,
    faults: list[str],
) -> T:
    """Run one field's check, recording its fault instead of stopping at it."""
    if key not in fields:
        return default
    try:
        return check(fields[key])
    except ValueError as exc:
        faults.append(str(exc))
        return default


def build_feed_fields(fields: Mapping[str, object]) -> FeedFields:
    """Validate one entry's fields into a FeedFields; raise ValueError listing every fault.

    Shared by the TOML loader and the OPML importer so that a feed means the
    same thing whichever way it arrived. Keys outside FeedFields's fields are
    the caller's business (the TOML loader rejects unknown ones).
    """
    faults: list[str] = []
    if "url" not in fields:
        faults.append("missing url")
    if "name" not in fields:
        faults.append("missing name")
    spec = FeedFields(
        url=_field(fields, "url", _url, "", faults),
        name=_field(fields, "name", clean_name, "", faults),
        language=_field(fields, "language", _language, "", faults),
        country=_field(fields, "country", _country, "", faults),
        kind=_field(fields, "kind", _kind, "media", faults),
        format=_field(fields, "format", _format, "rss", faults),
        interval_minutes=_field(fields, "interval_minutes", _interval, None, faults),
        enabled=_field(fields, "enabled", _enabled, True, faults),
    )
    table = _field(fields, "selectors", _selector_table, None, faults)
    if table is not None:
        try:
            spec = replace(spec, selectors=_selectors(spec.format, table))
        except ValueError as exc:
            faults.append(str(exc))
    elif spec.format == "html" and "selectors" not in fields:
        faults.append('format "html" needs selectors (item and link at least)')
    if faults:
        raise ValueError("; ".join(faults))
    return spec


def parse_feed_list(raw: Mapping[str, object], path: Path | str = "<feeds>") -> list[FeedFields]:
    """Validate an already-decoded feed list document; raise FeedListError on any fault."""
    problems: list[Problem] = []
    unknown_top = sorted(set(raw) - {"feeds"})
    if unknown_top:
        problems.append(
            Problem(
                None,
                f"unknown top-level key(s): {', '.join(unknown_top)} "
                "(feeds are listed as [[feeds]] tables)",
            )
        )
    entries = raw.get("feeds")
    if entries is None:
        problems.append(Problem(None, "no [[feeds]] entries"))
        raise FeedListError(path, problems)
    if not isinstance(entries, list):
        problems.append(Problem(None, "`feeds` must be an array of tables ([[feeds]])"))
        raise FeedListError(path, problems)

    specs: list[FeedFields] = []
    first_seen: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            problems.append(Problem(number, "entry is not a table"))
            continue
        label = entry.get("name") if isinstance(entry.get("name"), str) else None
        prefix = f"({label}) " if label else ""
        unknown = sorted(set(entry) - ENTRY_KEYS)
        if unknown:
            problems.append(Problem(number, f"{prefix}unknown key(s): {', '.join(unknown)}"))
        if "note" in entry and not isinstance(entry["note"], str):
            problems.append(Problem(number, f"{prefix}note must be a string"))
        try:
            spec = build_feed_fields({k: v for k, v in entry.items() if k != "note"})
        except ValueError as exc:
            problems.append(Problem(number, f"{prefix}{exc}"))
            continue
        key = spec.url  # already normalized: scheme and host lower-cased
        if key in first_seen:
            problems.append(
                Problem(
                    number,
                    f"{prefix}duplicate url {spec.url} (first listed as entry {first_seen[key]})",
                )
            )
            continue
        first_seen[key] = number
        specs.append(spec)
    if problems:
        raise FeedListError(path, problems)
    return specs


def load_feed_list(path: Path) -> list[FeedFields]:
    """Read and validate a TOML feed list; raise FeedListError naming every problem."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise FeedListError(path, [Problem(None, f"cannot read the file: {exc.strerror}")]) from exc
    except UnicodeDecodeError as exc:
        raise FeedListError(path, [Problem(None, f"not UTF-8 text: {exc}")]) from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FeedListError(path, [Problem(None, f"not valid TOML: {exc}")]) from exc
    return parse_feed_list(raw, path)
