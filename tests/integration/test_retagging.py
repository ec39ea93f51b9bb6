"""`threatmon retag`'s loop with tagging in helper processes (`threatmon.retagging`).

Helpers tag the next batches while the command writes the current one; the
store they leave must be exactly the one tagging in-process leaves, a helper
that loaded another lexicon must stop the retag before anything is written,
and an item removed while its batch was being tagged is simply skipped.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select

from indicators.models import Tags
from indicators.store import summary, write
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade
from indicators.store.schema import item_tags, item_terms, items
from tests.store_state import stored_state
from threatmon.demo_history import populate
from threatmon.retagging import RetagStopped, retag_stale
from threatmon.settings import Settings, load_settings
from threatmon.tagging import tagging_for

ITEMS = 60
BATCH = 7  # several batches in flight at once


def synthetic_store(path: Path) -> Engine:
    """60 items carrying the generator's own labels: the real lexicon re-tags most of them."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    populate(engine, ITEMS, days=30, seed=5, end=date(2026, 11, 1))
    return engine


def settings_for(tmp_path: Path, **changes: object) -> Settings:
    base = load_settings(environ={"THREATMON_LEXICON_CACHE_DIR": str(tmp_path / "cache")})
    return replace(base, **changes)  # type: ignore[arg-type]


def test_helpers_leave_exactly_the_store_that_tagging_in_process_leaves(tmp_path: Path) -> None:
    here, helped = synthetic_store(tmp_path / "here.db"), synthetic_store(tmp_path / "helped.db")
    untouched = stored_state(here)
    settings = settings_for(tmp_path)
    tagging = tagging_for(settings, strict=True)
    steps: list[int] = []

    written_here = retag_stale(
        here, tagging, replace(settings, tag_workers=0), stale=ITEMS, batch=BATCH
    )
    written_helped = retag_stale(
        helped,
        tagging,
        replace(settings, tag_workers=2),
        stale=ITEMS,
        batch=BATCH,
        progress=steps.append,
    )

    assert written_here == written_helped == ITEMS
    assert steps == [BATCH] * (ITEMS // BATCH) + [ITEMS % BATCH]  # in order, batch by batch
    assert stored_state(helped) == stored_state(here) != untouched
    versions = {row.lexicon_version for row in stored_state(helped)[0]}
    assert versions == {tagging.version}
    with helped.connect() as conn:
        assert summary.stored(conn) == summary.recount(conn)
        assert summary.stored_methods(conn) == summary.recount_methods(conn)


def test_a_helper_with_another_lexicon_stops_the_retag_before_anything_is_written(
    tmp_path: Path,
) -> None:
    engine = synthetic_store(tmp_path / "store.db")
    before = stored_state(engine)
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(
        'version: "2026.12.1"\naxis: category\nids:\n  counter_measures:\n    ru: [заявил]\n',
        encoding="utf-8",
    )
    settings = settings_for(tmp_path, tag_workers=1)
    tagging = tagging_for(settings, strict=True)  # the lexicon the command checked
    edited = replace(settings, lexicon_overlay=str(overlay))  # what the helpers will load

    with pytest.raises(RetagStopped, match="lexicon changed during the retag"):
        retag_stale(engine, tagging, edited, stale=ITEMS, batch=BATCH)

    assert stored_state(engine) == before


def test_a_helper_that_cannot_load_the_lexicon_stops_the_retag_with_a_clear_error(
    tmp_path: Path,
) -> None:
    engine = synthetic_store(tmp_path / "store.db")
    before = stored_state(engine)
    settings = settings_for(tmp_path, tag_workers=1)
    tagging = tagging_for(settings, strict=True)
    broken = replace(settings, data_dir=str(tmp_path / "no-data"))

    with pytest.raises(RetagStopped, match=r"tagging helper stopped.*lexicon check"):
        retag_stale(engine, tagging, broken, stale=ITEMS, batch=BATCH)

    assert stored_state(engine) == before


def test_a_small_retag_tags_in_process_without_helpers(tmp_path: Path) -> None:
    engine = synthetic_store(tmp_path / "store.db")
    settings = settings_for(tmp_path, tag_workers=1)
    tagging = tagging_for(settings, strict=True)
    # Helpers given a data folder that does not exist could not tag at all: fewer
    # stale items than two batches never start them.
    broken = replace(settings, data_dir=str(tmp_path / "no-data"))

    written = retag_stale(engine, tagging, broken, stale=ITEMS, batch=ITEMS)

    assert written == ITEMS
    assert {row.lexicon_version for row in stored_state(engine)[0]} == {tagging.version}


def test_an_item_removed_while_its_batch_was_tagged_is_skipped(tmp_path: Path) -> None:
    engine = synthetic_store(tmp_path / "store.db")
    with engine.connect() as conn:
        first, second = conn.execute(select(items.c.id).order_by(items.c.id).limit(2)).scalars()
    with engine.begin() as conn:  # what deleting its feed does to an item
        summary.apply_items(conn, [first], -1)
        conn.execute(delete(item_terms).where(item_terms.c.item_id == first))
        conn.execute(delete(item_tags).where(item_tags.c.item_id == first))
        conn.execute(delete(items).where(items.c.id == first))
    verdict = Tags(True, ("terrorist_activity",), ("KZ-75",))

    with engine.begin() as conn:
        written = write.replace_tags_many(conn, [(first, verdict), (second, verdict)], "v9")

    assert written == 1

    with engine.connect() as conn:
        tagged = conn.execute(select(item_tags.c.item_id).distinct()).scalars().all()
        assert first not in tagged and second in tagged
        assert summary.stored(conn) == summary.recount(conn)
