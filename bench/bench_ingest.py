"""Ingest speed: `threatmon ingest --once` of one big feed against bare feedparser (issue 10).

The target compares whole processes: a fresh `threatmon ingest --once` that
fetches a 5,000-item RSS feed from 127.0.0.1, parses, normalizes, tags and
stores it, against a fresh Python process that only runs feedparser on the
same bytes. Process start and imports count on both sides, because that is
what an operator's cron job or a worker restart pays.

It also reports the in-process "store + tag" rate: the same items, already
parsed, tagged and written by the pipeline's own storage call, which is the
part the issue sets at >= 5,000 items/s.

Run: python bench/bench_ingest.py [--items 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import compileall
import email.utils
import http.server
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_tagger import build_corpus  # noqa: E402

TARGET_RATIO = 1.5
TARGET_STORE_RATE = 5000
BIN = Path(sys.executable).parent


def write_feed(path: Path, items: int, seed: int) -> None:
    """An RSS 2.0 channel with `items` distinct entries from the tagger benchmark's corpus."""
    now = datetime.now(UTC)
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        "<title>bench</title><link>http://127.0.0.1/</link><description>bench</description>"
    ]
    for n, (title, summary, _lang) in enumerate(build_corpus(items, seed)):
        when = email.utils.format_datetime(now - timedelta(minutes=7 * n))
        parts.append(
            f"<item><title>{escape(title)}</title>"
            f"<link>http://127.0.0.1/news/{n}</link><guid>bench-{n}</guid>"
            f"<pubDate>{when}</pubDate><description>{escape(summary)}</description></item>"
        )
    parts.append("</channel></rss>\n")
    path.write_text("".join(parts), encoding="utf-8")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, int]:
    handler = lambda *a, **kw: _Quiet(*a, directory=str(folder), **kw)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def byte_compile() -> None:
    """Compile the project's modules, as an installed copy has them.

    Both sides start fresh processes, and feedparser's own modules are
    compiled in site-packages; with PYTHONDONTWRITEBYTECODE set (as on some CI
    machines) the project's would otherwise be compiled again on every run.
    """
    for package in ("indicators", "ingest", "threatmon", "notify", "dashboard"):
        compileall.compile_dir(ROOT / package, quiet=1)


