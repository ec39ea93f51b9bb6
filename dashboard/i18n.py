"""The dashboard's interface language: which one a request gets, and its translations.

Three languages: Russian and Kazakh, which the analysts work in, and English,
the source language of every message in the code. The catalogs are gettext
`.po` files in `dashboard/locale/` (`ru.po`, `kk.po`), read once by
`create_app` with Babel and compiled in memory; no compiled `.mo` binary is
committed, so the reviewed text and what runs cannot drift apart.

The language is chosen by `pick_language`: the URL's `ui=` parameter, else
the cookie the language switch leaves, else the browser's Accept-Language,
else Russian. Nothing here reads a request: the dashboard's edge passes the
three values in, and the chosen `Translator` is passed down to what renders.

Marking strings: `t("text")` translates now; `N_("text")` marks a constant
that is translated where it is shown (`t(CONSTANT)`); `t.plural(one, many, n)`
picks the plural form the language needs. Placeholders are `{name}`, filled
with `str.format` after translating. `tests/unit/test_catalogs.py` extracts
these calls with Babel and fails when a catalog misses or keeps a message.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from babel import Locale
from babel.core import UnknownLocaleError
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent, get_decimal_symbol, get_group_symbol
from babel.support import NullTranslations, Translations

UI_LANGUAGES = ("ru", "kk", "en")  # the switch's order; the first is the fallback
SOURCE_LANGUAGE = "en"  # the language the messages are written in
DEFAULT_LANGUAGE = "ru"
UI_PARAM = "ui"  # the URL parameter
UI_COOKIE = "threatmon_ui"
COOKIE_MAX_AGE = 365 * 24 * 3600
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# How each language names itself on the switch (never translated).
SELF_NAMES = {"ru": "Русский", "kk": "Қазақша", "en": "English"}


def N_(message: str) -> str:
    """Mark `message` for extraction; it is translated where it is shown."""
    return message


def valid_language(value: str | None) -> str | None:
    """`value` when it names an interface language (case and region ignored), else None."""
    if not value:
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    return code if code in UI_LANGUAGES else None


def accepted_languages(header: str | None) -> list[str]:
    """The interface languages an Accept-Language header asks for, best first.

    `ru-RU,ru;q=0.9,en;q=0.5` -> ["ru", "en"]; malformed parts and q=0 are
    skipped; equal weights keep the header's order.
    """
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = -1.0
        code = valid_language(tag)
        if code and 0 < quality <= 1:
            weighted.append((-quality, index, code))
    seen: list[str] = []
    for _, _, code in sorted(weighted):
        if code not in seen:
            seen.append(code)
    return seen


def pick_language(url: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The interface language: URL `ui=` > cookie > Accept-Language > Russian."""
    for chosen in (valid_language(url), valid_language(cookie)):
        if chosen:
            return chosen
    accepted = accepted_languages(accept_language)
    return accepted[0] if accepted else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Translator:
    """One language's messages and formats; `t("text")` translates a message."""

    lang: str
    translations: NullTranslations = field(default_factory=NullTranslations, compare=False)

    def __call__(self, message: str) -> str:
        return self.translations.gettext(message)

    def plural(self, singular: str, plural: str, n: int) -> str:
        """The form of a message for the count `n` (Russian and Kazakh rules from the catalog)."""
        return self.translations.ngettext(singular, plural, n)

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.lang)

    def number(self, value: float) -> str:
        """A count as the language writes it (thousands separated by a space in ru and kk)."""
        return format_decimal(value, locale=self.lang)

    def decimal(self, value: float) -> str:
        """A score or a rate with one decimal, as the language writes it ("1,2" in ru)."""
        return format_decimal(value, "0.0", locale=self.lang)

    def percent(self, value: float, *, signed: bool = False) -> str:
        """`value` (0.12 -> 12 %) in the language's form; `signed` adds "+" to a rise."""
        text = format_percent(value, locale=self.lang)
        return "+" + text if signed and value > 0 else text

    @property
    def separators(self) -> str:
        """Plotly's `layout.separators`: the decimal mark, then the thousands separator."""
        return get_decimal_symbol(self.lang) + get_group_symbol(self.lang)

    def day(self, value: date | datetime) -> str:
        """A calendar date, numeric and unambiguous in every language (2026-03-05 style)."""
        return format_date(value, "yyyy-MM-dd", locale=self.lang)

    def month(self, value: date | datetime) -> str:
        """A month and year in words: "March 2026", "март 2026", "наурыз 2026"."""
        return format_date(value, "LLLL y", locale=self.lang)

    def month_short(self, value: date | datetime) -> str:
        """A short month and year for chart ticks: "Mar 2026", "март 2026", "нау. 2026"."""
        return format_date(value, "LLL y", locale=self.lang)

    def country(self, code: str) -> str | None:
        """A country's name in this language from Babel's CLDR data, None when unknown."""
        return self.locale.territories.get(code)


ENGLISH = Translator(SOURCE_LANGUAGE)


def read_catalog(path: Path, lang: str) -> Translations:
    """A `.po` file compiled in memory into gettext translations (fuzzy entries left out)."""
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled)


def load_translators(locale_dir: Path = LOCALE_DIR) -> Mapping[str, Translator]:
    """Every interface language's translator; English needs no catalog."""
    translators = {SOURCE_LANGUAGE: ENGLISH}
    for lang in UI_LANGUAGES:
        if lang == SOURCE_LANGUAGE:
            continue
        try:
            Locale.parse(lang)
        except UnknownLocaleError as exc:  # pragma: no cover - Babel ships ru and kk
            raise RuntimeError(f"Babel has no locale data for {lang!r}") from exc
        translators[lang] = Translator(lang, read_catalog(locale_dir / f"{lang}.po", lang))
    return translators
