"""Properties of the tagger on generated text: spans always explain their tags.

A span is a lexicon phrase that matches it alone, or, for a category the
category model added, one of the item's words with a positive weight for that
category in the model (indicators/category_model.py).
"""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indicators.category_model import item_words
from indicators.lexicon import load_compiled
from indicators.models import TAG_AXES, tagged_text
from indicators.tagger import find_candidates, tag

DATA = Path(__file__).resolve().parents[2] / "data"
LEXICON = load_compiled(DATA)
TERMS = sorted({p.term for p in LEXICON.phrases if p.kind == "term"})
ENDINGS = ["", "а", "ы", "ов", "ой", "ами", "е", "у", "да", "ға", "ның", "тің", "ке", "s", "ed"]
LOOKALIKES = {"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "a": "а", "e": "е", "o": "о"}
INVISIBLE = ["\u200b", "\u200d", "\u00ad", "\u202e"]


@st.composite
def noisy_term(draw) -> str:
    """A lexicon term, maybe inflected, re-cased, with look-alikes or invisible characters."""
    text = draw(st.sampled_from(TERMS)) + draw(st.sampled_from(ENDINGS))
    if draw(st.booleans()):
        text = text.upper() if draw(st.booleans()) else text.capitalize()
    chars = list(text)
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(chars) - 1))
        if draw(st.booleans()):
            chars[at] = LOOKALIKES.get(chars[at], chars[at])
        else:
            chars.insert(at, draw(st.sampled_from(INVISIBLE)))
    return "".join(chars)


FILLER = st.text(
    alphabet=st.sampled_from(list("абвгдеёжзийклмнопрстуфхцчшщъыьэюяәқңөұүі xyz-.,«»()\n")),
    max_size=12,
)
TEXTS = st.lists(st.one_of(noisy_term(), FILLER), min_size=1, max_size=8).map(" ".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS, TEXTS, st.sampled_from([None, "ru", "kk", "en"]))
def test_every_span_slices_to_words_that_match_its_term(title, summary, lang):
    text = tagged_text(title, summary)
    tags = tag(title, summary, LEXICON, lang)
    for match in tags.matches:
        assert 0 <= match.start < match.end <= len(text)
        fragment = text[match.start : match.end]
        alone = find_candidates(fragment, LEXICON, lang)
        assert any(
            c.phrase.term == match.term and (c.start, c.end) == (0, len(fragment)) for c in alone
        ) or _pushed_by_the_category_model(match, fragment), (fragment, match)


def _pushed_by_the_category_model(match, fragment: str) -> bool:
    model = LEXICON.category_model
    if model is None or match.axis != "category" or match.term != fragment:
        return False
    stems = item_words(fragment)
    return len(stems) == 1 and model.word_weight(match.id, stems[0]) > 0


@settings(max_examples=200, deadline=None)
@given(TEXTS, TEXTS)
def test_verdict_is_consistent_with_the_evidence(title, summary):
    tags = tag(title, summary, LEXICON)
    assert tags.relevant == bool(tags.categories)
    for axis in TAG_AXES:
        assert set(tags.values(axis)) == {m.id for m in tags.matches if m.axis == axis}
    if not tags.relevant:
        assert tags.platforms == () and tags.actors == ()
    # weak aliases of an organization ("ИГ") need a non-weak name of it in the same item
    weak = {p.term for p in LEXICON.phrases if p.axis == "actor" and p.weak and not p.context}
    for actor in tags.actors:
        named = [m.term for m in tags.matches if m.axis == "actor" and m.id == actor]
        assert any(term not in weak for term in named), (actor, named)
    if any(r.startswith("KZ-") for r in tags.regions):
        assert "KZ" not in tags.regions
    assert [m.start for m in tags.matches] == sorted(m.start for m in tags.matches)
    assert tag(title, summary, LEXICON) == tags
