"""Normalizing feed entries: text, links, times, identity, and the whole record."""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from indicators.models import EMPTY_TAGS
from ingest.normalize import (
    SUMMARY_MAX,
    TITLE_MAX,
    canonical_url,
    clean_text,
    content_hash,
    normalize_entry,
    truncate_text,
    utc_published,
)
from ingest.stories import title_signature

MARKUP = re.compile(r"<[A-Za-z/!?]")
INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2060\ufeff\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)

# --- clean_text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("<p>Первый абзац</p><p>второй</p>", "Первый абзац второй"),
        ("строка<br>строка<br/>строка", "строка строка строка"),
        ("<div>a</div><div>b</div>", "a b"),
        ("<b>Тер</b>акт", "Теракт"),  # inline tags do not split words
        ("<script>alert(1)</script>Текст", "Текст"),
        ("<style>p {color: red}</style>Текст", "Текст"),
        ('<iframe src="https://evil.example">fallback</iframe>Текст', "Текст"),
        ("Текст<script>alert(1)", "Текст"),  # unterminated script eats the rest, as in a browser
        ("<!-- comment -->Текст", "Текст"),
        ("&laquo;Нур Отан&raquo; &mdash; партия", "«Нур Отан» — партия"),
        ("&#1058;&#x435;&#1082;&#1089;&#1090;", "Текст"),
        ("&amp;quot;цитата&amp;quot;", '"цитата"'),  # escaped twice: decoded once more
        ("&amp;amp;amp;lt;", "<"),
        ("AT&amp;T, R&D and Tom & Jerry", "AT&T, R&D and Tom & Jerry"),
        ("a < b and c > d", "a < b and c > d"),
        ("цена <100 тенге", "цена <100 тенге"),
        ("&lt;p&gt;Экранированный &lt;b&gt;HTML&lt;/b&gt;&lt;/p&gt;", "Экранированный HTML"),
        ("  много \n\t пробелов\u00a0и\u3000переносов  ", "много пробелов и переносов"),
        ("нуль\x00байт и \x07звонок", "нульбайт и звонок"),
        ("тер\u200bро\u200dрист\ufeff", "террорист"),
        ("\u202eвзрыв\u202c \u2066тест\u2069", "взрыв тест"),
        ("e\u0301 и й", "é и й"),  # NFC
        ("", ""),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


HOSTILE = [
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    "<sc\u200bript>alert(1)</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "<img src=x onerror=alert(1)//",
    "<svg><script>alert(1)</script></svg>",
    "<a href='javascript:alert(1)'>click</a",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<!--<script>-->alert(1)",
    "<iframe srcdoc='<script>alert(1)</script>'>",
    "&lt;<script>x</script>script&gt;",
    "<<<b>b>b>",
    "<</p>script>",
    "&am<b>p;lt;script>",
]


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_html_leaves_no_markup(raw: str) -> None:
    text = clean_text(raw)
    assert "<script" not in text.lower()
    assert not MARKUP.search(text), text
    assert clean_text(text) == text


def test_huge_numeric_references_decode_like_a_browser_instead_of_failing() -> None:
    # Python refuses int() on decimal strings over 4,300 digits; a feed must not crash us.
    assert clean_text("a &#" + "9" * 5_000 + "; b") == "a \ufffd b"
    assert clean_text("&#" + "0" * 5_000 + "1058;екст") == "Текст"
    assert clean_text("&amp;#" + "9" * 5_000 + ";") == "\ufffd"
    assert clean_text("&#x110000;") == "\ufffd"


@pytest.mark.parametrize(
    "raw",
    [
        "<" * 100_000 + "b>" * 100_000,
        ("&lt;" * 3 + "b&gt;") * 20_000,
        "<" * 100_000 + "a",
        "&amp;" * 100_000 + "lt;",
        "<iframe>" * 50_000,
    ],
    ids=["nested-tags", "escaped-runs", "run-of-lt", "amp-chain", "open-iframes"],
)
def test_adversarial_input_is_cleaned_in_linear_time(raw: str) -> None:
    started = time.perf_counter()
    clean_text(raw)
    assert time.perf_counter() - started < 3.0, "quadratic behaviour would take minutes"


