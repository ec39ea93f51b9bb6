"""The category model: which categories it may add to a relevant item, and with what words.

It looks only at items already relevant, may only add a threat category (never
online_platforms, never remove anything), and an added category is explained
by the item's words that pushed it most (indicators/category_model.py). Its
file is part of the lexicon's version, and the shipped model is what
`make model` fits on the tuning halves.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from types import MappingProxyType

import pytest

from indicators import category_model as cm
from indicators import hashed_features as hashed
from indicators.category_model import CategoryModel, item_words
from indicators.lexicon import LexiconError, check_lexicon, load_compiled
from indicators.models import tagged_text
from indicators.stopwords import load_stop_words
from indicators.tagger import item_evidence, tag
from tools import train_category_model

DATA = Path(__file__).resolve().parents[2] / "data"
BITS = 18
MASK = (1 << BITS) - 1
THREATS = ("terrorist_activity", "extremist_ideology", "counter_measures")


def model(bias: float = -9.0, *, words: dict[tuple[str, str], float] | None = None,
          above: float = 0.5, categories: tuple[str, ...] = THREATS) -> CategoryModel:  # fmt: skip
    """A hand-set model: `words` gives (category, stem) its weight."""
    table: dict[str, list[float]] = {}
    for (category, stem), w in (words or {}).items():
        table.setdefault(stem, [0.0] * len(categories))[categories.index(category)] = w
    frozen = MappingProxyType({stem: tuple(ws) for stem, ws in table.items()})
    return CategoryModel(MappingProxyType(dict.fromkeys(categories, bias)), frozen,
                         MappingProxyType({}), above, categories, MappingProxyType({}))  # fmt: skip


@pytest.fixture(scope="module")
def lexicon():
    return load_compiled(DATA)


def test_words_are_cut_stems_in_order_of_first_occurrence() -> None:
    text = "Детей вернули из Ирака; 2019 детей и их матерей вернули домой в 2019г."
    stems = item_words(text)
    assert stems == ("детей", "вернул", "ирака", "матере", "домой", "2019г")
    assert cm.word_span(text, "вернул") == (6, 13)  # the first of the two
    assert text[slice(*cm.word_span(text, "матере"))] == "матерей"
    assert cm.word_span(text, "2019") is None  # a number is no word


def test_a_category_is_added_only_with_a_word_that_pushed_it() -> None:
    stems = item_words("Дети вернулись из Ирака после реабилитации")
    eager = model(9.0)  # every candidate is likely, but no word has a weight
    assert cm.additions(eager, {"terrorist_activity"}, stems, set()) == []
    pushes = {"реабил": 1.5, "вернул": 0.5, "ирака": -2.0}
    said = model(9.0, words={("counter_measures", stem): w for stem, w in pushes.items()})
    (added,) = cm.additions(said, {"terrorist_activity"}, stems, set())
    assert added.category == "counter_measures"
    assert added.stems == ("реабил", "вернул")  # strongest first, none negative


def test_it_never_adds_what_the_item_has_a_platform_or_below_its_threshold() -> None:
    stems = ("вербов",)
    weights = {(c, "вербов"): 1.0 for c in THREATS}
    have = {"terrorist_activity", "online_platforms"}
    got = cm.additions(model(9.0, words=weights), have, stems, set())
    assert sorted(a.category for a in got) == ["counter_measures", "extremist_ideology"]
    assert cm.additions(model(-9.0, words=weights), have, stems, set()) == []
    never = model(9.0, words=weights, above=1.01)
    assert cm.additions(never, have, stems, set()) == []


def test_the_lexicon_features_weigh_in() -> None:
    stems = ("вербов",)
    pushed = model(-2.0, words={("counter_measures", "вербов"): 1.0})
    assert cm.additions(pushed, {"terrorist_activity"}, stems, {"rc:terrorist_activity"}) == []
    with_features = dataclasses.replace(
        pushed, features=MappingProxyType({"rc:terrorist_activity": (0.0, 0.0, 3.0)})
    )
    (added,) = cm.additions(with_features, {"terrorist_activity"}, stems, {"rc:terrorist_activity"})
    assert added.category == "counter_measures" and added.stems == ("вербов",)


def test_in_the_tagger_an_added_category_is_explained_by_its_words(lexicon) -> None:
    title = "Боевики ИГИЛ напали на пост в Сирии"
    summary = "Погибли трое, их родственникам выплатят компенсацию."
    rules = tag(title, summary, lexicon.rules_only(), lang="ru")
    assert rules.relevant and "counter_measures" not in rules.categories
    adding = model(9.0, words={("counter_measures", "родств"): 2.0})
    tags = tag(title, summary, _with(lexicon, adding), lang="ru")
    assert "counter_measures" in tags.categories
    text = tagged_text(title, summary)
    said = [text[m.start : m.end] for m in tags.matches if m.id == "counter_measures"]
    assert said == ["родственникам"]
    assert set(rules.categories) <= set(tags.categories)  # nothing removed


def test_an_item_that_is_not_relevant_is_left_alone(lexicon) -> None:
    title = "В Актау открыли центр реабилитации для детей"
    adding = model(9.0, words={(c, "реабил"): 2.0 for c in THREATS})
    assert tag(title, "", _with(lexicon, adding), lang="ru") == tag(
        title, "", _with(lexicon, None), lang="ru"
    )
    assert not tag(title, "", _with(lexicon, adding), lang="ru").relevant


def test_the_tagger_adds_exactly_what_training_scores(lexicon) -> None:
    """Training scores each (item, candidate) by the fitted columns; the tagger sums the
    stored weights of the item's words and features. Both decide alike."""
    from tools.evaluate import load_devset

    shipped = lexicon.category_model
    assert shipped is not None
    before = _with(lexicon, None)
    checked = added = 0
    for item in load_devset(DATA.parent / "tests/eval/devset.jsonl"):
        got = tag(item.title, item.summary, before, lang=item.lang)
        if not got.relevant:
            continue
        ev = item_evidence(item.title, item.summary, before, item.lang)
        stems = item_words(tagged_text(item.title, item.summary))
        features = cm.lexicon_features(item.lang, got.categories, ev)
        tagged = tag(item.title, item.summary, lexicon, lang=item.lang)
        found = {a.category for a in cm.additions(shipped, got.categories, stems, features)}
        zero = (0.0,) * len(shipped.categories)
        for c in cm.candidates(shipped, got.categories):
            i = shipped.categories.index(c)
            z = shipped.bias[c] + sum(shipped.words.get(s, zero)[i] for s in stems)
            z += sum(shipped.features.get(f, zero)[i] for f in features)
            pushed = any(shipped.word_weight(c, s) > 0 for s in stems)
            assert (c in found) == (hashed.sigmoid(z) > shipped.add_above and pushed)
            assert (c in found) == (c in tagged.categories)
            checked += 1
            added += c in found
    assert checked > 200 and added > 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": 2}, "format 2"),
        ({"words": {"вербов": {"sabotage": 1.0}}}, "'вербов' weighs unknown"),
        ({"features": {"rc:x": {"terrorist_activity": "big"}}}, "not a category model"),
        ({"add_above": 1.5}, "probability"),
        ({"categories": ["terrorist_activity", "sabotage"]}, "unknown categories sabotage"),
        ({"categories": ["online_platforms"]}, "left to the rules"),
        ({"bias": "high"}, "not a category model"),
    ],
)
def test_a_broken_model_file_is_refused_with_the_reason(change, message) -> None:
    raw = json.loads(cm.model_to_json(model()))
    raw.update(change)
    with pytest.raises(cm.CategoryModelError, match=message):
        cm.model_from_json(raw)


