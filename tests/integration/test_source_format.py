"""A source's `format` on the feed row: migration, command line, feed health."""

from __future__ import annotations

from datetime import UTC, datetime

from click.testing import CliRunner
from sqlalchemy import text

from indicators.store import queries, read, write
from indicators.store.engine import make_engine
from indicators.store.migrations import LATEST_VERSION, upgrade
from threatmon.cli import cli


def test_a_database_from_before_formats_upgrades_with_every_feed_read_as_rss(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine)
    with engine.begin() as conn:  # the database as version 6 (before formats) left it
        conn.exec_driver_sql("ALTER TABLE feeds DROP COLUMN format")
        conn.exec_driver_sql("DELETE FROM schema_migrations WHERE version >= 7")
        conn.execute(
            text(
                "INSERT INTO feeds (url, name, language, country, kind, enabled, "
                "consecutive_errors, created_at) VALUES "
                "('https://example.org/rss', 'Old', 'ru', '', 'media', 1, 0, :now)"
            ),
            {"now": datetime(2026, 1, 1, tzinfo=UTC)},
        )
    assert upgrade(engine) == (6, LATEST_VERSION)
    [feed] = read.list_feeds(engine)
    assert (feed.name, feed.format) == ("Old", "rss")
    write.upsert_feeds(engine, [write.FeedFields(url=feed.url, name="Old", format="sitemap")])
    assert [h.format for h in queries.feed_health(engine)] == ["sitemap"]


def test_feeds_add_takes_a_format_and_feeds_list_shows_it(tmp_path) -> None:
    env = {"THREATMON_DB": f"sqlite:///{tmp_path}/cli.db", "THREATMON_LOG_LEVEL": "WARNING"}
    runner = CliRunner()
    assert (
        runner.invoke(cli, ["init", "--feeds", str(empty_list(tmp_path))], env=env).exit_code == 0
    )
    added = runner.invoke(
        cli,
        ["feeds", "add", "https://t.me/s/example", "--language", "ru", "--format", "telegram"],
        env=env,
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(cli, ["feeds", "list"], env=env)
    [row] = [line for line in listed.output.splitlines() if line.strip().startswith("1 ")]
    assert row.split()[4] == "telegram"
    refused = runner.invoke(
        cli, ["feeds", "add", "https://example.org/", "--format", "pdf"], env=env
    )
    assert refused.exit_code == 2
    assert "'pdf' is not one of" in refused.output


def test_feeds_add_takes_the_selectors_of_an_html_source(tmp_path) -> None:
    env = {"THREATMON_DB": f"sqlite:///{tmp_path}/cli.db", "THREATMON_LOG_LEVEL": "WARNING"}
    runner = CliRunner()
    assert (
        runner.invoke(cli, ["init", "--feeds", str(empty_list(tmp_path))], env=env).exit_code == 0
    )
    url = "https://example.org/press"
    base = ["feeds", "add", url, "--format", "html"]
    missing = runner.invoke(cli, base, env=env)
    assert missing.exit_code == 2
    assert "needs selectors" in missing.output
    added = runner.invoke(
        cli, [*base, "--selector", "item=li.news", "--selector", "link=a"], env=env
    )
    assert added.exit_code == 0, added.output
    engine = make_engine(env["THREATMON_DB"])
    [feed] = read.list_feeds(engine)
    assert (feed.format, feed.selectors) == ("html", (("item", "li.news"), ("link", "a")))


def empty_list(tmp_path):
    path = tmp_path / "feeds.toml"
    path.write_text("feeds = []\n", encoding="utf-8")
    return path


def test_feeds_test_prints_what_would_be_stored_and_stores_nothing(tmp_path, httpserver) -> None:
    from pathlib import Path

    page = Path(__file__).parents[1] / "fixtures" / "telegram" / "channel_page2.html"
    httpserver.expect_request("/s/testchannel").respond_with_data(
        page.read_bytes(), content_type="text/html; charset=utf-8"
    )
    httpserver.expect_request("/s/gone").respond_with_data("nothing", status=404)
    env = {
        "THREATMON_DB": f"sqlite:///{tmp_path}/cli.db",
        "THREATMON_LOG_LEVEL": "WARNING",
        "THREATMON_ALLOW_PRIVATE_HOSTS": "1",
    }
    runner = CliRunner()
    assert (
        runner.invoke(cli, ["init", "--feeds", str(empty_list(tmp_path))], env=env).exit_code == 0
    )
    for path in ("/s/testchannel", "/s/gone"):
        url = httpserver.url_for(path)
        added = runner.invoke(cli, ["feeds", "add", url, "--format", "telegram"], env=env)
        assert added.exit_code == 0, added.output

    shown = runner.invoke(cli, ["feeds", "test", "1"], env=env)
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert "ok: HTTP 200" in lines[1] and "1 entries, 1 items" in lines[1]
    assert lines[2] == "- 2026-12-03 08:00 [ru] Генеральная прокуратура: возбуждено уголовное дело"
    assert lines[3] == "  https://t.me/testchannel/99"
    assert lines[-1] == "nothing was stored"

    failed = runner.invoke(cli, ["feeds", "test", "2"], env=env)
    assert failed.exit_code == 1
    assert "error: http_status" in failed.output
    missing = runner.invoke(cli, ["feeds", "test", "9"], env=env)
    assert missing.exit_code == 1
    assert "no feed with id 9" in missing.output

    engine = make_engine(env["THREATMON_DB"])
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM items").scalar_one() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM fetch_runs").scalar_one() == 0
    assert [f.last_fetched_at for f in read.list_feeds(engine)] == [None, None]
