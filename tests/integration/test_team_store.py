"""The store as a team runs it: migration 9, PostgreSQL's trigram search, pool settings,
statement timeout and a read-only role for the dashboard.

Text search must give the same answers on SQLite (FTS5 candidates + exact
test) and PostgreSQL (pg_trgm indexes under the same LIKE test).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, select, text
from sqlalchemy.exc import DBAPIError

from indicators.models import FeedFields, ItemRecord, Tags
from indicators.selection import Filters
from indicators.store import queries, write
from indicators.store.engine import ServerOptions, make_engine
from indicators.store.migrations import LATEST_VERSION, upgrade
from indicators.store.schema import TRIGRAM_INDEXES, items
from indicators.store.textsearch import text_condition

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)

# title, summary, lang: mixed scripts, cases and LIKE's own wildcard characters
TEXTS = [
    ("В Алматы задержали вербовщика", "Суд арестовал жителя АЛМАТЫ", "ru"),
    ("АЛМАТЫДА ҰҚК қызметкерлері ұстады", "Террористік топ мүшесі", "kk"),
    ("DDoS-атака на банки Казахстана", "Атака длилась 3 часа; 100% узлов", "ru"),
    ("Ransomware hits Almaty utility", "Losses up to 50% of revenue_2025", "en"),
    ("Теракт предотвращён в Шымкенте", "КНБ: теракт готовили двое", "ru"),
    ("Weather in Astana", "Sunny, no news_here", "en"),
    ("Ақтөбеде экстремист сотталды", "ЭКСТРЕМИСТІК материалдар", "kk"),
]

QUERIES = [
    "алматы",  # Cyrillic, both cases in the texts
    "АЛМАТЫ",
    "ұқк",  # Kazakh letters, upper case in the text
    "ЭКСТРЕМИСТ",
    "ddos-АТАКА",
    "100%",  # LIKE's wildcard, meant literally
    "50% of",
    "revenue_2025",  # the other wildcard
    "news_here",
    "_",
    "%",
    "теракт",
    "ALMATY",
    "ия",  # shorter than a trigram
    "нет такого",
]


def fill(engine: Engine) -> dict[int, int]:
    """The texts as items; returns item id -> index in TEXTS."""
    (feed,) = write.upsert_feeds(engine, [FeedFields(url="https://example.org/rss", name="F")])
    ids: dict[int, int] = {}
    with engine.begin() as conn:
        for n, (title, summary, lang) in enumerate(TEXTS):
            record = ItemRecord(
                guid=f"g{n}",
                url=f"https://example.org/{n}",
                title=title,
                summary=summary,
                published_at=T0 + timedelta(hours=n),
                fetched_at=T0,
                lang=lang,
                content_hash=f"h{n}",
                story_key="",
                tags=Tags(relevant=False),
            )
            (item_id,) = write.insert_items(conn, feed, [record], lexicon_version="t")
            ids[item_id] = n
    return ids


def expected(q: str) -> set[int]:
    low = q.lower()
    return {
        n for n, (title, summary, _) in enumerate(TEXTS) if low in f"{title}\n{summary}".lower()
    }


@pytest.mark.postgres
def test_text_search_gives_the_same_answers_on_sqlite_and_postgresql(
    tmp_path: Path, pg_url: str
) -> None:
    answers = {}
    for name, url in (("sqlite", f"sqlite:///{tmp_path / 's.db'}"), ("postgres", pg_url)):
        engine = make_engine(url)
        upgrade(engine)
        ids = fill(engine)
        answers[name] = {
            q: {ids[r.id] for r in queries.items_page(engine, Filters(q=q), limit=50).rows}
            for q in QUERIES
        }
        for q in QUERIES:
            assert queries.totals(engine, Filters(q=q)).items == len(expected(q)), (name, q)
        engine.dispose()
    assert answers["sqlite"] == answers["postgres"] == {q: expected(q) for q in QUERIES}
    assert answers["sqlite"]["%"] == {2, 3} and answers["sqlite"]["_"] == {3, 5}


@pytest.mark.postgres
def test_postgresql_answers_the_text_search_from_the_trigram_indexes(pg_url: str) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    fill(engine)
    query = select(items.c.id).where(text_condition("алматы"))  # the views' text filter
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        assert set(TRIGRAM_INDEXES) <= {i["name"] for i in inspect(conn).get_indexes("items")}
        conn.exec_driver_sql("SET enable_seqscan = off")  # 7 rows: make the choice visible
        plan = "\n".join(r[0] for r in conn.execute(text("EXPLAIN " + sql)))
    engine.dispose()
    assert "ix_items_title_trgm" in plan and "ix_items_summary_trgm" in plan, plan


def _shape(engine: Engine) -> dict[str, object]:
    with engine.connect() as conn:
        inspector = inspect(conn)
        return {
            table: (
                sorted(c["name"] for c in inspector.get_columns(table)),
                sorted(str(i["name"]) for i in inspector.get_indexes(table)),
            )
            for table in ("feeds", "fetch_runs", "items", "job_leases")
        }


def test_a_version_8_database_upgrades_to_the_fresh_schema_with_nothing_leased(
    store: Engine,
) -> None:
    fresh = _shape(store)
    with store.begin() as conn:  # the database as version 8 left it
        for column in ("lease_owner", "lease_until", "last_worker"):
            conn.exec_driver_sql(f"ALTER TABLE feeds DROP COLUMN {column}")
        conn.exec_driver_sql("ALTER TABLE fetch_runs DROP COLUMN worker_id")
        conn.exec_driver_sql("DROP INDEX ix_feeds_due")
        conn.exec_driver_sql("DROP TABLE job_leases")
        if conn.dialect.name == "postgresql":
            for name in TRIGRAM_INDEXES:
                conn.exec_driver_sql(f"DROP INDEX {name}")
        conn.exec_driver_sql("DELETE FROM schema_migrations WHERE version >= 9")
    write.upsert_feeds(store, [FeedFields(url="https://example.org/old", name="Old")])
    assert upgrade(store) == (8, LATEST_VERSION)
    with store.connect() as conn:
        inspector = inspect(conn)
        assert {"lease_owner", "lease_until", "last_worker"} <= {
            c["name"] for c in inspector.get_columns("feeds")
        }
        assert "worker_id" in {c["name"] for c in inspector.get_columns("fetch_runs")}
        assert inspector.has_table("job_leases")
        indexes = {i["name"] for i in inspector.get_indexes("items")}
        feed_indexes = {i["name"] for i in inspector.get_indexes("feeds")}
        leased = conn.exec_driver_sql("SELECT lease_owner, lease_until FROM feeds").all()
    assert "ix_feeds_due" in feed_indexes
    assert (set(TRIGRAM_INDEXES) <= indexes) == (store.dialect.name == "postgresql")
    assert [tuple(r) for r in leased] == [(None, None)]
    assert _shape(store) == fresh


# --- PostgreSQL connection settings ---------------------------------------------------


@pytest.mark.postgres
def test_the_pool_and_statement_timeout_reach_postgresql(pg_url: str) -> None:
    engine = make_engine(
        pg_url, server=ServerOptions(pool_size=2, max_overflow=1, statement_timeout=0.5)
    )
    assert (engine.pool.size(), engine.pool._max_overflow) == (2, 1)  # type: ignore[attr-defined]
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW statement_timeout").scalar_one() == "500ms"
        with pytest.raises(DBAPIError, match="statement timeout"):
            conn.exec_driver_sql("SELECT pg_sleep(3)")
    upgrade(engine)  # migrations are never cut short by the timeout
    engine.dispose()


@pytest.mark.postgres
def test_a_read_only_engine_cannot_write_on_postgresql(pg_url: str) -> None:
    owner = make_engine(pg_url)
    upgrade(owner)
    owner.dispose()
    reader = make_engine(pg_url, read_only=True)
    with reader.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM feeds").scalar_one() == 0
        with pytest.raises(DBAPIError, match="read-only transaction"):
            conn.exec_driver_sql("INSERT INTO job_leases (job) VALUES ('x')")
    reader.dispose()


@pytest.mark.postgres
def test_the_dashboard_serves_reads_through_a_read_only_role(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dashboard.app
    from dashboard.app import create_app

    opened: list[tuple[str, Engine]] = []  # the app's engines, to close them at the end

    def recording(url: str, **kw: object) -> Engine:
        engine = make_engine(url, **kw)  # type: ignore[arg-type]
        opened.append((url, engine))
        return engine

    monkeypatch.setattr(dashboard.app, "make_engine", recording)
    owner = make_engine(pg_url)
    upgrade(owner)
    fill(owner)
    database = pg_url.rsplit("/", 1)[1]
    role = f"reader_{database}"  # roles are per server, databases per test
    with owner.begin() as conn:  # the README's grants
        for statement in (
            f"CREATE ROLE {role} LOGIN",
            f"GRANT CONNECT ON DATABASE {database} TO {role}",
            f"GRANT USAGE ON SCHEMA public TO {role}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
        ):
            conn.exec_driver_sql(statement)
    owner.dispose()
    user = pg_url.split("//", 1)[1].split("@", 1)[0]
    reader_url = pg_url.replace(f"//{user}@", f"//{role}@", 1)
    app = create_app(pg_url, Path("data"), read_db_url=reader_url, read_only=True)
    client = app.server.test_client()
    snapshot = client.get("/api/snapshot?q=алматы")
    assert snapshot.status_code == 200
    assert snapshot.get_json()["totals"]["items"] == len(expected("алматы"))
    assert client.get("/alerts.atom").status_code == 200
    assert [url for url, _ in opened] == [reader_url], "read-only: no writing engine at all"
    for _, engine in opened:
        engine.dispose()
    as_reader = create_engine(reader_url)
    with as_reader.connect() as conn, pytest.raises(DBAPIError, match="permission denied"):
        conn.exec_driver_sql("DELETE FROM items")
    as_reader.dispose()


@pytest.mark.postgres
def test_an_unreachable_or_refused_database_is_a_clear_message(pg_url: str) -> None:
    import socket

    from click.testing import CliRunner

    from threatmon.cli import cli

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    unreachable = f"postgresql+psycopg://threatmon:s3cret@127.0.0.1:{port}/threatmon"
    user = pg_url.split("//", 1)[1].split("@", 1)[0]
    no_such_role = pg_url.replace(f"//{user}@", "//nobody_here:s3cret@", 1)
    for url, reason in ((unreachable, "connection"), (no_such_role, "nobody_here")):
        result = CliRunner().invoke(cli, ["ingest", "--once", "--db", url])
        assert result.exit_code == 1, result.output
        assert result.output.startswith("Error: database postgresql+psycopg://"), result.output
        assert reason in result.output and "Traceback" not in result.output
        assert "s3cret" not in result.output and ":***@" in result.output, "no password shown"