HTMLISH = st.lists(
    st.sampled_from(
        [
            "<", ">", "/", "!", "?", "&", ";", "#", "=", '"', " ", "\n", "\t", "-",
            "<p>", "</p>", "<br/>", "<b>", "</b>", "<script>", "</script>", "<style>",
            "<iframe>", "</iframe", "<!--", "-->", "<![CDATA[", "]]>", "<?xml", "</",
            "amp;", "&amp;", "lt;", "&lt;", "gt;", "&gt;", "quot;", "&#", "38;", "x26;", "60",
            "copy", "not", "&#x3C;", "&#0;", "&#x80;", "00000", "99999999",
            "sc", "ript", "a", "b", "Теракт",
            "\u200b", "\u202e", "\x00", "\x85", "\u00a0", "e", "\u0301", "\u0338", "\ud800",
        ]
    ),
    max_size=30,
).map("".join)  # fmt: skip


@settings(max_examples=500)
@given(st.one_of(HTMLISH, st.text(max_size=100)))
@example("&amp;copy")
@example("&am<b>p;")
@example("<\u0338p>")
def test_clean_text_is_idempotent(raw: str) -> None:
    once = clean_text(raw)
    assert clean_text(once) == once


@settings(max_examples=300)
@given(st.one_of(HTMLISH, st.text(max_size=100)))
def test_clean_text_output_is_plain_single_line_nfc(raw: str) -> None:
    text = clean_text(raw)
    assert not MARKUP.search(text)
    assert not INVISIBLE.search(text)
    assert text == text.strip() and "  " not in text
    assert unicodedata.is_normalized("NFC", text)


# --- truncate_text ------------------------------------------------------------------------


def test_truncate_cuts_at_a_word_boundary_and_marks_the_cut() -> None:
    assert truncate_text("один два три четыре", 12) == "один два…"
    assert truncate_text("короткий", 12) == "короткий"


def test_truncate_cuts_a_single_long_word_inside() -> None:
    assert truncate_text("а" * 50, 10) == "а" * 9 + "…"


@given(st.text(alphabet="ab …", max_size=60), st.integers(2, 40))
def test_truncate_respects_the_limit_and_is_idempotent(text: str, limit: int) -> None:
    cut = truncate_text(text, limit)
    assert len(cut) <= limit
    assert truncate_text(cut, limit) == cut
    assert cut == text or cut.endswith("…")


# --- canonical_url ------------------------------------------------------------------------

BASE = "https://tengrinews.kz/news/index.html"


