"""`threatmon lexicon check` also validates the response playbooks of the data folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from threatmon.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def check(data_dir: Path) -> tuple[int, str]:
    env = {"THREATMON_DATA_DIR": str(data_dir), "THREATMON_LOG_LEVEL": "WARNING"}
    result = CliRunner().invoke(cli, ["lexicon", "check"], env=env)
    return result.exit_code, result.output


def test_a_malformed_or_missing_playbook_fails_the_check(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("samples"))
    broken = ROOT / "tests" / "fixtures" / "playbooks" / "malformed" / "keys_differ.md"
    shutil.copy(broken, data / "playbooks" / "cyber_threats.md")
    (data / "playbooks" / "general.md").unlink()

    code, output = check(data)

    assert code == 1
    assert f"error: {data / 'playbooks' / 'cyber_threats.md'}:10: kk: checklist keys differ" in (
        output
    )
    assert "no playbook 'general' (general.md): alerts link it" in output
    assert "2 error(s) in the data files" in output
