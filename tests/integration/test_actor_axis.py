"""The `actor` axis end to end on real databases: store, summary, filters, exports, API, retag.

Items are stored with known organization tags (tests/factories.make_item);
every count is compared with what was put in, through the summary path and the
items path (free text) alike.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import Engine, delete, select

from dashboard.app import create_app
from dashboard.url_state import read_state
from indicators.actor_activity import most_active
from indicators.export import WRITERS, snapshot_tables
from indicators.lexicon import load_actors, load_compiled, load_labels
from indicators.selection import FilterError, Filters, Vocabulary, default_vocabulary
from indicators.snapshot import build_snapshot, snapshot_to_dict
from indicators.store import queries, summary, write
from indicators.store.engine import make_engine
from indicators.store.migrations import LATEST_VERSION, current_version, upgrade
from indicators.store.schema import item_tags, schema_migrations, tag_counts
from tests.factories import T0, make_item
from threatmon.cli import cli

DATA = Path(__file__).resolve().parents[2] / "data"
DAY = T0.date()


def stored(url: str) -> Engine:
    """A fresh store at `url` holding the items below."""
    engine = make_engine(url)
    upgrade(engine)
    (feed,) = write.upsert_feeds(
        engine, [write.FeedFields(url="https://news.example.kz/rss", name="News")]
    )
    with engine.begin() as conn:
        write.insert_items(
            conn,
            feed,
            [
                make_item(
                    "ИГИЛ вербовал в Алматы",
                    categories=("terrorist_activity",),
                    regions=("KZ-75",),
                    platforms=("telegram",),
                    actors=("isis",),
                ),
                make_item(
                    "ИГИЛ-Хорасан и талибы: теракт",
                    categories=("terrorist_activity",),
                    actors=("isis_k", "taliban"),
                    published_at=T0 + timedelta(days=1),
                ),
                make_item(
                    "Killnet атаковал банки",
                    lang="en",
                    categories=("cyber_threats",),
                    regions=("KZ-75",),
                    actors=("killnet",),
                    published_at=T0 + timedelta(days=1),
                ),
                make_item("Погода в Астане", regions=("KZ-71",)),
            ],
            lexicon_version="v1",
        )
    return engine


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """The items in a store on SQLite and on PostgreSQL (store, summary and query tests)."""
    engine = stored(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Engine]:
    """The items on SQLite only, for the layers above the store (HTTP, command line),
    which open engines of their own and are backend-independent."""
    engine = stored(f"sqlite:///{tmp_path / 'actors.db'}")
    yield engine
    engine.dispose()


def test_actor_tags_are_stored_with_their_evidence_and_counted_exactly(engine: Engine) -> None:
    with engine.connect() as conn:
        rows = conn.execute(
            select(item_tags.c.value, item_tags.c.terms).where(item_tags.c.axis == "actor")
        ).all()
        assert summary.stored(conn) == summary.recount(conn)
    assert sorted(v for v, _ in rows) == ["isis", "isis_k", "killnet", "taliban"]
    assert {v: json.loads(t)[0]["term"] for v, t in rows}["killnet"] == "killnet"
    assert dict(queries.counts_by(engine, Filters(), "actor")) == {
        "isis": 1,
        "isis_k": 1,
        "taliban": 1,
        "killnet": 1,
    }


@pytest.mark.parametrize("q", ["", "а"])  # the summary path, then the items path
def test_an_actor_filter_selects_its_items_and_combines_with_other_axes(
    engine: Engine, q: str
) -> None:
    only_isis_k = Filters(actors=("isis_k",), q=q)
    assert queries.totals(engine, only_isis_k).items == 1
    either = Filters(actors=("isis", "killnet"), q=q)
    assert queries.totals(engine, either).items == 2
    assert dict(queries.counts_by(engine, either, "region")) == {"KZ-75": 2}
    assert dict(queries.counts_by(engine, Filters(regions=("KZ-75",), q=q), "actor")) == {
        "isis": 1,
        "killnet": 1,
    }
    assert queries.cross_counts(engine, Filters(q=q), "actor", "category") == [
        ("isis", "terrorist_activity", 1),
        ("isis_k", "terrorist_activity", 1),
        ("killnet", "cyber_threats", 1),
        ("taliban", "terrorist_activity", 1),
    ]
    points = queries.series(engine, Filters(q=q), "actor", "day", "stories")
    assert {(p.id, p.date) for p in points} == {
        ("isis", DAY),
        ("isis_k", DAY + timedelta(days=1)),
        ("taliban", DAY + timedelta(days=1)),
        ("killnet", DAY + timedelta(days=1)),
    }
    page = queries.items_page(engine, either)
    assert {row.title for row in page.rows} == {"ИГИЛ вербовал в Алматы", "Killnet атаковал банки"}
    isis_row = next(r for r in page.rows if r.title.startswith("ИГИЛ"))
    assert [(ev.value, ev.terms[0]["term"]) for ev in isis_row.tags["actor"]] == [("isis", "игил")]


def test_the_url_parameter_reads_back_and_refuses_a_malformed_id() -> None:
    f = Filters.from_params({"actor": ["isis,ISIS_K"], "category": ["terrorist_activity"]})
    assert f.actors == ("isis", "isis_k")
    params: dict[str, list[str]] = {}
    for name, value in f.to_params():
        params.setdefault(name, []).append(value)
    assert Filters.from_params(params) == f
    assert ("actor", "isis_k") in f.to_params()
    assert f.to_dict()["actor"] == ["isis", "isis_k"]
    assert f.has_tag_filter
    with pytest.raises(FilterError, match="unknown actor"):
        Filters.from_params({"actor": ["is-is"]})


def test_snapshot_exports_list_every_known_organization_and_the_items_actors(
    engine: Engine,
) -> None:
    labels = load_labels(DATA)
    snap = build_snapshot(
        engine,
        Filters(date_from=DAY, date_to=DAY + timedelta(days=1)),
        taxonomy=labels,
        lexicon_version="v1",
    )
    data = snapshot_to_dict(snap)
    actor_rows = {i["id"]: i for i in data["indicators"] if i["axis"] == "actor"}
    assert set(labels.actors) <= set(actor_rows)  # quiet organizations are listed with 0
    assert actor_rows["isis"]["count"] == 1
    assert actor_rows["isis"]["label"] == "Islamic State"
    assert actor_rows["al_qaeda"]["count"] == 0
    assert {(p["id"], p["count"]) for p in data["series"] if p["axis"] == "actor"} == {
        ("isis", 1),
        ("isis_k", 1),
        ("taliban", 1),
        ("killnet", 1),
    }
    by_title = {i["title"]: i for i in data["items"]}
    assert [t["id"] for t in by_title["ИГИЛ-Хорасан и талибы: теракт"]["tags"]["actor"]] == [
        "isis_k",
        "taliban",
    ]
    header, rows = snapshot_tables(snap)["items"]
    assert "actors" in header
    cells = {row[header.index("title")]: row[header.index("actors")] for row in rows}
    assert cells["ИГИЛ-Хорасан и талибы: теракт"] == "isis_k;taliban"
    assert cells["Погода в Астане"] is None
    text = WRITERS["csv"].write(snap).decode("utf-8-sig")
    csv_rows = [r for r in csv.DictReader(io.StringIO(text)) if r["table"] == "items"]
    assert {r["title"]: r["actors"] for r in csv_rows}["Killnet атаковал банки"] == "killnet"
    book = load_workbook(io.BytesIO(WRITERS["xlsx"].write(snap)), read_only=True)
    sheet = list(book["items"].iter_rows(values_only=True))
    assert "actors" in sheet[0]


def app_vocabulary(app: Any) -> Vocabulary:
    """The vocabulary the app's filters are read with: the taxonomy and data/actors.yaml."""
    actors = frozenset(load_actors(DATA))
    assert actors  # the shipped file names organizations
    return replace(default_vocabulary(), actors=actors)


