"""The one place where threatmon's configuration is declared and resolved.

Every setting is declared once, as data (name, default, type, env var, help).
`load_settings()` builds an immutable `Settings` at the edge of the program
from, in order of precedence: command-line overrides > environment >
TOML file > defaults. Everything below the command line receives the
`Settings` object (or the few values it needs) explicitly; no module reads the
environment on its own.
"""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from indicators.detection import DetectionConfig

REPO_ROOT = Path(__file__).resolve().parent.parent
# Where a wheel installs data/ (pyproject.toml, [tool.setuptools.data-files]).
INSTALLED_DATA_DIR = Path(sys.prefix) / "share" / "threatmon" / "data"


def default_data_dir(repo_root: Path = REPO_ROOT, installed: Path = INSTALLED_DATA_DIR) -> Path:
    """data/ of the checkout when threatmon runs from one (editable install, tests, `make`),
    else the copy a wheel installed under <prefix>/share/threatmon/data.

    The checkout wins so that editing data/ takes effect at once; it is
    recognised by its taxonomy.toml, not by the current directory, so the
    commands work from anywhere.
    """
    checkout = repo_root / "data"
    return checkout if (checkout / "taxonomy.toml").is_file() else installed


DEFAULT_DATA_DIR = default_data_dir()
# The detection thresholds' defaults live with the statistic they tune.
_DETECTION = DetectionConfig()
USER_AGENT = "threatmon/0.1 (+https://github.com/threatmon/threatmon; news monitoring bot)"


NOTIFY_LANGUAGES = ("en", "ru", "kk")


def _notify_language(value: str) -> str:
    lang = str(value).strip().lower()
    if lang not in NOTIFY_LANGUAGES:
        raise ValueError(f"not a language of the notifications: {value!r} (use en, ru or kk)")
    return lang


def _at_least_one(value: str | int) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(f"must be 1 or more, not {number}")
    return number


def _not_negative(value: str | int) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(f"must be 0 or more, not {number}")
    return number


def _bool(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r} (use 1/0, true/false, yes/no)")


@dataclass(frozen=True)
class SettingSpec:
    """Declaration of one setting: where it comes from and what it means."""

    name: str
    default: Any
    help: str
    parse: Callable[[Any], Any]

    @property
    def env(self) -> str:
        return "THREATMON_" + self.name.upper()


