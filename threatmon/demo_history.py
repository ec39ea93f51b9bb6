"""Synthetic news history for the demo and the benchmark (never real events).

`generate_items` composes Russian, Kazakh and English news-like items from the
word lists below: threat stories of every category mixed with ordinary news
(weather, sport, business, culture), set in Kazakhstan's regions or abroad,
sometimes naming an online platform. Volumes vary by weekday and carry a few
bursts, so charts show trends worth looking at. Everything is seeded.

`populate` stores such a history through the real writer, tagged by the real
tagger when one is given (else by the labels the generator knows it wrote),
in 1,000-item transactions.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine

from indicators.models import FeedFields, ItemRecord, Match, Tags

Tagger = Callable[[str, str, str], Tags]
"""(title, summary, lang) -> Tags: the real tagger bound to a compiled lexicon."""

LANGS = (("ru", 0.55), ("kk", 0.25), ("en", 0.20))

# --- word lists: (text, axis, id) fragments per language -----------------------------
# Each category: event phrases for titles and detail phrases for summaries.

CATEGORY_PHRASES: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "terrorist_activity": {
        "ru": (
            (
                "КНБ предотвратил теракт",
                "Задержаны члены террористической группы",
                "Суд вынес приговор экстремистам",
                "Осуждены сторонники ИГИЛ",
            ),
            (
                "подозреваемые готовили теракт в людном месте",
                "задержанные состояли в запрещенной экстремистской организации",
                "один из фигурантов воевал в рядах террористов",
            ),
        ),
        "kk": (
            (
                "ҰҚК лаңкестік әрекеттің алдын алды",
                "Террористік топ мүшелері ұсталды",
                "Экстремистерге үкім шығарылды",
            ),
            (
                "күдіктілер лаңкестік шабуыл дайындаған",
                "ұсталғандар тыйым салынған экстремистік ұйымның мүшелері",
            ),
        ),
        "en": (
            (
                "Security service foils terrorist attack",
                "Members of a terrorist cell detained",
                "Court sentences ISIS-K supporters",
            ),
            (
                "the suspects planned a terrorist attack on a crowded place",
                "the detainees belonged to a banned extremist organization",
            ),
        ),
    },
    "tactics_methods": {
        "ru": (
            (
                "Обнаружен схрон оружия",
                "Найдено самодельное взрывное устройство",
                "Беспилотник упал у нефтебазы",
            ),
            ("в тайнике нашли взрывчатку и боеприпасы", "сапёры обезвредили взрывное устройство"),
        ),
        "kk": (
            ("Қару-жарақ қоймасы табылды", "Жарылғыш құрылғы залалсыздандырылды"),
            ("жасырын жерден жарылғыш заттар табылды",),
        ),
        "en": (
            ("Weapons cache found", "Improvised explosive device defused"),
            (
                "investigators seized explosives and ammunition",
                "bomb technicians defused an IED near the station",
            ),
        ),
    },
    "extremist_ideology": {
        "ru": (
            ("Вербовщика осудили за пропаганду терроризма", "Растет радикализация молодежи"),
            ("он занимался вербовкой подростков", "эксперты обсудили программы дерадикализации"),
        ),
        "kk": (
            ("Жастарды радикалды идеологияға тартқан адам сотталды",),
            ("ол жастарды экстремистік ағымға үгіттеген",),
        ),
        "en": (
            (
                "Recruiter jailed for spreading terrorist propaganda",
                "Experts warn of youth radicalization",
            ),
            (
                "he ran online recruitment for a banned group",
                "officials presented a deradicalization programme",
            ),
        ),
    },
    "online_platforms": {
        "ru": (
            (
                "Заблокированы каналы с экстремистским контентом",
                "Мессенджеры используют для вербовки",
            ),
            ("ведомство заблокировало десятки аккаунтов",),
        ),
        "kk": (("Экстремистік арналар бұғатталды",), ("ведомство ондаған аккаунтты бұғаттады",)),
        "en": (
            ("Channels with extremist content blocked",),
            ("the regulator blocked dozens of accounts",),
        ),
    },
    "cyber_threats": {
        "ru": (
            (
                "Хакеры атаковали сайты госорганов",
                "Крупная утечка данных клиентов",
                "DDoS-атака на банковские сервисы",
            ),
            ("кибератака длилась несколько часов", "вирус-вымогатель зашифровал серверы компании"),
        ),
        "kk": (
            ("Мемлекеттік сайттарға кибершабуыл жасалды", "Деректердің жылыстауы анықталды"),
            ("кибершабуыл бірнеше сағатқа созылды",),
        ),
        "en": (
            (
                "Hackers hit government websites",
                "Ransomware attack on energy company",
                "Major data leak exposes customers",
            ),
            (
                "the cyberattack lasted several hours",
                "the ransomware encrypted the company's servers",
            ),
        ),
    },
    "terrorist_financing": {
        "ru": (
            ("Пресечено финансирование терроризма", "Заморожены активы связанных лиц"),
            (
                "средства переводили в криптовалюте",
                "лица включены в перечень организаций, связанных с терроризмом",
            ),
        ),
        "kk": (
            ("Терроризмді қаржыландыру арнасы жабылды",),
            ("қаражат криптовалютамен аударылған",),
        ),
        "en": (
            ("Terrorist financing scheme uncovered", "Assets frozen under FATF rules"),
            ("the money moved through crypto transfers",),
        ),
    },
    "counter_measures": {
        "ru": (
            (
                "Прошли антитеррористические учения",
                "Принят закон о противодействии терроризму",
                "РАТС ШОС провела совещание",
            ),
            (
                "отработали действия при захвате заложников",
                "уровень террористической опасности не менялся",
            ),
        ),
        "kk": (
            ("Терроризмге қарсы оқу-жаттығулар өтті",),
            ("лаңкестікке қарсы іс-қимыл пысықталды",),
        ),
        "en": (
            ("Counter-terrorism exercise held", "Parliament passes counter-terrorism law"),
            ("the CSTO drill simulated a hostage rescue",),
        ),
    },
}

# Ordinary news: (titles, details) per language; no tags.
ORDINARY: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ru": (
        (
            "Погода: ожидается снег и гололед",
            "Футбольный клуб выиграл матч сезона",
            "Цены на бензин выросли",
            "Открылась выставка современного искусства",
            "Нападающий стал настоящим террором для защиты соперника",
            "Новый маршрут автобуса запущен",
            "Урожай зерна превысил прогноз",
        ),
        (
            "синоптики советуют водителям быть осторожнее",
            "болельщики праздновали до утра",
            "аналитики связывают рост с сезонным спросом",
            "вход для школьников бесплатный",
        ),
    ),
    "kk": (
        (
            "Ауа райы: қар мен көктайғақ күтіледі",
            "Футбол клубы маусымның басты матчын ұтты",
            "Жанармай бағасы өсті",
            "Заманауи өнер көрмесі ашылды",
            "Жаңа автобус бағыты іске қосылды",
        ),
        (
            "синоптиктер жүргізушілерге абай болуды ескертеді",
            "жанкүйерлер таңға дейін тойлады",
            "сарапшылар өсімді маусымдық сұраныспен байланыстырады",
        ),
    ),
    "en": (
        (
            "Weather: snow and ice expected",
            "Football club wins the match of the season",
            "Fuel prices rise again",
            "Contemporary art exhibition opens",
            "Striker a terror for the opposing defence",
            "Grain harvest beats forecast",
        ),
        (
            "forecasters urge drivers to take care",
            "fans celebrated until morning",
            "analysts blame seasonal demand",
        ),
    ),
}

# Places: (ru locative, kk locative, en, code, weight)
PLACES: tuple[tuple[str, str, str, str, float], ...] = (
    ("в Алматы", "Алматыда", "in Almaty", "KZ-75", 9),
    ("в Астане", "Астанада", "in Astana", "KZ-71", 8),
    ("в Шымкенте", "Шымкентте", "in Shymkent", "KZ-79", 5),
    ("в Алматинской области", "Алматы облысында", "in Almaty region", "KZ-19", 3),
    ("в Актау", "Ақтауда", "in Aktau", "KZ-47", 3),
    ("в Атырау", "Атырауда", "in Atyrau", "KZ-23", 3),
    ("в Караганде", "Қарағандыда", "in Karaganda", "KZ-35", 3),
    ("в Павлодаре", "Павлодарда", "in Pavlodar", "KZ-55", 2),
    ("в Семее", "Семейде", "in Semey", "KZ-10", 2),
    ("в Таразе", "Таразда", "in Taraz", "KZ-31", 2),
    ("в Усть-Каменогорске", "Өскеменде", "in Oskemen", "KZ-63", 2),
    ("в Талдыкоргане", "Талдықорғанда", "in Taldykorgan", "KZ-33", 1.5),
    ("в Кызылорде", "Қызылордада", "in Kyzylorda", "KZ-43", 1.5),
    ("в Костанае", "Қостанайда", "in Kostanay", "KZ-39", 1.5),
    ("в Петропавловске", "Петропавлда", "in Petropavl", "KZ-59", 1),
    ("в Уральске", "Оралда", "in Oral", "KZ-27", 1),
    ("в Актобе", "Ақтөбеде", "in Aktobe", "KZ-15", 2),
    ("в Кокшетау", "Көкшетауда", "in Kokshetau", "KZ-11", 1),
    ("в Туркестане", "Түркістанда", "in Turkistan", "KZ-61", 1.5),
    ("в Жезказгане", "Жезқазғанда", "in Zhezkazgan", "KZ-62", 0.5),
    ("в Казахстане", "Қазақстанда", "in Kazakhstan", "KZ", 6),
    ("в Кыргызстане", "Қырғызстанда", "in Kyrgyzstan", "KG", 2),
    ("в Узбекистане", "Өзбекстанда", "in Uzbekistan", "UZ", 2),
    ("в Таджикистане", "Тәжікстанда", "in Tajikistan", "TJ", 1),
    ("в Афганистане", "Ауғанстанда", "in Afghanistan", "AF", 1),
    ("в России", "Ресейде", "in Russia", "RU", 2),
    ("в Сирии", "Сирияда", "in Syria", "SY", 0.5),
)

# Platforms: (ru phrase, kk phrase, en phrase, id, weight); the name itself is the term.
PLATFORMS: tuple[tuple[str, str, str, str, float], ...] = (
    ("через Telegram", "Telegram арқылы", "via Telegram", "telegram", 8),
    ("в WhatsApp", "WhatsApp арқылы", "on WhatsApp", "whatsapp", 3),
    ("в TikTok", "TikTok желісінде", "on TikTok", "tiktok", 3),
    ("на YouTube", "YouTube арнасында", "on YouTube", "youtube", 2),
    ("в Instagram", "Instagram желісінде", "on Instagram", "instagram", 2),
    ("в Facebook", "Facebook желісінде", "on Facebook", "facebook", 1),
    ("во ВКонтакте", "ВКонтакте желісінде", "on VK", "vk", 1),
    ("в Одноклассниках", "Одноклассники желісінде", "on Odnoklassniki", "odnoklassniki", 0.5),
    ("в X (Twitter)", "X (Twitter) желісінде", "on X (Twitter)", "x", 1),
    ("в Discord", "Discord арқылы", "on Discord", "discord", 0.5),
    ("в даркнете", "даркнетте", "on the darknet", "darknet", 1),
)

OUTLETS = {
    "ru": ("сообщает пресс-служба", "передает корреспондент", "уточнили в ведомстве"),
    "kk": ("деп хабарлады баспасөз қызметі", "деп мәлімдеді ведомство"),
    "en": ("the press service said", "officials told reporters"),
}


def _demo_feed(name: str, url: str, language: str, kind: str = "media") -> FeedFields:
    # Generated sources have no real URL: stored disabled, so the scheduler never fetches them.
    return FeedFields(url=url, name=name, language=language, kind=kind, enabled=False)


DEMO_FEEDS: tuple[FeedFields, ...] = (
    _demo_feed("Demo: Qazaq Daily (ru)", "https://demo.threatmon.invalid/qazaq-daily-ru.xml", "ru"),
    _demo_feed("Demo: Steppe Wire (ru)", "https://demo.threatmon.invalid/steppe-wire-ru.xml", "ru"),
    _demo_feed(
        "Demo: Ministry Bulletin (ru)",
        "https://demo.threatmon.invalid/ministry-ru.xml",
        "ru",
        "official",
    ),
    _demo_feed("Demo: Ақпарат (kk)", "https://demo.threatmon.invalid/aqparat-kk.xml", "kk"),
    _demo_feed("Demo: Дала Жаңалықтары (kk)", "https://demo.threatmon.invalid/dala-kk.xml", "kk"),
    _demo_feed(
        "Demo: Central Asia Monitor (en)", "https://demo.threatmon.invalid/ca-monitor-en.xml", "en"
    ),
    _demo_feed(
        "Demo: CyberWatch Asia (en)",
        "https://demo.threatmon.invalid/cyberwatch-en.xml",
        "en",
        "cyber",
    ),
)


@dataclass(frozen=True)
class SyntheticItem:
    """One generated item with the labels the generator put in it."""

    title: str
    summary: str
    lang: str
    published_at: datetime
    tags: Tags
    repeats: int | None  # index of an earlier item this one re-reports (same story)


class _Text:
    """Builds a text while recording where each labelled fragment landed."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.matches: list[Match] = []

    def add(self, text: str, label: tuple[str, str] | None = None, term: str | None = None) -> None:
        if label is not None:
            term = term or text
            start = self.length + text.index(term)
            self.matches.append(Match(label[0], label[1], term, start, start + len(term)))
        self.parts.append(text)
        self.length += len(text)

    def text(self) -> str:
        return "".join(self.parts)


