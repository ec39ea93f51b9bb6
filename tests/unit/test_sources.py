"""The feed list: the curated default list, loading TOML, and what makes an entry valid."""

from __future__ import annotations

import tomllib
import unicodedata
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.provisional import urls

from indicators.models import LANGS, FeedFields
from ingest.sources import (
    KINDS,
    FeedListError,
    build_feed_fields,
    clean_name,
    load_feed_list,
    validate_feed_url,
)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_LIST = REPO / "data" / "feeds.toml"
SMALL_LIST = REPO / "tests" / "fixtures" / "feeds.toml"


def write_list(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> FeedListError:
    path = write_list(tmp_path, text)
    with pytest.raises(FeedListError) as caught:
        load_feed_list(path)
    return caught.value


# --- the curated default list ----------------------------------------------


def test_default_list_loads_with_at_least_thirty_feeds() -> None:
    feeds = load_feed_list(DEFAULT_LIST)
    assert len(feeds) >= 30


def test_default_list_enabled_feeds_cover_every_kind_and_language() -> None:
    enabled = [f for f in load_feed_list(DEFAULT_LIST) if f.enabled]
    assert {f.kind for f in enabled} == set(KINDS)
    assert {f.language for f in enabled} == set(LANGS)


def test_default_list_search_feeds_are_news_search_queries() -> None:
    for feed in load_feed_list(DEFAULT_LIST):
        if feed.kind != "search":
            continue
        parts = urlsplit(feed.url)
        assert parts.hostname in {"news.google.com", "www.bing.com"}, feed.name
        assert parse_qs(parts.query).get("q"), f"{feed.name}: no query"


def test_default_list_says_what_every_url_rests_on() -> None:
    raw = tomllib.loads(DEFAULT_LIST.read_text(encoding="utf-8"))
    without_note = [e["name"] for e in raw["feeds"] if not e.get("note", "").strip()]
    assert without_note == []


def test_default_list_urls_are_stored_exactly_as_written() -> None:
    # Normalizing on load would make the file and the database disagree.
    raw = tomllib.loads(DEFAULT_LIST.read_text(encoding="utf-8"))
    assert [validate_feed_url(e["url"]) for e in raw["feeds"]] == [e["url"] for e in raw["feeds"]]


# --- loading a list --------------------------------------------------------


def test_small_list_loads_in_order_with_values_normalized() -> None:
    assert load_feed_list(SMALL_LIST) == [
        FeedFields(
            url="https://tengrinews.kz/news.rss",
            name="Tengrinews",
            language="ru",
            country="KZ",
            kind="media",
        ),
        FeedFields(
            url="https://www.akorda.kz/ru/rss",
            name="Akorda",
            language="ru",
            country="KZ",
            kind="official",
            interval_minutes=60,
        ),
        FeedFields(
            url="https://www.cisa.gov/cybersecurity-advisories/all.xml",
            name="CISA advisories",
            language="en",
            country="US",
            kind="cyber",
            enabled=False,
        ),
        FeedFields(
            url="https://news.google.com/rss/search?q=%D2%9A%D0%B0%D0%B7%D0%B0%D2%9B%D1%81%D1%82%D0%B0%D0%BD&hl=ru&gl=KZ&ceid=KZ:ru",
            name="Google News: Қазақстан терроризм",
            language="kk",
            kind="search",
            interval_minutes=5,
        ),
    ]


def test_optional_keys_take_the_feedspec_defaults(tmp_path: Path) -> None:
    path = write_list(tmp_path, '[[feeds]]\nname = "Bare"\nurl = "https://example.org/feed"\n')
    assert load_feed_list(path) == [FeedFields(url="https://example.org/feed", name="Bare")]


def test_a_source_format_is_read_and_rss_is_the_default(tmp_path: Path) -> None:
    path = write_list(
        tmp_path,
        '[[feeds]]\nname = "Feed"\nurl = "https://example.org/feed"\n'
        '[[feeds]]\nname = "Channel"\nurl = "https://t.me/s/example"\nformat = "telegram"\n',
    )
    assert [(f.name, f.format) for f in load_feed_list(path)] == [
        ("Feed", "rss"),
        ("Channel", "telegram"),
    ]


def test_an_html_source_carries_its_selectors_and_needs_them(tmp_path: Path) -> None:
    path = write_list(
        tmp_path,
        '[[feeds]]\nname = "Press"\nurl = "https://example.org/press"\nformat = "html"\n'
        '[feeds.selectors]\nitem = "li.news"\nlink = "a"\ndate = "time"\n',
    )
    [feed] = load_feed_list(path)
    assert feed.selectors == (("item", "li.news"), ("link", "a"), ("date", "time"))
    no_selectors = '[[feeds]]\nname = "P"\nurl = "https://example.org/p"\nformat = "html"\n'
    assert "needs selectors" in load_error(tmp_path, no_selectors).reason
    stray = (
        '[[feeds]]\nname = "R"\nurl = "https://example.org/r"\n'
        '[feeds.selectors]\nitem = "li"\nlink = "a"\n'
    )
    assert 'only read for format "html" and "sitemap"' in load_error(tmp_path, stray).reason


def test_a_sitemap_index_may_name_the_sitemaps_to_follow_and_nothing_else(
    tmp_path: Path,
) -> None:
    head = '[[feeds]]\nname = "Index"\nurl = "https://example.org/sitemap.xml"\n'
    path = write_list(
        tmp_path, head + 'format = "sitemap"\n[feeds.selectors]\nfollow = " sitemap-news "\n'
    )
    [feed] = load_feed_list(path)
    assert feed.selectors == (("follow", "sitemap-news"),)
    css = head + 'format = "sitemap"\n[feeds.selectors]\nitem = "li"\n'
    assert "reads only the selector 'follow'" in load_error(tmp_path, css).reason
    empty = head + 'format = "sitemap"\n[feeds.selectors]\nfollow = ""\n'
    assert "must be a non-empty text" in load_error(tmp_path, empty).reason
    telegram = head + 'format = "telegram"\n[feeds.selectors]\nfollow = "x"\n'
    assert "only read for format" in load_error(tmp_path, telegram).reason


def test_an_empty_feeds_array_is_an_empty_list(tmp_path: Path) -> None:
    assert load_feed_list(write_list(tmp_path, "feeds = []\n")) == []


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ('name = "No URL"', "missing url"),
        ('url = "https://example.org/feed"', "missing name"),
        ('name = "FTP"\nurl = "ftp://example.org/feed"', "scheme 'ftp' is not supported"),
        ('name = "Script"\nurl = "javascript:alert(1)"', "scheme 'javascript'"),
        ('name = "Relative"\nurl = "example.org/feed"', "scheme none"),
        ('name = "K"\nurl = "https://example.org/f"\nkind = "blog"', "kind 'blog' is not one of"),
        ('name = "L"\nurl = "https://example.org/f"\nlanguage = "kz"', "did you mean 'kk'?"),
        ('name = "L"\nurl = "https://example.org/f"\nlanguage = "de"', "language 'de' is not one"),
        ('name = "C"\nurl = "https://example.org/f"\ncountry = "XX"', "country 'XX' is not"),
        ('name = "C"\nurl = "https://example.org/f"\ncountry = "Kazakhstan"', "not an ISO 3166"),
        ('name = "I"\nurl = "https://example.org/f"\ninterval_minutes = 4', "below the minimum"),
        ('name = "I"\nurl = "https://example.org/f"\ninterval_minutes = "30"', "whole number"),
        ('name = "I"\nurl = "https://example.org/f"\ninterval_minutes = true', "whole number"),
        ('name = "E"\nurl = "https://example.org/f"\nenabled = "yes"', "true or false"),
        ('name = "F"\nurl = "https://example.org/f"\nformat = "atom"', "format 'atom' is not one"),
        ('name = "T"\nurl = "https://example.org/f"\nintervall_minutes = 60', "unknown key"),
        ('name = "N"\nurl = "https://example.org/f"\nnote = 3', "note must be a string"),
        ('name = "   "\nurl = "https://example.org/f"', "name is empty"),
    ],
)
def test_a_bad_entry_is_reported_with_file_entry_and_reason(
    tmp_path: Path, entry: str, reason: str
) -> None:
    good = '[[feeds]]\nname = "Good"\nurl = "https://example.org/good"\n'
    error = load_error(tmp_path, f"{good}\n[[feeds]]\n{entry}\n")
    assert error.path == tmp_path / "feeds.toml"
    assert error.entry == 2
    assert reason in error.reason
    assert str(error).startswith(f"{tmp_path / 'feeds.toml'}: entry 2: ")