@pytest.mark.parametrize(
    ("link", "url"),
    [
        ("https://tengrinews.kz/news/1", "https://tengrinews.kz/news/1"),
        ("HTTPS://TengriNews.KZ/News/1", "https://tengrinews.kz/News/1"),  # path keeps case
        ("http://example.com", "http://example.com/"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://user:secret@example.com/a", "https://example.com/a"),
        ("/news/2?id=5", "https://tengrinews.kz/news/2?id=5"),
        ("3?id=5", "https://tengrinews.kz/news/3?id=5"),
        ("../about", "https://tengrinews.kz/about"),
        ("//cdn.example.com/x", "https://cdn.example.com/x"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        (
            "https://example.com/a?utm_source=rss&id=7&UTM_Medium=x&fbclid=1&b=2&gclid=3",
            "https://example.com/a?id=7&b=2",
        ),
        (
            "https://example.com/?yclid=1&mc_cid=2&mc_eid=3&igshid=4&_openstat=5&ref_src=6",
            "https://example.com/",
        ),
        ("https://example.com/a?z=1&a=2&z=3", "https://example.com/a?z=1&a=2&z=3"),
        ("https://example.com/a?q=%d0%b0", "https://example.com/a?q=%D0%B0"),
        ("https://example.com/путь?q=а б", "https://example.com/%D0%BF%D1%83%D1%82%D1%8C?q=%D0%B0%20%D0%B1"),
        ("https://пример.рф/", "https://xn--e1afmkfd.xn--p1ai/"),
        ("https://ПРИМЕР.рф./", "https://xn--e1afmkfd.xn--p1ai/"),
        ("http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x"),
        ("  https://example.com/a \n", "https://example.com/a"),
        ("https://exa\tmple.com/a", "https://example.com/a"),
        ("https:\\\\example.com\\a\\b", "https://example.com/a/b"),
    ],
)  # fmt: skip
def test_canonical_url(link: str, url: str) -> None:
    assert canonical_url(link, BASE) == url


@pytest.mark.parametrize(
    "link",
    [
        None,
        "",
        "   ",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " java\tscript:alert(1)",
        "\x01javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "mailto:editor@example.com",
        "file:///etc/passwd",
        "ftp://example.com/x",
        "http://",
        "http:///path",
        "http://exa mple.com/",
        "http://example.com:99999/",
        "http://[::1/",
        "https://" + "a" * 64 + ".com/",  # DNS label too long
        "https://example.com/" + "a" * 3_000,
    ],
)
def test_canonical_url_refuses_unusable_links(link: str | None) -> None:
    assert canonical_url(link, BASE) is None


def test_canonical_url_without_base_refuses_relative_links() -> None:
    assert canonical_url("/news/1") is None
    assert canonical_url("https://example.com/x") == "https://example.com/x"


URLISH = st.lists(
    st.sampled_from(
        [
            "http://", "https://", "HTTP://", "javascript:", "//", "/", "\\", "?", "#", "&",
            "=", "@", ":", ":80", ":443", ":8080", ".", "..", "./", "../", "%", "%2f", "%D0",
            "example.com", "ПРИМЕР.рф", "xn--p1ai", "user:pw@", "utm_source=x", "fbclid=1",
            "id=5", "a", "Б", " ", "\t", "[::1]", "%zz", "+", "ß",
        ]
    ),
    max_size=12,
).map("".join)  # fmt: skip


@settings(max_examples=500)
@given(link=st.one_of(URLISH, st.text(max_size=60)), base=st.sampled_from([None, BASE]))
def test_canonical_url_is_idempotent_and_safe(link: str, base: str | None) -> None:
    url = canonical_url(link, base)
    if url is None:
        return
    assert canonical_url(url) == url
    assert canonical_url(url, BASE) == url
    assert re.match(r"https?://[^/?#@\s]+/", url)
    assert "#" not in url
    query = url.partition("?")[2]
    assert not any(pair.lower().startswith(("utm_", "fbclid=")) for pair in query.split("&"))
    assert url.isascii()


# --- utc_published ------------------------------------------------------------------------

FETCHED = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def test_published_is_converted_to_utc() -> None:
    almaty = timezone(timedelta(hours=5))
    published = datetime(2025, 3, 10, 15, 30, tzinfo=almaty)
    result = utc_published(published, FETCHED)
    assert result == datetime(2025, 3, 10, 10, 30, tzinfo=UTC)
    assert result.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        (None, FETCHED),
        (FETCHED + timedelta(minutes=14), FETCHED + timedelta(minutes=14)),
        (FETCHED + timedelta(minutes=16), FETCHED),  # in the future: a clock or zone mistake
        (FETCHED + timedelta(days=400), FETCHED),
        (datetime(1995, 1, 1, tzinfo=UTC), datetime(1995, 1, 1, tzinfo=UTC)),
        (datetime(1994, 12, 31, 23, 59, tzinfo=UTC), FETCHED),
        (datetime(1970, 1, 1, tzinfo=UTC), FETCHED),  # epoch zero
        (datetime(2025, 3, 1, 8, 0), datetime(2025, 3, 1, 8, 0, tzinfo=UTC)),  # naive means UTC
    ],
)
def test_published_falls_back_to_fetch_time_when_unusable(
    published: datetime | None, expected: datetime
) -> None:
    assert utc_published(published, FETCHED) == expected


def test_future_tolerance_is_configurable() -> None:
    soon = FETCHED + timedelta(hours=2)
    assert utc_published(soon, FETCHED) == FETCHED
    assert utc_published(soon, FETCHED, future_tolerance=timedelta(hours=3)) == soon


# --- content_hash -------------------------------------------------------------------------


def test_content_hash_ignores_case_and_spacing() -> None:
    assert content_hash("Теракт  в Актобе", "Текст\nновости") == content_hash(
        "теракт в актобе", "ТЕКСТ новости"
    )


def test_content_hash_tells_texts_and_fields_apart() -> None:
    assert content_hash("Теракт в Актобе", "") != content_hash("Теракт в Алматы", "")
    assert content_hash("a b", "c") != content_hash("a", "b c")
    assert re.fullmatch(r"[0-9a-f]{64}", content_hash("a", "b"))


# --- normalize_entry ----------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """Just the attributes normalize_entry reads (ingest.parse.RawEntry has the same)."""

    guid: str | None = "urn:item:1"
    link: str | None = "/news/1?utm_source=rss"
    title: str = "Теракт в <b>Актобе</b> предотвращен"
    summary: str = "<p>Сотрудники КНБ задержали подозреваемых.</p>"
    published: datetime | None = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
    language: str | None = None