def _weighted(rng: random.Random, table: Sequence[tuple[object, ...]]) -> tuple[object, ...]:
    return rng.choices(table, weights=[float(row[-1]) for row in table])[0]  # type: ignore[arg-type]


def _lang(rng: random.Random) -> str:
    return rng.choices([code for code, _ in LANGS], weights=[w for _, w in LANGS])[0]


def _place_text(place: tuple[object, ...], lang: str) -> str:
    return str(place[{"ru": 0, "kk": 1, "en": 2}[lang]])


def _term_of(fragment: str, lang: str) -> str:
    """The words of a place/platform phrase that name it (prepositions are not evidence)."""
    if lang == "ru":
        return fragment.split(" ", 1)[1] if " " in fragment else fragment
    if lang == "en":
        for prefix in ("in ", "on the ", "on ", "via "):
            if fragment.startswith(prefix):
                return fragment[len(prefix) :]
        return fragment
    return fragment.split(" ", 1)[0]


def _category_weights(day_index: int, days: int) -> dict[str, float]:
    """Slowly changing category mix with a cyber wave, a counter-measures peak and a fresh wave.

    The fresh wave (terrorist-financing cases in the last four days) gives the
    demo's early warning something current to show.
    """
    phase = 2 * math.pi * day_index / max(days, 1)
    weights = {
        "terrorist_activity": 3.0 + math.sin(phase),
        "tactics_methods": 1.2,
        "extremist_ideology": 1.8 + 0.5 * math.cos(phase),
        "online_platforms": 1.5 + day_index / max(days, 1),  # rising over the period
        "cyber_threats": 2.0,
        "terrorist_financing": 0.8,
        "counter_measures": 2.0,
    }
    if 0.55 * days <= day_index < 0.62 * days:  # a burst of cyberattacks
        weights["cyber_threats"] *= 4
    if 0.30 * days <= day_index < 0.33 * days:  # a national exercise
        weights["counter_measures"] *= 3
    if days >= 30 and day_index >= days - 4:  # financing cases, going on now
        weights["terrorist_financing"] *= 6
    return weights


