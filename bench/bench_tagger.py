"""Benchmark the tagger: items per second on one core with the full lexicon.

    python bench/bench_tagger.py [--items 20000] [--seed 7] [--data data]

Builds a synthetic ru/kk/en corpus of news-like items (300-600 characters;
about a third carry threat vocabulary, places and platforms, some with
homoglyphs and zero-width characters), tags every item once to warm caches,
then measures a second pass. Then the same corpus goes through the command
line, `threatmon tag` (JSON lines in, JSON lines out), as a fresh process on
one core: wall time from start to the last line, process start and lexicon
load included, the way a script would use it. Also prints the morphology
probe that justified the design: explicit ending inventories versus Snowball
stems with prefix matching, on words that must and must not match.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indicators.lexicon import load_compiled  # noqa: E402
from indicators.tagger import tag  # noqa: E402

FILLER = {
    "ru": (
        "По данным ведомства, в течение недели специалисты провели проверку нескольких объектов. "
        "Жители района обратились в акимат с просьбой ускорить ремонт дорог. "
        "Как сообщили в пресс-службе, работы продолжатся до конца месяца. "
        "Эксперты отмечают рост цен на продукты и услуги в регионе. "
        "На заседании обсудили вопросы развития малого и среднего бизнеса. "
        "Погода в выходные будет переменчивой, ожидаются осадки и сильный ветер. "
        "В рамках программы планируется построить новые школы и больницы. "
        "Министерство опубликовало статистику за первое полугодие. "
    ),
    "kk": (
        "Ведомство мәліметінше, апта ішінде мамандар бірнеше нысанды тексерді. "
        "Аудан тұрғындары жолдарды жөндеуді жеделдетуді сұрап әкімдікке жүгінді. "
        "Баспасөз қызметінің хабарлауынша, жұмыстар ай соңына дейін жалғасады. "
        "Сарапшылар өңірде азық-түлік бағасының өскенін атап өтті. "
        "Отырыста шағын және орта бизнесті дамыту мәселелері талқыланды. "
        "Демалыс күндері ауа райы құбылмалы болады, жауын-шашын күтіледі. "
    ),
    "en": (
        "According to the agency, specialists inspected several facilities during the week. "
        "Residents asked the city administration to speed up road repairs. "
        "The press service said the work would continue until the end of the month. "
        "Experts note rising prices for food and services in the region. "
        "The meeting discussed the development of small and medium-sized businesses. "
        "The weather at the weekend will be changeable, with rain and strong wind expected. "
    ),
}
THREAT = {
    "ru": [
        "В {place} сотрудники КНБ задержали подозреваемых в подготовке теракта.",
        "Суд приговорил участника террористической организации к 8 годам.",
        "Члены ячейки вели пропаганду терроризма через Телеграм-канал.",
        "Изъято самодельное взрывное устройство и схрон оружия.",
        "Вербовщики ИГИЛ искали сторонников в TikTok и WhatsApp.",
        "Хакеры провели DDoS-атаку на сайты государственных органов.",
        "Заморожены активы лиц из перечня организаций, связанных с финансированием терроризма.",
        "В {place} прошли антитеррористические учения, уровень террористической опасности снижен.",
    ],
    "kk": [
        "{place} ҰҚК қызметкерлері лаңкестікке қатысты күдіктілерді ұстады.",
        "Сот экстремистік ұйымға қатысқаны үшін үкім шығарды.",
        "Телеграм арнасында террористік насихат таратылған.",
        "Кибершабуыл салдарынан деректердің жылыстауы анықталды.",
    ],
    "en": [
        "Security services in {place} detained suspects planning a terrorist attack.",
        "ISIS-K recruiters used Telegram channels for online propaganda.",
        "A ransomware attack hit the operator of critical infrastructure.",
        "Authorities froze assets linked to terrorist financing, citing FATF rules.",
    ],
}
PLACES = {
    "ru": ["Алматы", "Шымкенте", "Актау", "Таразе", "Семее", "Атырауской области", "Кыргызстане"],
    "kk": ["Алматыда", "Шымкентте", "Ақтауда", "Астанада", "Түркістан облысында"],
    "en": ["Almaty", "Astana", "Aktau", "Shymkent", "Tashkent", "Kabul"],
}
NOISE = ["\u200b", "e", "a"]  # zero-width space; Latin look-alikes put inside Cyrillic words


def _make_item(rng: random.Random) -> tuple[str, str, str]:
    lang = rng.choice(("ru", "ru", "kk", "en"))
    sentences = [s.strip() + "." for s in FILLER[lang].split(". ") if s.strip()]
    picked = rng.sample(sentences, k=min(len(sentences), rng.randint(3, 5)))
    if rng.random() < 0.35:
        threat = rng.choice(THREAT[lang]).format(place=rng.choice(PLACES[lang]))
        picked.insert(rng.randrange(len(picked) + 1), threat)
    title = picked[0].rstrip(".")
    summary = " ".join(picked[1:])
    if rng.random() < 0.05:  # obfuscation: a zero-width space or a Latin look-alike
        pos = rng.randrange(len(summary))
        summary = summary[:pos] + rng.choice(NOISE) + summary[pos + 1 :]
    target = rng.randint(300, 600)  # total length, as the brief specifies
    while len(title) + 1 + len(summary) < target:
        summary += " " + rng.choice(sentences)
    return title, summary[: target - len(title) - 1], lang


def build_corpus(n: int, seed: int) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    return [_make_item(rng) for _ in range(n)]


def _words(text: str) -> list[str]:
    return text.split()


# Words each approach should match (inflections) and should not (near misses).
PROBE_TERMS = ["теракт", "террорист", "мина", "взлом", "сеть", "атака", "бомба", "вербовка"]
PROBE_SHOULD = _words(
    "теракта терактов террористов террористы мины взлома взломом сети атаки атакой бомбы бомбой "
    "вербовки вербовку"
)
PROBE_SHOULD_NOT = _words(
    "терактный минута минимум министр взломщик сетевой атаковал бомбить вербовщик сетка сетчатый "
    "минеральный атаман бомбардир"
)


def morphology_probe(data_dir: Path) -> None:
    """Compare ending inventories (this engine) with Snowball stem prefixes."""
    import Stemmer

    from indicators.lexicon import CompiledLexicon
    from indicators.morph import tail_allowed, word_patterns

    stemmer = Stemmer.Stemmer("russian")
    del CompiledLexicon, data_dir

    def ours(word: str) -> bool:
        for term in PROBE_TERMS:
            for key, cls in word_patterns(term, "ru"):
                if word.startswith(key) and tail_allowed(cls, word[len(key) :]):
                    return True
        return False

    def snowball_prefix(word: str) -> bool:
        return any(word.startswith(stemmer.stemWord(t)) for t in PROBE_TERMS)

    def snowball_equal(word: str) -> bool:
        return any(stemmer.stemWord(word) == stemmer.stemWord(t) for t in PROBE_TERMS)

    print("morphology probe (ru): recall on inflections / false matches on near misses")
    for name, fn in (
        ("endings (ours)", ours),
        ("snowball prefix", snowball_prefix),
        ("snowball equal", snowball_equal),
    ):
        hit = sum(fn(w) for w in PROBE_SHOULD)
        false = [w for w in PROBE_SHOULD_NOT if fn(w)]
        print(
            f"  {name:16} {hit}/{len(PROBE_SHOULD)} inflections, "
            f"{len(false)}/{len(PROBE_SHOULD_NOT)} false: {', '.join(false)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cli-items", type=int, default=50000)
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    args = parser.parse_args()

    started = time.perf_counter()
    compiled = load_compiled(args.data)
    print(
        f"lexicon {compiled.version}: {compiled.term_count} terms, "
        f"{len(compiled.phrases)} phrases, compiled in {time.perf_counter() - started:.2f} s"
    )
    corpus = build_corpus(args.items, args.seed)
    mean_len = statistics.mean(len(t) + 1 + len(s) for t, s, _ in corpus)
    relevant = sum(tag(t, s, compiled, lang).relevant for t, s, lang in corpus)  # warm-up
    print(f"corpus: {len(corpus)} items, mean {mean_len:.0f} chars, {relevant} relevant")
    rates = []
    for _ in range(args.repeat):
        cpu = time.process_time()
        for title, summary, lang in corpus:
            tag(title, summary, compiled, lang)
        rates.append(len(corpus) / (time.process_time() - cpu))
    print(
        f"tagging: {max(rates):,.0f} items/s (best of {args.repeat}; "
        f"all: {', '.join(f'{r:,.0f}' for r in rates)})"
    )
    command_line(corpus, args.cli_items)
    morphology_probe(args.data)


def command_line(corpus: list[tuple[str, str, str]], n: int) -> None:
    """`threatmon tag` end to end: a fresh process pinned to one core, JSON in and out."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "items.jsonl"
        with source.open("w", encoding="utf-8") as out:
            for i in range(n):
                title, summary, lang = corpus[i % len(corpus)]
                record = {"id": i, "title": title, "summary": summary, "lang": lang}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        # the console script installed beside this interpreter, as a user runs it
        command = [str(Path(sys.executable).parent / "threatmon"), "tag"]
        if hasattr(os, "sched_getaffinity"):  # one core, as the goal says
            command = ["taskset", "-c", str(min(os.sched_getaffinity(0))), *command]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        with source.open("rb") as stdin:
            done = subprocess.run(command, stdin=stdin, capture_output=True, cwd=tmp, check=False)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = done.stdout.count(b"\n")
    if done.returncode != 0 or lines != n:
        print(f"threatmon tag failed (exit {done.returncode}, {lines} of {n} lines)")
        print(done.stderr.decode(errors="replace")[-2000:])
        return
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(
        f"threatmon tag, {n:,} items through the command line on one core: "
        f"{n / wall:,.0f} items/s wall ({wall:.2f} s), {n / cpu:,.0f} items/s of CPU "
        f"({cpu:.2f} s, process start and lexicon load included)"
    )


if __name__ == "__main__":
    main()
