"""What every stored item must satisfy, whatever feed it came from (used by the corpus tests).

One definition, so the fixture corpus (through the whole pipeline into SQLite) and
feedparser's corpus (through parse + normalize) hold items to the same rules.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta

# A start or end tag, a comment, a declaration or a processing instruction.
MARKUP = re.compile(r"<[a-zA-Z/!?][^>]*>")
# Plain text keeps its line breaks; no other control character may be stored.
ALLOWED_CONTROLS = frozenset("\n")


def text_problems(text: str) -> list[str]:
    """Why `text` is not plain text fit to store (empty: it is)."""
    problems = []
    if MARKUP.search(text):
        problems.append(f"markup left in {text[:80]!r}")
    if html.unescape(text) != text:
        problems.append(f"an entity left undecoded in {text[:80]!r}")
    controls = {c for c in text if unicodedata.category(c) == "Cc"} - ALLOWED_CONTROLS
    if controls:
        problems.append(f"control characters {sorted(controls)} in {text[:80]!r}")
    return problems


def item_problems(
    title: str,
    summary: str,
    url: str | None,
    published_at: datetime,
    secrets: Iterable[str] = (),
) -> list[str]:
    """Why an item is not fit to store (empty: it is).

    `secrets` are strings that must never reach an item, such as the content of a
    local file a hostile feed tries to pull in through an external entity.
    """
    problems = text_problems(title) + text_problems(summary)
    if not title.strip():
        problems.append("an empty title")
    if url is not None and not url.startswith(("http://", "https://")):
        problems.append(f"a link that is not http(s): {url[:80]!r}")
    if published_at.utcoffset() != timedelta(0):
        problems.append(f"a time that is not UTC: {published_at!r}")
    for secret in secrets:
        if secret in title or secret in summary or secret in (url or ""):
            problems.append(f"{secret[:40]!r} leaked into the item")
    return problems
