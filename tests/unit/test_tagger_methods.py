"""Method indicators: how an attack is prepared or financed, on relevant items only.

Methods refine tactics_methods (data/lexicon/methods.yaml, labels in
taxonomy.toml). They never make an item relevant nor give it a category, and
every method comes with the words that caused it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from indicators.lexicon import load_compiled
from indicators.models import tagged_text
from indicators.tagger import tag

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def compiled():
    return load_compiled(DATA)


@pytest.mark.parametrize(
    ("lang", "title", "summary", "methods"),
    [
        (
            "ru",
            "В Шымкенте задержан мужчина, готовивший теракт",
            "У него изъяли самодельное взрывное устройство, гранату и пистолет.",
            ("explosives_ied", "firearms"),
        ),
        (
            "ru",
            "Суд вынес приговор вербовщику ИГИЛ",
            "Вербовка через Telegram шла два года, деньги собирали в криптовалюте.",
            ("online_recruitment", "crypto_financing"),
        ),
        (
            "kk",
            "ҰҚК терактіге дайындалған топты ұстады",
            "Олардан жарылғыш құрылғы мен дрон тәркіленді.",
            ("explosives_ied", "drones"),
        ),
        (
            "en",
            "Suicide bomber kills guards at a checkpoint",
            "ISIS-K claimed the attack; militants used a drone and took hostages.",
            ("hostage_taking", "suicide_attack", "drones"),
        ),
    ],
)
def test_methods_of_a_relevant_item_come_with_their_words(compiled, lang, title, summary, methods):
    tags = tag(title, summary, compiled, lang)
    assert tags.relevant
    assert set(tags.methods) == set(methods)
    text = tagged_text(title, summary)
    for m in (m for m in tags.matches if m.axis == "method"):
        assert m.id in tags.methods
        assert text[m.start : m.end].lower().startswith(m.term.split()[0][:3].lower())


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Как выбрать нож для кухни", "Дрон снял поле, а бомба сезона — новый сериал."),
        ("Drone show over Astana", "A knife-maker opened a shop; bitcoin rose 3 percent."),
        ("Пышақ пен дрон сатылымы өсті", "Криптовалюта бағасы құлады."),
    ],
)
def test_method_words_alone_make_no_item_relevant(compiled, title, summary):
    tags = tag(title, summary, compiled)
    assert not tags.relevant
    assert tags.methods == () and not [m for m in tags.matches if m.axis == "method"]


def test_a_method_word_inside_a_longer_category_phrase_still_counts(compiled):
    """ "СВУ" is evidence of tactics_methods and of explosives_ied at the same span."""
    tags = tag("Теракт с СВУ предотвращен", "", compiled, "ru")
    assert "tactics_methods" in tags.categories
    assert tags.methods == ("explosives_ied",)
    spans = {(m.axis, m.start, m.end) for m in tags.matches if m.term.lower() == "сву"}
    assert {axis for axis, *_ in spans} >= {"method"}


def test_methods_follow_the_taxonomy_order(compiled):
    tags = tag(
        "Теракт: поджог, стрельба и взрывчатка",
        "Боевики также использовали беспилотник.",
        compiled,
        "ru",
    )
    assert tags.methods == ("explosives_ied", "firearms", "arson", "drones")