def test_a_duplicate_url_names_the_entry_listed_first(tmp_path: Path) -> None:
    error = load_error(
        tmp_path,
        '[[feeds]]\nname = "A"\nurl = "https://example.org/feed"\n'
        '[[feeds]]\nname = "B"\nurl = "https://other.org/feed"\n'
        '[[feeds]]\nname = "C"\nurl = " HTTPS://Example.ORG/feed "\n',
    )
    assert error.entry == 3
    assert "duplicate url https://example.org/feed (first listed as entry 1)" in error.reason


def test_every_problem_in_the_file_is_reported_at_once(tmp_path: Path) -> None:
    error = load_error(
        tmp_path,
        '[[feeds]]\nname = "Fine"\nurl = "https://example.org/1"\n'
        '[[feeds]]\nurl = "file:///etc/passwd"\n'
        '[[feeds]]\nname = "Fine too"\nurl = "https://example.org/2"\n'
        '[[feeds]]\nname = "Bad kind"\nurl = "https://example.org/3"\nkind = "rss"\n',
    )
    assert [p.entry for p in error.problems] == [2, 4]
    assert "missing name" in error.problems[0].reason
    assert "scheme 'file'" in error.problems[0].reason
    assert "(Bad kind) kind 'rss'" in error.problems[1].reason
    assert len(str(error).splitlines()) == 2


