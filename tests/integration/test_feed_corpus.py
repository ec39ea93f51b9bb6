"""Every fixture feed, served from a real 127.0.0.1 server, fetched and parsed as in production,
then run through the whole pipeline (fetch -> parse -> normalize -> tag -> store) into SQLite.

Each file under tests/fixtures/feeds/ carries its expectation in a sidecar
NAME.expect.json whose `purpose` says in one line what the case is for; a
successful case lists the titles parsed and, where normalizing changes them or
duplicates fold, the titles stored (`stored_titles`).
The marker @@SECRET_URI@@ in a fixture is replaced by the
file:// URI of a secret written for this run, whose content must never show up
in any parsed output.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import select

from indicators.models import FeedFields
from indicators.store import read, write
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from indicators.store.schema import fetch_runs, items
from ingest.errors import ErrorKind, FeedError
from ingest.fetch import FetchLimits, fetch_feed
from ingest.parse import ParsedFeed, parse_feed_bounded
from ingest.refresh import IngestConfig, Tagging, run_feeds
from tests.storable import item_problems
from threatmon.settings import load_settings
from threatmon.tagging import tagging_for

FEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"
SECRET_MARK = b"@@SECRET_URI@@"
LIMITS = FetchLimits(allow_private_hosts=True, deadline=10.0, max_bytes=1024 * 1024)
SIDECAR_KEYS = {
    "purpose", "error", "content_type", "entries", "titles", "guids", "links", "published",
    "entry_languages", "summaries_contain", "language", "encoding", "repaired_encoding",
    "warning", "absent", "stored_titles",
}  # fmt: skip
ALLOWED_CONTROLS = {"\t", "\n", "\r"}


def _cases() -> list[Path]:
    return sorted(
        p for p in FEEDS.rglob("*") if p.is_file() and not p.name.endswith(".expect.json")
    )


def _sidecar_path(path: Path) -> Path:
    return path.with_name(path.name.rsplit(".", 1)[0] + ".expect.json")


def _sidecar(path: Path) -> dict[str, Any]:
    expect_path = _sidecar_path(path)
    assert expect_path.is_file(), f"{_case_id(path)} has no expectation file {expect_path.name}"
    expect: dict[str, Any] = json.loads(expect_path.read_text(encoding="utf-8"))
    unknown = set(expect) - SIDECAR_KEYS
    assert not unknown, f"{expect_path.name}: unknown keys {unknown}"
    purpose = expect.get("purpose")
    assert isinstance(purpose, str) and purpose.strip() and "\n" not in purpose, (
        f"{expect_path.name}: needs a one-line 'purpose' saying what the case is for"
    )
    assert expect["error"] is None or expect["error"] in {k.value for k in ErrorKind}
    if expect["error"] is None:
        assert {"entries", "titles"} <= set(expect), f"{expect_path.name}: entries and titles"
        assert len(expect["titles"]) == expect["entries"], expect_path.name
    return expect


def _case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


@pytest.fixture(scope="module")
def secret(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """(file URI, content) of a local file that hostile fixtures try to read."""
    token = f"TOPSECRET-{uuid.uuid4().hex}"
    path = tmp_path_factory.mktemp("secret") / "secret.txt"
    path.write_text(token, encoding="utf-8")
    return path.as_uri(), token


def test_every_fixture_has_a_sidecar_and_every_folder_is_used() -> None:
    cases = _cases()
    assert {p.parent.name for p in cases} == {"wellformed", "illformed", "encoding", "hostile"}
    for path in cases:
        _sidecar(path)
    orphans = set(FEEDS.rglob("*.expect.json")) - {_sidecar_path(p) for p in cases}
    assert not orphans, f"expectation files without a fixture: {sorted(orphans)}"


def test_a_fixture_without_an_expectation_file_or_a_purpose_line_fails(tmp_path: Path) -> None:
    feed = tmp_path / "wellformed" / "new_case.xml"
    feed.parent.mkdir()
    feed.write_text("<rss/>", encoding="utf-8")
    missing = re.escape("wellformed/new_case.xml has no expectation file new_case.expect.json")
    with pytest.raises(AssertionError, match=missing):
        _sidecar(feed)
    no_purpose = re.escape("new_case.expect.json: needs a one-line 'purpose'")
    for sidecar in ({"error": "parse"}, {"purpose": " ", "error": "parse"},
                    {"purpose": "two\nlines", "error": "parse"}):  # fmt: skip
        _sidecar_path(feed).write_text(json.dumps(sidecar), encoding="utf-8")
        with pytest.raises(AssertionError, match=no_purpose):
            _sidecar(feed)
    _sidecar_path(feed).write_text(json.dumps({"purpose": "a case", "error": "parse"}), "utf-8")
    assert _sidecar(feed) == {"purpose": "a case", "error": "parse"}


@pytest.mark.parametrize("path", _cases(), ids=_case_id)
def test_fixture_feed(path: Path, local_server: HTTPServer, secret: tuple[str, str]) -> None:
    expect = _sidecar(path)
    secret_uri, token = secret
    body = path.read_bytes().replace(SECRET_MARK, secret_uri.encode())
    route = f"/{path.parent.name}/{path.name}"
    local_server.expect_request(route).respond_with_data(
        body, content_type=expect.get("content_type", "application/xml")
    )

    try:
        fetched = fetch_feed(local_server.url_for(route), LIMITS)
        parsed = parse_feed_bounded(fetched.body, fetched.headers, fetched.url, timeout=10.0)
    except FeedError as exc:
        assert exc.kind.value == expect["error"], exc.message
        assert exc.message and token not in exc.message
        return
    assert expect["error"] is None, f"expected {expect['error']}, got {len(parsed.entries)} entries"

    _check_invariants(parsed, token, expect.get("absent", []))
    _check_expectations(parsed, expect)


def _check_invariants(parsed: ParsedFeed, token: str, absent: list[str]) -> None:
    texts = [parsed.title] + [e.title for e in parsed.entries]
    for text in texts:
        controls = [c for c in text if unicodedata.category(c) == "Cc"]
        assert set(controls) <= ALLOWED_CONTROLS, f"control characters in {text!r}"
    for entry in parsed.entries:
        if entry.published is not None:
            assert entry.published.utcoffset() == timedelta(0), entry.published
    everything = repr(parsed)
    for forbidden in [token, *absent]:
        assert forbidden not in everything, f"{forbidden!r} leaked into the parsed output"
    assert parsed.encoding


def _check_expectations(parsed: ParsedFeed, expect: dict[str, Any]) -> None:
    entries = parsed.entries
    if "entries" in expect:
        assert len(entries) == expect["entries"]
    if "titles" in expect:
        assert [e.title for e in entries] == expect["titles"]
    if "guids" in expect:
        assert [e.guid for e in entries] == expect["guids"]
    if "links" in expect:
        assert [e.link for e in entries] == expect["links"]
    if "published" in expect:
        assert [e.published and e.published.isoformat() for e in entries] == expect["published"]
    if "entry_languages" in expect:
        assert [e.language for e in entries] == expect["entry_languages"]
    for index, fragment in expect.get("summaries_contain", []):
        assert fragment in entries[index].summary
    if "language" in expect:
        assert parsed.language == expect["language"]
    if "encoding" in expect:
        assert parsed.encoding == expect["encoding"]
    if "repaired_encoding" in expect:
        assert parsed.repaired_encoding is expect["repaired_encoding"]
    if "warning" in expect:
        assert (parsed.warning is not None) is expect["warning"], parsed.warning


# --- the whole pipeline, every fixture -------------------------------------------------

PIPELINE = IngestConfig(limits=LIMITS, parse_timeout=10, parse_memory_mb=1024, concurrency=1)


@pytest.fixture(scope="module")
def tagging() -> Tagging:
    return tagging_for(load_settings(environ={}))


@pytest.mark.parametrize("path", _cases(), ids=_case_id)
def test_fixture_feed_through_the_whole_pipeline(
    path: Path, local_server: HTTPServer, secret: tuple[str, str], tagging: Tagging, tmp_path: Path
) -> None:
    """Stored items are the expected ones, as plain text with safe links and UTC times;
    a failure is recorded with its kind and stores nothing."""
    expect = _sidecar(path)
    secret_uri, token = secret
    route = f"/pipeline/{_case_id(path)}"
    body = path.read_bytes().replace(SECRET_MARK, secret_uri.encode())
    local_server.expect_request(route).respond_with_data(
        body, content_type=expect.get("content_type", "application/xml")
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'corpus.db'}")
    upgrade(engine)
    [feed_id] = write.upsert_feeds(engine, [FeedFields(url=local_server.url_for(route), name="c")])
    run_feeds(engine, read.list_feeds(engine), PIPELINE, tagging)
    with engine.connect() as conn:
        [run] = conn.execute(select(fetch_runs).where(fetch_runs.c.feed_id == feed_id)).all()
        stored = conn.execute(
            select(items).where(items.c.feed_id == feed_id).order_by(items.c.id)
        ).all()
    assert run.error_kind == expect["error"], run.error_message
    if expect["error"] is not None:
        assert stored == []
        assert run.error_message and token not in run.error_message
        return
    # Stored in feed order; entries of one feed may fold (a repeated GUID), never multiply.
    assert [item.title for item in stored] == expect.get("stored_titles", expect["titles"])
    assert run.new_items == len(stored)
    secrets = [token, *expect.get("absent", [])]
    for item in stored:
        problems = item_problems(item.title, item.summary, item.url, item.published_at, secrets)
        assert problems == [], problems
        assert item.fetched_at.utcoffset() == timedelta(0)
