"""Builds the objects the packages need from `Settings` (the only place that knows both)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from indicators.lexicon import CompiledLexicon, load_compiled
from indicators.models import Tags
from indicators.store.engine import make_engine
from indicators.store.migrations import require_current, upgrade
from indicators.tagger import tag
from ingest.fetch import FetchLimits
from ingest.refresh import IngestConfig
from threatmon.settings import Settings


@dataclass(frozen=True)
class LexiconTagging:
    """The tagger bound to one compiled lexicon (what the pipeline calls per item)."""

    compiled: CompiledLexicon

    @property
    def version(self) -> str:
        return self.compiled.version

    def tag(self, title: str, summary: str, lang: str | None) -> Tags:
        return tag(title, summary, self.compiled, lang)


def tagging_for(settings: Settings) -> LexiconTagging:
    return LexiconTagging(load_compiled(settings.data_path))


def ingest_config(settings: Settings) -> IngestConfig:
    return IngestConfig(
        limits=FetchLimits(
            connect_timeout=settings.connect_timeout,
            deadline=settings.fetch_deadline,
            max_bytes=settings.max_body_bytes,
            max_redirects=settings.max_redirects,
            allow_private_hosts=settings.allow_private_hosts,
            user_agent=settings.user_agent,
        ),
        parse_timeout=settings.parse_timeout,
        parse_memory_mb=settings.parse_memory_mb,
        interval_minutes=settings.interval_minutes,
        concurrency=settings.concurrency,
    )


def open_store(settings: Settings, *, migrate: bool = False, read_only: bool = False) -> Engine:
    """Open the database; `migrate` creates/upgrades it, otherwise it must be current."""
    engine = make_engine(settings.db, read_only=read_only)
    if migrate:
        upgrade(engine)
    else:
        require_current(engine)
    return engine