SPECS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "db",
        "sqlite:///var/threatmon.db",
        "Database URL (SQLAlchemy form). SQLite path is relative to the current directory.",
        str,
    ),
    # Team deployments on PostgreSQL (README "Scaling out"); SQLite uses db_pool_size only.
    SettingSpec(
        "db_pool_size",
        5,
        "Connections each process keeps open (SQLite: idle ones kept for reuse).",
        int,
    ),
    SettingSpec(
        "db_max_overflow",
        10,
        "Connections a process may open beyond db_pool_size in a burst (closed after).",
        int,
    ),
    SettingSpec(
        "db_statement_timeout",
        120.0,
        "Seconds a PostgreSQL statement may run before the server cancels it (0: no limit; "
        "`threatmon init` is never limited).",
        float,
    ),
    SettingSpec(
        "dashboard_db",
        "",
        "Database URL the dashboard reads through, e.g. a read-only PostgreSQL role "
        "(empty: the db setting).",
        str,
    ),
    SettingSpec(
        "data_dir",
        str(DEFAULT_DATA_DIR),
        "Folder with feeds.toml, taxonomy, lexicons and gazetteer.",
        str,
    ),
    SettingSpec(
        "feeds_file",
        "",
        "Feed list loaded by `threatmon init` (default: DATA_DIR/feeds.toml).",
        str,
    ),
    SettingSpec(
        "lexicon_overlay",
        "var/lexicon.local.yaml",
        "Local lexicon overlay (a term file, git-ignored) loaded on top of DATA_DIR/lexicon; "
        "`threatmon terms propose` appends to it.",
        str,
    ),
    SettingSpec(
        "lexicon_cache_dir",
        "",
        "Folder where compiled lexicons are kept between processes, keyed by the bytes of the "
        "lexicon files and the code (empty: $XDG_CACHE_HOME/threatmon or ~/.cache/threatmon; "
        "`off`: compile in every process).",
        str,
    ),
    SettingSpec(
        "tag_workers",
        1,
        "Helper processes that tag items while `threatmon retag` writes (0: tag in the "
        "command's own process; used from 10,000 stale items on).",
        _not_negative,
    ),
    # Emerging terms (indicators/emerging.py explains the statistic).
    SettingSpec(
        "terms_recent_days",
        7,
        "Days of the recent period emerging terms compare with the days before it.",
        int,
    ),
    SettingSpec(
        "terms_window_days",
        90,
        "Days emerging terms look at when no start date is given (the recent days included).",
        int,
    ),
    SettingSpec(
        "terms_min_count",
        5,
        "Fewest recent relevant items a term must be in to be listed as emerging.",
        int,
    ),
    SettingSpec("interval_minutes", 30, "Default minutes between fetches of one feed.", int),
    SettingSpec("concurrency", 8, "Feeds fetched in parallel.", int),
    SettingSpec(
        "worker_id",
        "",
        "Name of this ingest worker in fetch runs and feed health (empty: host:pid).",
        str,
    ),
    SettingSpec(
        "lease_seconds",
        60.0,
        "Seconds a feed claimed by an ingest worker stays its own without renewal: a worker "
        "that died frees its feeds after this long.",
        float,
    ),
    SettingSpec("connect_timeout", 10.0, "Seconds allowed to open a connection.", float),
    SettingSpec(
        "fetch_deadline",
        30.0,
        "Seconds allowed for a whole response, redirects and body included.",
        float,
    ),
    SettingSpec(
        "max_body_bytes",
        10 * 1024 * 1024,
        "Largest accepted response body, counted after decompression.",
        int,
    ),
    SettingSpec("max_redirects", 5, "Redirects followed before giving up.", int),
    SettingSpec(
        "allow_private_hosts",
        False,
        "Allow fetching from loopback, private and link-local addresses "
        "(tests and the offline demo need it).",
        _bool,
    ),
    SettingSpec("parse_timeout", 20.0, "Seconds one feed may spend in the XML parser.", float),
    SettingSpec("parse_memory_mb", 1024, "Address-space cap (MiB) of the parser process.", int),
    SettingSpec(
        "telegram_pages",
        5,
        "Preview pages (about 20 messages each) read from a Telegram channel on its first "
        "fetch; later fetches read only the newest page.",
        int,
    ),
    SettingSpec(
        "sitemap_depth",
        2,
        "Levels of sitemap index followed below a sitemap source's URL.",
        int,
    ),
    SettingSpec("user_agent", USER_AGENT, "User-Agent sent with every request.", str),
    SettingSpec("host", "127.0.0.1", "Address the dashboard binds to.", str),
    SettingSpec("port", 8050, "Port the dashboard listens on.", int),
    SettingSpec(
        "workers",
        1,
        "Dashboard processes: 1 is the built-in threaded server; more run it under gunicorn "
        "(`serve --workers`).",
        int,
    ),
    SettingSpec(
        "dashboard_query_threads",
        2,
        "How many of a view's independent queries run at once (1: one after another).",
        _at_least_one,
    ),
    SettingSpec(
        "dashboard_read_only",
        False,
        "Serve the dashboard without alert actions: no writable database connection "
        "(`serve --read-only`).",
        _bool,
    ),
    # Sign-in (dashboard/signin.py; README "Sign-in").
    SettingSpec(
        "require_sign_in",
        False,
        "Ask for sign-in on loopback too (on any other address it is always required).",
        _bool,
    ),
    SettingSpec("session_hours", 12, "Hours a dashboard sign-in lasts.", int),
    SettingSpec(
        "session_secret",
        "",
        "Key that signs the session cookies (empty: drawn at start, so a restart signs "
        "everyone out); set the same value on every dashboard host behind one address.",
        str,
    ),
    SettingSpec(
        "session_cookie_secure",
        False,
        "Mark the session cookie Secure even when the request came over plain http "
        "(TLS ends at a proxy in front of the dashboard); over https it always is.",
        _bool,
    ),
    SettingSpec(
        "login_failures_per_user",
        5,
        "Wrong passwords for one user name within login_window_minutes before its sign-in pauses.",
        int,
    ),
    SettingSpec(
        "login_failures_per_client",
        20,
        "Failed sign-ins from one client address within login_window_minutes before it pauses.",
        int,
    ),
    SettingSpec(
        "login_window_minutes",
        15,
        "Minutes over which failed sign-ins are counted (and a paused sign-in waits).",
        int,
    ),
    SettingSpec("log_level", "INFO", "Logging level (DEBUG, INFO, WARNING, ERROR).", str),
    # Early warning (indicators/detection.py explains the statistic).
    SettingSpec(
        "alert_window_hours",
        _DETECTION.window_hours,
        "Hours of news each detection run looks at (ending now).",
        int,
    ),
    SettingSpec(
        "alert_min_stories",
        _DETECTION.min_stories,
        "Fewest stories in the window that can open a rise alert (at least 2).",
        int,
    ),
    SettingSpec(
        "alert_min_ratio",
        _DETECTION.min_ratio,
        "Smallest observed/expected ratio that can open a rise alert.",
        float,
    ),
    SettingSpec(
        "alert_min_score",
        _DETECTION.min_score,
        "Smallest score (-log10 of the tail probability) that opens a rise alert.",
        float,
    ),
    SettingSpec(
        "alert_exit_score",
        _DETECTION.exit_score,
        "An active rise keeps growing while its score stays at or above this; below, it ends.",
        float,
    ),
    SettingSpec(
        "alert_cooldown_hours",
        _DETECTION.cooldown_hours,
        "Hours after a wave ends before the same series can open a new alert.",
        int,
    ),
    # Alert notifications (notify/; README "Alert notifications").
    SettingSpec(
        "alert_webhooks",
        "",
        "Comma-separated URLs that receive each new (and doubling) alert as a signed JSON POST.",
        str,
    ),
    SettingSpec(
        "alert_webhook_secret",
        "",
        "Key of the HMAC-SHA256 signature in X-Threatmon-Signature (empty: unsigned).",
        str,
    ),
    SettingSpec("smtp_host", "", "SMTP server for alert e-mails (empty: no e-mail).", str),
    SettingSpec("smtp_port", 587, "SMTP port (submission with STARTTLS).", int),
    SettingSpec("smtp_user", "", "SMTP login (empty: no login).", str),
    SettingSpec("smtp_password", "", "SMTP password (never logged).", str),
    SettingSpec("smtp_from", "", "Sender address of alert e-mails.", str),
    SettingSpec("smtp_to", "", "Comma-separated recipients of alert e-mails.", str),
    SettingSpec(
        "smtp_starttls",
        True,
        "Upgrade the SMTP connection with STARTTLS (or use smtp_ssl) when smtp_user is set.",
        _bool,
    ),
    SettingSpec(
        "smtp_ssl",
        False,
        "Connect with TLS from the first byte (SMTPS, usually port 465) instead of STARTTLS.",
        _bool,
    ),
    SettingSpec(
        "dashboard_url",
        "http://127.0.0.1:8050",
        "Base URL of the dashboard as analysts reach it, used in notification links.",
        str,
    ),
    SettingSpec(
        "notify_language",
        "en",
        "Language of alert e-mails: en, ru or kk (webhook JSON keys stay English).",
        _notify_language,
    ),
)
# Never shown in a repr (logs, tracebacks): credentials, and URLs that often embed one.
SECRET_SETTINGS: frozenset[str] = frozenset(
    {"alert_webhooks", "alert_webhook_secret", "smtp_password", "session_secret", "dashboard_db"}
)

