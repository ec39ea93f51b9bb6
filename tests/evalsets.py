"""Shared helpers for the checks on the labelled evaluation sets under tests/eval/."""

from __future__ import annotations

import re
from collections import Counter

from tools.evaluate import DevItem

LANGS = ("ru", "kk", "en")
LATIN = re.compile(r"[A-Za-zÄäĞğİıÑñÖöŞşŪūÜü]")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
WORD = re.compile(r"\w+")


def text(it: DevItem) -> str:
    return f"{it.title}\n{it.summary}"


def is_latin_script(it: DevItem) -> bool:
    return len(LATIN.findall(text(it))) > len(CYRILLIC.findall(text(it)))


def language_share(items: list[DevItem]) -> dict[str, float]:
    """Fraction of the items in each language."""
    return {lang: n / len(items) for lang, n in Counter(it.lang for it in items).items()}
