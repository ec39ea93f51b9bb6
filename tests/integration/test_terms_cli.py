"""`threatmon terms emerging` in-process against a real SQLite store filled through the writer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from tests.terms_store import FIRST, LAST, fill
from threatmon.cli import cli


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path}/terms.db"
    engine = make_engine(url)
    upgrade(engine)
    fill(engine)
    engine.dispose()
    return {
        "THREATMON_DB": url,
        "THREATMON_LOG_LEVEL": "WARNING",
        "THREATMON_LEXICON_OVERLAY": str(tmp_path / "lexicon.local.yaml"),
    }


def invoke(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_json_lists_each_term_with_counts_g2_trend_and_examples(env):
    result = invoke(env, "terms", "emerging", "--from", str(FIRST), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["items_per_period"] == [7, 7, 6, 8]
    assert report["periods"][-1] == ["2026-11-22", "2026-11-28"]
    top = report["terms"][0]
    assert (top["term"], top["count_now"], top["count_before"]) == ("квадрокоптер", 6, 0)
    assert top["g2"] == pytest.approx(20.099, abs=1e-3)
    assert top["trend"] == [0, 0, 0, 6]
    assert top["examples"][0]["title"] == "Полиция сообщила о случае 5"


def test_the_period_defaults_to_the_window_ending_on_the_newest_item(env):
    env = env | {"THREATMON_TERMS_WINDOW_DAYS": "14"}
    report = json.loads(invoke(env, "terms", "emerging", "--format", "json").output)
    assert (report["filters"]["from"], report["filters"]["to"]) == ("2026-11-15", str(LAST))
    assert report["items_per_period"] == [6, 8]


def test_the_table_shows_term_counts_g2_and_the_newest_example(env):
    result = invoke(env, "terms", "emerging", "--from", str(FIRST), "--limit", "1")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "8 relevant items" in lines[0] and "at least 5 recent items" in lines[0]
    assert lines[2].split()[:4] == ["квадрокоптер", "6", "0", "20.1"]
    assert lines[3].startswith("    #") and lines[3].endswith("Полиция сообщила о случае 5")


def test_language_and_minimum_count_settings_narrow_the_list(env):
    english = json.loads(
        invoke(
            env, "terms", "emerging", "--from", str(FIRST), "--lang", "en", "--format", "json"
        ).output
    )
    assert english["items_per_period"] == [0, 0, 0, 0] and english["terms"] == []
    strict = env | {"THREATMON_TERMS_MIN_COUNT": "7"}
    report = json.loads(
        invoke(strict, "terms", "emerging", "--from", str(FIRST), "--format", "json").output
    )
    assert "квадрокоптер" not in {t["term"] for t in report["terms"]}


def test_a_bad_period_is_a_usage_error(env):
    result = invoke(env, "terms", "emerging", "--from", "2026-11-25", "--to", str(LAST))
    assert result.exit_code == 2
    assert "longer than 7 days" in result.output
