"""The news sitemap parser: articles with URL, date, title and language; indexes name children."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.errors import ErrorKind, FeedError
from ingest.sitemap import MAX_UNCOMPRESSED, parse_sitemap

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sitemap"
CORPUS = Path(__file__).parents[2] / ".." / "shared" / "corpora" / "feedparser"
XML = {"content-type": "application/xml"}


def test_each_news_url_is_an_article_and_plain_urls_are_skipped() -> None:
    parsed = parse_sitemap((FIXTURES / "news.xml").read_bytes(), XML, "u")
    assert [(e.link, e.title, e.language, e.published) for e in parsed.entries] == [
        (
            "https://news.example.kz/ru/2026/12/04/zaderzhanie.html",
            "В Астане задержан вербовщик террористической организации",
            "ru",
            datetime(2026, 12, 4, 5, 30, tzinfo=UTC),
        ),
        (
            "https://news.example.kz/kz/2026/12/04/habar.html",
            "Алматыда алаяқтар ұсталды",
            "kk",
            datetime(2026, 12, 4, tzinfo=UTC),
        ),
    ]
    assert [e.guid for e in parsed.entries] == [e.link for e in parsed.entries]
    assert parsed.more == ()


def test_an_index_names_its_sitemaps_once_each_and_has_no_articles() -> None:
    index = (
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>https://a.example/news-1.xml</loc></sitemap>"
        b"<sitemap><loc>https://a.example/news-2.xml</loc></sitemap>"
        b"<sitemap><loc>https://a.example/news-1.xml</loc></sitemap>"
        b"</sitemapindex>"
    )
    parsed = parse_sitemap(index, XML, "u")
    assert parsed.more == ("https://a.example/news-1.xml", "https://a.example/news-2.xml")
    assert parsed.entries == ()


def test_an_index_gives_each_sitemaps_lastmod_in_utc_or_none() -> None:
    index = (
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>https://a.example/1.xml</loc><lastmod>2026-12-04T10:00:00+05:00</lastmod>"
        b"</sitemap>"
        b"<sitemap><loc>https://a.example/2.xml</loc></sitemap>"
        b"<sitemap><loc>https://a.example/3.xml</loc><lastmod>yesterday</lastmod></sitemap>"
        b"</sitemapindex>"
    )
    parsed = parse_sitemap(index, XML, "u")
    assert parsed.more == (
        "https://a.example/1.xml",
        "https://a.example/2.xml",
        "https://a.example/3.xml",
    )
    assert parsed.more_modified == (datetime(2026, 12, 4, 5, 0, tzinfo=UTC), None, None)


def test_an_ordinary_sitemap_is_not_a_news_source() -> None:
    with pytest.raises(FeedError) as caught:
        parse_sitemap((FIXTURES / "plain.xml").read_bytes(), XML, "u")
    assert caught.value.kind is ErrorKind.NOT_A_FEED
    assert "news:news" in caught.value.message


def test_an_external_entity_never_reaches_a_title() -> None:
    [entry] = parse_sitemap((FIXTURES / "xxe.xml").read_bytes(), XML, "u").entries
    assert entry.title == "Заголовок"
    assert "root:" not in entry.title


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"", ErrorKind.EMPTY),
        (b"<urlset><url><loc>x</loc>", ErrorKind.PARSE),
        (b"<html><body>Not found</body></html>", ErrorKind.NOT_A_FEED),
        (b'<rss version="2.0"><channel/></rss>', ErrorKind.NOT_A_FEED),
    ],
)
def test_what_is_not_a_sitemap_is_a_recorded_error(body: bytes, kind: ErrorKind) -> None:
    with pytest.raises(FeedError) as caught:
        parse_sitemap(body, XML, "u")
    assert caught.value.kind is kind


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*.xml") if p.is_file())


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared feedparser corpus is not present")
def test_every_corpus_feed_fails_cleanly_or_parses_as_a_sitemap() -> None:
    files = corpus_files()
    assert len(files) > 100
    outcomes: dict[str, int] = {}
    for path in files:
        try:
            parsed = parse_sitemap(path.read_bytes(), XML, str(path))
        except FeedError as exc:
            outcomes[exc.kind.value] = outcomes.get(exc.kind.value, 0) + 1
        else:  # a feed is never a sitemap with articles
            assert parsed.entries == (), path
            outcomes["index"] = outcomes.get("index", 0) + 1
    assert outcomes.get("not_a_feed", 0) > len(files) // 2


def test_a_gzipped_sitemap_served_as_a_file_is_inflated() -> None:
    body = gzip.compress((FIXTURES / "news.xml").read_bytes())
    plain = parse_sitemap((FIXTURES / "news.xml").read_bytes(), XML, "u")
    parsed = parse_sitemap(body, {"Content-Type": "application/x-gzip"}, "u.xml.gz")
    assert parsed.entries == plain.entries


def test_a_truncated_gzip_sitemap_is_a_parse_error() -> None:
    body = gzip.compress((FIXTURES / "news.xml").read_bytes())[:-20]
    with pytest.raises(FeedError) as caught:
        parse_sitemap(body, XML, "u.xml.gz")
    assert caught.value.kind is ErrorKind.PARSE
    assert ".gz sitemap" in str(caught.value)


def test_a_gzip_bomb_stops_at_the_sitemap_limit() -> None:
    bomb = gzip.compress(b"<" + b" " * (MAX_UNCOMPRESSED + 10), compresslevel=9)
    assert len(bomb) < 100_000
    with pytest.raises(FeedError) as caught:
        parse_sitemap(bomb, XML, "u.xml.gz")
    assert caught.value.kind is ErrorKind.TOO_LARGE
