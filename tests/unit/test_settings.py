"""Settings: declared once, resolved flags > env > file > defaults, all documented."""

from pathlib import Path

import pytest

from threatmon.settings import SPECS, load_settings, setting_names

README = Path(__file__).resolve().parents[2] / "README.md"


def test_defaults_without_any_source():
    settings = load_settings(environ={}, config_file=None)
    assert settings.db == "sqlite:///var/threatmon.db"
    assert settings.interval_minutes == 30
    assert settings.concurrency == 8
    assert settings.max_body_bytes == 10 * 1024 * 1024
    assert settings.allow_private_hosts is False
    assert settings.host == "127.0.0.1"


def test_precedence_is_overrides_then_env_then_file(tmp_path):
    config = tmp_path / "t.toml"
    config.write_text('[threatmon]\ndb = "sqlite:///file.db"\nport = 9000\nconcurrency = 3\n')
    env = {"THREATMON_DB": "sqlite:///env.db", "THREATMON_PORT": "9100"}
    settings = load_settings({"db": "sqlite:///flag.db"}, environ=env, config_file=config)
    assert settings.db == "sqlite:///flag.db"
    assert settings.port == 9100
    assert settings.concurrency == 3


def test_boolean_env_values_are_parsed():
    assert load_settings(environ={"THREATMON_ALLOW_PRIVATE_HOSTS": "1"}).allow_private_hosts
    assert not load_settings(environ={"THREATMON_ALLOW_PRIVATE_HOSTS": "no"}).allow_private_hosts
    with pytest.raises(ValueError, match="THREATMON_ALLOW_PRIVATE_HOSTS"):
        load_settings(environ={"THREATMON_ALLOW_PRIVATE_HOSTS": "maybe"})


def test_unknown_key_in_file_is_an_error(tmp_path):
    config = tmp_path / "t.toml"
    config.write_text("dbb = 1\n")
    with pytest.raises(ValueError, match="unknown setting"):
        load_settings(environ={}, config_file=config)


def test_every_setting_is_declared_and_documented_in_the_readme():
    assert [s.name for s in SPECS] == setting_names()
    readme = README.read_text(encoding="utf-8")
    missing = [s.env for s in SPECS if s.env not in readme]
    assert not missing, f"README does not document: {missing}"


def test_query_threads_are_at_least_one():
    assert load_settings(environ={}).dashboard_query_threads == 2
    env = {"THREATMON_DASHBOARD_QUERY_THREADS": "4"}
    assert load_settings(environ=env).dashboard_query_threads == 4
    with pytest.raises(ValueError, match=r"DASHBOARD_QUERY_THREADS.*1 or more, not 0"):
        load_settings(environ={"THREATMON_DASHBOARD_QUERY_THREADS": "0"})
