"""Plain data records shared by the tagger, the store and the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# The languages threatmon reads: lexicons, taxonomy labels and feed declarations.
LANGS: tuple[str, ...] = ("ru", "kk", "en")
# The axes every tag lies on, in display order: the one definition of them.
# `actor` (organizations, data/actors.yaml) is kept only on relevant items.
TAG_AXES: tuple[str, ...] = ("category", "region", "platform", "actor")
# `method` (how an attack is prepared or financed, data/lexicon/methods.yaml) is
# stored and shown with the other tags but is no filter axis: the summary
# tables that make filtering fast count the TAG_AXES only.
METHOD_AXIS = "method"
STORED_AXES: tuple[str, ...] = (*TAG_AXES, METHOD_AXIS)
_AXIS_PLACE = {axis: i for i, axis in enumerate(STORED_AXES)}  # see Tags.by_axis


@dataclass(frozen=True)
class FeedFields:
    """One feed as configured (feeds.toml, OPML, the command line) and as stored on its row.

    The one record of a feed's descriptive fields: the feed list loader and the
    OPML importer build it, the writer stores it.
    """

    url: str
    name: str
    language: str = ""  # "ru" | "kk" | "en" | "" (unknown, the item decides)
    country: str = ""  # ISO 3166-1 alpha-2 the feed mainly covers; "" for several/world
    kind: str = "media"  # "media" | "official" | "cyber" | "search"
    # How the source publishes: "rss" (RSS/Atom/RDF) | "telegram" | "sitemap" | "html".
    format: str = "rss"
    # format "html": (part, CSS selector) pairs, parts item/link/title/date/lead;
    # format "sitemap": at most ("follow", text the followed sitemaps' URLs contain).
    selectors: tuple[tuple[str, str], ...] = ()
    interval_minutes: int | None = None  # None: the global default
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Match:
    """One lexicon hit: which tag it supports, the term, and where it is in the text."""

    axis: str  # one of STORED_AXES
    id: str  # taxonomy id, ISO code, platform id, actor id or method id
    term: str  # the lexicon term (base form) that matched
    start: int  # character offsets into the tagged text (title + "\n" + summary)
    end: int


@dataclass(frozen=True, slots=True)
class Tags:
    """The tagger's verdict on one item, with the evidence for every tag."""

    relevant: bool
    categories: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    matches: tuple[Match, ...] = ()
    actors: tuple[str, ...] = ()  # after `matches`: records are also built positionally
    methods: tuple[str, ...] = ()

    def values(self, axis: str) -> tuple[str, ...]:
        """The values on one of STORED_AXES."""
        return self.by_axis()[_AXIS_PLACE[axis]]

    def by_axis(self) -> tuple[tuple[str, ...], ...]:
        """The values on each of STORED_AXES, in that order (one call for them all)."""
        return (self.categories, self.regions, self.platforms, self.actors, self.methods)


EMPTY_TAGS = Tags(relevant=False)


def tagged_text(title: str, summary: str) -> str:
    """The exact text the tagger sees; match spans index into it."""
    return f"{title}\n{summary}" if summary else title


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """A normalized item ready to be stored (plain text, UTC times, canonical URL)."""

    guid: str | None
    url: str | None  # canonical http(s) URL, or None
    title: str
    summary: str
    published_at: datetime  # UTC, naive-free (tz-aware)
    fetched_at: datetime  # UTC
    lang: str  # "ru" | "kk" | "en" | other ISO 639-1
    content_hash: str  # hex digest of normalized title + summary
    story_key: str = ""  # near-duplicate title signature (space-joined tokens), see ingest.stories
    tags: Tags = field(default=EMPTY_TAGS)
