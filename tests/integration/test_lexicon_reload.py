"""The scheduler's lexicon between cycles: a proposal is picked up, a broken file is not.

`wiring.tagging_source` is what `ingest` and `run` call before every cycle.
"""

from __future__ import annotations

import logging
import shutil
from datetime import date
from pathlib import Path

import pytest

from indicators.lexicon import LexiconError, load_compiled
from indicators.lexicon_overlay import propose_term
from threatmon.settings import DEFAULT_DATA_DIR, Settings
from threatmon.tagging import tagging_source

TEXT = "Над складом заметили квадрокоптер"


def test_a_proposal_reaches_the_next_cycle_and_a_broken_overlay_keeps_the_last_good(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    overlay = tmp_path / "lexicon.local.yaml"
    current = tagging_source(Settings(data_dir=str(DEFAULT_DATA_DIR), lexicon_overlay=str(overlay)))
    first = current()
    assert first.version == load_compiled(DEFAULT_DATA_DIR).version
    assert current() is first  # nothing changed: the same tagger
    assert first.tag(TEXT, "", "ru").categories == ()

    propose_term(
        DEFAULT_DATA_DIR, overlay, "квадрокоптер", "tactics_methods", "ru", today=date(2026, 12, 5)
    )
    second = current()
    assert second.version != first.version
    assert second.tag(TEXT, "", "ru").categories == ("tactics_methods",)

    overlay.write_text(overlay.read_text(encoding="utf-8") + "\t- шахед\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="threatmon"):
        third, fourth = current(), current()
    assert third is second and fourth is second  # the previous lexicon keeps running
    warnings = [r.getMessage() for r in caplog.records if "overlay left out" in r.getMessage()]
    assert len(warnings) == 1 and f"{overlay.as_posix()}:" in warnings[0]  # reported once


def test_a_data_folder_that_stops_compiling_keeps_the_previous_lexicon(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns("samples"))
    current = tagging_source(Settings(data_dir=str(data), lexicon_overlay=str(tmp_path / "none")))
    good = current()
    (data / "lexicon" / "broken.yaml").write_text("version: 2026.12.1\naxis: nowhere\n")
    with caplog.at_level(logging.ERROR, logger="threatmon"):
        assert current() is good
    assert "the previous one keeps running" in caplog.text and "broken.yaml" in caplog.text
    fresh = tagging_source(Settings(data_dir=str(data), lexicon_overlay=str(tmp_path / "none")))
    with pytest.raises(LexiconError):
        fresh()  # at start-up there is no previous lexicon: refuse to start
