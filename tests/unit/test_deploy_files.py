"""compose.yaml and deploy/Containerfile describe a team installation that can run.

No container runtime is needed: the files are read as data and every
`threatmon` command line in them is resolved against the real command line
interface, options included, and every THREATMON_* variable against the
declared settings, so a renamed command, option or setting breaks this test
instead of a team's first start.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import click
import pytest
import yaml

from threatmon.cli import cli
from threatmon.settings import SPECS

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"
CONTAINERFILE = ROOT / "deploy" / "Containerfile"
ENV_VAR = re.compile(r"\bTHREATMON_[A-Z_]+\b")


def resolve(args: list[str]) -> click.Command:
    """The command `threatmon ARGS` runs; fails when a word or an option is unknown."""
    command: click.Command = cli
    ctx = click.Context(cli)
    rest = list(args)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        sub = command.get_command(ctx, rest[0])
        assert sub is not None, f"no command {rest[0]!r} in {args}"
        command, rest = sub, rest[1:]
    known = {opt for param in command.params for opt in getattr(param, "opts", [])}
    for word in rest:
        if word.startswith("--"):
            assert word.split("=")[0] in known, f"{args}: {command.name} has no option {word}"
    return command


def option_value(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def threatmon_services(compose) -> dict[str, dict]:
    return {
        name: service
        for name, service in compose["services"].items()
        if service.get("build", {}).get("dockerfile") == "deploy/Containerfile"
    }


def test_the_checker_refuses_unknown_commands_and_options():
    assert resolve(["ingest", "--worker-id", "w1"]).name == "ingest"
    with pytest.raises(AssertionError, match="no command"):
        resolve(["fetch"])
    with pytest.raises(AssertionError, match="no option"):
        resolve(["serve", "--threads", "4"])


def test_compose_runs_postgres_two_ingest_workers_and_the_dashboard(threatmon_services, compose):
    assert compose["services"]["postgres"]["image"].startswith("postgres:")
    commands = {name: s["command"] for name, s in threatmon_services.items()}
    workers = [c for c in commands.values() if c[0] == "ingest"]
    assert len(workers) >= 2
    ids = [option_value(c, "--worker-id") for c in workers]
    assert None not in ids and len(set(ids)) == len(ids)  # leases are per worker id
    [serve] = [c for c in commands.values() if c[0] == "serve"]
    assert int(option_value(serve, "--workers") or 1) > 1
    assert option_value(serve, "--host") == "0.0.0.0"  # reachable, so sign-in applies


def test_every_command_line_in_compose_exists(threatmon_services):
    for service in threatmon_services.values():
        resolve(service["command"])


def test_the_schema_is_made_before_any_worker_or_dashboard_starts(threatmon_services):
    assert threatmon_services["init"]["command"] == ["init"]
    for name, service in threatmon_services.items():
        if name != "init":
            assert service["depends_on"]["init"]["condition"] == "service_completed_successfully"
    assert threatmon_services["init"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_every_process_uses_postgresql_and_shares_var(threatmon_services):
    for service in threatmon_services.values():
        assert service["environment"]["THREATMON_DB"].startswith("postgresql+psycopg://")
        assert "threatmon-var:/home/threatmon/var" in service["volumes"]


def test_every_threatmon_variable_is_a_declared_setting():
    declared = {spec.env for spec in SPECS}
    used = set(ENV_VAR.findall(COMPOSE.read_text(encoding="utf-8")))
    used |= set(ENV_VAR.findall(CONTAINERFILE.read_text(encoding="utf-8")))
    assert used and used <= declared, used - declared


def test_the_image_installs_the_wheel_with_the_postgres_driver_and_serves():
    text = CONTAINERFILE.read_text(encoding="utf-8")
    assert '"threatmon[postgres]"' in text and "--no-index" in text  # the built wheel
    assert re.search(r"^USER threatmon$", text, re.MULTILINE)  # not root
    entry = re.search(r"^ENTRYPOINT (\[.*\])$", text, re.MULTILINE)
    cmd = re.search(r"^CMD (\[.*\])$", text, re.MULTILINE)
    assert entry and cmd and yaml.safe_load(entry.group(1)) == ["threatmon"]
    assert resolve(yaml.safe_load(cmd.group(1))).name == "serve"
    assert "/healthz" in text


def test_the_image_copies_every_package_the_wheel_is_built_from():
    text = CONTAINERFILE.read_text(encoding="utf-8")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = project["tool"]["setuptools"]["packages"]["find"]["include"]
    copied = set(re.findall(r"^COPY (\w+) \./\1$", text, re.MULTILINE))
    assert {p.rstrip("*") for p in packages} | {"data"} <= copied


def test_the_shell_lines_of_the_compose_header_name_real_commands():
    lines = COMPOSE.read_text(encoding="utf-8").splitlines()
    found = [re.search(r"docker compose run --rm init (.+?)(\s+#.*)?$", line) for line in lines]
    commands = [shlex.split(m.group(1)) for m in found if m]
    assert commands  # the first-start steps name at least the user to add
    for args in commands:
        resolve(args)
