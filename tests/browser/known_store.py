"""A small SQLite store of hand-written items, shared by the dashboard's HTTP and browser tests.

Every expected number in those tests is recounted from `KNOWN` with plain
Python (`recount`), never typed in by hand, so a test fails when the
dashboard shows anything other than the items put in. The set includes hostile
text (HTML, a `javascript:` link) to check that item text is shown as text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from indicators.models import ItemRecord, Match, Tags, tagged_text
from indicators.selection import Filters
from indicators.store import write
from indicators.store.engine import make_engine
from indicators.store.migrations import upgrade

LEXICON_VERSION = "test-lexicon-1"
NOW = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)  # the tests' clock: presets end on 2026-03-16


@dataclass(frozen=True)
class KnownFeed:
    key: str
    name: str
    url: str
    language: str


FEEDS = (
    KnownFeed("steppe", "Steppe Wire", "http://127.0.0.1:9/steppe.xml", "ru"),
    KnownFeed("dala", "Dala Aqparat", "http://127.0.0.1:9/dala.xml", "kk"),
    KnownFeed("cyberkz", "Cyber KZ Weekly", "http://127.0.0.1:9/cyber.xml", "en"),
)


@dataclass(frozen=True)
class Known:
    """One item: its text, and per axis the values with the term that proves each."""

    key: str
    feed: str
    published: str  # ISO timestamp with offset
    lang: str
    title: str
    summary: str = ""
    url: str | None = None
    tags: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    story: str | None = None  # key of the story's first item

    @property
    def published_at(self) -> datetime:
        return datetime.fromisoformat(self.published).astimezone(UTC)

    def values(self, axis: str) -> tuple[str, ...]:
        return tuple(self.tags.get(axis, {}))

    @property
    def relevant(self) -> bool:
        return bool(self.values("category"))

    def record(self) -> ItemRecord:
        text = tagged_text(self.title, self.summary)
        matches = []
        for axis, values in self.tags.items():
            for value, term in values.items():
                start = text.find(term)
                assert start >= 0, f"{self.key}: term {term!r} not in the text"
                matches.append(Match(axis, value, term.lower(), start, start + len(term)))
        tags = Tags(
            relevant=self.relevant,
            categories=self.values("category"),
            regions=self.values("region"),
            platforms=self.values("platform"),
            actors=self.values("actor"),
            matches=tuple(matches),
            methods=self.values("method"),
        )
        digest = hashlib.sha256(text.encode()).hexdigest()
        return ItemRecord(
            guid=f"urn:test:{self.key}",
            url=self.url,
            title=self.title,
            summary=self.summary,
            published_at=self.published_at,
            fetched_at=self.published_at + timedelta(minutes=5),
            lang=self.lang,
            content_hash=digest,
            story_key=self.key,
            tags=tags,
        )


KNOWN: tuple[Known, ...] = (
    Known(
        "k1",
        "steppe",
        "2026-03-02T09:00:00+00:00",
        "ru",
        "В Алматы предотвращен теракт",
        "КНБ задержал ячейку, участники вербовали сторонников через Telegram.",
        url="https://news.example/almaty-plot",
        tags={
            "category": {"terrorist_activity": "теракт", "extremist_ideology": "вербовали"},
            "region": {"KZ-75": "Алматы"},
            "platform": {"telegram": "Telegram"},
            "method": {"online_recruitment": "вербовали"},
        },
    ),
    Known(
        "k2",
        "dala",
        "2026-03-02T15:00:00+00:00",
        "kk",
        "Алматыда лаңкестік әрекеттің алдын алды",
        "ҰҚК топ мүшелерін ұстады.",
        story="k1",
        tags={"category": {"terrorist_activity": "лаңкестік"}, "region": {"KZ-75": "Алматыда"}},
    ),
    Known(
        "k3",
        "steppe",
        "2026-03-04T08:00:00+00:00",
        "ru",
        "Хакеры атаковали сайты акимата Шымкента",
        "DDoS-атака длилась три часа.",
        url="https://news.example/shymkent-ddos",
        tags={
            "category": {"cyber_threats": "DDoS"},
            "region": {"KZ-79": "Шымкента"},
            "platform": {"other_online": "сайты"},
        },
    ),
    Known(
        "k4",
        "cyberkz",
        "2026-03-05T10:00:00+00:00",
        "en",
        "Ransomware hits an energy company in Pavlodar",
        "The attack on the power plant began with a phishing email.",
        url="https://cyber.example/pavlodar",
        tags={"category": {"cyber_threats": "Ransomware"}, "region": {"KZ-55": "Pavlodar"}},
    ),
    Known(
        "k5",
        "cyberkz",
        "2026-03-06T12:00:00+00:00",
        "en",
        "Terrorist financing network dismantled in Almaty",
        "Crypto transfers went through Telegram bots.",
        url="https://cyber.example/financing",
        tags={
            "category": {"terrorist_financing": "Terrorist financing"},
            "region": {"KZ-75": "Almaty"},
            "platform": {"telegram": "Telegram"},
            "method": {"crypto_financing": "Crypto"},
        },
    ),
    Known(
        "k6",
        "steppe",
        "2026-03-07T18:00:00+00:00",
        "ru",
        "Погода в Астане: снег и ветер",
        "Синоптики обещают похолодание.",
        tags={"region": {"KZ-71": "Астане"}},
    ),
    Known(
        "k7",
        "steppe",
        "2026-03-09T07:30:00+00:00",
        "ru",
        "Учения антитеррористического центра в Актау",
        "Отработали освобождение заложников в морском порту.",
        url="https://news.example/aktau-drill",
        tags={
            "category": {"counter_measures": "Учения", "tactics_methods": "заложников"},
            "region": {"KZ-47": "Актау"},
            "method": {"hostage_taking": "заложников"},
        },
    ),
    Known(
        "k8",
        "dala",
        "2026-03-10T11:00:00+00:00",
        "kk",
        "TikTok желісінде үгіт материалдары бұғатталды",
        "Шымкент пен Тараз тұрғындары.",
        tags={
            "category": {"online_platforms": "бұғатталды"},
            "platform": {"tiktok": "TikTok"},
            "region": {"KZ-79": "Шымкент", "KZ-31": "Тараз"},
        },
    ),
    Known(
        "k9",
        "cyberkz",
        "2026-03-11T09:15:00+00:00",
        "en",
        "<script>alert('x')</script> Data leak <b>claimed</b> on a darknet forum",
        "Records of subscribers in Almaty region appeared for sale.",
        url="javascript:alert(document.cookie)",
        tags={
            "category": {"cyber_threats": "Data leak"},
            "region": {"KZ-19": "Almaty region"},
            "platform": {"darknet": "darknet"},
        },
    ),
    Known(
        "k10",
        "steppe",
        "2026-03-12T06:00:00+00:00",
        "ru",
        "Вербовщик осужден за пропаганду в WhatsApp",
        "Суд в Караганде вынес приговор.",
        url="https://news.example/karaganda-court",
        tags={
            "category": {"extremist_ideology": "Вербовщик"},
            "region": {"KZ-35": "Караганде"},
            "platform": {"whatsapp": "WhatsApp"},
        },
    ),
    Known(
        "k11",
        "cyberkz",
        "2026-03-13T22:30:00+00:00",
        "en",
        "Kyrgyz banks report a DDoS wave",
        "Attacks also reached services in Almaty.",
        url="https://cyber.example/kg-ddos",
        tags={"category": {"cyber_threats": "DDoS"}, "region": {"KG": "Kyrgyz", "KZ-75": "Almaty"}},
    ),
    Known(
        "k12",
        "dala",
        "2026-03-14T05:00:00+00:00",
        "kk",
        "Футбол: Қайрат жеңді",
        "Команда маусымды жеңіспен бастады.",
    ),
    Known(
        "k13",
        "steppe",
        "2026-03-15T10:00:00+00:00",
        "ru",
        "Кибератака на сеть связи в Алматы",
        "Оператор восстановил связь через час.",
        url="https://news.example/telecom",
        tags={"category": {"cyber_threats": "Кибератака"}, "region": {"KZ-75": "Алматы"}},
    ),
)


def feed_ids_by_key(feed_ids: Iterable[int]) -> dict[str, int]:
    return {f.key: fid for f, fid in zip(FEEDS, feed_ids, strict=True)}


def build_store(path: Path, known_items: Iterable[Known] = KNOWN) -> tuple[str, dict[str, int]]:
    """Create a migrated SQLite store at `path` holding `KNOWN` (or `known_items`).

    Returns (url, feed ids).
    """
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        ids = feed_ids_by_key(
            write.upsert_feeds(
                engine,
                [write.FeedFields(url=f.url, name=f.name, language=f.language) for f in FEEDS],
            )
        )
        item_ids: dict[str, int] = {}
        for known in sorted(known_items, key=lambda k: k.published_at):

            def story(item_id: int, _item: ItemRecord, known: Known = known) -> int:
                return item_ids[known.story] if known.story else item_id

            with engine.begin() as conn:
                (new_id,) = write.insert_items(
                    conn,
                    ids[known.feed],
                    [known.record()],
                    lexicon_version=LEXICON_VERSION,
                    assign_story=story,
                )
            item_ids[known.key] = new_id
        _feed_health(engine, ids)
    finally:
        engine.dispose()
    return url, ids


def _feed_health(engine: object, ids: Mapping[str, int]) -> None:
    """One healthy feed, one failing three times in a row, one never fetched."""
    ok = write.FeedState(
        last_fetched_at=NOW - timedelta(hours=1),
        last_status="ok",
        next_due_at=NOW + timedelta(minutes=29),
        consecutive_errors=0,
        last_http_status=200,
        last_success_at=NOW - timedelta(hours=1),
    )
    failing = write.FeedState(
        last_fetched_at=NOW - timedelta(minutes=20),
        last_status="error",
        next_due_at=NOW + timedelta(hours=2),
        consecutive_errors=3,
        last_http_status=503,
        last_error_kind="http_status",
        last_error="server answered 503 Service Unavailable",
    )
    for key, state in (("steppe", ok), ("dala", failing)):
        run = write.FetchRunRecord(
            started_at=state.last_fetched_at,
            duration_ms=12.0,
            status=state.last_status,
            http_status=state.last_http_status,
        )
        write.store_feed_batch(
            engine,
            ids[key],
            [],
            run,
            state,  # type: ignore[arg-type]
            lexicon_version=LEXICON_VERSION,
        )


# --- recounting ---------------------------------------------------------------------------


def matches(k: Known, f: Filters, feed_ids: Mapping[str, int]) -> bool:
    """The documented filter semantics, in plain Python: OR within an axis, AND across."""
    day = k.published_at.date()
    if f.date_from and day < f.date_from:
        return False
    if f.date_to and day > f.date_to:
        return False
    if f.langs and k.lang not in f.langs:
        return False
    if f.sources and feed_ids[k.feed] not in f.sources:
        return False
    for axis, wanted in (
        ("category", f.categories),
        ("region", f.regions),
        ("platform", f.platforms),
    ):
        if wanted and not set(wanted) & set(k.values(axis)):
            return False
    return not (f.q and f.q.lower() not in f"{k.title}\n{k.summary}".lower())


def recount(f: Filters, feed_ids: Mapping[str, int]) -> list[Known]:
    return [k for k in KNOWN if matches(k, f, feed_ids)]


def count_by(f: Filters, feed_ids: Mapping[str, int], axis: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for k in recount(f, feed_ids):
        for value in k.values(axis):
            out[value] = out.get(value, 0) + 1
    return out


def days(first: str, last: str) -> tuple[date, date]:
    return date.fromisoformat(first), date.fromisoformat(last)
