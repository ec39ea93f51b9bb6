"""The plain RSS reader gives feedparser's records, or declines.

`ingest.plain_rss` reads plain RSS 2.0 with lxml instead of feedparser, for
speed. Its contract: wherever it accepts a document, `parse_feed` returns the
same `ParsedFeed` as with feedparser alone. These tests generate documents
from pieces real feeds use and pieces chosen to trip a careless reader
(twins, attributes, inline markup, xml:lang, namespaces feedparser knows
under other prefixes, mojibake, Windows-1252 code points, entity-like runs in
links, permalink spellings) and compare both readers on each. feedparser's
own test feeds get the same comparison in tests/integration/test_feedparser_corpus.py.
"""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest import plain_rss
from ingest.parse import ParsedFeed, parse_feed

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
NAMESPACES = (
    'xmlns:atom="http://www.w3.org/2005/Atom" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:media="http://search.yahoo.com/mrss/" '
    'xmlns:yandex="http://news.yandex.ru" '
    'xmlns:slash="http://purl.org/rss/1.0/modules/slash/" '
    'xmlns:foo="http://purl.org/dc/elements/1.1/"'  # dc under another prefix: still dc
)
ODD_NAMESPACES = (
    "",
    'xmlns:itunes="http://example.com/not-itunes"',  # a reserved prefix on a stranger
    'xmlns:Title="http://example.com/t"',
    'xmlns:mine="http://backend.userland.com/rss2"',
)

TEXTS = (
    "",
    "   ",
    "Взрыв в Алматы",
    "Тоқаев қол қойды",
    "A &amp; B",
    "&lt;b&gt;bold&lt;/b&gt; text",
    "<![CDATA[<p>Атака <b>хакеров</b></p>]]>",
    "  padded  ",
    "caf\u00c3\u00a9 mojibake",  # UTF-8 read as Latin-1
    "caf\u00e9 latin",
    "price \u0080 euro",  # a code point feedparser maps to Windows-1252
    "x<!-- note -->y",
    "1 &lt; 2 &amp;&amp; 3 &gt; 2",
)
URLS = (
    "https://example.kz/news/1",
    "http:///example.kz//a",
    "https://example.kz/a?x=1&amp;y=2",
    "https://example.kz/a?x=1&amp;amp;y=2",
    "/relative/path",
    "urn:uuid:1234",
    "",
)
DATES = ("Tue, 01 Dec 2026 10:00:00 +0500", "2026-12-01T10:00:00Z", "yesterday", "", "1 Dec 2026")
# {t} a text, {u} a URL, {d} a date, each drawn anew for every piece. Plain pieces
# are what news feeds carry; odd ones each make feedparser do something else.
PLAIN_ITEM_PARTS = (
    "<title>{t}</title>",
    "<TITLE>{t}</TITLE>",
    "<link>{u}</link>",
    '<atom:link rel="self" href="{u}"/>',
    '<atom:link REL="hub" href="{u}"/>',
    "<description>{t}</description>",
    "<content:encoded>{t}</content:encoded>",
    "<foo:date>{d}</foo:date>",
    "<guid>{u}</guid>",
    '<guid isPermaLink="false">{u}</guid>',
    '<guid isPermaLink="True">{u}</guid>',
    '<guid ISPERMALINK="true">{u}</guid>',
    "<pubDate>{d}</pubDate>",
    "<pubdate>{d}</pubdate>",
    "<dc:date>{d}</dc:date>",
    "<category>{t}</category>",
    '<category domain="x">{t}</category>',
    "<author>{t}</author>",
    "<comments>{u}</comments>",
    '<enclosure url="{u}" type="image/jpeg" length="1"/>',
    "<dc:creator>{t}</dc:creator>",
    '<media:content url="{u}"/>',
    '<media:thumbnail url="{u}"/>',
    "<yandex:full-text>{t}</yandex:full-text>",
    "<yandex:x><yandex:y>{t}</yandex:y></yandex:x>",
    "<slash:comments>{t}</slash:comments>",
    "<!-- a comment -->",
)
ODD_ITEM_PARTS = (
    '<title type="html">{t}</title>',
    '<title xml:lang="en">{t}</title>',
    '<atom:link href="{u}"/>',
    '<atom:link rel="Alternate" type="text/html" href="{u}"/>',
    '<atom:link rel="self">{u}</atom:link>',
    "<description><p>{t}</p></description>",
    "<media:description>{t}</media:description>",
    "<media:title>{t}</media:title>",
    '<yandex:related><link url="{u}"/></yandex:related>',
    '<source url="{u}">{t}</source>',
    "<language>kk</language>",
    "<Title:detail>{t}</Title:detail>",
    '<foo:date xmlns:foo="http://example.com/x">{d}</foo:date>',  # foo rebound in here
    '<u:title xmlns:u="http://backend.userland.com/rss2">{t}</u:title>',  # RSS core to feedparser
)
PLAIN_ITEM_OPENINGS = ("<item>", "<item>", '<item turbo="true">')
ODD_ITEM_OPENINGS = (
    '<item href="{u}">',
    '<item LastMod="{d}">',
    '<item xmlns:r="http://www.w3.org/1999/02/22-rdf-syntax-ns#" r:about="{u}">',
    '<item xmlns:x="http://example.com/x" x:href="{u}">',
)
PLAIN_CHANNEL_PARTS = (
    "<title>{t}</title>",
    "<link>{u}</link>",
    '<atom:link rel="self" type="application/rss+xml" href="{u}"/>',
    "<language>ru-RU</language>",
    "<language>kk_KZ</language>",
    "<language></language>",
    "<description>{t}</description>",
    "<image><url>{u}</url><title>{t}</title><link>{u}</link></image>",
    "<skipHours><hour>1</hour></skipHours>",
    "<yandex:logo>{u}</yandex:logo>",
    "<copyright>{t}</copyright>",
    "<ttl>15</ttl>",
)
ODD_CHANNEL_PARTS = (
    '<atom:link href="{u}"/>',
    "<dc:language>en</dc:language>",
    "<image><url>{u}</url><foo>{t}</foo><title>{t}</title></image>",
    "<textInput><title>{t}</title><link>{u}</link></textInput>",
)