def normalize(entry: Entry, feed_language: str | None = "ru"):
    return normalize_entry(entry, feed_language=feed_language, base_url=BASE, fetched_at=FETCHED)


def test_normalize_entry_builds_a_clean_record() -> None:
    item = normalize(Entry())
    assert item is not None
    assert item.guid == "urn:item:1"
    assert item.url == "https://tengrinews.kz/news/1"
    assert item.title == "Теракт в Актобе предотвращен"
    assert item.summary == "Сотрудники КНБ задержали подозреваемых."
    assert item.published_at == datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
    assert item.fetched_at == FETCHED
    assert item.lang == "ru"
    assert item.content_hash == content_hash(item.title, item.summary)
    assert item.story_key == title_signature(item.title) != ""
    assert item.tags == EMPTY_TAGS


def test_missing_or_empty_fields_get_defaults() -> None:
    item = normalize(Entry(guid="  ", link="javascript:void(0)", published=None))
    assert item is not None
    assert (item.guid, item.url, item.published_at) == (None, None, FETCHED)


def test_guid_is_stripped_and_capped() -> None:
    item = normalize(Entry(guid="  urn:x\x00:1 \n"))
    assert item is not None and item.guid == "urn:x:1"
    long_guid = normalize(Entry(guid="g" * 5_000))
    assert long_guid is not None and long_guid.guid == "g" * 1_000


def test_empty_title_is_taken_from_the_summary() -> None:
    summary = "Слово " * 100
    item = normalize(Entry(title="<p> </p>", summary=summary))
    assert item is not None
    assert len(item.title) <= 120 and item.title.endswith("…")
    assert item.summary.startswith(item.title[:-1])


def test_entry_without_any_text_is_dropped() -> None:
    assert normalize(Entry(title=" <br> ", summary="<script>x</script>&nbsp;")) is None


def test_title_and_summary_are_capped() -> None:
    item = normalize(Entry(title="слово " * 1_000, summary="слово " * 5_000))
    assert item is not None
    assert len(item.title) <= TITLE_MAX and item.title.endswith("…")
    assert len(item.summary) <= SUMMARY_MAX and item.summary.endswith("…")


def test_language_comes_from_entry_then_feed_then_text() -> None:
    english = Entry(title="Kazakhstan foils terror plot in Aktobe", summary="")
    kazakh = Entry(title="Ақтөбеде лаңкестік әрекеттің алдын алды", summary="", language="ru")
    unclear = Entry(title="Astana", summary="")
    assert normalize(english, feed_language="ru").lang == "en"  # text contradicts the feed
    assert normalize(kazakh, feed_language="ru").lang == "kk"  # and the entry
    assert normalize(unclear, feed_language="kz").lang == "kk"
    assert normalize(replace_language(unclear, "en-US"), feed_language="ru").lang == "en"
    assert normalize(unclear, feed_language=None).lang == "und"


def replace_language(entry: Entry, language: str) -> Entry:
    return Entry(entry.guid, entry.link, entry.title, entry.summary, entry.published, language)


@settings(max_examples=200)
@given(title=HTMLISH, summary=HTMLISH)
def test_normalized_records_hold_only_clean_text(title: str, summary: str) -> None:
    item = normalize(Entry(title=title, summary=summary))
    if item is None:
        assert clean_text(title) == clean_text(summary) == ""
        return
    for text in (item.title, item.summary):
        assert clean_text(text) == text
        assert not MARKUP.search(text) and not INVISIBLE.search(text)
    assert item.title


@settings(max_examples=800)
@given(link=st.one_of(URLISH.map(lambda s: "http://" + s), URLISH, st.text(max_size=60)))
@example(link="http://x/y?")
@example(link="HTTP://X/a/./b/../c;p?q#f")
@example(link="http:relative/path")
@example(link="https:///no-host")
def test_an_absolute_link_skips_the_join_and_gets_the_same_url(link: str) -> None:
    """The fast path (no urljoin for absolute http(s) links) changes no result."""
    from unittest import mock

    import ingest.normalize as normalize

    fast = canonical_url(link, BASE)
    with mock.patch.object(normalize, "_ABSOLUTE_HTTP", re.compile(r"(?!)")):
        always_joined = canonical_url(link, BASE)
    assert fast == always_joined