def _compose(
    rng: random.Random, lang: str, day_index: int, days: int, when: datetime
) -> SyntheticItem:
    title, body = _Text(), _Text()
    categories: list[str] = []
    regions: list[str] = []
    platforms: list[str] = []
    threat = rng.random() < 0.38
    place_count = rng.choices((0, 1, 2), weights=(2, 6, 2) if threat else (4, 5, 1))[0]
    places: list[tuple[object, ...]] = []
    while len(places) < place_count:
        place = _weighted(rng, PLACES)
        if place not in places:
            places.append(place)
    if threat:
        weights = _category_weights(day_index, days)
        ids = list(weights)
        first = rng.choices(ids, weights=[weights[i] for i in ids])[0]
        categories.append(first)
        if rng.random() < 0.25:
            second = rng.choices(ids, weights=[weights[i] for i in ids])[0]
            if second != first:
                categories.append(second)
        heads, details = CATEGORY_PHRASES[first][lang]
        title.add(rng.choice(heads), ("category", first))
    else:
        heads, details = ORDINARY[lang]
        title.add(rng.choice(heads))
    if places:
        fragment = _place_text(places[0], lang)
        title.add(" " + fragment, ("region", str(places[0][3])), _term_of(fragment, lang))
        regions.append(str(places[0][3]))
    body.add(rng.choice(details).capitalize(), ("category", categories[0]) if threat else None)
    for extra in categories[1:]:
        body.add(". ")
        body.add(rng.choice(CATEGORY_PHRASES[extra][lang][1]).capitalize(), ("category", extra))
    if len(places) > 1:
        fragment = _place_text(places[1], lang)
        body.add(", " + ("также " if lang == "ru" else "also " if lang == "en" else "сондай-ақ "))
        body.add(fragment, ("region", str(places[1][3])), _term_of(fragment, lang))
        regions.append(str(places[1][3]))
    wants_platform = rng.random() < (
        0.7
        if {"online_platforms", "extremist_ideology"} & set(categories)
        else 0.2
        if threat
        else 0.04
    )
    if wants_platform:
        platform = _weighted(rng, PLATFORMS)
        fragment = _place_text(platform, lang)
        body.add(
            ", "
            + (
                "материалы распространяли "
                if lang == "ru"
                else "materials were shared "
                if lang == "en"
                else "материалдар таратылған "
            )
        )
        body.add(fragment, ("platform", str(platform[3])), _term_of(fragment, lang))
        platforms.append(str(platform[3]))
    body.add(f", {rng.choice(OUTLETS[lang])}. ")
    body.add(_filler(rng, lang, when))
    title_text = title.text()
    offset = len(title_text) + 1  # tagged_text joins title and summary with "\n"
    matches = tuple(title.matches) + tuple(
        Match(m.axis, m.id, m.term, m.start + offset, m.end + offset) for m in body.matches
    )
    tags = Tags(
        relevant=bool(categories),
        categories=tuple(categories),
        regions=tuple(regions),
        platforms=tuple(platforms),
        matches=matches,
    )
    return SyntheticItem(title_text, body.text().strip(), lang, when, tags, None)


