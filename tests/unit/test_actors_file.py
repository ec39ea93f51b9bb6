"""Reading and checking data/actors.yaml: names like lexicon terms, facts with sources."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from indicators.actors import (
    ACTOR_KINDS,
    AUTHORITIES,
    STATUSES,
    is_public_source,
    iso_date,
    names_among_terms,
)
from indicators.lexicon import (
    LexiconError,
    check_lexicon,
    load_actors,
    load_compiled,
    load_labels,
)
from indicators.tagger import tag

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
FIXTURES = ROOT / "tests" / "fixtures"


def data_folder(tmp_path: Path, actors: str) -> Path:
    """The mini lexicon (for relevance), the repository taxonomy and one actors fixture."""
    folder = tmp_path / actors
    shutil.copytree(FIXTURES / "lexicon" / "mini", folder)
    shutil.copy(DATA / "taxonomy.toml", folder / "taxonomy.toml")
    shutil.copy(FIXTURES / "actors" / actors / "actors.yaml", folder / "actors.yaml")
    return folder


def touch_later(path: Path) -> None:
    """Make an edit visible to the mtime-keyed cache even within one clock tick."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_the_shipped_file_names_the_contract_organizations_with_checked_facts():
    actors = load_actors(DATA)
    assert {"isis", "isis_k", "al_qaeda", "hizb_ut_tahrir", "taliban"} <= set(actors)
    for actor in actors.values():
        assert actor.kind in ACTOR_KINDS
        assert set(actor.labels) == {"ru", "kk", "en"}
        for fact in actor.designations:
            assert (fact.authority, fact.status) in {(a, s) for a in AUTHORITIES for s in STATUSES}
            assert fact.source.startswith("https://")
            assert iso_date(fact.date) == fact.date


def test_the_shipped_file_records_un_sanctions_listings_of_central_asian_groups():
    """The issue asks for the UN Security Council list "where it applies": the groups
    recruiting from Central Asia that the 1267 committee lists carry that fact."""
    actors = load_actors(DATA)
    listed = {
        id_: [f for f in actor.designations if f.authority == "UN Security Council 1267"]
        for id_, actor in actors.items()
    }
    for id_ in ("imu", "tip", "isis_k", "hts", "katibat_imam_bukhari", "katibat_tawhid_wal_jihad"):
        assert listed[id_], id_
        assert all(f.status == "sanctions_list" for f in listed[id_])
    assert {f.ref for f in listed["imu"] + listed["isis_k"]} == {"QDe.010", "QDe.161"}


def test_a_valid_file_gives_labels_kinds_and_designations_in_file_order(tmp_path):
    folder = data_folder(tmp_path, "valid")
    assert check_lexicon(folder) == []
    actors = load_actors(folder)
    assert list(actors) == ["isis", "koshe"]
    isis = actors["isis"]
    assert (isis.kind, isis.label("kk"), isis.label("xx")) == (
        "terrorist",
        "Ислам мемлекеті",
        "Islamic State",
    )
    court, un = isis.designations
    assert (court.authority, court.status, court.date, court.note) == (
        "KZ court",
        "terrorist",
        "2015-10-15",  # an unquoted YAML date comes back as ISO text
        "a court in Astana",
    )
    assert (un.authority, un.status, un.ref, un.date) == (
        "UN Security Council 1267",
        "sanctions_list",
        "QDe.115",
        "2004-10",
    )
    assert actors["koshe"].designations == ()
    assert load_labels(folder).label("actor", "koshe", "kk") == "Көше партиясы"


def test_the_names_among_the_term_lists_become_aliases_weak_short_forms_do_not(tmp_path):
    actors = load_actors(data_folder(tmp_path, "valid"))
    # "ИГ" and "Даиш" are weak (ordinary words or ambiguous): matching aids, not names
    assert actors["isis"].aliases == ("ИГИЛ", "Исламское государство")
    assert actors["koshe"].aliases == ("Көше партиясы",)


@pytest.mark.parametrize(
    ("terms", "names"),
    [
        (
            [("Taliban", False), ("талибы|талибов", False), ("движение Талибан", False)],
            ("Taliban",),
        ),
        ([("ISIS", False), ("IS", True), ("isis", False)], ("ISIS",)),  # weak; case repeat
        (
            [("APT28", False), ("  Fancy   Bear ", False), ("хизбутовец", False)],
            ("APT28", "Fancy Bear"),
        ),
        ([("28 Panfilov", False), ("", False)], ("28 Panfilov",)),
    ],
)
def test_an_alias_is_a_strong_single_capitalized_name(terms, names):
    assert names_among_terms(terms) == names


