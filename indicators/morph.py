"""Inflection for lexicon matching: a key per term word, plus the endings it may take.

Every lexicon word is compiled into one or more ``(key, tail class)`` pairs.
A word in the text matches when it *starts* with the key (at a word boundary)
and the rest of the word, the tail, is an ending allowed by the tail class.
So ``теракт`` matches ``теракта`` and ``терактов`` (tails ``а``, ``ов``) but not
``терактный``, and ``лаңкестік`` matches ``лаңкестікке`` and ``лаңкестігі``
(Kazakh suffix chain, with the final consonant voiced before a vowel).

Why endings lists and not a Snowball stemmer alone: a stem says nothing about
what may follow it, so short stems over-match ("мин" of "мина" would match
"минут"). Checking the tail against an explicit inventory of inflectional
endings keeps derived words out unless the lexicon lists them, and the
decision is visible: the key plus the allowed ending. There is no Kazakh
Snowball stemmer; Kazakh is agglutinative and regular, so its suffix chain
(derivation? plural? possessive? case? attributive?) is a small regular
expression. Measurements behind the choice are in bench/bench_tagger.py.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

# Keys shorter than this are matched exactly (no endings): "тг", "вк", "ИГ".
MIN_INFLECTED_KEY = 3
# Russian endings are stripped only while at least this many letters remain.
MIN_RU_STEM = 3

MORPH_MODES = ("auto", "exact", "verb", "name", "acronym")

# --- Russian -----------------------------------------------------------------


def _words(text: str) -> list[str]:
    """A whitespace-separated inventory written compactly."""
    return text.split()


_RU_NOUN = _words(
    "а я о е ы и у ю ь ом ем ой ей ою ею ам ям ами ями ах ях ов ев ий ия ие ии ию ием иям "
    "иями иях ией ья ье ьи ью ьем ьям ьями ьях ьев"
)
_RU_ADJ = _words(
    "ый ий ой ая яя ое ее ые ие ого его ому ему ым им ом ем ую юю ых их ыми ими ей ою ею"
)
# "й" alone: the nominative of хоккей, сбой, Китай and the genitive plural of
# людей, лагерей, сетей, whose keys lose it (every stripped ending must come back)
RU_TAILS = frozenset(["", "й", *_RU_NOUN, *_RU_ADJ])
_RU_ADJ_BY_LENGTH = sorted(set(_RU_ADJ), key=len, reverse=True)
# A noun in -ия (or the plural of one in -ие: учения, сообщения) takes these and no other
# ending after its stem ("учен" of учения must not find ученый, "мисс" of миссия not
# "Мисс Казахстан").
_RU_IA_TAILS = frozenset(_words("ия ии ию ией иею ий иям иями иях ие ием"))
# Endings a lexicon *base form* (nominative, singular or plural) can end in.
# Only these are stripped to form the key; stripping oblique endings would cut
# "взлом" to "взл".
_RU_STRIP = sorted(
    _words("а я о е ь й ы и ие ия ье ья ый ий ой ая яя ое ее ые"), key=len, reverse=True
)
# Endings a *proper name* may lose when inflected: Семей -> Семее, Караганда ->
# Караганде, Сирия -> Сирии. Names ending in other vowels (Актау, Алматы) do
# not decline in standard Russian.
_RU_NAME_STRIP = sorted(_words("а я ь й ия ый ий ой ая яя ое ее ые ие"), key=len, reverse=True)
_RU_VERB_ENDINGS = _words(
    "ть ться ти тись чь л ла ло ли лся лась лось лись ет ют ут ит ят ат ем им ешь ишь ете ите "
    "ется ются ится ятся ено ена ены ен н на но ны"
)
_RU_PARTICIPLE = _words("вш нн ющ ящ ущ ащ ем им")
RU_VERB_TAILS = frozenset(
    [
        *_RU_VERB_ENDINGS,
        *(p + a for p in _RU_PARTICIPLE for a in _RU_ADJ),
        *(p + a + "ся" for p in ("вш", "ющ", "ящ") for a in _RU_ADJ),
    ]
)
_RU_VERB_STRIP = sorted(_words("ть ться ти тись чь"), key=len, reverse=True)
_RU_VOWELS = frozenset("аеёиоуыэюя")
_RU_HUSHING = frozenset("жшчщц")


def _ru_fleeting(word: str) -> list[tuple[str, str]]:
    """Forms whose stem gains or loses a vowel, which no ending inventory reaches.

    A noun in -ка after a consonant inserts one in its genitive plural, which has
    no ending: ячейка -> ячеек, группировка -> группировок, растяжка -> растяжек
    (one exact form). A noun in -ец loses its "е" before every ending:
    казахстанец -> казахстанца, торговец -> торговцем, боец -> бойцы, владелец ->
    владельца (a second key that needs an ending). Nouns that keep the "е"
    (беглец -> беглеца) still match through their own key; the extra key of such
    a word spells no Russian word.
    """
    if len(word) < 4:
        return []
    before = word[-3]
    if word.endswith("ка") and len(word) > 4:
        if before in "йь":
            return [(word[:-3] + "ек", "exact")]
        if before in _RU_VOWELS:
            return []
        return [(word[:-2] + ("е" if before in _RU_HUSHING else "о") + "к", "exact")]
    if word.endswith("ец"):
        joint = "й" if before in _RU_VOWELS else "ь" if before == "л" else ""
        return [(word[:-2] + joint + "ц", "ru:nonempty")]
    return []


# --- Kazakh (Cyrillic) -----------------------------------------------------------
_KK_DERIV = _words("лық лік дық дік тық тік шы ші шыл шіл лы лі ды ді ты ті сыз сіз")
# "ар/ер" after loanwords in -ст: террористер, экстремистер (тт simplified)
_KK_PLURAL = _words("лар лер дар дер тар тер ар ер")
_KK_POSS = _words("ым ім м ың ің ң ыңыз іңіз ңыз ңіз ы і сы сі мыз міз ымыз іміз")
_KK_CASE = _words(
    "ның нің дың дің тың тің ға ге қа ке а е на не ны ні ды ді ты ті н да де та те нда нде "
    "дан ден тан тен нан нен мен бен пен ымен імен сымен сімен ша ше"
)
_KK_ATTR = _words("ғы гі қы кі")
_KK_SLOTS = (_KK_DERIV, _KK_PLURAL, _KK_POSS, _KK_CASE, _KK_ATTR)

# Kazakh Latin: every suffix above in the spellings of the 2017-2021 alphabets,
# after textnorm folding (diacritics dropped, so ң -> n, ғ -> g, ү/ұ -> u).
_CYR_TO_LATN: dict[str, tuple[str, ...]] = {
    "а": ("a",), "ә": ("a",), "б": ("b",), "г": ("g",), "ғ": ("g",), "д": ("d",),
    "е": ("e",), "з": ("z",), "і": ("i",), "ы": ("y", "i"), "й": ("i", "y"), "к": ("k",),
    "қ": ("q", "k"), "л": ("l",), "м": ("m",), "н": ("n",), "ң": ("n", "ng"), "о": ("o",),
    "ө": ("o",), "п": ("p",), "р": ("r",), "с": ("s",), "т": ("t",), "у": ("u", "w"),
    "ұ": ("u",), "ү": ("u",), "ш": ("s", "sh"),
}  # fmt: skip


def _latin_variants(suffix: str) -> set[str]:
    options = [_CYR_TO_LATN.get(ch, (ch,)) for ch in suffix]
    return {"".join(parts) for parts in itertools.product(*options)}


def _chain_regex(slots: tuple[list[str], ...]) -> re.Pattern[str]:
    groups = []
    for slot in slots:
        alternatives = sorted(set(slot), key=len, reverse=True)
        groups.append("(?:" + "|".join(map(re.escape, alternatives)) + ")?")
    return re.compile("".join(groups))


_KK_CHAIN = _chain_regex(_KK_SLOTS)
_KK_LATN_CHAIN = _chain_regex(
    tuple([v for s in slot for v in _latin_variants(s)] for slot in _KK_SLOTS)
)
# Kazakh verbs: a stem (the dictionary form minus its final -у: ұстау -> ұста),
# an optional voice suffix (passive ұста-л-ды, causative), a tense, participle or
# converb suffix, then the noun chain (ұста-ған-дар-ды, тарт-қан-ы-на).
_KK_VOICE = _words("ыл іл л ын ін н ыс іс с дыр дір тыр тір ғыз гіз қыз кіз")
_KK_TENSE = _words(
    "у ып іп п қан ған кен ген ты ті ды ді ады еді йды йді атын етін йтын йтін мақ мек бақ "
    "бек пақ пек ғалы гелі қалы келі са се ар ер р уда уде уға уге уы"
)
_KK_NEG = _words("ма ме ба бе па пе")
_KK_VERB_SLOTS = (_KK_VOICE, _KK_NEG, _KK_TENSE, *_KK_SLOTS[1:])
_KK_VERB_CHAIN = _chain_regex(_KK_VERB_SLOTS)
_KK_LATN_VERB_CHAIN = _chain_regex(
    tuple([v for s in slot for v in _latin_variants(s)] for slot in _KK_VERB_SLOTS)
)
# Cyrillic Kazakh -> the Latin spellings of the 2021 alphabet (ş, ğ, ı, ū ...)
# and of the 2017-2018 ones (sh, ch, ý ...), as textnorm folds them: a Kazakh
# term written once in Cyrillic also finds "jarylğyş" and "jarylǵysh".
_KK_LATIN_2021 = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e",
    "ё": "io", "ж": "j", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "q", "л": "l",
    "м": "m", "н": "n", "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ұ": "u", "ү": "u", "ф": "f", "х": "h", "һ": "h", "ц": "ts",
    "ч": "ch", "ш": "s", "щ": "ss", "ъ": "", "ы": "y", "і": "i", "ь": "", "э": "e",
    "ю": "iu", "я": "ia",
}  # fmt: skip
_KK_LATIN_2018 = {**_KK_LATIN_2021, "ш": "sh", "у": "y", "щ": "sh", "ю": "iy", "я": "ia"}
_KK_PLURAL_SET = ("лар", "лер", "дар", "дер", "тар", "тер")
_KK_LATN_PLURAL = ("lar", "ler", "dar", "der", "tar", "ter")
# Final voiceless consonants voice before a vowel: лаңкестік -> лаңкестігі, топ -> тобы.
_KK_ALTERNATING = {"к": "г", "қ": "ғ", "п": "б"}
_KK_LATN_ALTERNATING = {"k": "g", "q": "g", "p": "b"}
# Words whose last vowel drops before a suffix starting with a vowel: қауіп ->
# қаупі, орын -> орны, халық -> халқы. Which words do is a fact of the vocabulary,
# not of their sounds (ойын -> ойыны keeps it), so they are listed.
_KK_VOWEL_DROP = frozenset(
    _words("ауыз ерін мұрын орын қойын мойын қарын халық қауіп әріп нарық көрік қалып ырық")
    + _words("құлық ерік бөрік")
)
_KK_VOWELS = frozenset("аәеиоөұүыіэюя")
_KK_LATN_VOWELS = frozenset("aeiouy")

# --- English -----------------------------------------------------------------------
_EN_TAILS = frozenset(["", "s", "es", "ed", "ing", "ings", "er", "ers", "d"])
_EN_E_TAILS = frozenset(["e", "es", "ed", "ing", "ings", "er", "ers"])
_EN_Y_TAILS = frozenset(["y", "ies", "ied", "ying"])
_VOWELS_LATN = set("aeiou")


def is_cyrillic_word(word: str) -> bool:
    """Whether a normalized word has a Cyrillic letter."""
    return any("а" <= ch <= "я" or ch in "әғқңөұүһі" for ch in word)


@lru_cache(maxsize=65536)
def tail_allowed(tail_class: str, tail: str) -> bool:
    """Whether ``tail`` (the rest of a text word after a key) is an allowed ending."""
    kind, _, arg = tail_class.partition(":")
    if kind == "exact":
        return tail == ""
    if kind == "ru":
        if arg == "ia":
            return tail in _RU_IA_TAILS
        return tail in RU_TAILS and (tail != "" or arg != "nonempty")
    if kind == "ru_verb":
        return tail in RU_VERB_TAILS
    if kind == "ru_refl":  # reflexive participle: вернувш-ийся, вернувш-иеся, вернувш-ихся
        return tail.endswith(("ся", "сь")) and tail[:-2] in _RU_ADJ
    if kind == "en":
        if arg == "e":
            return tail in _EN_E_TAILS
        if arg == "y":
            return tail in _EN_Y_TAILS
        if tail in _EN_TAILS:
            return True
        # consonant doubling: plot -> plotted, bomb -> bombing is already covered
        return bool(arg) and tail[:1] == arg and tail[1:] in {"ed", "ing", "er", "ers"}
    if kind in ("kk_verb", "kk_latn_verb"):
        chain = _KK_VERB_CHAIN if kind == "kk_verb" else _KK_LATN_VERB_CHAIN
        return chain.fullmatch(tail) is not None
    if kind in ("kk", "kk_latn"):
        latin = kind == "kk_latn"
        if arg == "vowel":  # a voiced or vowel-dropped stem: only a vowel may follow
            vowels = _KK_LATN_VOWELS if latin else _KK_VOWELS
            if not tail or tail[0] not in vowels:
                return False
        return (_KK_LATN_CHAIN if latin else _KK_CHAIN).fullmatch(tail) is not None
    raise ValueError(f"unknown tail class {tail_class!r}")


def _ru_patterns(word: str, strip: list[str], tails: str) -> list[tuple[str, str]]:
    if tails == "ru" and word.endswith("ся"):
        for ending in _RU_ADJ_BY_LENGTH:
            stem = word[: -2 - len(ending)]
            if word[:-2].endswith(ending) and len(stem) >= MIN_RU_STEM + 2:
                return [(stem, "ru_refl")]
    for ending in strip:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_RU_STEM:
            key = word[: -len(ending)]
            # A short stripped key must be followed by some ending: "мин" is not "мина".
            cls = tails + ":nonempty" if len(key) < 4 and tails == "ru" else tails
            if ending == "ия" and tails == "ru":  # a noun's own endings: учения is no ученый
                cls = "ru:ia"
            return [(key, cls)]
    return [(word, tails)]


def _kk_verbal_noun(word: str, cyrillic: bool) -> bool:
    """A Kazakh word in the -у form of a verb ("ұстау", "qarjylandyru"), long enough to be one."""
    if len(word) < 5:
        return False
    if cyrillic:
        return word.endswith("у") and word[-2] not in "аәеиоөұүыіэюя"
    return word.endswith(("u", "w", "y")) and word[-2] not in "aeiouy"


def kk_latin_spellings(word: str) -> list[str]:
    """The folded Latin spellings of a Cyrillic Kazakh word (2021 and 2017-2018 alphabets)."""
    spellings = []
    for table in (_KK_LATIN_2021, _KK_LATIN_2018):
        spellings.append("".join(table.get(ch, ch) for ch in word))
    return list(dict.fromkeys(spellings))


_KK_LATN_VOWEL_DROP = frozenset(s for word in _KK_VOWEL_DROP for s in kk_latin_spellings(word))


def _kk_patterns(word: str, latin: bool, verb: bool = False) -> list[tuple[str, str]]:
    if verb:
        kind = "kk_latn_verb" if latin else "kk_verb"
        stem = word[:-1] if word.endswith("у") or (latin and word[-1] in "uyw") else word
        return [(stem if len(stem) >= MIN_INFLECTED_KEY else word, kind)]
    plural = _KK_LATN_PLURAL if latin else _KK_PLURAL_SET
    for suffix in plural:
        # a plural base form ("ағымдар") also finds the singular ("ағымның")
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            stem = word[: -len(suffix)]
            if suffix[0] in "тt" and stem[-1] in "сs":  # террорист-ер: "тт" was simplified
                stem = word[:-2]
            return _kk_patterns(stem, latin)
    alternating = _KK_LATN_ALTERNATING if latin else _KK_ALTERNATING
    kind = "kk_latn" if latin else "kk"
    patterns = [(word, kind)]
    last = word[-1]
    if last in alternating:  # the voiced stem before a vowel: лаңкестігі, тобы
        patterns.append((word[:-1] + alternating[last], f"{kind}:vowel"))
    if word in (_KK_LATN_VOWEL_DROP if latin else _KK_VOWEL_DROP):  # қаупі, орны
        patterns.append((word[:-2] + last, f"{kind}:vowel"))
    return patterns


def _en_patterns(word: str) -> list[tuple[str, str]]:
    if len(word) > 4 and word.endswith("e"):
        return [(word[:-1], "en:e")]
    if len(word) > 4 and word.endswith("y") and word[-2] not in _VOWELS_LATN:
        return [(word[:-1], "en:y")]
    last = word[-1]
    doubled = last if last.isalpha() and last not in _VOWELS_LATN and last not in "wxy" else ""
    return [(word, f"en:{doubled}" if doubled else "en")]


def word_patterns(word: str, lang: str, morph: str = "auto") -> list[tuple[str, str]]:
    """The (key, tail class) pairs that let a normalized lexicon word match its inflections.

    ``lang`` is the language list the entry sits in: ``ru``, ``kk``, ``en`` or
    ``any`` (names shared by the languages: Cyrillic words get both Russian and
    Kazakh endings, Latin words English and Kazakh Latin ones). ``morph`` is
    ``auto`` (by language), ``exact`` (no endings), ``verb`` (Russian verb
    endings; for Kazakh the stem of the -у form plus voice, tense and case
    suffixes: ұстау -> ұсталды, ұстаған), ``name`` (Russian proper-name
    declension) or ``acronym`` (the whole word plus endings: "ОБСЕ" must not
    lose its "Е" like a noun would).
    """
    if morph == "exact" or len(word) <= MIN_INFLECTED_KEY - 1 or not word.isalpha():
        return [(word, "exact")]
    cyrillic = is_cyrillic_word(word)
    patterns: list[tuple[str, str]] = []
    if lang == "any" or (morph == "name" and lang == "ru"):
        # names shared by languages; Kazakh text writes Russian place names with
        # Kazakh suffixes ("Семейде", "Уральскіде")
        langs: tuple[str, ...] = ("ru", "kk") if cyrillic else ("en", "kk")
    else:
        langs = (lang,)
    for one in langs:
        if morph == "acronym":
            kind = "ru" if cyrillic and one != "kk" else "kk" if cyrillic else "kk_latn"
            patterns.append((word, kind if one == "kk" or cyrillic else "en"))
        elif cyrillic and one in ("ru", "en"):
            if morph == "verb":
                patterns += _ru_patterns(word, _RU_VERB_STRIP, "ru_verb")
            else:
                strip = _RU_NAME_STRIP if morph == "name" or lang == "any" else _RU_STRIP
                patterns += _ru_patterns(word, strip, "ru")
                if strip is _RU_STRIP:  # common nouns: names list the forms they count in
                    patterns += _ru_fleeting(word)
        elif one == "kk":
            patterns += _kk_patterns(word, latin=not cyrillic, verb=morph == "verb")
            if morph == "auto" and lang == "kk" and _kk_verbal_noun(word, cyrillic):
                # "тарту" (recruiting) is also the verb: тартқан, тартылды
                patterns += _kk_patterns(word, latin=not cyrillic, verb=True)
        else:
            patterns += _en_patterns(word)
    return list(dict.fromkeys(patterns))
