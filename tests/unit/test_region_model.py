"""The region model: what it may change, how it is stored, and that it is reproducible.

It takes a second look at a relevant item's regions (indicators/region_model.py):
it keeps or drops what the rules gave and may add a region the text names,
never one it does not; its file is part of the lexicon's version; and the
shipped model is what `make model` fits on the real-news tuning half.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from types import MappingProxyType

import pytest

from indicators import hashed_features as hashed
from indicators import region_model as rm
from indicators.lexicon import LexiconError, check_lexicon, load_compiled
from indicators.models import tagged_text
from indicators.region_model import Mention, RegionModel, RegionModelError
from indicators.tagger import tag
from tools import train_region_model

DATA = Path(__file__).resolve().parents[2] / "data"
BITS = 18
MASK = (1 << BITS) - 1


def model(bias: float = 3.0, *, keep: float = 0.5, add: float = 1.01, scope: str = "all",
          weights: dict[int, float] | None = None) -> RegionModel:  # fmt: skip
    return RegionModel(BITS, bias, weights or {}, keep, add, 3, False,
                       MappingProxyType({}), scope)  # fmt: skip


def bucket(group: str, feature: str) -> int:
    return hashed.bucket(group, feature, MASK)


def origin_word_drops(word: str) -> dict[int, float]:
    """A weight that sinks any region right after `word` (both feature groups that see it)."""
    return {bucket("ctx", f"L1:{word}"): -40.0, bucket("ctx", f"L:{word}"): -40.0}


@pytest.fixture(scope="module")
def lexicon():
    return load_compiled(DATA)


def choose(m: RegionModel, title: str, mentions: list[Mention], given: list[str]) -> set[str]:
    return rm.choose_regions(m, title, tagged_text(title, ""), "ru", mentions, given)


def test_a_confident_model_keeps_what_the_rules_gave_and_adds_nothing_unnamed() -> None:
    title = "Задержан в Москве"
    moscow = Mention("RU", "Москва", title.index("Москве"), len(title), False)
    assert choose(model(), title, [moscow], ["RU", "KZ-75"]) == {"RU", "KZ-75"}
    # a region neither named nor given is never a candidate, however eager the model
    assert choose(model(bias=9, add=0.0), title, [moscow], []) == {"RU"}


def test_words_before_a_place_can_drop_it() -> None:
    title = "Уроженец Шымкента задержан в Москве"
    mentions = [
        Mention("KZ-79", "Шымкент", title.index("Шымкента"), title.index("Шымкента") + 8, False),
        Mention("RU", "Москва", title.index("Москве"), len(title), False),
    ]
    m = model(weights=origin_word_drops("уроженец"))
    assert choose(m, title, mentions, ["KZ-79", "RU"]) == {"RU"}


def test_a_kazakh_unit_makes_kz_redundant_and_scope_foreign_leaves_kazakh_codes_alone() -> None:
    title = "Уроженец Алматы в Казахстане"
    almaty = Mention("KZ-75", "Алматы", 9, 15, False)
    kz = Mention("KZ", "Казахстан", 18, 28, False)
    assert choose(model(), title, [almaty, kz], ["KZ-75", "KZ"]) == {"KZ-75"}
    sinking = model(weights=origin_word_drops("уроженец"), scope="foreign")
    assert choose(sinking, title, [almaty, kz], ["KZ-75"]) == {"KZ-75"}
    assert choose(dataclasses.replace(sinking, scope="all"), title, [almaty], ["KZ-75"]) == set()


def test_in_the_tagger_a_dropped_region_loses_its_evidence_and_an_added_one_has_its_name(
    lexicon,
) -> None:
    title = "В Оше осуждён вербовщик, который отправлял земляков воевать в Сирии"
    rules = dataclasses.replace(lexicon, region_model=None)
    assert tag(title, "", rules, lang="ru").regions == ("KG",)  # Syria: background (rules)
    eager = dataclasses.replace(lexicon, region_model=model(bias=9, add=0.5))
    tags = tag(title, "", eager, lang="ru")
    assert tags.regions == ("KG", "SY")
    (syria,) = [m for m in tags.matches if m.axis == "region" and m.id == "SY"]
    assert title[syria.start : syria.end] == "Сирии"
    sinking = dataclasses.replace(lexicon, region_model=model(weights=origin_word_drops("в")))
    dropped = tag(title, "", sinking, lang="ru")
    assert dropped.relevant and dropped.regions == ()
    assert not [m for m in dropped.matches if m.axis == "region"]


def test_an_item_not_relevant_is_left_to_the_rules(lexicon) -> None:
    title = "В Алматы открылся новый парк"
    never = dataclasses.replace(lexicon, region_model=model(bias=-9))
    rules = dataclasses.replace(lexicon, region_model=None)
    assert tag(title, "", never, lang="ru") == tag(title, "", rules, lang="ru")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": 2}, "format 2"),
        ({"weights": {str(1 << 20): 1.0}}, "outside 18 bits"),
        ({"keep": 1.5}, "probabilities"),
        ({"scope": "everything"}, "scope must be"),
        ({"bias": "high"}, "not a region model"),
    ],
)
def test_a_broken_model_file_is_refused_with_the_reason(change, message) -> None:
    raw = json.loads(rm.model_to_json(model()))
    raw.update(change)
    with pytest.raises(RegionModelError, match=message):
        rm.model_from_json(raw)


def test_the_model_file_is_part_of_the_lexicon_and_checked_with_it(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    path = folder / rm.MODEL_FILE
    before = load_compiled(folder).version
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["keep"] = 0.5 if raw["keep"] != 0.5 else 0.45
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert load_compiled(folder).version != before  # a new model re-tags
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"models/regions\.json"):
        load_compiled(folder)
    assert [p.file for p in check_lexicon(folder) if p.severity == "error"] == [rm.MODEL_FILE]
    path.unlink()
    assert load_compiled(folder).region_model is None  # no model: the rules alone


def test_the_shipped_model_is_what_make_model_fits_on_the_tuning_half(tmp_path: Path) -> None:
    shipped = rm.read_region_model(DATA / rm.MODEL_FILE)
    assert shipped.trained_on["half"] == "tune"
    out = tmp_path / "regions.json"
    shutil.copy(DATA / rm.MODEL_FILE, out)
    assert train_region_model.main(["--no-cv", "--out", str(out)]) == 0
    refit = rm.read_region_model(out)
    assert dict(refit.trained_on) == dict(shipped.trained_on), "run `make model`: stale model"
    assert (refit.keep, refit.add, refit.scope) == (shipped.keep, shipped.add, shipped.scope)
    drift = max(
        abs(refit.weights.get(k, 0.0) - shipped.weights.get(k, 0.0))
        for k in set(refit.weights) | set(shipped.weights)
    )
    assert drift < 1e-3, "run `make model`: the shipped weights are not what the corpus gives"