def test_each_mistake_is_reported_with_file_line_and_reason(tmp_path):
    folder = data_folder(tmp_path, "broken")
    found = [(p.file, p.line, p.message) for p in check_lexicon(folder) if p.severity == "error"]
    text = (folder / "actors.yaml").read_text(encoding="utf-8").splitlines()

    def line_of(snippet: str) -> int:
        return next(n for n, line in enumerate(text, start=1) if snippet in line)

    def reported(snippet: str, *words: str) -> bool:
        line = line_of(snippet)
        return any(
            f == "actors.yaml" and at == line and all(w in m for w in words) for f, at, m in found
        )

    assert reported("bad_kind:", "kind 'sect'")
    assert reported("no_kazakh_label:", "label.kk")
    assert reported("Court of Mars", "authority 'Court of Mars'")
    assert reported("Court of Mars", "status 'banned'")
    assert reported("Court of Mars", "date '15.10.2015'")
    assert reported("Court of Mars", "not an https URL")
    assert reported("authority: other", "`note`")
    assert reported("aliases:", "unknown field 'aliases'")
    assert reported("nameless:", "no names")
    assert reported("Bad-Id:", "snake_case")
    # the good organization and the good designation raise nothing
    assert not any(at in (line_of("good_one:"), line_of("ok.example.kz")) for _, at, _ in found)


def test_a_broken_file_is_refused_and_the_compiled_lexicon_in_use_keeps_working(tmp_path):
    folder = data_folder(tmp_path, "valid")
    running = load_compiled(folder)
    actors_file = folder / "actors.yaml"
    actors_file.write_text(
        actors_file.read_text(encoding="utf-8").replace("kind: terrorist", "kind: villain"),
        encoding="utf-8",
    )
    touch_later(actors_file)
    with pytest.raises(LexiconError) as refused:
        load_compiled(folder)
    assert any(
        p.file == "actors.yaml" and "kind 'villain'" in p.message for p in refused.value.problems
    )
    with pytest.raises(LexiconError):
        load_actors(folder)
    # the matcher compiled before the edit still tags, organizations included
    verdict = tag("Теракт: ИГИЛ взяло ответственность", "", running)
    assert verdict.actors == ("isis",)


def test_an_edit_of_the_actors_file_changes_the_lexicon_version(tmp_path):
    folder = data_folder(tmp_path, "valid")
    before = load_compiled(folder)
    assert before.version.startswith("2026.12.7+")  # the actors file's version is the highest
    actors_file = folder / "actors.yaml"
    actors_file.write_text(
        actors_file.read_text(encoding="utf-8").replace("- ИГИЛ", "- ИГИЛ\n      - Daesh"),
        encoding="utf-8",
    )
    touch_later(actors_file)
    after = load_compiled(folder)
    assert after.version != before.version
    assert tag("Теракт Daesh", "", after).actors == ("isis",)
    assert tag("Теракт Daesh", "", before).actors == ()


def test_organizations_belong_in_the_actors_file_only(tmp_path):
    folder = data_folder(tmp_path, "valid")
    stray = folder / "lexicon" / "groups.yaml"
    stray.write_text(
        'version: "2026.12.1"\naxis: actor\nids:\n  isis:\n    ru: [ИГИЛ]\n', encoding="utf-8"
    )
    messages = [p.message for p in check_lexicon(folder) if p.file == "lexicon/groups.yaml"]
    assert messages == ["organizations go in actors.yaml, with `axis: actor`"]


def test_a_folder_without_the_file_has_no_organizations(tmp_path):
    folder = data_folder(tmp_path, "valid")
    (folder / "actors.yaml").unlink()
    assert load_actors(folder) == {}
    assert tag("Теракт ИГИЛ", "", load_compiled(folder)).actors == ()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (date(2015, 10, 15), "2015-10-15"),
        ("2013-02", "2013-02"),
        (2006, "2006"),
        ("2015-13-01", None),
        ("2015-02-30", None),
        ("15.10.2015", None),
        (True, None),
    ],
)
def test_designation_dates_are_iso_full_or_partial(raw, expected):
    assert iso_date(raw) == expected


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://www.rferl.org/a/1.html", True),
        ("http://www.rferl.org/a/1.html", False),
        ("https:///no-host", False),
        ("https://example.org/a b", False),
        ("javascript:alert(1)", False),
        (None, False),
    ],
)
def test_a_source_must_be_an_https_link(url, ok):
    assert is_public_source(url) is ok
