"""The metric code of tools.evaluate, checked on small hand-computed cases.

The predictors here are fakes (a dict from item id to Tags): this tests the
arithmetic, not the tagger.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators import taxonomy
from indicators.models import Match, Tags, tagged_text
from tools.evaluate import (
    NOT_RELEVANT,
    NOTHING,
    DevItem,
    DevsetError,
    compare_verdicts,
    evaluate,
    format_changes,
    format_errors,
    format_report,
    hash_half,
    hash_quarter,
    item_error_count,
    load_devset,
    scores,
    split_items,
)

TA, TM, EI, OP, CY = (
    "terrorist_activity",
    "tactics_methods",
    "extremist_ideology",
    "online_platforms",
    "cyber_threats",
)


def item(id: str, relevant: bool, cats=(), regions=(), platforms=(), hard=False) -> DevItem:
    return DevItem(
        id=id,
        lang=id.split("-")[0],
        title=f"title of {id}",
        summary=f"summary of {id}",
        relevant=relevant,
        categories=tuple(cats),
        regions=tuple(regions),
        platforms=tuple(platforms),
        hard=hard,
    )


def fake(predictions: dict[str, Tags]):
    return lambda it: predictions[it.id]


# ---------------------------------------------------------------- scores


def test_scores_follow_the_textbook_formulas():
    s = scores(tp=3, fp=1, fn=2)
    assert (s.tp, s.fp, s.fn, s.support) == (3, 1, 2, 5)
    assert s.precision == pytest.approx(3 / 4)
    assert s.recall == pytest.approx(3 / 5)
    assert s.f1 == pytest.approx(2 * 0.75 * 0.6 / (0.75 + 0.6))


def test_nothing_to_find_and_nothing_claimed_is_a_perfect_score():
    s = scores(0, 0, 0)
    assert (s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0)


def test_only_wrong_claims_score_zero_not_a_division_error():
    s = scores(tp=0, fp=2, fn=0)
    assert (s.precision, s.recall, s.f1) == (0.0, 0.0, 0.0)


def test_claiming_nothing_when_something_was_expected_scores_zero():
    s = scores(tp=0, fp=0, fn=3)
    assert (s.precision, s.recall, s.f1) == (0.0, 0.0, 0.0)


def test_negative_counts_are_refused():
    with pytest.raises(ValueError):
        scores(1, -1, 0)


@given(st.integers(0, 50), st.integers(0, 50), st.integers(0, 50))
def test_f1_is_a_ratio_between_precision_and_recall(tp, fp, fn):
    s = scores(tp, fp, fn)
    for value in (s.precision, s.recall, s.f1):
        assert 0.0 <= value <= 1.0
    if tp > 0:
        assert min(s.precision, s.recall) - 1e-12 <= s.f1 <= max(s.precision, s.recall) + 1e-12


# ---------------------------------------------------------------- evaluate

# Four items and what a fake tagger says about them; every number asserted
# below was counted by hand from this table.
ITEMS = [
    item("ru-1", True, [TA, TM], ["KZ-75"], ["telegram"]),
    item("kk-1", True, [CY], ["KZ"]),
    item("en-1", False, hard=True),
    item("ru-2", False),
]
PREDICTIONS = {
    "ru-1": Tags(True, (TA, EI), ("KZ-75", "KZ-19"), ("telegram",)),
    "kk-1": Tags(False, (), ("KZ",), ()),  # not relevant: its leftover region counts for nothing
    "en-1": Tags(True, (CY,), ("KZ-47",), ("telegram",)),
    "ru-2": Tags(False),
}


def test_an_items_wrong_labels_are_counted_on_every_axis():
    # ru-1: EI claimed, TM missed, KZ-19 claimed: three wrong labels, relevance right
    assert item_error_count(ITEMS[0], PREDICTIONS["ru-1"]) == 3
    # kk-1: relevance missed, so its category and region count as missed too
    assert item_error_count(ITEMS[1], PREDICTIONS["kk-1"]) == 3
    # en-1: called relevant with a category, a region and a platform nobody labelled
    assert item_error_count(ITEMS[2], PREDICTIONS["en-1"]) == 4
    assert item_error_count(ITEMS[3], PREDICTIONS["ru-2"]) == 0


def test_a_change_is_judged_item_by_item_on_its_wrong_labels():
    after = dict(PREDICTIONS)
    after["ru-1"] = Tags(True, (TA, TM), ("KZ-75",), ("telegram",))  # now all right: better
    after["ru-2"] = Tags(True, (TA,))  # a false alarm: worse
    after["kk-1"] = Tags(False, (), ("KZ-75",), ())  # differs, but as wrong as before
    moved = compare_verdicts(ITEMS, PREDICTIONS, after)
    assert (moved.changed, moved.better, moved.worse) == (3, 1, 1)
    assert compare_verdicts(ITEMS, PREDICTIONS, PREDICTIONS).changed == 0


def test_the_items_a_change_moved_are_listed_worse_first_with_their_labels():
    after = dict(PREDICTIONS)
    after["ru-1"] = Tags(True, (TA, TM), ("KZ-75",), ("telegram",))  # better
    after["ru-2"] = Tags(True, (TA,))  # worse
    after["kk-1"] = Tags(False, (), ("KZ-75",), ())  # not relevant either way: no label moved
    lines = format_changes(ITEMS, PREDICTIONS, after, limit=5).splitlines()
    assert [line for line in lines if not line.startswith(" ")] == [
        "worse: ru-2 [ru] title of ru-2",
        "better: ru-1 [ru] title of ru-1",
    ]
    assert lines[1:4] == [
        "  labelled: relevant False; - | - | - | -",
        "    before: relevant False; - | - | - | -",
        "     after: relevant True; terrorist_activity | - | - | -",
    ]
    assert format_changes(ITEMS, PREDICTIONS, after, limit=1).splitlines()[-1] == "... 1 more"


@pytest.fixture(scope="module")
def report():
    return evaluate(ITEMS, fake(PREDICTIONS))


def test_relevance_counts_items(report):
    r = report.relevance
    assert (r.tp, r.fp, r.fn) == (1, 1, 1)
    assert (r.precision, r.recall, r.f1) == (0.5, 0.5, 0.5)


def test_relevance_is_also_scored_per_language(report):
    by_lang = {lang: (s.tp, s.fp, s.fn, s.f1) for lang, s in report.relevance_by_lang.items()}
    assert list(by_lang) == ["ru", "kk", "en"]
    assert by_lang == {"ru": (1, 0, 0, 1.0), "kk": (0, 0, 1, 0.0), "en": (0, 1, 0, 0.0)}
    assert report.items_by_lang == {"ru": 2, "kk": 1, "en": 1}


def test_each_category_is_a_binary_decision_per_item(report):
    counts = {c: (s.tp, s.fp, s.fn) for c, s in report.categories.items()}
    assert counts[TA] == (1, 0, 0)
    assert counts[TM] == (0, 0, 1)
    assert counts[EI] == (0, 1, 0)
    assert counts[CY] == (0, 1, 1)  # en-1 wrongly, kk-1 missed (judged not relevant)
    assert counts[OP] == (0, 0, 0)
    assert report.categories[OP].f1 == 1.0
    assert tuple(report.categories) == taxonomy.CATEGORY_IDS


def test_category_micro_and_macro(report):
    m = report.category_micro
    assert (m.tp, m.fp, m.fn) == (1, 2, 2)
    assert m.f1 == pytest.approx(2 / 6)
    # F1 per category: TA 1, TM 0, EI 0, CY 0, and 1.0 for the three nobody mentioned.
    assert report.category_macro_f1 == pytest.approx(4 / 7)


def test_regions_and_platforms_are_micro_averaged_over_labels(report):
    assert (report.regions.tp, report.regions.fp, report.regions.fn) == (1, 2, 1)
    assert (report.platforms.tp, report.platforms.fp, report.platforms.fn) == (1, 1, 0)


def test_hard_negatives_called_relevant_are_counted(report):
    assert (report.hard_negatives, report.hard_negatives_flagged) == (1, 1)


def test_worst_category_has_lowest_f1_and_most_errors_on_ties(report):
    worst = report.worst
    assert worst is not None
    assert worst.category == CY  # TM, EI and CY all have F1 0; CY has two errors
    assert worst.fp_carried == ((NOT_RELEVANT, 1),)
    assert worst.fn_given == ((NOTHING, 1),)


def test_errors_list_every_item_that_differs_on_any_axis_in_order(report):
    assert [(e.item.id, e.axes) for e in report.errors] == [
        ("ru-1", ("category", "region")),
        ("kk-1", ("relevance", "category", "region")),
        ("en-1", ("relevance", "category", "region", "platform")),
    ]
    first = report.errors[0]
    assert first.extra("category") == (EI,)
    assert first.missing("category") == (TM,)
    assert first.extra("region") == ("KZ-19",)
    assert report.errors[1].predicted("region") == ()


def test_confusion_names_the_other_categories_involved():
    items = [item("ru-1", True, [EI, OP]), item("ru-2", True, [TA])]
    preds = {"ru-1": Tags(True, (TA, EI)), "ru-2": Tags(True, (OP,))}
    worst = evaluate(items, fake(preds)).worst
    assert worst is not None
    # TA and OP both have F1 0 and two errors: the taxonomy order decides.
    assert worst.category == TA
    assert worst.fp_carried == ((EI, 1), (OP, 1))
    assert worst.fn_given == ((OP, 1),)


def test_a_perfect_tagger_has_no_errors_and_no_worst_category():
    preds = {it.id: Tags(it.relevant, it.categories, it.regions, it.platforms) for it in ITEMS}
    rep = evaluate(ITEMS, fake(preds))
    assert rep.errors == ()
    assert rep.worst is None
    assert rep.relevance.f1 == rep.category_micro.f1 == rep.regions.f1 == 1.0


# ---------------------------------------------------------------- rendering


def test_report_is_a_plain_text_table(report):
    text = format_report(report)
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.strip()}
    assert rows["relevance"] == ["1", "1", "1", "0.500", "0.500", "0.500"]
    assert rows[CY] == ["0", "1", "1", "0.000", "0.000", "0.000"]
    assert "Worst category: cyber_threats" in text
    assert "Hard negatives called relevant: 1 of 1" in text
    assert "Items with an error on some axis: 3 (2 on relevance)" in text


def test_errors_show_the_terms_behind_false_positives():
    it = DevItem("ru-9", "ru", "Взлом рекорда", "Штангистка подняла 121 кг.", relevant=False)
    text = tagged_text(it.title, it.summary)
    start = text.index("Взлом")
    got = Tags(True, (CY,), matches=(Match("category", CY, "взлом", start, start + 5),))
    rep = evaluate([it], fake({"ru-9": got}))
    out = format_errors(rep.errors, 5)
    assert "ru-9 [ru, negative] Взлом рекорда" in out
    assert "relevance: expected False, got True" in out
    assert "+ cyber_threats: 'взлом' at 'Взлом'" in out


def test_errors_are_cut_at_the_limit(report):
    out = format_errors(report.errors, 1)
    assert "ru-1" in out and "kk-1" not in out
    assert out.rstrip().endswith("... 2 more")


# ---------------------------------------------------------------- loading


def write_lines(path: Path, *rows: object) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def row(id: str = "ru-0001", **changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": id,
        "lang": id.split("-")[0],
        "title": "Заголовок",
        "summary": "Текст.",
        "relevant": True,
        "categories": [TA],
        "regions": ["KZ-75"],
        "platforms": ["telegram"],
    }
    base.update(changes)
    return base


def test_load_skips_comments_and_blank_lines(tmp_path):
    path = write_lines(
        tmp_path / "d.jsonl",
        "# a header comment",
        row(),
        "",
        row("en-0001", relevant=False, categories=[], regions=[], platforms=[], hard=True),
    )
    items = load_devset(path)
    assert [i.id for i in items] == ["ru-0001", "en-0001"]
    assert items[0].categories == (TA,) and items[0].regions == ("KZ-75",)
    assert items[1].hard and not items[1].relevant


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (row(categories=["terrorism"]), "unknown category 'terrorism'"),
        (row(platforms=["myspace"]), "unknown platform 'myspace'"),
        (row(regions=["KZ-99"]), "unknown region 'KZ-99'"),
        (row(regions=["KZ", "KZ-75"]), "KZ is labelled only when no Kazakh unit is named"),
        (row(relevant=False), "relevant must be true exactly when there are categories"),
        (row(relevant=False, categories=[]), "a non-relevant item carries no regions"),
        (row(hard=True), "only negatives can be hard"),
        (row(lang="de", id="de-0001"), "unknown lang 'de'"),
        (row(id="kk-0001", lang="ru"), "id should start with the language"),
        (row(extra=1), "unknown field 'extra'"),
        (row(categories="terrorist_activity"), "field 'categories' must be list"),
        (row(actors=["Islamic State"]), "malformed actor id 'Islamic State'"),
        (
            row(relevant=False, categories=[], regions=[], platforms=[], actors=["isis"]),
            "a non-relevant item carries no regions, platforms or actors",
        ),
        ("{not json", "not JSON"),
    ],
)
def test_load_rejects_bad_items_with_the_line_number(tmp_path, bad, message):
    path = write_lines(tmp_path / "d.jsonl", "# header", bad)
    with pytest.raises(DevsetError) as exc:
        load_devset(path)
    assert "line 2:" in str(exc.value)
    assert message in str(exc.value)


def test_load_rejects_duplicate_ids(tmp_path):
    path = write_lines(tmp_path / "d.jsonl", row(), row())
    with pytest.raises(DevsetError, match="id ru-0001 already used on line 1"):
        load_devset(path)


def test_load_rejects_an_empty_file(tmp_path):
    path = write_lines(tmp_path / "d.jsonl", "# only a comment")
    with pytest.raises(DevsetError, match="no items"):
        load_devset(path)


def test_split_items_separates_even_and_odd_id_numbers():
    items = [item("ru-0001", False), item("ru-0002", False), item("kk-0104", False)]
    assert [it.id for it in split_items(items, "even")] == ["ru-0002", "kk-0104"]
    assert [it.id for it in split_items(items, "odd")] == ["ru-0001"]
    assert split_items(items, "all") == items
    with pytest.raises(ValueError, match="unknown split"):
        split_items(items, "third")


# ---------------------------------------------------------------- the real-news corpus


def news(id: str, url: str, sample: str = "topic", **changes: object) -> dict[str, object]:
    fields = {"lang": "ru", "url": url, "outlet": "tengrinews.kz", "published": "2025-03-14"}
    return row(id, **{**fields, "set": sample, **changes})


def test_a_folder_is_one_set_read_file_by_file(tmp_path):
    write_lines(tmp_path / "b.jsonl", news("rn-ru-0002", "https://b.kz/2"))
    write_lines(
        tmp_path / "a.jsonl",
        "# header",
        news("rn-or-0001", "https://a.kz/1", "ordinary", lang="kk", relevant=False,
             categories=[], regions=[], platforms=[]),
    )  # fmt: skip
    (tmp_path / "notes.txt").write_text("not part of the set", encoding="utf-8")
    items = load_devset(tmp_path)
    assert [(i.id, i.lang, i.sample, i.url) for i in items] == [
        ("rn-or-0001", "kk", "ordinary", "https://a.kz/1"),
        ("rn-ru-0002", "ru", "topic", "https://b.kz/2"),
    ]
    assert (items[1].outlet, items[1].published) == ("tengrinews.kz", "2025-03-14")


def test_one_article_is_one_item_across_the_files(tmp_path):
    write_lines(tmp_path / "a.jsonl", news("rn-ru-0001", "https://a.kz/1"))
    write_lines(tmp_path / "b.jsonl", news("rn-en-0001", "https://a.kz/1", lang="en"))
    with pytest.raises(DevsetError, match=r"b\.jsonl:1: url already used on a\.jsonl:1"):
        load_devset(tmp_path)
    write_lines(tmp_path / "b.jsonl", news("rn-ru-0001", "https://b.kz/1"))
    with pytest.raises(DevsetError, match=r"id rn-ru-0001 already used on a\.jsonl:1"):
        load_devset(tmp_path)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (news("rn-ru-0001", "ftp://a.kz/1"), "url must be the article's http(s) address"),
        (news("rn-ru-0001", "https://a.kz/1", outlet=" "), "outlet missing"),
        (news("rn-ru-0001", "https://a.kz/1", "archive"), "set must be one of topic, ordinary"),
        (news("rn-ru-0001", "https://a.kz/1", published="14.03.2025"), "YYYY-MM-DD, YYYY-MM"),
        (news("rn-ru-0001", "https://a.kz/1", published="2025-3"), "YYYY-MM-DD, YYYY-MM"),
        (row(url="https://a.kz/1"), "source fields are for real-news items"),
    ],
)
def test_real_news_items_must_name_their_article(tmp_path, bad, message):
    with pytest.raises(DevsetError) as exc:
        load_devset(write_lines(tmp_path / "d.jsonl", bad))
    assert message in str(exc.value)


def test_the_hash_split_is_fixed_disjoint_and_about_even():
    items = [item(f"ru-{n:04d}", False) for n in range(400)]
    items = [DevItem(**{**{f: getattr(i, f) for f in i.__slots__}, "url": f"https://x.kz/{n}"})
             for n, i in enumerate(items)]  # fmt: skip
    tune, held = split_items(items, "tune"), split_items(items, "heldout")
    assert {i.id for i in tune}.isdisjoint({i.id for i in held})
    assert len(tune) + len(held) == 400 and 150 < len(tune) < 250
    assert split_items(list(reversed(items)), "tune") == list(reversed(tune))  # order-free
    # the half depends on the article's address, not on the id it was given
    moved = DevItem(**{**{f: getattr(tune[0], f) for f in tune[0].__slots__}, "id": "ru-9999"})
    assert split_items([moved], "tune") == [moved]
    assert hash_half("https://x.kz/0") == int(
        hashlib.sha256(b"https://x.kz/0").hexdigest()[-2:], 16) % 2  # fmt: skip


def test_the_search_and_check_quarters_cut_the_tuning_half_in_two():
    """A lexicon round reads `search` and is checked once on `check`: together they are the
    tuning half, never the held-out half, and an article stays in its quarter."""
    items = [
        DevItem(id=f"rn-ru-{n:04d}", lang="ru", title="t", summary="s", relevant=False,
                url=f"https://x.kz/{n}", outlet="x.kz")
        for n in range(800)
    ]  # fmt: skip
    tune, held = split_items(items, "tune"), split_items(items, "heldout")
    search, check = split_items(items, "search"), split_items(items, "check")
    assert {i.id for i in search}.isdisjoint({i.id for i in check})
    assert sorted(i.id for i in search + check) == sorted(i.id for i in tune)
    assert {i.id for i in search + check}.isdisjoint({i.id for i in held})
    assert 0.35 < len(search) / len(tune) < 0.65
    assert split_items(list(reversed(items)), "check") == list(reversed(check))  # order-free
    # a second bit of the same hash: neither quarter is the half's own bit again
    assert {hash_half(i.url) for i in search} == {0} and {hash_quarter(i.url) for i in check} == {1}
    assert hash_quarter("https://x.kz/0") == hashlib.sha256(b"https://x.kz/0").digest()[-2] % 2


def test_ordinary_news_called_relevant_are_counted_per_thousand():
    calm = [
        DevItem(id=f"rn-or-{n:04d}", lang="ru", title="t", summary="s", relevant=False,
                url=f"https://x.kz/{n}", outlet="x.kz", sample="ordinary")
        for n in range(8)
    ]  # fmt: skip
    flagged = {calm[0].id, calm[5].id}
    report = evaluate(
        calm, lambda it: Tags(relevant=True, categories=(TA,)) if it.id in flagged else Tags(False)
    )
    assert (report.ordinary, report.ordinary_flagged) == (8, 2)
    assert "Ordinary news called relevant: 2 of 8 = 250.0 per 1,000 items" in format_report(report)
    assert "Ordinary news" not in format_report(evaluate([item("ru-0001", False)], fake({
        "ru-0001": Tags(False)})))  # fmt: skip


def test_organizations_are_scored_per_id_and_micro_averaged():
    items = [
        DevItem("ru-0001", "ru", "t", "s", True, (TA,), actors=("isis", "taliban")),
        DevItem("ru-0002", "ru", "t", "s", True, (TA,), actors=("isis_k",)),
        DevItem("ru-0003", "ru", "t", "s", True, (TA,)),
        DevItem("ru-0004", "ru", "t", "s", False),
    ]
    predicted = {
        "ru-0001": Tags(True, (TA,), actors=("isis",)),  # taliban missed
        "ru-0002": Tags(True, (TA,), actors=("isis", "isis_k")),  # isis claimed wrongly
        "ru-0003": Tags(True, (TA,)),
        # a non-relevant verdict claims nothing on any axis
        "ru-0004": Tags(False, actors=("killnet",)),
    }
    report = evaluate(items, fake(predicted))
    by_id = {a: (s.tp, s.fp, s.fn) for a, s in report.actors_by_id.items()}
    assert by_id == {"isis": (1, 1, 0), "isis_k": (1, 0, 0), "taliban": (0, 0, 1)}
    assert (report.actors.tp, report.actors.fp, report.actors.fn) == (2, 1, 1)
    assert report.actors_by_id["isis"].precision == 0.5
    assert report.actors_by_id["taliban"].recall == 0.0
    text = format_report(report)
    assert "actors (micro)" in text and "  isis_k" in text
    assert [e.item.id for e in report.errors] == ["ru-0001", "ru-0002"]
    assert report.errors[0].missing("actor") == ("taliban",)


def test_kazakhstan_s_codes_are_also_scored_apart_from_other_countries():
    items = [item("ru-1", True, [TA], ["KZ-75", "SY"]), item("ru-2", True, [TA], ["KZ"])]
    predictions = {
        "ru-1": Tags(True, (TA,), ("KZ-75", "TR"), ()),
        "ru-2": Tags(True, (TA,), ("KZ-71",), ()),
    }
    rep = evaluate(items, fake(predictions))
    assert (rep.regions.tp, rep.regions.fp, rep.regions.fn) == (1, 2, 2)
    assert (rep.kz_regions.tp, rep.kz_regions.fp, rep.kz_regions.fn) == (1, 1, 1)
    assert "Kazakhstan (KZ, KZ-xx)" in format_report(rep)
