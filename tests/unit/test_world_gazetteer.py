"""The rest of the world in the gazetteer (data/gazetteer/world.yaml).

Every state the hand-written countries.yaml does not list is named in three
languages, so an attack in Burkina Faso or an arrest in Bulgaria gets its
country; names that are everyday words or given names are left out; the
file is what tools/build_world_gazetteer.py writes from pycountry. The
capitals and the cities the news names of those states are hand-written in
world_cities.yaml.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from indicators.lexicon import load_compiled
from indicators.tagger import tag
from tools import build_world_gazetteer as world

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def rules():
    return load_compiled(DATA).rules_only()


@pytest.mark.parametrize(
    ("title", "lang", "country"),
    [
        ("В Буркина-Фасо боевики напали на военный лагерь, погибли 20 человек", "ru", "BF"),
        ("В Болгарии задержан гражданин Казахстана, подозреваемый в терроризме", "ru", "BG"),
        ("Грекияда террористік ұйым мүшесі ұсталды", "kk", "GR"),
        (
            "Кенияның Гарисса қаласындағы колледжге жасалған шабуылда 147 адам қаза тапты",
            "kk",
            "KE",
        ),
        ("Kenya: al-Shabaab militants attack a bus near the Somali border", "en", "KE"),
        ("Canada charges a teenager with planning a terrorist attack", "en", "CA"),
        ("В Чаде боевики «Боко Харам» напали на военных", "ru", "TD"),
    ],
)
def test_an_event_in_a_state_beyond_the_hand_written_list_gets_its_country(
    rules, title: str, lang: str, country: str
) -> None:
    tags = tag(title, "", rules, lang=lang)
    assert country in tags.regions


@pytest.mark.parametrize(
    ("title", "lang", "not_there"),
    [
        ("Того же мнения о терроризме придерживаются эксперты КНБ", "ru", "TG"),
        ("Chad Smith, a terrorism analyst, said the attack in Brussels was planned", "en", "TD"),
        ("В музее АЛЖИР вспомнили жертв террора 1937 года", "ru", "DZ"),
    ],
)
def test_names_that_are_everyday_words_or_given_names_are_left_out(
    rules, title: str, lang: str, not_there: str
) -> None:
    assert not_there not in tag(title, "", rules, lang=lang).regions


@pytest.mark.parametrize(
    ("title", "lang", "country"),
    [
        ("В Праге задержан сторонник ИГИЛ из Центральной Азии", "ru", "CZ"),
        ("Terror suspect wanted by Interpol detained at Prague airport", "en", "CZ"),
        ("Прагада лаңкестік ұйымның мүшесі ұсталды", "kk", "CZ"),
        ("Теракт в Найроби: боевики захватили отель", "ru", "KE"),
        ("В Огайо арестован школьник, выложивший план теракта", "ru", "US"),  # countries.yaml
        ("Teen arrested in Ohio over a plan to attack a synagogue", "en", "US"),
    ],
)
def test_a_capital_or_a_city_of_the_news_places_its_state(
    rules, title: str, lang: str, country: str
) -> None:
    """world_cities.yaml (and the US states in countries.yaml): the city, not the state,
    is often all the news names."""
    assert tag(title, "", rules, lang=lang).regions == (country,)


@pytest.mark.parametrize(
    ("title", "not_there"),
    [
        ("Santiago Abascal calls for tougher terrorism laws after the attack", "CL"),
        ("Victoria Derbyshire interviews a former ISIS recruit", "SC"),
        ("Kingston police say the attack suspect acted alone", "JM"),
    ],
)
def test_a_city_named_like_a_person_or_another_place_is_left_out(
    rules, title: str, not_there: str
) -> None:
    assert not_there not in tag(title, "", rules, lang="en").regions


def test_no_state_is_in_both_files_and_no_name_tags_two_states() -> None:
    raw = yaml.safe_load((DATA / world.OUT).read_text(encoding="utf-8"))
    listed = world.listed_codes(DATA)
    assert raw["ids"] and not set(raw["ids"]) & listed
    assert not set(raw["ids"]) & world.TERRITORIES
    owners: dict[str, str] = {}
    for code, langs in raw["ids"].items():
        for name in {n["term"] if isinstance(n, dict) else n for ns in langs.values() for n in ns}:
            assert owners.setdefault(name, code) == code, name


def test_the_file_is_what_the_tool_writes() -> None:
    written = world.render(world.world(DATA))
    shipped = (DATA / world.OUT).read_text(encoding="utf-8")
    assert written == shipped, "run `python tools/build_world_gazetteer.py`"