BACKGROUND = {
    "ru": (
        "Ранее в регионе проводились проверки объектов транспорта и связи",
        "Местные власти напомнили жителям о телефонах экстренных служб",
        "Эксперты отмечают, что подобные случаи фиксируются не первый год",
        "Журналисты продолжают следить за развитием ситуации",
    ),
    "kk": (
        "Бұған дейін өңірде көлік және байланыс нысандары тексерілген",
        "Жергілікті билік тұрғындарға шұғыл қызметтердің нөмірлерін еске салды",
        "Сарапшылардың айтуынша, мұндай жағдайлар бірнеше жылдан бері тіркеліп келеді",
    ),
    "en": (
        "Earlier this year local authorities inspected transport and communication sites",
        "Residents were reminded of the emergency service numbers",
        "Analysts note that similar cases have been recorded for several years",
        "Reporters continue to follow the story",
    ),
}


def _filler(rng: random.Random, lang: str, when: datetime) -> str:
    """Neutral closing sentences with numbers, so texts (and hashes) differ.

    One sentence (no ". " inside): a re-report swaps exactly this part.
    """
    n = rng.randint(2, 480)
    stamp = when.strftime("%d.%m")
    background = rng.choice(BACKGROUND[lang])
    if lang == "ru":
        return f"{background}; на {stamp} в работе участвовали {n} специалистов, детали уточняются."
    if lang == "kk":
        return f"{background}; {stamp} жағдай бойынша жұмысқа {n} маман қатысты."
    return f"{background}; as of {stamp}, {n} specialists were involved."


