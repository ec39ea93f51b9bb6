"""`threatmon alerts ...` in-process against a real SQLite store filled through the write path."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from tests.alert_history import AT, burst, fill, quiet_history
from threatmon.cli import cli


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path}/alerts.db"
    engine = make_engine(url)
    upgrade(engine)
    fill(engine, quiet_history() + burst())
    engine.dispose()
    return {
        "THREATMON_DB": url,
        "THREATMON_LOG_LEVEL": "WARNING",
        "THREATMON_ALERT_MIN_SCORE": "4",  # settings reach detection through wiring
    }


def invoke(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def listed(env: dict[str, str], *args: str) -> list[dict]:
    result = invoke(env, "alerts", "list", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_check_prints_what_opened_with_its_numbers(env: dict[str, str]) -> None:
    result = invoke(env, "alerts", "check", "--at", "2026-11-25T12:00")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("detection at 2026-11-25 12:00 UTC (window 24 h):")
    assert "4 opened, 0 grew, 0 ended" in lines[0]
    opened = [line for line in lines if line.startswith("opened")]
    assert [" ".join(line.split()) for line in opened] == [
        "opened #1 First seen: TikTok observed 1 vs expected 0.0 score 1.5",
        "opened #2 Rise: Cyber threats observed 8 vs expected 0.9 score 4.5",
        "opened #3 Rise: Cyber threats · Almaty observed 8 vs expected 0.9 score 4.5",
        "opened #4 Rise: Almaty observed 8 vs expected 0.9 score 4.5",
    ]
    again = invoke(env, "alerts", "check", "--at", "2026-11-25T12:00+00:00")
    assert "0 opened, 0 grew, 0 ended" in again.output


def test_the_threshold_settings_change_what_opens(env: dict[str, str]) -> None:
    strict = env | {"THREATMON_ALERT_MIN_SCORE": "50", "THREATMON_ALERT_EXIT_SCORE": "1"}
    result = invoke(strict, "alerts", "check", "--at", AT.isoformat())
    assert "1 opened" in result.output  # only first seen: rises are held to score 50
    bad = env | {"THREATMON_ALERT_MIN_STORIES": "1"}
    refused = invoke(bad, "alerts", "check", "--at", AT.isoformat())
    assert refused.exit_code == 1
    assert "never alert on one story" in refused.output


def test_list_ack_resolve_dismiss_and_reopen(env: dict[str, str]) -> None:
    invoke(env, "alerts", "check", "--at", AT.isoformat())
    alerts = listed(env)
    assert [a["state"] for a in alerts] == ["new"] * 4
    first = next(a for a in alerts if a["key"] == "rise:category=cyber_threats|region=KZ-75")
    assert (first["observed"], first["series"], first["playbook"]) == (
        8,
        {"category": ["cyber_threats"], "region": ["KZ-75"]},
        "cyber_threats",
    )
    alert_id = str(first["id"])
    acked = invoke(env, "alerts", "ack", alert_id, "--note", "проверяю")
    assert acked.output.strip().startswith(f"alert {alert_id} is acknowledged")
    twice = invoke(env, "alerts", "ack", alert_id)
    assert twice.exit_code == 1
    assert "cannot acknowledge an alert that is acknowledged" in twice.output
    assert [a["id"] for a in listed(env, "--state", "acknowledged")] == [first["id"]]
    assert invoke(env, "alerts", "resolve", alert_id).exit_code == 0
    assert invoke(env, "alerts", "reopen", alert_id, "--note", "снова").exit_code == 0
    assert invoke(env, "alerts", "dismiss", alert_id).exit_code == 0
    (shown,) = [a for a in listed(env) if a["id"] == first["id"]]
    assert (shown["state"], shown["note"]) == ("dismissed", "снова")
    table = invoke(env, "alerts", "list", "--state", "dismissed").output.splitlines()
    assert table[0].split()[:3] == ["id", "state", "wave"]
    assert len(table) == 2 and "dismissed" in table[1] and "Almaty" in table[1]
    history = invoke(env, "alerts", "show", alert_id).output
    for event in ("opened", "acknowledged", "resolved", "reopened", "dismissed"):
        assert f" {event}" in history
    missing = invoke(env, "alerts", "ack", "999")
    assert (missing.exit_code, "no alert with id 999" in missing.output) == (1, True)


def test_rules_add_list_remove_and_refuse_unknown_ids(env: dict[str, str]) -> None:
    added = invoke(
        env,
        "alerts", "rules", "add", "Кибер в Алматы",
        "--category", "cyber_threats", "--region", "kz-75", "--min-stories", "5",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "category=cyber_threats & region=KZ-75" in added.output
    with_playbook = invoke(
        env,
        "alerts",
        "rules",
        "add",
        "TikTok",
        "--platform",
        "tiktok",
        "--playbook",
        "online_platforms",
    )
    assert with_playbook.exit_code == 0, with_playbook.output
    for flag, value, message in (
        ("--category", "terror", "unknown category 'terror'"),
        ("--region", "KZ-99", "unknown region 'KZ-99'"),
        ("--platform", "myspace", "unknown platform 'myspace'"),
        ("--playbook", "no_such_playbook", "unknown playbook 'no_such_playbook'"),
    ):
        refused = invoke(env, "alerts", "rules", "add", "bad", flag, value)
        assert refused.exit_code == 2
        assert message in refused.output
    rules = invoke(env, "alerts", "rules", "list").output.splitlines()
    assert len(rules) == 3 and "Кибер в Алматы" in rules[1] and "  5 " in rules[1]
    assert "online_platforms" in rules[2]
    checked = invoke(env, "alerts", "check", "--at", AT.isoformat())
    assert "Rule: Кибер в Алматы" in checked.output
    rule_id = rules[1].split()[0]
    assert invoke(env, "alerts", "rules", "remove", rule_id).exit_code == 0
    gone = invoke(env, "alerts", "rules", "remove", rule_id)
    assert gone.exit_code == 2 and f"no watch rule with id {rule_id}" in gone.output


def test_a_malformed_moment_is_a_usage_error(env: dict[str, str]) -> None:
    result = invoke(env, "alerts", "check", "--at", "yesterday")
    assert result.exit_code == 2
    assert "not an ISO date-time: 'yesterday'" in result.output


def test_every_alerts_command_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    group = cli.get_command(click.Context(cli), "alerts")
    assert isinstance(group, click.Group)
    names = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            names += [f"{name} {sub}" for sub in command.commands]
        else:
            names.append(name)
    assert len(names) >= 10
    rows = [line for line in readme.splitlines() if line.startswith("| `threatmon alerts ")]
    missing = [n for n in names if not any(re.search(rf"\b{n}\b", row) for row in rows)]
    assert not missing, f"README does not document: {missing}"


def test_a_watch_rule_can_follow_an_organization_the_data_folder_knows(
    env: dict[str, str],
) -> None:
    added = invoke(env, "alerts", "rules", "add", "ISIS-K", "--actor", "isis_k")
    assert added.exit_code == 0, added.output
    assert "actor=isis_k" in added.output
    for wrong in ("isiss", "Not-An-Id"):
        refused = invoke(env, "alerts", "rules", "add", "typo", "--actor", wrong)
        assert refused.exit_code == 2
        assert f"unknown actor {wrong.lower()!r}" in refused.output
    listed = invoke(env, "alerts", "rules", "list").output
    assert "ISIS-K" in listed and "typo" not in listed
