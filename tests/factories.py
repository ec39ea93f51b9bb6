"""Small builders for records used across tests (explicit values, no randomness)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from indicators.models import ItemRecord, Match, Tags

T0 = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def make_item(
    title: str,
    *,
    summary: str = "",
    guid: str | None = None,
    url: str | None = None,
    published_at: datetime = T0,
    lang: str = "ru",
    categories: tuple[str, ...] = (),
    regions: tuple[str, ...] = (),
    platforms: tuple[str, ...] = (),
    story_key: str = "",
    actors: tuple[str, ...] = (),
) -> ItemRecord:
    """An item whose tags cite the title's first word as evidence for every tag."""
    first_word = title.split()[0] if title.split() else title
    matches = tuple(
        Match(axis, value, first_word.lower(), 0, len(first_word))
        for axis, values in (
            ("category", categories),
            ("region", regions),
            ("platform", platforms),
            ("actor", actors),
        )
        for value in values
    )
    tags = Tags(bool(categories), categories, regions, platforms, matches, actors)
    digest = hashlib.sha256(f"{title}\n{summary}".encode()).hexdigest()
    return ItemRecord(
        guid=guid,
        url=url,
        title=title,
        summary=summary,
        published_at=published_at,
        fetched_at=published_at,
        lang=lang,
        content_hash=digest,
        story_key=story_key,
        tags=tags,
    )


def replace_in_file(path: Path, old: str, new: str) -> None:
    """Edit a copied fixture file in place; the text to replace must be there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")
