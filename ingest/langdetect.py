"""Which language an item is in: Russian, Kazakh or English, else what was declared.

Feeds declare a language, and entries sometimes do, but bilingual sites in
Kazakhstan routinely publish Kazakh items in a feed declared "ru" (and the
other way round). The declaration is trusted unless the text clearly
contradicts it. "Clearly" is graded, so a weak hint can fill in a missing
declaration without overruling a real one:

- letters that only Kazakh uses among our languages (ә ғ қ ұ і, with ң ө ү һ)
  and frequent Kazakh words are strong evidence, unless the text also has
  letters Kazakh never uses (Ukrainian ї є ґ, Tatar җ, Tajik ҳ ҷ ...);
- Kazakh in Latin script (the 2018 acute-accent and the 2021 alphabets) is
  recognized by its frequent words ("jáne", "úshin", "boıynsha");
- Russian and English are recognized by their function words.

Pure and cheap: a few regex scans, no model files.
"""

from __future__ import annotations

import re
from functools import lru_cache

from indicators.models import LANGS
from ingest.wordlists import word_set

UNDETERMINED = "und"
MIN_LETTERS = 10  # below this, a text without strong evidence is "und"

# How sure a guess is. NONE: no idea. WEAK: good enough when nothing was declared.
# CLEAR: overrides a declaration of ru, kk or en (the languages told apart here).
# STRONG: overrides any declaration.
NONE, WEAK, CLEAR, STRONG = range(4)
_OURS = frozenset(LANGS)  # the languages told apart here

# Spellings seen in feeds that are not (or not only) the language's ISO code.
_ALIASES = {
    "kz": "kk",  # the country code, often used for the language
    "kaz": "kk",
    "qaz": "kk",
    "rus": "ru",
    "eng": "en",
    "ua": "uk",  # likewise a country code
}
_CODE = re.compile(r"[a-z]{2,3}")
_SUBTAG_OR_LIST = re.compile(r"[-_\s,;]")

_KK_CYR_STRONG = "әғқұі"
_KK_CYR_ALL = "әғқңөұүһі"
_NOT_KK_CYR = "їєґўҗҳҷӣӯҡҫӊ"  # Cyrillic letters of neighbours' alphabets, never Kazakh
_KK_LAT = "áǵńóúýäğñöūüış"
_WORD = re.compile(r"[^\W\d_]+")
# Runs, not single letters: counting the letters of each run is the same count
# with a match per word instead of one per letter (a fifth of an entry's cost).
_CYRILLIC = re.compile(r"[\u0400-\u04ff]+")
_LATIN = re.compile(r"[a-zA-Z\u00c0-\u024f]+")
_Q_NOT_QU = re.compile(r"q(?!u)")


_KK_CYR_WORDS = word_set(
    """және үшін бойынша жылы туралы арқылы кейін бірақ тағы дейін кезінде болып болды
    емес оның біз қазір жаңа бір екі тиіс керек деген сияқты жөнінде өз ең әр күні
    облысы облысында қаласы қаласында ауданы бұл осы мен деп"""
)
_KK_LAT_WORDS = word_set(
    """jáne jane úshin ushin boıynsha boiynsha boyınşa jyly jılı turaly arqyly arqılı keıin
    keiin biraq tagy taǵy kezinde bolyp boldy emes onyń onyñ qazir jańa jaña tıis kerek
    degen sııaqty oblysy oblısı qalasy qalası aýdany audany búgin bügin"""
)
_RU_WORDS = word_set(
    """и в во на что это по для от из за как при о об после также был была было были к с
    со у а но или его ее её их который которая которые года году более между против над
    под до уже еще ещё только чтобы где когда"""
)
_EN_WORDS = word_set(
    """the of and to in is for on with that by as at from was were are has have been will
    its after over says said this it their who which against into about an be or not but
    new"""
)


def normalize_language_code(value: object) -> str | None:
    """The ISO 639-1 code of a declared language, however a feed spells it.

    The one reading of language declarations (feed, entry, Content-Language,
    OPML): "ru-RU", "RU", "kk_KZ", "en-us, ru" (the first of a list), the
    aliases above ("kz", "ua"), and ISO 639-2 codes in either form ("kaz",
    "ger"). A three-letter language without a two-letter code keeps its
    three-letter code; anything that is not a language code (a name, a
    number, not a string) gives None, which counts as no declaration.
    """
    return _normalize_code(value) if isinstance(value, str) else None


