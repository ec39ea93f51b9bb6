"""OPML: importing what feed readers export, exporting what they can read, refusing XML bombs."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.provisional import urls

from indicators.models import LANGS, FeedFields
from ingest.opml import NAMESPACE, OpmlError, UnsafeOpmlError, parse_opml, to_opml
from ingest.sources import KINDS, build_feed_fields, load_feed_list

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "opml"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# --- import ------------------------------------------------------------------


def test_a_reader_export_gives_its_feeds_flattened_in_document_order() -> None:
    assert parse_opml(fixture("reader_export.opml")) == [
        FeedFields(url="https://tengrinews.kz/news.rss", name="Tengrinews"),
        FeedFields(url="https://example.kz/rss?a=1&b=2", name="Власть & общество"),
        FeedFields(url="https://title-only.example/feed", name="Только title"),
        FeedFields(
            url="https://krebsonsecurity.com/feed/", name="Krebs on Security", language="en"
        ),
        FeedFields(url="http://nameless.example/rss.xml", name="nameless.example"),
        FeedFields(url="https://atom.example/atom.xml", name="Atom via feed:https"),
    ]


def test_a_threatmon_export_keeps_language_country_kind_interval_and_enabled() -> None:
    assert parse_opml(fixture("threatmon_export.opml")) == [
        FeedFields(
            url="https://rus.azattyq.org/api/zrqiteuuir",
            name="Azattyq",
            language="ru",
            country="KZ",
            kind="media",
        ),
        FeedFields(
            url="https://news.google.com/rss/search?q=%D2%9A%D0%B0%D0%B7%D0%B0%D2%9B%D1%81%D1%82%D0%B0%D0%BD&hl=ru&gl=KZ&ceid=KZ:ru",
            name="Google News: Қазақстан терроризм",
            language="kk",
            country="KZ",
            kind="search",
            interval_minutes=60,
        ),
        FeedFields(
            url="https://news.un.org/feed/subscribe/en/news/topic/peace-and-security/feed/rss.xml",
            name="UN News",
            language="en",
            kind="official",
            enabled=False,
        ),
    ]


def test_a_source_format_survives_export_and_import_and_is_not_offered_as_a_feed() -> None:
    feeds = [
        FeedFields(url="https://example.org/rss", name="Feed"),
        FeedFields(url="https://t.me/s/example", name="Channel", format="telegram"),
        FeedFields(url="https://example.org/news-sitemap.xml", name="Map", format="sitemap"),
        FeedFields(
            url="https://example.org/press",
            name="Press",
            format="html",
            selectors=(("item", "li.news > div"), ("link", "a[href]")),
        ),
    ]
    data = to_opml(feeds)
    assert parse_opml(data) == feeds
    outlines = ET.fromstring(data).iter("outline")
    assert [o.get("type") for o in outlines] == ["rss", "link", "link", "link"]


def test_a_legacy_single_byte_encoding_is_decoded() -> None:
    assert parse_opml(fixture("windows1251.opml")) == [
        FeedFields(url="https://example.kz/rss", name="Новости Казахстана")
    ]


def test_a_doctype_that_declares_nothing_is_accepted() -> None:
    assert parse_opml(fixture("bare_doctype.opml")) == [
        FeedFields(url="https://example.org/feed", name="Feed")
    ]


def test_an_opml_with_only_folders_has_no_feeds() -> None:
    data = b'<opml version="1.0"><body><outline text="Empty"/></body></opml>'
    assert parse_opml(data) == []


def test_deeply_nested_folders_do_not_exhaust_the_stack() -> None:
    depth = 5000
    data = (
        b'<opml version="1.0"><body>'
        + b'<outline text="f">' * depth
        + b'<outline text="Deep" xmlUrl="https://deep.example/rss"/>'
        + b"</outline>" * depth
        + b"</body></opml>"
    )
    assert parse_opml(data) == [FeedFields(url="https://deep.example/rss", name="Deep")]


def test_unacceptable_outlines_fail_the_import_and_are_all_named() -> None:
    with pytest.raises(OpmlError) as caught:
        parse_opml(fixture("bad_outlines.opml"))
    message = str(caught.value)
    assert "outline 1" not in message
    assert "outline 2 (Script): URL scheme 'javascript'" in message
    assert "outline 3 (FTP): URL scheme 'ftp'" in message
    assert "outline 4 (Too eager): interval_minutes 1 is below the minimum" in message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (fixture("not_opml.xml"), "not an OPML document: the root element is <rss>"),
        (fixture("truncated.opml"), "not well-formed XML"),
        (b"", "empty document"),
        (b"  \n ", "empty document"),
        (b'<opml version="2.0"><head/></opml>', "no <body>"),
        (
            b"<opml><body><outline text='&nbsp;' xmlUrl='https://a.example/'/></body></opml>",
            "undefined entity",
        ),
    ],
)
def test_documents_that_are_not_opml_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(OpmlError, match=message):
        parse_opml(data)


# --- hostile XML -------------------------------------------------------------


def test_billion_laughs_is_refused_before_expanding() -> None:
    started = time.perf_counter()
    with pytest.raises(UnsafeOpmlError):
        parse_opml(fixture("billion_laughs.opml"))
    assert time.perf_counter() - started < 1.0


def test_an_external_entity_is_refused_without_reading_the_file() -> None:
    with pytest.raises(UnsafeOpmlError) as caught:
        parse_opml(fixture("external_entity.opml"))
    assert "root:" not in str(caught.value)


def test_an_external_dtd_is_refused_without_fetching_it() -> None:
    started = time.perf_counter()
    with pytest.raises(UnsafeOpmlError, match="DTD"):
        parse_opml(fixture("external_dtd.opml"))
    assert time.perf_counter() - started < 1.0


def test_unsafe_opml_is_an_opml_error() -> None:
    assert issubclass(UnsafeOpmlError, OpmlError)
    assert issubclass(OpmlError, ValueError)


@pytest.mark.parametrize(
    ("declared", "kept"),
    [("en-US", "en"), ("RU", "ru"), ("kz", "kk"), ("kaz", "kk"), ("de", ""), ("", "")],
)
def test_an_outline_language_is_read_as_a_declaration_and_kept_if_tracked(
    declared: str, kept: str
) -> None:
    document = (
        '<opml version="2.0"><head/><body>'
        f'<outline text="A" xmlUrl="https://a.example/rss" language="{declared}"/>'
        "</body></opml>"
    )
    [feed] = parse_opml(document.encode())
    assert feed.language == kept


# --- export ------------------------------------------------------------------


def test_export_is_opml_2_with_threatmon_attributes_in_their_namespace() -> None:
    feeds = [
        FeedFields(
            url="https://a.example/rss",
            name="A",
            language="kk",
            country="KZ",
            kind="official",
            interval_minutes=90,
            enabled=False,
        ),
        FeedFields(url="https://b.example/rss", name="B"),
    ]
    root = ET.fromstring(to_opml(feeds, title="Ленты & списки"))
    assert root.tag == "opml"
    assert root.get("version") == "2.0"
    assert root.findtext("head/title") == "Ленты & списки"
    first, second = root.iter("outline")
    assert first.get("xmlUrl") == "https://a.example/rss"
    assert first.get("text") == first.get("title") == "A"
    assert first.get("language") == "kk"
    assert first.get(f"{{{NAMESPACE}}}kind") == "official"
    assert first.get(f"{{{NAMESPACE}}}country") == "KZ"
    assert first.get(f"{{{NAMESPACE}}}interval_minutes") == "90"
    assert first.get(f"{{{NAMESPACE}}}enabled") == "false"
    # Defaults are left out, so other readers see a plain outline.
    assert set(second.keys()) == {"type", "text", "title", "xmlUrl", f"{{{NAMESPACE}}}kind"}


def test_export_is_deterministic() -> None:
    feeds = load_feed_list(REPO / "data" / "feeds.toml")
    assert to_opml(feeds) == to_opml(list(feeds))


def test_export_refuses_text_xml_cannot_carry() -> None:
    with pytest.raises(ValueError, match="XML cannot carry"):
        to_opml([FeedFields(url="https://a.example/", name="bell\x07")])
    with pytest.raises(ValueError, match="XML cannot carry"):
        to_opml([], title="nul\x00")


def test_the_default_feed_list_round_trips() -> None:
    feeds = load_feed_list(REPO / "data" / "feeds.toml")
    assert parse_opml(to_opml(feeds)) == feeds


def test_a_threatmon_export_fixture_round_trips() -> None:
    feeds = parse_opml(fixture("threatmon_export.opml"))
    assert parse_opml(to_opml(feeds)) == feeds


tricky_names = st.one_of(
    st.text(min_size=1, max_size=60),
    st.text(alphabet="Қазақстан Казахстан ӘәҒғҚқҢңӨөҰұҮүҺһІі\"'&<>;]]>", min_size=1, max_size=40),
)


@st.composite
def feed_specs(draw: st.DrawFn) -> FeedFields:
    name = draw(tricky_names)
    fields: dict[str, object] = {
        "url": draw(urls()),
        "name": name,
        "language": draw(st.sampled_from(["", *LANGS])),
        "country": draw(st.sampled_from(["", "KZ", "KG", "UZ", "TJ", "TM", "US"])),
        "kind": draw(st.sampled_from(KINDS)),
        "interval_minutes": draw(st.one_of(st.none(), st.integers(5, 10_000))),
        "enabled": draw(st.booleans()),
    }
    try:
        return build_feed_fields(fields)
    except ValueError:
        assume(False)
        raise  # unreachable: assume(False) aborts the example


@given(
    st.lists(feed_specs(), max_size=8, unique_by=lambda f: f.url),
    st.text(alphabet="threatmon Ленты \"'&<>", max_size=30),
)
def test_export_then_import_gives_the_same_feeds(feeds: list[FeedFields], title: str) -> None:
    assert parse_opml(to_opml(feeds, title=title)) == feeds