def init_store(db: str, feeds: Path, env: dict[str, str]) -> None:
    """A fresh database holding the one benchmark feed (`threatmon init`, not timed)."""
    subprocess.run(
        [str(BIN / "threatmon"), "init", "--db", db, "--feeds", str(feeds)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def bare_feedparser(feed: Path, env: dict[str, str]) -> float:
    code = "import sys, feedparser; feedparser.parse(open(sys.argv[1], 'rb').read())"
    return timed([sys.executable, "-c", code, str(feed)], env)


def threatmon_ingest(work: Path, port: int, run: int, env: dict[str, str]) -> tuple[float, int]:
    """A fresh database each run, so every run stores every item."""
    feeds = work / "feeds.toml"
    feeds.write_text(
        f'[[feeds]]\nname = "bench"\nurl = "http://127.0.0.1:{port}/feed.xml"\n'
        'language = "ru"\ncountry = "KZ"\nkind = "media"\nnote = "benchmark"\n',
        encoding="utf-8",
    )
    db_path = work / f"run{run}.db"
    db = f"sqlite:///{db_path}"
    init_store(db, feeds, env)
    seconds = timed([str(BIN / "threatmon"), "ingest", "--once", "--db", db], env)
    with sqlite3.connect(db_path) as conn:
        stored = conn.execute("SELECT count(*) FROM items").fetchone()[0]
    return seconds, stored


def step_seconds(feed: Path) -> dict[str, float]:
    """In-process CPU seconds of the steps before tagging, so the ingest ratio can be read.

    Parsing is timed twice: as ingest does it (plain RSS read by
    `ingest.plain_rss`) and with feedparser alone, the bare baseline's parser.
    """
    from ingest.normalize import normalize_entry
    from ingest.parse import parse_feed

    body, headers, url = feed.read_bytes(), {"content-type": "application/rss+xml"}, "http://b/"
    seconds: dict[str, float] = {}
    for label, plain in (("parse", True), ("parse with feedparser alone", False)):
        started = time.process_time()
        parsed = parse_feed(body, headers, url, plain_rss_reader=plain)
        seconds[label] = time.process_time() - started
    now = datetime.now(UTC)
    started = time.process_time()
    for entry in parsed.entries:
        normalize_entry(entry, feed_language="ru", base_url=url, fetched_at=now)
    seconds["normalize"] = time.process_time() - started
    return seconds


def store_and_tag_rate(feed: Path, work: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """Items/s of tagging, and of tagging + storing, already parsed items (the pipeline's calls).

    Parsing and normalizing happen first and are not timed; then each item is
    tagged and the batch is written with `store_feed_batch`, as a fetch does.
    """
    import random
    from dataclasses import replace

    from indicators.store import read
    from indicators.store.engine import make_engine
    from ingest.normalize import normalize_entry
    from ingest.parse import parse_feed
    from ingest.refresh import Collected, IngestConfig, StoryGrouper, store_collected
    from threatmon.settings import load_settings
    from threatmon.tagging import tagging_for

    feeds = work / "feeds.toml"  # written by threatmon_ingest
    db = f"sqlite:///{work / 'store.db'}"
    init_store(db, feeds, env)
    engine = make_engine(db)
    now = datetime.now(UTC)
    (row,) = read.due_feeds(engine, now, all_enabled=True)
    parsed = parse_feed(feed.read_bytes(), {"content-type": "application/rss+xml"}, row.url)
    items = [
        item
        for entry in parsed.entries
        if (item := normalize_entry(entry, feed_language="ru", base_url=row.url, fetched_at=now))
    ]
    tagging = tagging_for(load_settings())
    started = time.process_time()  # CPU time: steady while other processes run
    tagged = tuple(replace(i, tags=tagging.tag(i.title, i.summary, i.lang)) for i in items)
    tag_s = time.process_time() - started
    result = Collected("ok", tagged, entries=len(tagged), http_status=200)
    stories = StoryGrouper(engine, now)
    run = store_collected(
        engine,
        row,
        result,
        IngestConfig(),
        started_at=now,
        duration_s=0.0,
        lexicon_version=tagging.version,
        stories=stories,
        rng=random.Random(1),
    )
    total_s = time.process_time() - started
    return len(items) / tag_s, len(items) / total_s, run.new_items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    byte_compile()
    work = Path(tempfile.mkdtemp(prefix="tm-bench-ingest-"))
    try:
        feed = work / "feed.xml"
        write_feed(feed, args.items, args.seed)
        env = {
            **os.environ,
            "THREATMON_ALLOW_PRIVATE_HOSTS": "true",
            "THREATMON_LOG_LEVEL": "WARNING",
        }
        server, port = serve(work)
        try:
            bare = [bare_feedparser(feed, env) for _ in range(args.repeat)]
            ours = [threatmon_ingest(work, port, run, env) for run in range(args.repeat)]
        finally:
            server.shutdown()
        stored = {n for _, n in ours}
        best_bare, best_ours = min(bare), min(s for s, _ in ours)
        size_mb = feed.stat().st_size / 1e6
        print(f"feed: {args.items} items, {size_mb:.1f} MB, served from 127.0.0.1")
        print(
            f"  bare feedparser (fresh process): best {best_bare:.2f} s "
            f"(median {statistics.median(bare):.2f})"
        )
        print(
            f"  threatmon ingest --once:        best {best_ours:.2f} s "
            f"(median {statistics.median(s for s, _ in ours):.2f}); stored {sorted(stored)}"
        )
        ratio = best_ours / best_bare
        verdict = "meets" if ratio <= TARGET_RATIO else "misses"
        print(f"  ratio {ratio:.2f}x bare feedparser ({verdict} the {TARGET_RATIO}x target)")
        if stored != {args.items}:
            raise SystemExit(f"expected {args.items} stored items on every run, got {stored}")
        steps = step_seconds(feed)
        print("  in-process CPU: " + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items()))
        tag_rate, rate, new = store_and_tag_rate(feed, work, env)
        verdict = "meets" if rate >= TARGET_STORE_RATE else "misses"
        print(
            f"  tag only: {tag_rate:,.0f} items/s; tag + store: {rate:,.0f} items/s "
            f"({new} new; {verdict} the {TARGET_STORE_RATE:,} items/s target)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