@lru_cache(maxsize=256)
def _normalize_code(value: str) -> str | None:
    primary = _SUBTAG_OR_LIST.split(value.strip().lower(), maxsplit=1)[0]
    primary = _ALIASES.get(primary, primary)
    if not _CODE.fullmatch(primary):
        return None
    if len(primary) == 3:
        import pycountry  # loaded only for rare three-letter declarations

        record = pycountry.languages.get(alpha_3=primary) or pycountry.languages.get(
            bibliographic=primary
        )
        if record is None:
            return None
        return str(getattr(record, "alpha_2", None) or record.alpha_3)
    return primary


def _count(text: str, letters: str) -> int:
    return sum(map(text.count, letters))


def _guess(text: str) -> tuple[str | None, int]:
    """The language the text itself suggests, and how sure that is."""
    folded = text.casefold()
    cyr = sum(map(len, _CYRILLIC.findall(folded)))
    lat = sum(map(len, _LATIN.findall(folded)))
    words = _WORD.findall(folded)
    if cyr >= lat:
        return _guess_cyrillic(folded, words, cyr)
    return _guess_latin(folded, words, lat, cyr)


def _guess_cyrillic(folded: str, words: list[str], cyr: int) -> tuple[str | None, int]:
    if _count(folded, _NOT_KK_CYR):
        return None, NONE  # Ukrainian, Tatar, Tajik...: neither Russian nor Kazakh
    kk_all = _count(folded, _KK_CYR_ALL)
    kk_strong = _count(folded, _KK_CYR_STRONG)
    kk_words = sum(map(_KK_CYR_WORDS.__contains__, words))
    # Kyrgyz shares ң ө ү and some words but never uses ә ғ қ ұ і.
    if kk_strong and (kk_words or (kk_all >= 3 and kk_all >= 0.03 * cyr)):
        return "kk", STRONG
    ru_words = sum(map(_RU_WORDS.__contains__, words))
    # A Kazakh name or two ("Тоқаев") in a long Russian text is not a contradiction.
    kk_sparse = kk_all <= 0.02 * cyr
    if kk_sparse and cyr >= 30 and ru_words >= 3:
        return "ru", STRONG
    if kk_sparse and cyr >= 15 and (ru_words or cyr >= 40):
        return "ru", CLEAR
    if cyr >= MIN_LETTERS:
        return "ru", WEAK
    return None, NONE


def _guess_latin(folded: str, words: list[str], lat: int, cyr: int) -> tuple[str | None, int]:
    kk_letters = _count(folded, _KK_LAT)
    kk_words = sum(map(_KK_LAT_WORDS.__contains__, words))
    en_words = sum(map(_EN_WORDS.__contains__, words))
    if kk_words >= 2 or (kk_words and kk_letters):
        return "kk", STRONG
    # Kazakh Latin writes қ as "q", rarely followed by "u" as in Romance languages.
    if not en_words and kk_letters >= 2 and kk_letters >= 0.03 * lat:
        return "kk", CLEAR if len(_Q_NOT_QU.findall(folded)) >= 2 else WEAK
    mostly_latin = cyr <= 0.1 * (lat + cyr)
    if mostly_latin and lat >= 15 and en_words >= 2:
        return "en", STRONG
    if mostly_latin and lat >= 15 and en_words:
        return "en", CLEAR
    if lat >= MIN_LETTERS:
        return "en", WEAK
    return None, NONE


def detect_language(text: str, declared: str | None = None) -> str:
    """The item's language: "ru", "kk", "en", the declared language, or "und".

    The text's own evidence wins when it is clear enough to overrule the
    declaration (see the module docstring); without a declaration a weak guess
    is used, and a text too short to judge is "und".

    `declared` is the entry's or the feed's language, in any common spelling.
    """
    code = normalize_language_code(declared)
    guess, strength = _guess(text)
    if code is None:
        return guess if guess is not None and strength >= WEAK else UNDETERMINED
    if guess is None or guess == code:
        return code
    if strength >= STRONG or (strength >= CLEAR and code in _OURS):
        return guess
    return code
