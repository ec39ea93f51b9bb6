"""The stored result of tagging, to compare two stores written different ways (retag tests)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from indicators.store.schema import item_tags, item_terms, items


def stored_state(engine: Engine) -> tuple[list[Any], list[Any], list[Any]]:
    """Every item's relevance and version, every tag row and every term row, in id order."""
    with engine.connect() as conn:
        return (
            conn.execute(
                select(items.c.id, items.c.relevant, items.c.lexicon_version).order_by(items.c.id)
            ).all(),
            conn.execute(select(item_tags).order_by(*item_tags.primary_key.columns)).all(),
            conn.execute(select(item_terms).order_by(item_terms.c.item_id)).all(),
        )
