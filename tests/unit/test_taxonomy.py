"""The fixed ids, the taxonomy file that labels them, and label fallbacks."""

import re
import shutil
import tomllib
from pathlib import Path

import pytest

from indicators.taxonomy import (
    CATEGORY_IDS,
    KZ_REGION_CODES,
    METHOD_IDS,
    PLATFORM_IDS,
    TaxonomyError,
    load_taxonomy,
)

DATA = Path(__file__).resolve().parents[2] / "data"


def test_ids_are_the_fixed_taxonomy():
    assert CATEGORY_IDS == (
        "terrorist_activity",
        "tactics_methods",
        "extremist_ideology",
        "online_platforms",
        "cyber_threats",
        "terrorist_financing",
        "counter_measures",
    )
    assert len(PLATFORM_IDS) == 12
    assert {"telegram", "x", "darknet", "other_online", "odnoklassniki"} <= set(PLATFORM_IDS)


def test_kz_units_are_the_twenty_current_iso_codes():
    assert len(KZ_REGION_CODES) == 20
    assert {"KZ-10", "KZ-33", "KZ-62", "KZ-71", "KZ-75", "KZ-79"} <= set(KZ_REGION_CODES)
    assert "KZ-ALA" not in KZ_REGION_CODES  # pre-2022 codes are gone


def test_repository_taxonomy_loads_with_labels_in_three_languages():
    taxonomy = load_taxonomy(DATA)
    written = tomllib.loads((DATA / "taxonomy.toml").read_text(encoding="utf-8"))["version"]
    assert taxonomy.version == written
    assert taxonomy.label("category", "terrorist_financing", "ru") == "Финансирование терроризма"
    assert taxonomy.label("region", "KZ-19", "kk") == "Алматы облысы"
    assert taxonomy.label("region", "KZ-75", "en") == "Almaty"
    assert taxonomy.label("platform", "vk", "ru") == "ВКонтакте"
    assert list(taxonomy.methods) == list(METHOD_IDS)
    assert taxonomy.label("method", "hoax_threats", "ru") == "Ложные сообщения о терактах"
    assert all(taxonomy.method_descriptions[m] for m in METHOD_IDS)


@pytest.mark.parametrize(
    ("axis", "id_", "lang", "expected"),
    [
        ("region", "KG", "ru", "Кыргызстан"),  # from the [countries] table
        ("region", "KG", "en", "Kyrgyzstan"),
        ("region", "UZ", "en", "Uzbekistan"),  # English from pycountry
        ("country", "NO", "kk", "Norway"),  # no Kazakh label: English from pycountry
        ("category", "cyber_threats", "de", "Cyber threats"),  # unknown language: English
        ("platform", "no_such_platform", "ru", "no_such_platform"),  # unknown id: the id
    ],
)
def test_label_falls_back_to_english_then_to_the_id(axis, id_, lang, expected):
    assert load_taxonomy(DATA).label(axis, id_, lang) == expected


def _copy_taxonomy(tmp_path: Path, edit) -> Path:
    shutil.copy(DATA / "taxonomy.toml", tmp_path / "taxonomy.toml")
    path = tmp_path / "taxonomy.toml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("[categories.cyber_threats]", "[categories.cyber]"), "unknown"),
        (lambda t: t.replace("[platforms.discord]", "[platforms.skype]"), "missing"),
        (lambda t: t.replace("[regions.KZ-62]", "[regions.KZ-99]"), "regions"),
        (lambda t: re.sub(r'(?m)^version = ".*"$', "", t), "version"),
        (lambda t: t.replace("[methods.drones]", "[methods.uav]"), "methods"),
        (lambda t: t.replace('ru = "Киберугрозы"\n', ""), "missing label"),
        (lambda t: t + "\n[countries.XX]\nru = 'x'\nkk = 'x'\n", "ISO"),
    ],
)
def test_a_taxonomy_file_that_disagrees_with_the_ids_is_refused(tmp_path, edit, message):
    data_dir = _copy_taxonomy(tmp_path, edit)
    with pytest.raises(TaxonomyError, match=message):
        load_taxonomy(data_dir)


def test_category_order_is_enforced(tmp_path):
    def swap(text: str) -> str:
        first = text.index("[categories.terrorist_activity]")
        second = text.index("[categories.tactics_methods]")
        third = text.index("[categories.extremist_ideology]")
        return text[:first] + text[second:third] + text[first:second] + text[third:]

    with pytest.raises(TaxonomyError, match="order"):
        load_taxonomy(_copy_taxonomy(tmp_path, swap))
