"""`items.tag_codes` names exactly an item's tag rows, however they were written.

A search's facts (`match_facts`) read an item's tags from its own row: the
codes must follow every way tag rows are written (a new item, a retag that
changes, removes or adds tags), be filled in for a store from before them,
and never be silently cut short. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine, select

from indicators.models import Match, Tags
from indicators.store import write
from indicators.store.migrations import LATEST_VERSION, upgrade
from indicators.store.schema import CODE_DIGITS, item_tags, items, tag_values
from tests.factories import make_item


def _decoded(engine: Engine) -> dict[int, set[tuple[str, str]]]:
    """Each item's (axis, value) pairs as its `tag_codes` name them."""
    with engine.connect() as conn:
        names = {c: (a, v) for c, a, v in conn.execute(select(tag_values)).all()}
        rows = conn.execute(select(items.c.id, items.c.tag_codes)).all()
    decoded = {}
    for item_id, codes in rows:
        parts = codes.split(",") if codes else []
        assert all(len(p) == CODE_DIGITS and p.isdigit() for p in parts), codes
        assert [int(p) for p in parts] == sorted(int(p) for p in parts), codes
        decoded[item_id] = {names[int(p)] for p in parts}
    return decoded


def _tag_rows(engine: Engine) -> dict[int, set[tuple[str, str]]]:
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(select(items.c.id))]
        rows = conn.execute(select(item_tags.c.item_id, item_tags.c.axis, item_tags.c.value))
        found: dict[int, set[tuple[str, str]]] = {i: set() for i in ids}
        for item_id, axis, value in rows:
            found[item_id].add((axis, value))
    return found


def _with_method(item: Any, method: str) -> Any:
    tags = item.tags
    match = Match("method", method, "дрон", 0, 4)
    return replace(item, tags=replace(tags, methods=(method,), matches=(*tags.matches, match)))


def _fill(engine: Engine) -> list[int]:
    (feed,) = write.upsert_feeds(engine, [write.FeedFields(url="https://a.example/rss", name="A")])
    batch = [
        make_item("Теракт в Алматы", categories=("terrorist_activity",), regions=("KZ-75",)),
        make_item("Погода", summary="солнечно"),  # no tags at all
        make_item(
            "Вербовка в Telegram",
            categories=("extremist_ideology", "online_platforms"),
            regions=("KZ", "KG"),
            platforms=("telegram",),
            actors=("isis",),
        ),
        _with_method(make_item("Дрон над Шымкентом", categories=("tactics_methods",)), "drone"),
    ]
    with engine.begin() as conn:
        return write.insert_items(conn, feed, batch, lexicon_version="v1")


def test_new_items_carry_the_codes_of_their_tag_rows(store: Engine) -> None:
    ids = _fill(store)
    decoded = _decoded(store)
    assert decoded == _tag_rows(store)
    assert decoded[ids[1]] == set()
    assert ("method", "drone") in decoded[ids[3]]
    assert len(decoded[ids[2]]) == 6


def test_a_retag_rewrites_the_codes_of_the_items_it_changes(store: Engine) -> None:
    ids = _fill(store)
    cyber = Tags(True, ("cyber_threats",), ("KZ-71",), ("tiktok",), (), ("hizb_ut_tahrir",))
    with store.begin() as conn:
        write.replace_tags_many(
            conn,
            [
                (ids[0], Tags(relevant=False)),  # every tag removed
                (ids[1], cyber),  # an untagged item gains tags, some values new
                (ids[2], cyber),  # its tags replaced
            ],
            "v2",
        )
    decoded = _decoded(store)
    assert decoded == _tag_rows(store)
    assert decoded[ids[0]] == set()
    assert (
        decoded[ids[1]]
        == decoded[ids[2]]
        == {
            ("category", "cyber_threats"),
            ("region", "KZ-71"),
            ("platform", "tiktok"),
            ("actor", "hizb_ut_tahrir"),
        }
    )


def test_a_store_from_before_the_codes_gains_them_on_upgrade(store: Engine) -> None:
    _fill(store)
    expected = _tag_rows(store)
    with store.begin() as conn:  # the store as migration 14 left it
        conn.exec_driver_sql("ALTER TABLE items DROP COLUMN tag_codes")
        conn.exec_driver_sql("DROP TABLE tag_values")
        conn.exec_driver_sql("DELETE FROM schema_migrations WHERE version >= 15")
    assert upgrade(store) == (14, LATEST_VERSION)
    assert _decoded(store) == expected
    ids = _fill_more(store)
    assert _decoded(store) == _tag_rows(store)  # and new items are coded alike
    assert _decoded(store)[ids[0]] == {("category", "cyber_threats")}


def _fill_more(engine: Engine) -> list[int]:
    (feed,) = write.upsert_feeds(engine, [write.FeedFields(url="https://b.example/rss", name="B")])
    with engine.begin() as conn:
        return write.insert_items(
            conn,
            feed,
            [make_item("DDoS-атака", categories=("cyber_threats",))],
            lexicon_version="v1",
        )


def test_more_tag_values_than_codes_can_hold_is_refused_and_nothing_is_stored(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(write, "MAX_CODE", 2)
    with pytest.raises(ValueError, match="tag values"):
        _fill(store)
    with store.connect() as conn:
        assert conn.execute(select(items.c.id)).all() == []
        assert conn.execute(select(tag_values.c.code)).all() == []
