"""feedparser's own 2,106 test feeds through the project's parse and normalize stages.

The files are input data kept outside the repository (`../shared/corpora/feedparser/`,
relative to the repository root) and never copied into it; the test is skipped when
that folder is absent. Every file must give either a clean feed or the project's own
`FeedError`, and every normalized item must be storable as it is: plain text without
tags or control characters, an http(s) link or none, a UTC time, and no content of
the local files that some of these feeds try to pull in through entities.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest import plain_rss
from ingest.errors import ErrorKind, FeedError
from ingest.normalize import normalize_entry
from ingest.parse import parse_feed
from tests.storable import item_problems

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora" / "feedparser" / "tests"
FETCHED = datetime(2026, 12, 1, tzinfo=UTC)
HEADERS = {"Content-Type": "application/xml"}
# The first line of /etc/passwd, which some of these feeds name in an external entity.
LOCAL_FILE = "root:x:0"

# About 2 s for the whole corpus, so it runs with the quick tests too.
pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason="feedparser's test feeds (../shared/corpora/feedparser) are absent"
)


def _files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file()) if CORPUS.is_dir() else []


def _problems(path: Path) -> list[str]:
    """What is wrong with one corpus file's result (empty: all invariants hold).

    Any exception but the project's FeedError is reported as a problem of this file
    (not raised), so one run lists every file that breaks a rule.
    """
    try:
        parsed = parse_feed(path.read_bytes(), HEADERS, path.name)
    except FeedError as exc:
        if exc.kind not in set(ErrorKind) or not exc.message.strip():
            return [f"an error without kind or message: {exc!r}"]
        return []
    except Exception as exc:  # reported, not raised: the finding of this test
        return [f"parse raised {exc!r}, not a FeedError"]
    problems = []
    for entry in parsed.entries:
        try:
            item = normalize_entry(
                entry,
                feed_language=parsed.language,
                base_url="https://example.org/",
                fetched_at=FETCHED,
            )
        except Exception as exc:  # reported, not raised: the finding of this test
            problems.append(f"normalize raised {exc!r}")
            continue
        if item is not None:
            problems += item_problems(
                item.title, item.summary, item.url, item.published_at, [LOCAL_FILE]
            )
    return problems


def test_the_corpus_is_the_expected_one() -> None:
    assert len(_files()) == 2106


def test_every_feedparser_test_feed_gives_a_clean_feed_or_a_feed_error() -> None:
    failures = {str(p.relative_to(CORPUS)): _problems(p) for p in _files()}
    failures = {name: found for name, found in failures.items() if found}
    assert not failures, f"{len(failures)} files: " + "; ".join(
        f"{name}: {found[0]}" for name, found in list(failures.items())[:10]
    )


def _read(body: bytes, *, plain: bool) -> object:
    try:
        return parse_feed(body, HEADERS, "corpus", plain_rss_reader=plain)
    except FeedError as exc:
        return (exc.kind, exc.message)


def test_the_plain_rss_reader_gives_feedparsers_records_wherever_it_reads_a_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`ingest.plain_rss` must agree with feedparser on every corpus file, read fast or not.

    It reads a few hundred of them itself (plain RSS 2.0); the rest it declines,
    and feedparser reads them on both sides. The count of files it read with
    entries guards against a reader that passes by declining everything.
    """
    accepted: list[bool] = []

    def recording(document: bytes, language: str | None) -> object:
        result = reader(document, language)
        accepted.append(result is not None and bool(result["entries"]))
        return result

    reader = plain_rss.read
    monkeypatch.setattr(plain_rss, "read", recording)
    differing = []
    for path in _files():
        body = path.read_bytes()
        if _read(body, plain=True) != _read(body, plain=False):
            differing.append(str(path.relative_to(CORPUS)))
    assert not differing, f"{len(differing)} files differ: {differing[:10]}"
    assert sum(accepted) >= 200, sum(accepted)
