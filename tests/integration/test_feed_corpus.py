"""Every fixture feed, served from a real 127.0.0.1 server, fetched and parsed as in production.

Each file under tests/fixtures/feeds/ carries its expectation in a sidecar
NAME.expect.json. The marker @@SECRET_URI@@ in a fixture is replaced by the
file:// URI of a secret written for this run, whose content must never show up
in any parsed output.
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from ingest.errors import ErrorKind, FeedError
from ingest.fetch import FetchLimits, fetch_feed
from ingest.parse import ParsedFeed, parse_feed_bounded

FEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"
SECRET_MARK = b"@@SECRET_URI@@"
LIMITS = FetchLimits(allow_private_hosts=True, deadline=10.0, max_bytes=1024 * 1024)
SIDECAR_KEYS = {
    "error", "content_type", "entries", "titles", "guids", "links", "published",
    "entry_languages", "summaries_contain", "language", "encoding", "repaired_encoding",
    "warning", "absent",
}  # fmt: skip
ALLOWED_CONTROLS = {"\t", "\n", "\r"}


def _cases() -> list[Path]:
    return sorted(
        p for p in FEEDS.rglob("*") if p.is_file() and not p.name.endswith(".expect.json")
    )


def _sidecar(path: Path) -> dict[str, Any]:
    expect_path = path.with_name(path.name.rsplit(".", 1)[0] + ".expect.json")
    expect: dict[str, Any] = json.loads(expect_path.read_text(encoding="utf-8"))
    unknown = set(expect) - SIDECAR_KEYS
    assert not unknown, f"{expect_path.name}: unknown keys {unknown}"
    assert expect["error"] is None or expect["error"] in {k.value for k in ErrorKind}
    return expect


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
    sidecars = {p for p in FEEDS.rglob("*.expect.json")}
    assert len(sidecars) == len(cases)


@pytest.mark.parametrize("path", _cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
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
