"""The analyst's lexicon overlay: proposed terms, validation, a malformed file, retag.

The overlay is a term file outside data/ (here in tmp_path) compiled on top of
the shipped lexicon. A malformed overlay is reported with file, line and
reason, and the lexicon in use stays the last good one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from sqlalchemy import select

from indicators.lexicon import LexiconError, load_compiled
from indicators.lexicon_overlay import load_with_overlay, propose_term
from indicators.store import write
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from indicators.store.schema import item_tags, items
from indicators.tagger import tag
from tests.factories import make_item
from threatmon.cli import cli
from threatmon.settings import DEFAULT_DATA_DIR

DATA = DEFAULT_DATA_DIR
TODAY = date(2026, 12, 5)
TEXT = "Над складом в Актау заметили квадрокоптер"


def categories(text: str, compiled) -> tuple[str, ...]:
    return tag(text, "", compiled, "ru").categories


def test_a_proposed_term_is_written_in_the_lexicon_syntax_and_tags_text(tmp_path):
    overlay = tmp_path / "lexicon.local.yaml"
    base = load_compiled(DATA)
    assert categories(TEXT, base) == ()
    assert propose_term(DATA, overlay, "квадрокоптер", "tactics_methods", "ru", today=TODAY) == []
    data = yaml.safe_load(overlay.read_text(encoding="utf-8"))
    assert data == {
        "version": "2026.12.5",
        "axis": "category",
        "ids": {"tactics_methods": {"ru": ["квадрокоптер"]}},
    }
    compiled = load_compiled(DATA, overlay)
    assert compiled.version != base.version  # retag will see the change
    assert categories(TEXT, compiled) == ("tactics_methods",)
    assert categories("Квадрокоптеры над складом", compiled) == ("tactics_methods",)  # inflected


def test_proposals_accumulate_per_category_and_language(tmp_path):
    overlay = tmp_path / "lexicon.local.yaml"
    assert propose_term(DATA, overlay, "квадрокоптер", "tactics_methods", "ru", today=TODAY) == []
    assert propose_term(DATA, overlay, "dronebox", "tactics_methods", "en", today=TODAY) == []
    ids = yaml.safe_load(overlay.read_text(encoding="utf-8"))["ids"]
    assert ids == {"tactics_methods": {"ru": ["квадрокоптер"], "en": ["dronebox"]}}


@pytest.mark.parametrize(
    ("term", "category", "lang", "reason"),
    [
        ("теракты", "terrorist_activity", "ru", "already matched by the lexicon"),
        ("квадрокоптер", "drones", "ru", "unknown category 'drones'"),
        ("квадрокоптер", "tactics_methods", "de", "unknown language 'de'"),
        ("!!!", "tactics_methods", "ru", "normalizes to nothing"),
    ],
)
def test_a_bad_proposal_is_refused_and_the_file_untouched(tmp_path, term, category, lang, reason):
    overlay = tmp_path / "lexicon.local.yaml"
    propose_term(DATA, overlay, "квадрокоптер", "tactics_methods", "ru", today=TODAY)
    before = overlay.read_text(encoding="utf-8")
    if term == "квадрокоптер" and category == "tactics_methods":
        term = "шахед"
    problems = propose_term(DATA, overlay, term, category, lang, today=TODAY)
    assert problems and all(p.file == overlay.as_posix() for p in problems)
    assert any(reason in p.message for p in problems), problems
    assert overlay.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lexicon.local.yaml"]  # no temp files


def break_overlay(overlay: Path) -> int:
    """Append a line that is not YAML (a tab cannot indent); returns its line number."""
    text = overlay.read_text(encoding="utf-8") + "\t- шахед\n"
    overlay.write_text(text, encoding="utf-8")
    return text.count("\n")


def test_a_malformed_overlay_is_reported_and_the_last_good_lexicon_kept(tmp_path):
    overlay = tmp_path / "lexicon.local.yaml"
    propose_term(DATA, overlay, "квадрокоптер", "tactics_methods", "ru", today=TODAY)
    good = load_with_overlay(DATA, overlay)
    assert good.rejected == () and categories(TEXT, good.compiled) == ("tactics_methods",)
    line = break_overlay(overlay)
    with pytest.raises(LexiconError):
        load_compiled(DATA, overlay)
    loaded = load_with_overlay(DATA, overlay)
    assert loaded.compiled is good.compiled  # the previous lexicon keeps running
    (problem,) = loaded.rejected
    assert (problem.file, problem.line) == (overlay.as_posix(), line)
    assert "invalid YAML" in problem.message


def test_a_malformed_overlay_never_loaded_before_leaves_the_shipped_lexicon(tmp_path):
    overlay = tmp_path / "fresh.yaml"
    overlay.write_text(
        "version: 2026.12.1\naxis: category\nids:\n  tactics_methods:\n    ru:\n"
        "      - term: квадрокоптер\n        weak: maybe\n",
        encoding="utf-8",
    )
    loaded = load_with_overlay(DATA, overlay)
    assert loaded.compiled.version == load_compiled(DATA).version
    (problem,) = loaded.rejected
    assert (problem.file, problem.line) == (overlay.as_posix(), 6)
    assert "`weak` must be true, false or context" in problem.message


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path}/store.db"
    engine = make_engine(url)
    upgrade(engine)
    (feed,) = write.upsert_feeds(engine, [write.FeedFields(url="https://a.example/rss", name="A")])
    base = load_compiled(DATA)
    record = make_item(TEXT, published_at=datetime(2026, 12, 1, 9, tzinfo=UTC))
    with engine.begin() as conn:
        write.insert_items(conn, feed, [record], lexicon_version=base.version)
    engine.dispose()
    return {
        "THREATMON_DB": url,
        "THREATMON_LOG_LEVEL": "WARNING",
        "THREATMON_LEXICON_OVERLAY": str(tmp_path / "lexicon.local.yaml"),
    }


def invoke(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def stored(env: dict[str, str]) -> tuple[str, list[str]]:
    engine = make_engine(env["THREATMON_DB"])
    with engine.connect() as conn:
        version = conn.execute(select(items.c.lexicon_version)).scalar_one()
        tags = conn.execute(select(item_tags.c.value).where(item_tags.c.axis == "category"))
        found = (version, sorted(tags.scalars()))
    engine.dispose()
    return found


def test_propose_check_and_retag_apply_the_overlay_to_stored_items(env):
    result = invoke(env, "terms", "propose", "квадрокоптер", "--category", "tactics_methods")
    assert result.exit_code == 0, result.output
    assert "added 'квадрокоптер' (tactics_methods, ru)" in result.output
    check = invoke(env, "lexicon", "check")
    assert check.exit_code == 0, check.output
    assert "with overlay" in check.output
    assert stored(env)[1] == []
    result = invoke(env, "retag")
    assert result.exit_code == 0, result.output
    version, tags = stored(env)
    assert tags == ["tactics_methods"]
    assert version == load_compiled(DATA, Path(env["THREATMON_LEXICON_OVERLAY"])).version


def test_check_and_retag_refuse_a_malformed_overlay_with_file_and_line(env):
    overlay = Path(env["THREATMON_LEXICON_OVERLAY"])
    invoke(env, "terms", "propose", "квадрокоптер", "--category", "tactics_methods")
    line = break_overlay(overlay)
    check = invoke(env, "lexicon", "check")
    assert check.exit_code == 1
    assert f"error: {overlay.as_posix()}:{line}: invalid YAML" in check.output
    before = stored(env)
    retag = invoke(env, "retag")
    assert retag.exit_code == 1
    assert f"{overlay.as_posix()}:{line}" in retag.output and "nothing was retagged" in retag.output
    assert stored(env) == before
    refused = invoke(env, "terms", "propose", "шахед", "--category", "tactics_methods")
    assert refused.exit_code == 1 and f"{overlay.as_posix()}:{line}" in refused.output


def test_file_level_problems_point_at_the_line_holding_what_they_name(tmp_path):
    overlay = tmp_path / "lexicon.local.yaml"
    overlay.write_text(
        "# my words\nversion: soon\naxis: category\nids:\n  drones:\n    ru:\n      - шахед\n",
        encoding="utf-8",
    )
    found = {(p.line, p.message.split(" (")[0]) for p in load_with_overlay(DATA, overlay).rejected}
    assert (2, "`version` must be a string like 2026.11.1") in found
    assert (5, "unknown category id 'drones'") in found


def test_lexicon_check_prints_those_lines_too(env):
    overlay = Path(env["THREATMON_LEXICON_OVERLAY"])
    overlay.write_text(
        "version: 2026.12.1\naxis: category\nids:\n  drones:\n    ru: [шахед]\n", encoding="utf-8"
    )
    check = invoke(env, "lexicon", "check")
    assert check.exit_code == 1
    assert f"error: {overlay.as_posix()}:4: unknown category id 'drones'" in check.output