SPEC_BY_NAME: dict[str, SettingSpec] = {spec.name: spec for spec in SPECS}


@dataclass(frozen=True)
class Settings:
    """Resolved configuration, passed down explicitly."""

    db: str = SPEC_BY_NAME["db"].default
    db_pool_size: int = SPEC_BY_NAME["db_pool_size"].default
    db_max_overflow: int = SPEC_BY_NAME["db_max_overflow"].default
    db_statement_timeout: float = SPEC_BY_NAME["db_statement_timeout"].default
    dashboard_db: str = field(default=SPEC_BY_NAME["dashboard_db"].default, repr=False)
    data_dir: str = SPEC_BY_NAME["data_dir"].default
    feeds_file: str = SPEC_BY_NAME["feeds_file"].default
    lexicon_overlay: str = SPEC_BY_NAME["lexicon_overlay"].default
    lexicon_cache_dir: str = SPEC_BY_NAME["lexicon_cache_dir"].default
    tag_workers: int = SPEC_BY_NAME["tag_workers"].default
    terms_recent_days: int = SPEC_BY_NAME["terms_recent_days"].default
    terms_window_days: int = SPEC_BY_NAME["terms_window_days"].default
    terms_min_count: int = SPEC_BY_NAME["terms_min_count"].default
    interval_minutes: int = SPEC_BY_NAME["interval_minutes"].default
    concurrency: int = SPEC_BY_NAME["concurrency"].default
    worker_id: str = SPEC_BY_NAME["worker_id"].default
    lease_seconds: float = SPEC_BY_NAME["lease_seconds"].default
    connect_timeout: float = SPEC_BY_NAME["connect_timeout"].default
    fetch_deadline: float = SPEC_BY_NAME["fetch_deadline"].default
    max_body_bytes: int = SPEC_BY_NAME["max_body_bytes"].default
    max_redirects: int = SPEC_BY_NAME["max_redirects"].default
    allow_private_hosts: bool = SPEC_BY_NAME["allow_private_hosts"].default
    parse_timeout: float = SPEC_BY_NAME["parse_timeout"].default
    parse_memory_mb: int = SPEC_BY_NAME["parse_memory_mb"].default
    telegram_pages: int = SPEC_BY_NAME["telegram_pages"].default
    sitemap_depth: int = SPEC_BY_NAME["sitemap_depth"].default
    user_agent: str = SPEC_BY_NAME["user_agent"].default
    host: str = SPEC_BY_NAME["host"].default
    port: int = SPEC_BY_NAME["port"].default
    workers: int = SPEC_BY_NAME["workers"].default
    dashboard_query_threads: int = SPEC_BY_NAME["dashboard_query_threads"].default
    dashboard_read_only: bool = SPEC_BY_NAME["dashboard_read_only"].default
    require_sign_in: bool = SPEC_BY_NAME["require_sign_in"].default
    session_hours: int = SPEC_BY_NAME["session_hours"].default
    session_secret: str = field(default=SPEC_BY_NAME["session_secret"].default, repr=False)
    session_cookie_secure: bool = SPEC_BY_NAME["session_cookie_secure"].default
    login_failures_per_user: int = SPEC_BY_NAME["login_failures_per_user"].default
    login_failures_per_client: int = SPEC_BY_NAME["login_failures_per_client"].default
    login_window_minutes: int = SPEC_BY_NAME["login_window_minutes"].default
    log_level: str = SPEC_BY_NAME["log_level"].default
    alert_window_hours: int = SPEC_BY_NAME["alert_window_hours"].default
    alert_min_stories: int = SPEC_BY_NAME["alert_min_stories"].default
    alert_min_ratio: float = SPEC_BY_NAME["alert_min_ratio"].default
    alert_min_score: float = SPEC_BY_NAME["alert_min_score"].default
    alert_exit_score: float = SPEC_BY_NAME["alert_exit_score"].default
    alert_cooldown_hours: int = SPEC_BY_NAME["alert_cooldown_hours"].default
    alert_webhooks: str = field(default=SPEC_BY_NAME["alert_webhooks"].default, repr=False)
    alert_webhook_secret: str = field(
        default=SPEC_BY_NAME["alert_webhook_secret"].default, repr=False
    )
    smtp_host: str = SPEC_BY_NAME["smtp_host"].default
    smtp_port: int = SPEC_BY_NAME["smtp_port"].default
    smtp_user: str = SPEC_BY_NAME["smtp_user"].default
    smtp_password: str = field(default=SPEC_BY_NAME["smtp_password"].default, repr=False)
    smtp_from: str = SPEC_BY_NAME["smtp_from"].default
    smtp_to: str = SPEC_BY_NAME["smtp_to"].default
    smtp_starttls: bool = SPEC_BY_NAME["smtp_starttls"].default
    smtp_ssl: bool = SPEC_BY_NAME["smtp_ssl"].default
    dashboard_url: str = SPEC_BY_NAME["dashboard_url"].default
    notify_language: str = SPEC_BY_NAME["notify_language"].default
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @property
    def overlay_path(self) -> Path:
        return Path(self.lexicon_overlay)

    @property
    def lexicon_cache_path(self) -> Path | None:
        """None when the cache is turned off (`off`); `load_settings` fills in the default."""
        if self.lexicon_cache_dir.strip().lower() in ("", "off"):
            return None
        return Path(self.lexicon_cache_dir)

    @property
    def feeds_path(self) -> Path:
        return Path(self.feeds_file) if self.feeds_file else self.data_path / "feeds.toml"

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given (already typed or string) values applied."""
        clean = {k: SPEC_BY_NAME[k].parse(v) for k, v in overrides.items() if v is not None}
        return replace(self, **clean)


def _read_file(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    section = raw.get("threatmon", raw)
    unknown = set(section) - set(SPEC_BY_NAME)
    if unknown:
        raise ValueError(f"{path}: unknown setting(s): {', '.join(sorted(unknown))}")
    return dict(section)


def user_cache_dir(environ: Mapping[str, str]) -> Path:
    """The user's cache folder for threatmon (XDG base directory convention)."""
    base = environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "threatmon"


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: str | Path | None = None,
) -> Settings:
    """Resolve settings: overrides > environment > TOML file > defaults.

    The TOML file is `config_file`, else `$THREATMON_CONFIG`, else
    `./threatmon.toml` when present. Its keys are the setting names, at the top
    level or under a `[threatmon]` table.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_file or env.get("THREATMON_CONFIG") or None
    if path is None and Path("threatmon.toml").is_file():
        path = "threatmon.toml"
    if path:
        values.update(_read_file(Path(path)))
    for spec in SPECS:
        if spec.env in env:
            values[spec.name] = env[spec.env]
    for key, value in (overrides or {}).items():
        if key not in SPEC_BY_NAME:
            raise KeyError(f"unknown setting: {key}")
        if value is not None:
            values[key] = value
    if not str(values.get("lexicon_cache_dir", "")).strip():
        values["lexicon_cache_dir"] = str(user_cache_dir(env))
    typed: dict[str, Any] = {}
    for key, value in values.items():
        spec = SPEC_BY_NAME[key]
        try:
            typed[key] = spec.parse(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"setting {key} ({spec.env}): {exc}") from exc
    return Settings(**typed)


def setting_names() -> list[str]:
    """Names of all declared settings (the README must document each)."""
    return [f.name for f in fields(Settings) if f.name != "extra"]