def test_the_snapshot_api_filters_by_actor(sqlite_store: Engine) -> None:
    url = str(sqlite_store.url)
    app = create_app(url, DATA, lexicon_version="v1")
    client = app.server.test_client()
    response = client.get("/api/snapshot?actor=taliban&format=json")
    assert response.status_code == 200
    snap = json.loads(response.data)
    assert snap["filters"]["actor"] == ["taliban"]
    assert [i["title"] for i in snap["items"]] == ["ИГИЛ-Хорасан и талибы: теракт"]
    for wrong in ("Not%20An%20Id", "isiss"):  # malformed, and well formed but not in the file
        refused = client.get(f"/api/snapshot?actor={wrong}")
        assert refused.status_code == 400
        assert "unknown actor" in refused.get_json()["error"]
    # the page URL is read against the same organizations
    assert read_state("?actor=isiss", app_vocabulary(app)).error == "unknown actor 'isiss'"
    assert read_state("?actor=taliban", app_vocabulary(app)).filters.actors == ("taliban",)


def test_a_version_four_database_is_recounted_for_the_new_axis(engine: Engine) -> None:
    # as an older threatmon left it: stamped 4, its summary in the old projection layout
    with engine.begin() as conn:
        conn.execute(delete(schema_migrations).where(schema_migrations.c.version > 4))
        conn.execute(delete(tag_counts))
    assert current_version(engine) == 4
    assert upgrade(engine) == (4, LATEST_VERSION)
    assert summary.verify(engine)
    assert dict(queries.counts_by(engine, Filters(), "actor"))["isis"] == 1


