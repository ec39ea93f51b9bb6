"""Loading, checking and compiling lexicon folders."""

import os
import re
import shutil
from pathlib import Path

import pytest

from indicators.lexicon import LexiconError, check_lexicon, load_compiled
from indicators.lexicon_files import read_data_folder
from indicators.morph import tail_allowed, word_patterns
from indicators.taxonomy import load_taxonomy
from indicators.textnorm import fold
from tests.factories import replace_in_file

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
FIXTURES = ROOT / "tests" / "fixtures" / "lexicon"


def _folder(tmp_path: Path, fixture: str) -> Path:
    """A data folder: the repository taxonomy plus the fixture's YAML files."""
    shutil.copytree(FIXTURES / fixture, tmp_path / fixture)
    shutil.copy(DATA / "taxonomy.toml", tmp_path / fixture / "taxonomy.toml")
    return tmp_path / fixture


def test_repository_data_has_no_errors_and_hundreds_of_terms():
    problems = check_lexicon(DATA)
    assert [p for p in problems if p.severity == "error"] == []
    compiled = load_compiled(DATA)
    assert compiled.term_count > 1000
    assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+\+[0-9a-f]{8}", compiled.version)
    assert len(compiled.version) <= 40  # fits items.lexicon_version


def test_every_category_and_platform_has_terms_in_every_language():
    compiled = load_compiled(DATA)
    phrases = [p for p in compiled.phrases if p.kind == "term"]
    by_axis_id = {(p.axis, i) for p in phrases for i in p.ids}
    taxonomy = compiled.taxonomy
    assert {("category", c) for c in taxonomy.categories} <= by_axis_id
    assert {("platform", p) for p in taxonomy.platforms} <= by_axis_id
    assert {("region", r) for r in taxonomy.regions} <= by_axis_id  # 20 units and KZ
    assert {("method", m) for m in taxonomy.methods} <= by_axis_id


def test_every_method_has_terms_in_russian_kazakh_and_english():
    langs: dict[str, set[str]] = {}
    for entry in read_data_folder(DATA).entries:
        if entry.axis == "method":
            for i in entry.ids:
                langs.setdefault(i, set()).add(entry.lang)
    assert set(langs) == set(load_taxonomy(DATA).methods)
    assert all({"ru", "kk", "en"} <= found for found in langs.values()), langs