def _day_sizes(n: int, days: int, rng: random.Random) -> list[int]:
    """Items per day: fewer at weekends, a little noise, summing to exactly n."""
    weights = [(0.6 if d % 7 in (5, 6) else 1.0) * rng.uniform(0.85, 1.15) for d in range(days)]
    scale = n / sum(weights)
    sizes = [int(w * scale) for w in weights]
    for d in range(n - sum(sizes)):
        sizes[d % days] += 1
    return sizes


def synthetic_items(
    n: int, *, days: int = 180, seed: int = 0, end: date
) -> Iterator[SyntheticItem]:
    """`n` items over the `days` days ending with `end`, oldest first, with their labels.

    About one threat item in six re-reports a recent story in other words of
    the same language (`repeats` points at it), so stories and mentions differ.
    """
    if n < 0 or days < 1:
        raise ValueError("n must be >= 0 and days >= 1")
    rng = random.Random(seed)
    first_day = end - timedelta(days=days - 1)
    recent: deque[tuple[int, SyntheticItem]] = deque(maxlen=200)
    index = 0
    for day_index, size in enumerate(_day_sizes(n, days, rng)):
        day = first_day + timedelta(days=day_index)
        seconds = sorted(rng.randrange(86_400) for _ in range(size))
        for second in seconds:
            when = datetime.combine(day, time.min, tzinfo=UTC) + timedelta(seconds=second)
            item = _compose(rng, _lang(rng), day_index, days, when)
            if item.tags.relevant and recent and rng.random() < 0.17:
                parent_index, parent = rng.choice(recent)
                item = _retell(parent, parent_index, when, rng)
            elif item.tags.relevant:
                recent.append((index, item))
            yield item
            index += 1


