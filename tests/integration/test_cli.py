"""The command line, run in-process against real SQLite files and a real HTTP server."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from indicators.lexicon import load_compiled
from indicators.store import read
from indicators.store.engine import make_engine
from tests.feedgen import numbered_feed
from threatmon.cli import cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture
def env(tmp_path):
    return {
        "THREATMON_DB": f"sqlite:///{tmp_path}/cli.db",
        "THREATMON_ALLOW_PRIVATE_HOSTS": "1",
        "THREATMON_LOG_LEVEL": "WARNING",
    }


def invoke(env, *args, input=None):
    result = CliRunner().invoke(cli, list(args), env=env, input=input, catch_exceptions=False)
    return result


def feeds_file(tmp_path, urls):
    path = tmp_path / "feeds.toml"
    path.write_text(
        "".join(
            f'[[feeds]]\nname = "feed {n}"\nurl = "{url}"\nlanguage = "ru"\nkind = "media"\n\n'
            for n, url in enumerate(urls)
        ),
        encoding="utf-8",
    )
    return path


def test_every_command_has_help():
    for args in (
        ["--help"],
        ["init", "--help"],
        ["ingest", "--help"],
        ["feeds", "--help"],
        ["feeds", "add", "--help"],
        ["run", "--help"],
        ["serve", "--help"],
        ["export", "--help"],
        ["tag", "--help"],
        ["retag", "--help"],
        ["lexicon", "check", "--help"],
        ["demo", "--help"],
    ):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, args
        assert "Usage:" in result.output


def test_commands_other_than_init_explain_an_uninitialized_database(env):
    result = invoke(env, "feeds", "list")
    assert result.exit_code != 0
    assert "threatmon init" in result.output


def test_init_ingest_once_and_feed_management(env, tmp_path, httpserver):
    httpserver.expect_request("/good").respond_with_data(numbered_feed(3))
    httpserver.expect_request("/bad").respond_with_data("nope", status=404)
    path = feeds_file(tmp_path, [httpserver.url_for("/good"), httpserver.url_for("/bad")])

    result = invoke(env, "init", "--feeds", str(path))
    assert result.exit_code == 0 and "loaded 2 feeds" in result.output
    assert "up to date" in invoke(env, "init", "--feeds", str(path)).output

    result = invoke(env, "ingest", "--once")
    assert result.exit_code == 0, "some feeds failing is not a command failure"
    assert "2 feeds: 1 ok, 0 not modified, 1 failed; 3 new items" in result.output
    assert "http_status" in result.output

    listing = invoke(env, "feeds", "list").output
    assert "feed 0" in listing and "last error: http_status" in listing

    assert invoke(env, "feeds", "disable", "2").exit_code == 0
    assert invoke(env, "feeds", "remove", "99").exit_code != 0
    added = invoke(env, "feeds", "add", "https://example.org/rss.xml", "--name", "Example")
    assert added.exit_code == 0
    assert invoke(env, "feeds", "add", "ftp://example.org/x").exit_code != 0

    opml = tmp_path / "out.opml"
    assert invoke(env, "feeds", "export-opml", str(opml)).exit_code == 0
    other = dict(env, THREATMON_DB=f"sqlite:///{tmp_path}/other.db")
    empty = tmp_path / "empty.toml"
    empty.write_text("feeds = []\n")
    invoke(other, "init", "--feeds", str(empty))
    assert "imported 3 feeds" in invoke(other, "feeds", "import-opml", str(opml)).output
    engine = make_engine(other["THREATMON_DB"])
    assert {f.name for f in read.list_feeds(engine)} == {"feed 0", "feed 1", "Example"}
    engine.dispose()


def test_tag_reads_json_lines_and_reports_malformed_ones_without_stopping(env):
    lines = "\n".join(
        [
            json.dumps(
                {"id": 1, "title": "В Шымкенте предотвращен теракт", "summary": "", "lang": "ru"},
                ensure_ascii=False,
            ),
            "{not json",
            json.dumps({"id": "b", "title": "Weather: sunny in Astana", "summary": "Warm week."}),
            json.dumps(["a list"]),
        ]
    )
    result = CliRunner().invoke(cli, ["tag"], env=env, input=lines + "\n")
    assert result.exit_code == 0
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [record["id"] for record in out] == [1, "b"]
    first = out[0]
    assert (first["relevant"], first["categories"]) == (True, ["terrorist_activity"])
    assert (first["regions"], first["platforms"]) == (["KZ-79"], [])
    # each match names its tag, the lexicon term and the span of the words that matched it
    text = "В Шымкенте предотвращен теракт"
    city, attack = text.index("Шымкенте"), text.index("теракт")
    assert first["matches"] == [
        {"axis": "region", "id": "KZ-79", "term": "Шымкент", "start": city, "end": city + 8},
        {"axis": "category", "id": "terrorist_activity", "term": "теракт", "start": attack,
         "end": len(text)},
    ]  # fmt: skip
    assert out[1]["relevant"] is False and out[1]["categories"] == []
    assert "line 2:" in result.stderr and "line 4:" in result.stderr


def test_retag_is_resumable_and_records_the_lexicon_version(env, tmp_path, httpserver):
    httpserver.expect_request("/good").respond_with_data(numbered_feed(4))
    invoke(env, "init", "--feeds", str(feeds_file(tmp_path, [httpserver.url_for("/good")])))
    invoke(env, "ingest", "--once")
    assert "already tagged" in invoke(env, "retag").output
    engine = make_engine(env["THREATMON_DB"])
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE items SET lexicon_version = 'old' WHERE id <= 2")
    engine.dispose()
    result = invoke(env, "retag")
    assert result.exit_code == 0 and "retagged 2 items" in result.output


def test_lexicon_check_passes_on_the_shipped_data(env):
    result = invoke(env, "lexicon", "check")
    assert result.exit_code == 0, result.output
    compiled = load_compiled(DATA)
    assert result.output == (
        f"lexicon {compiled.version}: ok, {len(compiled.actors)} organizations (0 warning(s))\n"
    )


def test_export_matches_the_http_snapshot(env, tmp_path, httpserver):
    from dashboard.app import create_app

    httpserver.expect_request("/good").respond_with_data(numbered_feed(5))
    invoke(env, "init", "--feeds", str(feeds_file(tmp_path, [httpserver.url_for("/good")])))
    invoke(env, "ingest", "--once")
    out = tmp_path / "snap.json"
    result = invoke(
        env, "export", "--format", "json", "--category", "terrorist_activity", "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    from_cli = json.loads(out.read_text(encoding="utf-8"))

    app = create_app(env["THREATMON_DB"], Path("data"))
    response = app.server.test_client().get("/api/snapshot?category=terrorist_activity")
    from_http = response.get_json()
    for snapshot in (from_cli, from_http):
        snapshot.pop("generated_at")
    assert from_cli == from_http
    assert from_cli["totals"]["items"] == 5

    bad = invoke(env, "export", "--from", "yesterday")
    assert bad.exit_code != 0


def test_demo_ingests_the_bundled_samples_through_the_pipeline(env, tmp_path):
    result = invoke(
        env,
        "demo",
        "--prepare-only",
        "--port",
        "0",
        "--history",
        "300",
        "--db",
        f"sqlite:///{tmp_path}/demo.db",
    )
    assert result.exit_code == 0, result.output
    assert "sample feeds: 6/6 fetched" in result.output
    engine = make_engine(f"sqlite:///{tmp_path}/demo.db")
    counts = read.item_counts(engine)
    enabled = [f for f in read.list_feeds(engine) if f.enabled]
    engine.dispose()
    assert len(enabled) == 6, "only the sample feeds are fetched; generated sources are not"
    assert counts["items"] > 300 + 100
    assert counts["stories"] < counts["items"]


def test_export_and_the_http_snapshot_label_with_the_configured_data_folder(
    env, tmp_path, httpserver
):
    from dashboard.app import create_app

    data = tmp_path / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("samples"))
    taxonomy_file = data / "taxonomy.toml"
    text = taxonomy_file.read_text(encoding="utf-8")
    text = text.replace('en = "Terrorist activity"', 'en = "Acts of terror (local wording)"', 1)
    taxonomy_file.write_text(text.replace('version = "', 'version = "local-', 1), encoding="utf-8")
    env = env | {"THREATMON_DATA_DIR": str(data)}
    httpserver.expect_request("/good").respond_with_data(numbered_feed(2))
    invoke(env, "init", "--feeds", str(feeds_file(tmp_path, [httpserver.url_for("/good")])))
    invoke(env, "ingest", "--once")

    result = invoke(env, "export", "--format", "json")
    assert result.exit_code == 0, result.output
    from_cli = json.loads(result.output)
    app = create_app(env["THREATMON_DB"], data)
    from_http = app.server.test_client().get("/api/snapshot").get_json()

    for snapshot in (from_cli, from_http):
        labels = {(i["axis"], i["id"]): i["label"] for i in snapshot["indicators"]}
        assert labels[("category", "terrorist_activity")] == "Acts of terror (local wording)"
        assert snapshot["taxonomy_version"].startswith("local-")


@pytest.mark.parametrize("ui", ["ru", "kk"])
def test_export_ui_gives_the_same_csv_as_the_dashboards_button_in_that_language(
    env, tmp_path, httpserver, ui
):
    from dashboard.app import create_app

    httpserver.expect_request("/good").respond_with_data(numbered_feed(4))
    invoke(env, "init", "--feeds", str(feeds_file(tmp_path, [httpserver.url_for("/good")])))
    invoke(env, "ingest", "--once")
    out = tmp_path / f"snap-{ui}.csv"
    result = invoke(env, "export", "--format", "csv", "--ui", ui, "-o", str(out))
    assert result.exit_code == 0, result.output
    from_cli = out.read_text(encoding="utf-8-sig").splitlines()

    app = create_app(env["THREATMON_DB"], Path("data"))
    response = app.server.test_client().get(f"/api/snapshot?format=csv&ui={ui}")
    from_http = response.get_data(as_text=True).lstrip("\ufeff").splitlines()

    english = invoke(env, "export", "--format", "csv").output.splitlines()
    assert from_cli[0] != english[0], "the heading row is translated"
    assert not any(word in from_cli[0] for word in ("table", "key", "value"))
    assert len(from_cli) == len(from_http)
    differing = [(a, b) for a, b in zip(from_cli, from_http, strict=True) if a != b]
    assert len(differing) <= 1, differing  # only the generation time may differ
