"""The `threatmon` command line: thin wrappers that build settings and call the packages.

Each command lives in a module of its own kind (`ingest_cli`, `tagging_cli`,
`dashboard_cli`...), imported only when one of its commands runs: `threatmon
tag` in a shell pipeline then starts without the database, fetching, web and
numeric stacks (~0.4 s less per process), and `--help` still lists everything.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

import click

from threatmon.settings import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger("threatmon")

# command (or group) name -> the module whose `register` attaches it
LAZY_COMMANDS: dict[str, str] = {
    "init": "threatmon.ingest_cli",
    "ingest": "threatmon.ingest_cli",
    "feeds": "threatmon.ingest_cli",
    "tag": "threatmon.tagging_cli",
    "retag": "threatmon.tagging_cli",
    "lexicon": "threatmon.tagging_cli",
    "serve": "threatmon.dashboard_cli",
    "run": "threatmon.dashboard_cli",
    "export": "threatmon.dashboard_cli",
    "alerts": "threatmon.alerts_cli",
    "notify": "threatmon.notify_cli",
    "terms": "threatmon.terms_cli",
    "users": "threatmon.users_cli",
    "demo": "threatmon.demo",
}

# Commands that parse feeds: the parser server is started before their modules
# are imported (`ingest.bounded.warm_up`).
FETCHING_COMMANDS = frozenset({"ingest", "run"})


def _settings(ctx: click.Context, **overrides: Any) -> Settings:
    base: Settings = ctx.obj["settings"]
    return base.with_overrides(**overrides)


def _engine(settings: Settings, *, migrate: bool = False) -> Engine:
    from sqlalchemy.exc import SQLAlchemyError

    from indicators.store.engine import StoreError, shown_url
    from threatmon.wiring import open_store

    try:
        return open_store(settings, migrate=migrate)
    except (StoreError, SQLAlchemyError) as exc:
        raise click.ClickException(f"database {shown_url(settings.db)}: {exc}") from exc


db_option = click.option(
    "--db",
    "db",
    metavar="URL",
    default=None,
    help="Database URL (default: $THREATMON_DB or sqlite:///var/threatmon.db).",
)


class LazyGroup(click.Group):
    """A group whose commands' modules are imported when a command is looked up."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy
        self._registered: set[str] = set()

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = self.lazy.get(cmd_name)
        if cmd_name not in self.commands and module is not None:
            if cmd_name in FETCHING_COMMANDS and not ctx.resilient_parsing:
                from ingest.bounded import warm_up

                warm_up()  # the parser server's imports overlap the command's
            self.load(module)
        return super().get_command(ctx, cmd_name)

    def load(self, module_name: str) -> None:
        """Import one command module and let it attach its commands (once)."""
        if module_name in self._registered:
            return
        importlib.import_module(module_name).register(self, db_option, _settings, _engine)
        self._registered.add(module_name)  # only once it worked: a failed import raises again


@click.group(
    cls=LazyGroup,
    lazy=LAZY_COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    default=None,
    help="TOML settings file (default: $THREATMON_CONFIG or ./threatmon.toml).",
)
@click.version_option(package_name="threatmon")
@click.pass_context
def cli(ctx: click.Context, config: str | None) -> None:
    """threatmon: watch public news for terrorism, extremism and cyber threats
    in Kazakhstan and Central Asia."""
    try:
        settings = load_settings(config_file=config)
    except (OSError, ValueError, KeyError) as exc:
        raise click.ClickException(f"settings: {exc}") from exc
    level = getattr(logging, settings.log_level.upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request's full URL at INFO; alert webhook URLs often carry a
    # credential in their path, so only its warnings are shown (ours log redacted URLs).
    logging.getLogger("httpx").setLevel(max(level, logging.WARNING))
    ctx.obj = {"settings": settings}


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="threatmon")


if __name__ == "__main__":
    main()
