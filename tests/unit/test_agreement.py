"""The second-annotator study (tools.agreement): a fixed blind sample, checked second
labels, and agreement scored with the tagger's own metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.agreement import (
    BLIND_FIELDS,
    as_tags,
    blind_record,
    draw_sample,
    parse_second,
    side_by_side,
    write_blind,
)
from tools.evaluate import DevItem, DevsetError, evaluate


def news(n: int, sample: str = "topic", **labels: object) -> DevItem:
    fields: dict[str, object] = {
        "relevant": True,
        "categories": ("terrorist_activity",),
        "regions": ("KZ-75",),
        "platforms": (),
    }
    fields.update(labels)
    return DevItem(
        id=f"rn-ru-{n:04d}",
        lang="ru",
        title=f"заголовок {n}",
        summary=f"лид {n}",
        url=f"https://example.kz/news/{n}",
        outlet="example.kz",
        published="2026-01-02",
        sample=sample,
        **fields,  # type: ignore[arg-type]
    )


CORPUS = [news(n) for n in range(40)] + [
    news(n, "ordinary", relevant=False, categories=(), regions=()) for n in range(40, 60)
]
BY_ID = {it.id: it for it in CORPUS}


def line(item_id: str, **labels: object) -> str:
    record: dict[str, object] = {
        "id": item_id,
        "relevant": True,
        "categories": ["terrorist_activity"],
        "regions": ["KZ-75"],
        "platforms": [],
    }
    record.update(labels)
    return json.dumps(record)


def test_the_sample_is_fixed_whatever_the_order_of_the_corpus() -> None:
    first = draw_sample(CORPUS, 10, 3)
    again = draw_sample(list(reversed(CORPUS)), 10, 3)
    assert [it.id for it in first] == [it.id for it in again]
    assert sum(it.sample == "topic" for it in first) == 10
    assert sum(it.sample == "ordinary" for it in first) == 3


def test_a_larger_sample_keeps_the_smaller_one() -> None:
    """Growing the study labels more items; it never replaces the ones already labelled."""
    small = {it.id for it in draw_sample(CORPUS, 5, 2)}
    assert small <= {it.id for it in draw_sample(CORPUS, 15, 6)}


def test_the_annotator_sees_no_label_and_no_url(tmp_path: Path) -> None:
    record = blind_record(CORPUS[0])
    assert set(record) == set(BLIND_FIELDS)
    assert "url" not in record and "categories" not in record and "relevant" not in record
    out = tmp_path / "blind.jsonl"
    write_blind(CORPUS[:3], out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["id"] for x in lines] == [it.id for it in CORPUS[:3]]
    assert "заголовок 0" in lines[0]  # Cyrillic kept readable


def test_second_labels_are_read_with_the_corpus_rules() -> None:
    labels = parse_second(
        [
            "# comment lines and blank lines are skipped",
            "",
            line("rn-ru-0001", categories=["counter_measures"], regions=["KZ"]),
            line("rn-ru-0040", relevant=False, categories=[], regions=[], hard=True),
        ],
        BY_ID,
    )
    assert [x.id for x in labels] == ["rn-ru-0001", "rn-ru-0040"]
    assert labels[0].categories == ("counter_measures",) and labels[0].regions == ("KZ",)
    assert labels[1].hard and not labels[1].relevant


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (line("rn-ru-9999"), "no corpus item"),
        (line("rn-ru-0001", categories=["terrorism"]), "unknown category"),
        (line("rn-ru-0001", relevant=False, categories=[]), "carries no regions"),
        (line("rn-ru-0001", regions=["KZ", "KZ-75"]), "KZ is labelled only"),
        (line("rn-ru-0001", url="https://x"), "unknown field"),
        ("{not json", "not JSON"),
    ],
)
def test_bad_second_labels_are_refused_with_the_line(bad: str, message: str) -> None:
    with pytest.raises(DevsetError, match=message) as caught:
        parse_second([line("rn-ru-0002"), bad], BY_ID)
    assert "line 2" in str(caught.value)


def test_an_item_labelled_twice_is_refused() -> None:
    with pytest.raises(DevsetError, match="labelled twice"):
        parse_second([line("rn-ru-0001"), line("rn-ru-0001")], BY_ID)


def test_agreement_is_scored_like_the_tagger() -> None:
    """Two of four items differ: one category swapped, one region missing."""
    items = CORPUS[:4]
    second = {
        x.id: x
        for x in parse_second(
            [
                line("rn-ru-0000"),
                line("rn-ru-0001", categories=["counter_measures"]),
                line("rn-ru-0002", regions=[]),
                line("rn-ru-0003"),
            ],
            BY_ID,
        )
    }
    report = evaluate(items, lambda it: as_tags(second[it.id]))
    assert report.relevance.f1 == 1.0
    assert (report.category_micro.tp, report.category_micro.fp, report.category_micro.fn) == (
        3,
        1,
        1,
    )
    assert report.regions.fn == 1 and report.regions.fp == 0
    same = evaluate(items, lambda it: as_tags(second["rn-ru-0000"]))
    table = side_by_side({"second annotator": report, "all alike": same})
    rows = {row[:30].strip(): row[30:].split() for row in table.splitlines()}
    assert rows["categories (micro)"] == [f"{report.category_micro.f1:.3f}", "1.000"]
    assert rows["regions (micro)"][0] == f"{report.regions.f1:.3f}"
    assert rows["hard negatives called relevant"] == ["0", "of", "0", "0", "of", "0"]


REPO = Path(__file__).resolve().parents[2]


def test_the_shipped_second_labels_hold_the_sample_and_agree_with_the_corpus() -> None:
    """The study's file: valid labels of corpus items, and a labelling that still agrees
    with the corpus (a careless relabelling of the corpus would show here first)."""
    from tools.evaluate import load_devset

    corpus = {it.id: it for it in load_devset(REPO / "tests/eval/realnews")}
    second = {
        x.id: x
        for x in parse_second(
            (REPO / "tests/eval/agreement/second.jsonl").read_text(encoding="utf-8").splitlines(),
            corpus,
        )
    }
    items = [corpus[item_id] for item_id in second]
    assert sum(it.sample == "topic" for it in items) == 560
    assert sum(it.sample == "ordinary" for it in items) == 80
    report = evaluate(items, lambda it: as_tags(second[it.id]))
    assert report.relevance.f1 >= 0.98
    assert report.category_micro.f1 >= 0.92
    assert report.regions.f1 >= 0.9


def _corpus_file(folder: Path) -> None:
    folder.mkdir()
    rows = [
        {
            "id": it.id,
            "lang": it.lang,
            "title": "КНБ задержал сторонника ИГИЛ в Алматы" if it.relevant else it.title,
            "summary": it.summary,
            "relevant": it.relevant,
            "categories": list(it.categories),
            "regions": list(it.regions),
            "platforms": [],
            "url": it.url,
            "outlet": it.outlet,
            "published": it.published,
            "set": it.sample,
        }
        for it in CORPUS
    ]
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    (folder / "sample.jsonl").write_text(text + "\n", encoding="utf-8")


def test_the_command_writes_what_is_left_to_label_then_scores_beside_the_tagger(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    corpus, second, blind = tmp_path / "corpus", tmp_path / "second.jsonl", tmp_path / "b.jsonl"
    _corpus_file(corpus)
    command = [sys.executable, str(REPO / "bench/agreement.py"), "--corpus", str(corpus)]
    second.write_text(line("rn-ru-0001") + "\n", encoding="utf-8")
    sample = [*command, "--second", str(second), "--blind", str(blind), "--topic", "5"]
    assert subprocess.run([*sample, "--ordinary", "2"], check=False).returncode == 0
    left = [json.loads(x)["id"] for x in blind.read_text(encoding="utf-8").splitlines()]
    chosen = [it.id for it in draw_sample(CORPUS, 5, 2)]
    assert left == [i for i in chosen if i != "rn-ru-0001"]
    assert set(json.loads(blind.read_text(encoding="utf-8").splitlines()[0])) == set(BLIND_FIELDS)

    second.write_text(
        "\n".join(
            line(i)
            if i.startswith("rn-ru-00") and int(i[-2:]) < 40
            else line(i, relevant=False, categories=[], regions=[])
            for i in chosen
        )
        + "\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [*command, "--second", str(second)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "Second annotator: 7 items" in done.stdout
    assert "second annotator" in done.stdout and "tagger" in done.stdout
    first_table = done.stdout.split("--- tuning half")[0]
    relevance = next(r for r in first_table.splitlines() if r.startswith("relevance"))
    assert relevance.split()[1] == "1.000"  # the second labels equal the corpus's

    second.write_text(line("rn-ru-9999") + "\n", encoding="utf-8")
    refused = subprocess.run(
        [*command, "--second", str(second)], capture_output=True, text=True, check=False
    )
    assert refused.returncode == 2 and "no corpus item" in refused.stderr
