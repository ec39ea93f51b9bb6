"""feedparser's own 2,106 test feeds through the project's parse and normalize stages.

The files are input data kept outside the repository (`../shared/corpora/feedparser/`,
relative to the repository root) and never copied into it; the test is skipped when
that folder is absent. Every file must give either a clean feed or the project's own
`FeedError`, and every normalized item must be storable as it is: plain text without
tags or control characters, an http(s) link or none, a UTC time, and no content of
the local files that some of these feeds try to pull in through entities.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingest.errors import ErrorKind, FeedError
from ingest.normalize import normalize_entry
from ingest.parse import parse_feed

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora" / "feedparser" / "tests"
TAG = re.compile(r"<(?:script|iframe|object|embed|style|img|a|b|i|p|div|span|br)\b[^>]*>", re.I)
FETCHED = datetime(2026, 12, 1, tzinfo=UTC)
HEADERS = {"Content-Type": "application/xml"}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpora/feedparser is absent"),
]


def _files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file()) if CORPUS.is_dir() else []


def _problems(path: Path) -> list[str]:
    """What is wrong with one corpus file's result (empty: all invariants hold)."""
    try:
        parsed = parse_feed(path.read_bytes(), HEADERS, path.name)
    except FeedError as exc:
        if exc.kind not in set(ErrorKind) or not exc.message.strip():
            return [f"an error without kind or message: {exc!r}"]
        return []
    problems = []
    for entry in parsed.entries:
        item = normalize_entry(
            entry,
            feed_language=parsed.language,
            base_url="https://example.org/",
            fetched_at=FETCHED,
        )
        if item is None:
            continue
        for text in (item.title, item.summary):
            if TAG.search(text):
                problems.append(f"markup stored: {text[:80]!r}")
            if [c for c in text if unicodedata.category(c) == "Cc" and c not in "\n"]:
                problems.append(f"control character stored: {text[:80]!r}")
            if "root:x:0" in text:
                problems.append("a local file leaked")
        if item.url is not None and not item.url.startswith(("http://", "https://")):
            problems.append(f"a non-http(s) link stored: {item.url[:80]!r}")
        if item.published_at.utcoffset() != timedelta(0):
            problems.append(f"a time that is not UTC: {item.published_at!r}")
    return problems


def test_the_corpus_is_the_expected_one() -> None:
    assert len(_files()) >= 2000


def test_every_feedparser_test_feed_gives_a_clean_feed_or_a_feed_error() -> None:
    failures = {str(p.relative_to(CORPUS)): _problems(p) for p in _files()}
    failures = {name: found for name, found in failures.items() if found}
    assert not failures, f"{len(failures)} files: " + "; ".join(
        f"{name}: {found[0]}" for name, found in list(failures.items())[:10]
    )