def random_document(rng: random.Random) -> str:
    """An RSS document of pieces drawn by `rng`: often plain, often not quite."""

    def piece(plain: tuple[str, ...], odd: tuple[str, ...]) -> str:
        template = rng.choice(odd if rng.random() < 0.05 else plain)
        return template.format(t=rng.choice(TEXTS), u=rng.choice(URLS), d=rng.choice(DATES))

    channel = [piece(PLAIN_CHANNEL_PARTS, ODD_CHANNEL_PARTS) for _ in range(rng.randint(0, 4))]
    items = [
        piece(PLAIN_ITEM_OPENINGS, ODD_ITEM_OPENINGS)
        + "".join(piece(PLAIN_ITEM_PARTS, ODD_ITEM_PARTS) for _ in range(rng.randint(1, 7)))
        + "</item>"
        for _ in range(rng.randint(0, 3))
    ]
    spot = rng.randint(0, len(channel))
    body = channel[:spot] + items + channel[spot:]
    odd = rng.choice(ODD_NAMESPACES) if rng.random() < 0.3 else ""
    odd_attributes = rng.choice([' xml:lang="kk"', ' rdf:about="x"'])
    channel_attributes = odd_attributes if rng.random() < 0.1 else ""
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" {NAMESPACES} {odd}>'
        f"<channel{channel_attributes}>{''.join(body)}</channel></rss>"
    )


def _parse_both(document: bytes, language: str | None) -> tuple[object, object]:
    headers = {"Content-Type": "application/rss+xml"}
    if language is not None:
        headers["Content-Language"] = language
    return (
        _outcome(document, headers, plain=True),
        _outcome(document, headers, plain=False),
    )


def _outcome(document: bytes, headers: dict[str, str], *, plain: bool) -> object:
    try:
        return parse_feed(document, headers, "generated", plain_rss_reader=plain)
    except Exception as exc:  # compared, not raised: both readers must fail alike
        return repr(exc)


@settings(max_examples=1500, deadline=None)
@given(st.integers(0, 2**32), st.sampled_from([None, "ru", "kk_KZ", "en-GB", ""]))
def test_generated_documents_read_the_same_with_either_reader(
    seed: int, language: str | None
) -> None:
    """A seed, not hypothesis's own random: its draws favour the first pieces of each list."""
    document = random_document(random.Random(seed)).encode("utf-8")
    with_plain, with_feedparser = _parse_both(document, language)
    assert with_plain == with_feedparser


def test_generated_documents_are_often_plain_enough_to_be_read_fast() -> None:
    """Otherwise the comparison above would pass by declining everything."""
    documents = [random_document(random.Random(seed)).encode("utf-8") for seed in range(400)]
    accepted = [d for d in documents if plain_rss.read(d, None) is not None]
    with_items = [d for d in accepted if b"<item>" in d]
    assert len(accepted) >= 80 and len(with_items) >= 40, (len(accepted), len(with_items))


def test_a_plain_news_feed_is_read_by_the_plain_reader() -> None:
    """The project's Russian and Kazakh fixture feeds take the fast path, with the same records."""
    for name in ("rss2_ru.xml", "rss2_kk_latin.xml", "rss2_missing_dates_duplicate_guids.xml"):
        body = (FIXTURES / "wellformed" / name).read_bytes()
        assert plain_rss.read(body, None) is not None, name
        with_plain, with_feedparser = _parse_both(body, None)
        assert isinstance(with_plain, ParsedFeed) and with_plain.entries
        assert with_plain == with_feedparser


def test_what_the_plain_reader_declines() -> None:
    """Each of these leaves the plain shape; feedparser reads it instead."""
    item = "<item><title>t</title><link>https://example.kz/1</link></item>"
    declined = {
        "atom": '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>',
        "two titles": "<rss><channel><item><title>a</title><title>b</title></item></channel></rss>",
        "inline markup": "<rss><channel><item><description><p>x</p></description></item>"
        "</channel></rss>",
        "xml:lang": f'<rss><channel xml:lang="kk">{item}</channel></rss>',
        "media:description": "<rss xmlns:media='http://search.yahoo.com/mrss/'><channel><item>"
        "<media:description>d</media:description></item></channel></rss>",
        "reserved prefix elsewhere": "<rss xmlns:dc='http://example.com/x'><channel>"
        f"{item}</channel></rss>",
        "not well-formed": f"<rss><channel>{item}</rss>",
        "windows-1252 code point": "<rss><channel><item><title>a\u0085b</title></item>"
        "</channel></rss>",
        "item outside the channel": f"<rss><channel></channel>{item}</rss>",
    }
    for why, text in declined.items():
        assert plain_rss.read(text.encode("utf-8"), None) is None, why
    plain = f"<rss version='2.0'><channel><title>t</title>{item}</channel></rss>"
    assert plain_rss.read(plain.encode("utf-8"), None) is not None