def test_a_misspelt_table_name_is_not_an_empty_list(tmp_path: Path) -> None:
    error = load_error(tmp_path, '[[feed]]\nname = "A"\nurl = "https://example.org/feed"\n')
    assert error.entry is None
    assert "unknown top-level key(s): feed" in str(error)
    assert "no [[feeds]] entries" in str(error)


def test_feeds_must_be_tables(tmp_path: Path) -> None:
    error = load_error(tmp_path, 'feeds = ["https://example.org/feed"]\n')
    assert error.entry == 1
    assert error.reason == "entry is not a table"


def test_invalid_toml_is_reported_with_the_parser_message(tmp_path: Path) -> None:
    error = load_error(tmp_path, '[[feeds]]\nname = "Unclosed\n')
    assert error.entry is None
    assert error.reason.startswith("not valid TOML: ")
    assert "line 2" in error.reason


def test_a_file_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_bytes('[[feeds]]\nname = "Тенгри"\n'.encode("cp1251"))
    with pytest.raises(FeedListError, match="not UTF-8"):
        load_feed_list(path)


def test_a_missing_file_is_a_feed_list_error(tmp_path: Path) -> None:
    with pytest.raises(FeedListError, match="cannot read the file") as caught:
        load_feed_list(tmp_path / "absent.toml")
    assert "absent.toml" in str(caught.value)
    assert "No such file" in str(caught.value)


# --- one entry ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_url", "stored"),
    [
        ("  https://Example.COM/Feed?Q=1  ", "https://example.com/Feed?Q=1"),
        ("HTTP://example.org:8080/a?b=c#d", "http://example.org:8080/a?b=c#d"),
        ("http://[::1]/feed", "http://[::1]/feed"),
        ("https://User:Secret@Example.com/f", "https://User:Secret@example.com/f"),
        (
            "https://news.google.com/rss/search?q=%D1%82&hl=ru",
            "https://news.google.com/rss/search?q=%D1%82&hl=ru",
        ),
    ],
)
def test_validate_feed_url_accepts_http_and_normalizes_scheme_and_host(
    given_url: str, stored: str
) -> None:
    assert validate_feed_url(given_url) == stored


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("", "URL is empty"),
        ("   ", "URL is empty"),
        ("ftp://example.org/feed", "scheme 'ftp' is not supported"),
        ("file:///etc/passwd", "scheme 'file' is not supported"),
        ("feed://example.org/rss", "scheme 'feed' is not supported"),
        ("//example.org/feed", "scheme none"),
        ("https:///path-only", "has no host"),
        ("https://exa mple.org/feed", "whitespace or control characters"),
        ("https://example.org/\x00feed", "whitespace or control characters"),
        ("https://example.org:99999/feed", "malformed URL"),
        ("https://example.org/" + "a" * 2048, "longer than 2048"),
    ],
)
def test_validate_feed_url_refuses_with_a_message(bad: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_feed_url(bad)


@given(urls())
def test_validate_feed_url_is_idempotent_on_http_urls(url: str) -> None:
    stored = validate_feed_url(url)
    assert validate_feed_url(stored) == stored
    parts = urlsplit(stored)
    assert parts.scheme in ("http", "https")
    assert parts.hostname == (urlsplit(url).hostname or "").lower()


def test_names_are_one_trimmed_line() -> None:
    assert clean_name("  Tengri\n news\t kz ") == "Tengri news kz"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("Bell\x07", "control or non-XML"),
        ("Odd\ufffe", "control or non-XML"),
        ("x" * 301, "longer than 300"),
        ("\n\t ", "name is empty"),
    ],
)
def test_names_that_cannot_be_shown_or_exported_are_refused(bad: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        clean_name(bad)


@given(st.text(max_size=80))
def test_clean_name_is_idempotent(name: str) -> None:
    """A name is cleaned to one trimmed line that cleans to itself, or refused for its reason."""
    try:
        cleaned = clean_name(name)
    except ValueError as exc:
        if not name.strip():
            assert str(exc) == "name is empty"
        else:
            assert str(exc).startswith("name contains control or non-XML characters: "), exc
            assert any(
                unicodedata.category(c) in ("Cc", "Cs") or c in "\ufffe\uffff"
                for c in name
                if not c.isspace()
            ), name
        return
    assert clean_name(cleaned) == cleaned
    assert cleaned == cleaned.strip() and "  " not in cleaned and "\n" not in cleaned


def test_build_feed_fields_reports_every_fault_of_an_entry() -> None:
    with pytest.raises(ValueError) as caught:
        build_feed_fields({"url": "gopher://x", "name": "", "kind": "blog", "interval_minutes": 0})
    message = str(caught.value)
    for fault in ("scheme 'gopher'", "name is empty", "kind 'blog'", "below the minimum"):
        assert fault in message
