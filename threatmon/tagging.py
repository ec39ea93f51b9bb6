"""The tagger bound to the settings' lexicon: what ingest, `tag`, `retag` and the demo call.

Kept apart from `threatmon.wiring` so that a command which only tags
(`threatmon tag` in a shell pipeline) imports neither the database nor the
fetching and notification stacks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from indicators.lexicon import CompiledLexicon, LexiconError, LexiconProblem, load_compiled
from indicators.lexicon_overlay import load_with_overlay
from indicators.models import Tags
from indicators.tagger import tag
from threatmon.settings import Settings

log = logging.getLogger("threatmon")


@dataclass(frozen=True)
class LexiconTagging:
    """The tagger bound to one compiled lexicon (what the pipeline calls per item)."""

    compiled: CompiledLexicon
    # why the lexicon overlay was left out (file, line, reason); empty when it is in use
    rejected: tuple[LexiconProblem, ...] = ()

    @property
    def version(self) -> str:
        return self.compiled.version

    def tag(self, title: str, summary: str, lang: str | None) -> Tags:
        return tag(title, summary, self.compiled, lang)

    def rules_only(self) -> LexiconTagging:
        """The same lexicon without its learned models: what the rules alone say."""
        return LexiconTagging(self.compiled.rules_only(), self.rejected)


def tagging_for(settings: Settings, *, strict: bool = False) -> LexiconTagging:
    """The data folder's lexicon with the analyst's overlay on top.

    A malformed overlay is logged and left out (the process keeps the last
    good lexicon); `strict` raises `LexiconError` instead (retag must not
    silently re-tag the history without the overlay).
    """
    cache = settings.lexicon_cache_path
    if strict:
        return LexiconTagging(load_compiled(settings.data_path, settings.overlay_path, cache))
    loaded = load_with_overlay(settings.data_path, settings.overlay_path, cache)
    for problem in loaded.rejected:
        log.warning("lexicon overlay left out: %s", problem)
    return LexiconTagging(loaded.compiled, loaded.rejected)


def tagging_source(settings: Settings) -> Callable[[], LexiconTagging]:
    """The lexicon for each ingest cycle, re-read when a lexicon file or the overlay changed.

    An analyst's proposal reaches new items at the next cycle. A malformed
    overlay is logged once (file, line, reason) and left out, keeping the
    last good lexicon; so is a data folder that stopped compiling: the
    previous lexicon keeps tagging until the files are fixed.
    """
    state: dict[str, Any] = {"tagging": None, "reported": ()}

    def current() -> LexiconTagging:
        try:
            loaded = load_with_overlay(
                settings.data_path, settings.overlay_path, settings.lexicon_cache_path
            )
        except LexiconError as exc:
            if state["tagging"] is None:
                raise
            if state["reported"] != tuple(exc.problems):
                log.error("lexicon not reloaded, the previous one keeps running: %s", exc)
                state["reported"] = tuple(exc.problems)
            return cast(LexiconTagging, state["tagging"])
        if loaded.rejected != state["reported"]:
            for problem in loaded.rejected:
                log.warning("lexicon overlay left out: %s", problem)
            state["reported"] = loaded.rejected
        tagging = state["tagging"]
        if tagging is None or tagging.compiled is not loaded.compiled:
            tagging = state["tagging"] = LexiconTagging(loaded.compiled, loaded.rejected)
        return cast(LexiconTagging, tagging)

    return current