def test_retag_fills_the_actor_axis_for_stored_items(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'retag.db'}"
    engine = make_engine(db)
    upgrade(engine)
    (feed,) = write.upsert_feeds(
        engine, [write.FeedFields(url="https://news.example.kz/rss", name="News")]
    )
    with engine.begin() as conn:  # stored before the organizations existed: no actor tags
        write.insert_items(
            conn,
            feed,
            [
                make_item(
                    "Суд осудил вербовщика ИГИЛ за терроризм", categories=("terrorist_activity",)
                )
            ],
            lexicon_version="old",
        )
    env = {"THREATMON_DB": db, "THREATMON_LOG_LEVEL": "WARNING"}
    result = CliRunner().invoke(cli, ["retag"], env=env, catch_exceptions=False)
    assert result.exit_code == 0 and "retagged 1 items" in result.output
    assert dict(queries.counts_by(engine, Filters(), "actor")) == {"isis": 1}
    assert summary.verify(engine)
    assert queries.totals(engine, Filters(actors=("isis",))).items == 1
    engine.dispose()


def test_tag_command_prints_actors_with_their_spans() -> None:
    line = json.dumps({"id": 7, "title": "Боевики ИГИЛ совершили теракт", "lang": "ru"})
    result = CliRunner().invoke(cli, ["tag"], input=line + "\n", catch_exceptions=False)
    out = json.loads(result.output)
    assert out["actors"] == ["isis"]
    text = "Боевики ИГИЛ совершили теракт"
    start = text.index("ИГИЛ")
    assert {"axis": "actor", "id": "isis", "term": "ИГИЛ", "start": start, "end": start + 4} in out[
        "matches"
    ]


def test_the_export_command_takes_an_actor(sqlite_store: Engine, tmp_path: Path) -> None:
    env = {"THREATMON_DB": str(sqlite_store.url), "THREATMON_LOG_LEVEL": "WARNING"}
    out = tmp_path / "snap.json"
    result = CliRunner().invoke(
        cli,
        ["export", "--format", "json", "--actor", "killnet", "-o", str(out)],
        env=env,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    snap = json.loads(out.read_text(encoding="utf-8"))
    assert [i["title"] for i in snap["items"]] == ["Killnet атаковал банки"]
    assert snap["lexicon_version"] == load_compiled(DATA).version


def test_the_most_active_organizations_come_with_what_they_appear_with(engine: Engine) -> None:
    with engine.begin() as conn:  # a second Islamic State story makes it the most active
        (feed,) = [int(r[0]) for r in conn.exec_driver_sql("SELECT id FROM feeds")]
        write.insert_items(
            conn,
            feed,
            [
                make_item(
                    "ИГИЛ: задержан вербовщик",
                    categories=("extremist_ideology",),
                    regions=("KZ-79",),
                    actors=("isis",),
                    published_at=T0 + timedelta(days=2),
                )
            ],
            lexicon_version="v1",
        )
    ranked = most_active(engine, Filters(), limit=3, newest=1)
    assert [(a.id, a.stories, a.items) for a in ranked] == [
        ("isis", 2, 2),
        ("isis_k", 1, 1),  # ties on stories and items go by id
        ("killnet", 1, 1),
    ]
    isis = ranked[0]
    assert isis.per_day == ((DAY, 1), (DAY + timedelta(days=2), 1))
    assert isis.together == {
        "region": (("KZ-75", 1), ("KZ-79", 1)),
        "platform": (("telegram", 1),),
        "category": (("extremist_ideology", 1), ("terrorist_activity", 1)),
    }
    assert [row.title for row in isis.newest] == ["ИГИЛ: задержан вербовщик"]
    chosen = most_active(engine, Filters(actors=("taliban",)))
    assert [a.id for a in chosen] == ["taliban"]
    assert most_active(engine, Filters(regions=("KZ-71",))) == []
    with pytest.raises(ValueError, match="must not be negative"):
        most_active(engine, Filters(), limit=-1)


def test_lexicon_check_names_file_line_and_reason_of_a_bad_actors_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("samples"))
    actors = data / "actors.yaml"
    text = actors.read_text(encoding="utf-8")
    first_date = re.search(r"date: (\d{4})-(\d{2})-(\d{2})", text)
    assert first_date is not None
    killnet_kind = re.compile(r"(\n  killnet:\n(?:    .*\n)*?    kind: )cyber")
    assert killnet_kind.search(text) is not None
    actors.write_text(
        killnet_kind.sub(r"\1hackers", text).replace(first_date[0], "date: 14.05.2019", 1),
        encoding="utf-8",
    )
    lines = actors.read_text(encoding="utf-8").splitlines()
    kind_line = next(n for n, line in enumerate(lines, 1) if "kind: hackers" in line)
    date_line = next(n for n, line in enumerate(lines, 1) if "date: 14.05.2019" in line)
    env = {"THREATMON_DATA_DIR": str(data), "THREATMON_LOG_LEVEL": "WARNING"}
    result = CliRunner().invoke(cli, ["lexicon", "check"], env=env)
    assert result.exit_code == 1
    # the organization's line for its kind; the designation's own line for its date
    killnet_line = next(n for n, line in enumerate(lines, 1) if line.strip() == "killnet:")
    assert f"error: actors.yaml:{killnet_line}: killnet: kind 'hackers'" in result.output
    assert f"error: actors.yaml:{date_line}: designation: date '14.05.2019'" in result.output
    assert kind_line > killnet_line
    assert "2 error(s) in the data files" in result.output