def _retell(
    original: SyntheticItem, index: int, when: datetime, rng: random.Random
) -> SyntheticItem:
    """A later re-report of `original`: same title, text and labels, a new closing sentence.

    The closing sentence is the last one of the summary and holds no labelled
    term, so the original's match offsets stay valid.
    """
    head = original.summary.rsplit(". ", 1)[0]
    return SyntheticItem(
        original.title,
        f"{head}. {_filler(rng, original.lang, when)}",
        original.lang,
        when,
        original.tags,
        index,
    )


def generate_items(
    n: int, *, days: int = 180, seed: int = 0, end: date
) -> Iterator[tuple[str, str, str]]:
    """(title, summary, lang) of `n` synthetic news items over `days` days ending `end`."""
    for item in synthetic_items(n, days=days, seed=seed, end=end):
        yield item.title, item.summary, item.lang


def _record(item: SyntheticItem, index: int, seed: int, tags: Tags) -> ItemRecord:
    digest = hashlib.sha1(f"{seed}:{index}\n{item.title}\n{item.summary}".encode()).hexdigest()
    return ItemRecord(
        guid=f"synthetic:{seed}:{index}",
        url=f"https://demo.threatmon.invalid/{seed}/{index}",
        title=item.title,
        summary=item.summary,
        published_at=item.published_at,
        fetched_at=item.published_at,
        lang=item.lang,
        content_hash=digest,
        story_key="",
        tags=tags,
    )


def populate(
    engine: Engine,
    n: int,
    *,
    days: int = 180,
    seed: int = 0,
    tagger: Tagger | None = None,
    feeds: Sequence[FeedFields] = DEMO_FEEDS,
    end: date | None = None,
    lexicon_version: str | None = None,
    batch_size: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Store `n` synthetic items through the writer; returns how many were new.

    With `tagger` (the real tagger bound to a lexicon) the items are tagged as
    live items would be; without one they carry the generator's own labels.
    Re-running with the same seed inserts nothing twice (stable GUIDs).
    """
    from indicators.store import summary
    from indicators.store.write import insert_items, upsert_feeds

    end = end or datetime.now(UTC).date()
    feed_ids = upsert_feeds(engine, feeds)
    by_lang: dict[str, list[int]] = {}
    for spec, feed_id in zip(feeds, feed_ids, strict=True):
        by_lang.setdefault(spec.language, []).append(feed_id)
    all_ids = list(feed_ids)
    rng = random.Random(seed + 1)
    story_of: dict[int, int] = {}  # generator index -> stored story id
    version = lexicon_version or ("synthetic" if tagger is None else None)
    inserted = 0
    batch: list[tuple[int, int | None, int, ItemRecord]] = []

    def flush() -> None:
        nonlocal inserted
        index_of = {record.guid: (index, repeats) for index, repeats, _f, record in batch}

        def assign(item_id: int, record: ItemRecord) -> int:
            index, repeats = index_of[record.guid]
            parent = story_of.get(repeats) if repeats is not None else None
            story_of[index] = parent if parent is not None else item_id
            return story_of[index]

        new_ids: list[int] = []
        with engine.begin() as conn:
            # originals first, then re-reports: a re-report's story is then known
            # (its original is earlier in this batch or in an earlier one)
            for reports in (False, True):
                by_feed: dict[int, list[ItemRecord]] = {}
                for _index, repeats, feed_id, record in batch:
                    if (repeats is not None) == reports:
                        by_feed.setdefault(feed_id, []).append(record)
                for feed_id, records in by_feed.items():
                    new_ids += insert_items(
                        conn,
                        feed_id,
                        records,
                        lexicon_version=version,
                        assign_story=assign,
                        summarize=False,
                    )
            summary.apply_items(conn, new_ids, +1)  # once per batch: far fewer upserts
        inserted += len(new_ids)
        batch.clear()
        if progress:
            progress(inserted)

    for index, item in enumerate(synthetic_items(n, days=days, seed=seed, end=end)):
        tags = tagger(item.title, item.summary, item.lang) if tagger else item.tags
        feed_id = rng.choice(by_lang.get(item.lang) or all_ids)
        batch.append((index, item.repeats, feed_id, _record(item, index, seed, tags)))
        if len(batch) >= batch_size:
            flush()
            _forget_old(story_of, index)
    if batch:
        flush()
    return inserted


def _forget_old(story_of: dict[int, int], index: int, keep: int = 5000) -> None:
    """Stories are only re-reported within ~200 items: keep the map small for 1M items."""
    for old in [k for k in story_of if k < index - keep]:
        del story_of[old]