def test_the_model_file_is_part_of_the_lexicon_and_checked_with_it(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    path = folder / cm.MODEL_FILE
    before = load_compiled(folder).version
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["add_above"] = 0.45 if raw["add_above"] != 0.45 else 0.4
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert load_compiled(folder).version != before
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"models/categories\.json"):
        load_compiled(folder)
    assert [p.file for p in check_lexicon(folder) if p.severity == "error"] == [cm.MODEL_FILE]
    path.unlink()
    assert load_compiled(folder).category_model is None


def test_the_shipped_model_weighs_no_stop_word() -> None:
    """Function and reporting words explain nothing: none may add a category or be its evidence."""
    shipped = cm.read_category_model(DATA / cm.MODEL_FILE)
    unweighed = train_category_model.unweighed_stems(load_stop_words(DATA))
    assert {"the", "after", "что", "его", "және"} <= unweighed
    assert "accord" not in unweighed  # "according" is cut to a stem shared with meaning
    assert not set(shipped.words) & unweighed


def test_the_shipped_model_is_what_make_model_fits_on_the_tuning_halves(tmp_path: Path) -> None:
    shipped = cm.read_category_model(DATA / cm.MODEL_FILE)
    out = tmp_path / "categories.json"
    shutil.copy(DATA / cm.MODEL_FILE, out)
    assert train_category_model.main(["--no-cv", "--out", str(out)]) == 0
    refit = cm.read_category_model(out)
    assert dict(refit.trained_on) == dict(shipped.trained_on), "run `make model`: stale model"
    assert set(refit.words) == set(shipped.words) and set(refit.features) == set(shipped.features)
    drift = max(
        abs(a - b)
        for mine, theirs in ((refit.words, shipped.words), (refit.features, shipped.features))
        for token in mine
        for a, b in zip(mine[token], theirs[token], strict=True)
    )
    drift = max(drift, *(abs(refit.bias[c] - shipped.bias[c]) for c in shipped.categories))
    assert drift < 1e-3, "run `make model`: the shipped weights are not what the data give"


def _with(lexicon, category_model: CategoryModel | None):
    return dataclasses.replace(lexicon, category_model=category_model)