def test_compiled_lexicon_is_cached_until_a_file_changes(tmp_path):
    folder = _folder(tmp_path, "mini")
    first = load_compiled(folder)
    assert load_compiled(folder) is first
    shipped = load_taxonomy(DATA).version  # the fixture copies the shipped taxonomy.toml
    highest = max(["2026.11.2", shipped], key=lambda v: tuple(int(x) for x in v.split(".")))
    assert first.version.startswith(highest + "+")  # the highest file version
    rules = folder / "lexicon" / "categories.yaml"
    rules.write_text(rules.read_text(encoding="utf-8") + "      - взрывчатка\n", encoding="utf-8")
    stat = rules.stat()
    os.utime(rules, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = load_compiled(folder)
    assert second is not first
    assert second.version != first.version


def _problems(tmp_path: Path) -> list[tuple[str, int | None, str, str]]:
    folder = _folder(tmp_path, "problems")
    return [(p.file, p.line, p.severity, p.message) for p in check_lexicon(folder)]


def _find(problems, file: str, line: int | None, pattern: str) -> tuple:
    for problem in problems:
        if problem[0] == file and problem[1] == line and re.search(pattern, problem[3]):
            return problem
    raise AssertionError(f"no problem {pattern!r} at {file}:{line} in {problems}")


@pytest.mark.parametrize(
    ("line", "severity", "pattern"),
    [
        (8, "warning", r"duplicate term 'теракт'"),
        (9, "error", r"normalizes to nothing"),
        (10, "error", r"no word of 2 letters"),
        (11, "error", r"string or a mapping"),
        (12, "error", r"without a `term`"),
        (13, "error", r"unknown field.*colour"),
        (14, "error", r"`morph` must be one of"),
        (15, "error", r"empty `a\|b` alternative"),
        (21, "error", r"'теракт' maps to \['cyber_threats'\].*\['terrorist_activity'\]"),
    ],
)
def test_check_lexicon_reports_bad_entries_with_file_and_line(tmp_path, line, severity, pattern):
    problem = _find(_problems(tmp_path), "lexicon/bad_terms.yaml", line, pattern)
    assert problem[2] == severity


@pytest.mark.parametrize(
    ("file", "pattern"),
    [
        ("lexicon/bad_terms.yaml", r"unknown category id 'no_such_category'"),
        ("lexicon/bad_terms.yaml", r"unknown language 'de'"),
        ("lexicon/bad_rules.yaml", r"`version` must be a string like"),
        ("gazetteer/places.yaml", r"unknown region id 'KZ-99'"),
        ("gazetteer/places.yaml", r"unknown region id 'XX'"),
    ],
)
def test_check_lexicon_reports_bad_ids_languages_and_versions(tmp_path, file, pattern):
    # these belong to a whole file or mapping, not to one line
    problem = _find(_problems(tmp_path), file, None, pattern)
    assert problem[2] == "error", problem


def test_the_same_name_for_two_regions_is_an_error(tmp_path):
    problems = _problems(tmp_path)
    _find(problems, "gazetteer/places.yaml", 12, r"'алматы' maps to \['KZ-19'\]")


@pytest.mark.parametrize(
    ("line", "severity", "pattern"),
    [
        (7, "warning", r"drop term 'несуществующий' is not in the lexicon"),
        (11, "error", r"rule nothing: drops nothing"),
        (14, "error", r"unknown 'no_such_category'"),
        (18, "warning", r"drop term 'теракт\|несуществующий' is not in the lexicon"),
    ],
)
def test_check_lexicon_reports_rules_that_cannot_work(tmp_path, line, severity, pattern):
    problems = _problems(tmp_path)
    assert _find(problems, "lexicon/bad_rules.yaml", line, pattern)[2] == severity


def test_a_rule_names_every_variant_of_an_a_or_b_term_as_the_term_files_do(tmp_path):
    """A drop term written "ячеек|группировок" names each form the term file's entry of the
    same spelling matches, and none of them is unknown."""
    folder = _folder(tmp_path, "events")
    replace_in_file(
        folder / "lexicon" / "categories.yaml",
        "ru: [теракт,",
        "ru: [{term: ячеек|группировок, morph: exact}, теракт,",
    )
    replace_in_file(
        folder / "lexicon" / "rules.yaml",
        "drop_terms: [террорист, лаңкестік]",
        "drop_terms: [террорист, лаңкестік, ячеек|группировок]",
    )
    rule = next(r for r in load_compiled(folder).rules if r.id == "activity_needs_an_event")
    assert {"ячеек", "группировок"} <= rule.drop_terms
    assert not [p for p in check_lexicon(folder) if "is not in the lexicon" in p.message]


def test_load_compiled_refuses_a_folder_with_errors(tmp_path):
    folder = _folder(tmp_path, "problems")
    with pytest.raises(LexiconError) as raised:
        load_compiled(folder)
    assert all(p.severity == "error" for p in raised.value.problems)
    assert "bad_terms.yaml" in str(raised.value)


def test_invalid_yaml_is_reported_with_its_line(tmp_path):
    folder = _folder(tmp_path, "mini")
    (folder / "lexicon" / "broken.yaml").write_text(
        'version: "2026.11.1"\naxis: category\nids:\n  terrorist_activity:\n    ru: [a, b\n',
        encoding="utf-8",
    )
    (problem,) = [p for p in check_lexicon(folder) if p.file == "lexicon/broken.yaml"]
    # the parser notices the unclosed list where the file ends, on line 6
    assert (problem.line, problem.severity) == (6, "error")
    assert problem.message.startswith("invalid YAML: while parsing a flow sequence"), problem


def test_duplicate_yaml_keys_are_errors(tmp_path):
    folder = _folder(tmp_path, "mini")
    (folder / "lexicon" / "twice.yaml").write_text(
        'version: "2026.11.1"\naxis: category\nids:\n'
        "  cyber_threats:\n    ru: [хакер]\n  cyber_threats:\n    ru: [фишинг]\n",
        encoding="utf-8",
    )
    problems = [p for p in check_lexicon(folder) if p.file == "lexicon/twice.yaml"]
    assert [(p.line, p.severity, p.message) for p in problems] == [
        (6, "error", "duplicate key 'cyber_threats'")
    ]


def _one_setting_problem(tmp_path, key: str, value: str):
    """The one problem `check_lexicon` finds in a rules file setting `key` to `value`."""
    folder = _folder(tmp_path, "mini")
    (folder / "lexicon" / "setting.yaml").write_text(
        f'version: "2026.12.1"\n{key}: {value}\nfalse_friends: {{}}\n', encoding="utf-8"
    )
    [problem] = [p for p in check_lexicon(folder) if p.file == "lexicon/setting.yaml"]
    assert problem.severity == "error"
    return problem


@pytest.mark.parametrize(
    "mapping",
    ["{no_such_kind: extremist_ideology}", "{banned_religious: no_such_category}", "[a, b]"],
)
def test_actor_kind_categories_must_map_known_kinds_to_categories(tmp_path, mapping):
    problem = _one_setting_problem(tmp_path, "actor_kind_categories", mapping)
    assert "`actor_kind_categories` must map organization kinds to category ids" in problem.message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("background_regions", "[SY, XX]"),
        ("background_regions", "[KZ]"),
        ("background_regions", "{SY: 1}"),
        ("home_regions", "[KZ-75]"),
    ],
)
def test_background_and_home_regions_must_list_foreign_countries(tmp_path, key, value):
    problem = _one_setting_problem(tmp_path, key, value)
    assert f"`{key}` must list foreign country codes" in problem.message


@pytest.mark.parametrize("key", ["weak_never_alone", "core_categories", "platform_needs"])
@pytest.mark.parametrize("value", ["[no_such_category]", "terrorist_financing", "{a: 1}"])
def test_category_lists_in_the_rules_must_list_category_ids(tmp_path, key, value):
    problem = _one_setting_problem(tmp_path, key, value)
    assert f"`{key}` must list category ids" in problem.message


def test_the_shipped_rules_name_the_war_zones_and_the_neighbours():
    compiled = load_compiled(DATA)
    assert {"SY", "AF"} <= compiled.background_regions
    assert compiled.home_regions == {"KG", "TJ", "TM", "UZ"}


def test_every_lexicon_word_matches_the_way_it_is_written():
    """A term must at least match itself: an ending stripped to form a key has to come back.

    Found missing on real news: "Совет руководителей спецслужб" never matched
    "руководителей" (key "руководителе", and "й" was no allowed ending), nor did
    "хоккей", "сбой", "похищение людей" or "Китай" in a false friend. Words of
    another spelling of the same entry (Kazakh in Latin letters) are skipped.
    """
    compiled = load_compiled(ROOT / "data")
    checked = 0
    unmatched = []
    for phrase in compiled.phrases:
        words = re.findall(r"[^\W_]+", fold(phrase.term))
        if len(words) != len(phrase.slots):
            continue  # written with punctuation the tagger treats as a gap
        for word, slot in zip(words, phrase.slots, strict=True):
            keys = [key for key, _tail in compiled.slot_patterns[slot]]
            if not any(word.startswith(key[:2]) for key in keys):
                break  # another spelling of the entry
            checked += 1
            if not compiled.word_matches(slot, word):
                unmatched.append((phrase.term, word))
                break
    assert checked > 10_000
    assert unmatched == []


@pytest.mark.parametrize(
    ("word", "mode"),
    [("хоккей", "auto"), ("сбой", "auto"), ("людей", "auto"), ("лагерей", "auto"),
     ("поджечь", "verb"), ("Китай", "name"), ("руководителей", "auto")],
)  # fmt: skip
def test_russian_words_ending_in_a_stripped_letter_match_themselves(word, mode):
    folded = fold(word)
    patterns = word_patterns(folded, "ru", mode)
    assert any(folded.startswith(k) and tail_allowed(c, folded[len(k) :]) for k, c in patterns)


def test_a_not_inside_phrase_without_its_rules_trigger_is_reported(tmp_path):
    """A mask that holds none of its rule's triggers can never mask anything: a typo or
    a trigger reworded since, which the tagger would otherwise ignore in silence."""
    folder = _folder(tmp_path, "mini")
    rules = folder / "lexicon" / "rules.yaml"
    text = rules.read_text(encoding="utf-8")
    masked = "    not_inside: {ru: [документальный фильм]}\n"
    assert masked in text
    idle = "    not_inside: {ru: [документальный фильм, художественный роман]}\n"
    rules.write_text(text.replace(masked, idle), encoding="utf-8")
    warned = [p.message for p in check_lexicon(folder) if "not_inside" in p.message]
    assert warned == [
        "rule fiction: not_inside 'художественный роман' holds none of its triggers, "
        "so it masks nothing"
    ]
