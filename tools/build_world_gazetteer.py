"""Write data/gazetteer/world.yaml: every other state's name in three languages.

    python tools/build_world_gazetteer.py [--data-dir data]

`countries.yaml` lists, by hand, the countries the news of the region names
most, with capitals, provinces, towns and adjectives. An attack in Burkina
Faso, an arrest in Bulgaria or a court in Canada was tagged with no country
at all. This tool fills the rest of the world from pycountry: each state's
common name in English and its names in pycountry's Russian and Kazakh
translations, nothing else (no cities, no adjectives). A country already in
countries.yaml or kz.yaml is left to that file; so are dependent territories,
which the news names by their state. Names that are also everyday words or
given names ("Того" in "того же", "Chad", "Jersey" in "New Jersey") are left
out, and a long official form is replaced by the form the news uses
("Венесуэла", not "Боливарианская Республика Венесуэла"). Run it again after
pycountry or countries.yaml changes; a test checks the file is current.
"""

from __future__ import annotations

import argparse
import gettext
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pycountry
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT = "gazetteer/world.yaml"
HAND_WRITTEN = ("gazetteer/countries.yaml", "gazetteer/kz.yaml")
LANGS = ("ru", "kk", "en")
VERSION = "2026.12.22"

# Dependent territories and uninhabited islands: the news names them by their state.
_TERRITORY_CODES = (
    "AI AQ AS AW AX BL BM BQ BV CC CK CW CX FK FO GF GG GI GL GP GS GU HK HM IM IO JE KY MF "
    "MO MP MQ MS NC NF NU PF PM PN PR RE SH SJ SX TC TF TK UM VG VI WF YT"
)
TERRITORIES = frozenset(_TERRITORY_CODES.split())
# Names that are everyday words or given names (a Kazakh name also matches in its Latin
# spelling, so the Kazakh "Чад" is the English given name "Chad").
# "АЛЖИР", the memorial of the Akmola camp for the wives of "traitors to the motherland",
# is named in the news of Kazakhstan far more often than Algeria.
AMBIGUOUS = {("ru", "TG"), ("kk", "TG"), ("en", "TD"), ("kk", "TD"), ("ru", "DZ"), ("kk", "DZ")}
# The form the news uses where pycountry's translation is an official long form.
SHORT_FORMS = {
    ("ru", "VE"): "Венесуэла",
    ("kk", "VE"): "Венесуэла",
    ("ru", "LA"): "Лаос",
    ("kk", "LA"): "Лаос",
    ("ru", "TW"): "Тайвань",
    ("kk", "TW"): "Тайвань",
    ("kk", "BO"): "Боливия",
    ("ru", "CF"): "Центральноафриканская Республика",
    ("ru", "DO"): "Доминиканская Республика",
    ("kk", "PH"): "Филиппин",
    ("ru", "VA"): "Ватикан",
    ("ru", "BN"): "Бруней",
    ("en", "BN"): "Brunei",
    ("en", "CZ"): "Czech Republic",
    ("en", "CI"): "Ivory Coast",
    ("en", "SZ"): "Eswatini",
    ("en", "VA"): "Vatican",
    ("en", "FM"): "Micronesia",
}
# Russian names that are plural nouns decline like nouns ("на Филиппинах", "Мальдив"),
# which the proper-name declension of the defaults does not strip: listed with
# the ordinary noun endings (morph: auto).
PLURAL_NAMES = {("ru", "BS"), ("ru", "KM"), ("ru", "MV"), ("ru", "PH"), ("ru", "SC"), ("ru", "FM")}
EXTRA = {"CZ": {"en": ["Czechia"]}, "CD": {"ru": ["ДР Конго"], "en": ["DR Congo"]}}
_TRANSLATORS = {
    lang: gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
    for lang in ("ru", "kk")
}


def listed_codes(data_dir: Path) -> set[str]:
    """The codes the hand-written gazetteer files already hold."""
    codes: set[str] = set()
    for rel in HAND_WRITTEN:
        raw = yaml.safe_load((data_dir / rel).read_text(encoding="utf-8")) or {}
        codes.update((raw.get("ids") or {}).keys())
    return codes | {"KZ"}


def name_in(lang: str, country: Any) -> str | None:
    """The country's name in `lang`, as the news writes it, or None to leave it out."""
    code = country.alpha_2
    if (lang, code) in AMBIGUOUS:
        return None
    if (lang, code) in SHORT_FORMS:
        return SHORT_FORMS[(lang, code)]
    official = country.name
    if lang == "en":
        name = getattr(country, "common_name", None) or official
    else:
        name = _TRANSLATORS[lang].gettext(official)
        if name == official:  # no translation
            return None
    if "(" in name or "," in name:
        return None
    return name


def world(data_dir: Path) -> dict[str, dict[str, list[str]]]:
    """code -> lang -> names, for every state not in the hand-written files."""
    skip = listed_codes(data_dir) | TERRITORIES
    found: dict[str, dict[str, list[str]]] = {}
    for country in sorted(pycountry.countries, key=lambda c: c.alpha_2):
        if country.alpha_2 in skip:
            continue
        by_lang: dict[str, list[str]] = {}
        for lang in LANGS:
            names = [n for n in [name_in(lang, country)] if n]
            names += EXTRA.get(country.alpha_2, {}).get(lang, [])
            if names:
                by_lang[lang] = sorted(set(names), key=names.index)
        if by_lang:
            found[country.alpha_2] = by_lang
    # a name two states share ("Конго") would tag both: the longer names stay
    seen = Counter(n for langs in found.values() for n in {n for ns in langs.values() for n in ns})
    for langs in found.values():
        for lang in list(langs):
            langs[lang] = [n for n in langs[lang] if seen[n] == 1]
            if not langs[lang]:
                del langs[lang]
    return {code: langs for code, langs in found.items() if langs}


HEADER = """\
# Gazetteer: the rest of the world, written by tools/build_world_gazetteer.py
# (do not edit by hand: edit the tool or add the country to countries.yaml,
# which then takes it over). Each state's common name in Russian, Kazakh and
# English from pycountry, nothing else: no cities, no adjectives. Names must
# be capitalized in the text, as in countries.yaml.

"""


def render(found: dict[str, dict[str, list[str]]]) -> str:
    lines = [HEADER + f'version: "{VERSION}"', "axis: region", "defaults:",
             "  case: as_written", "  morph: name", "ids:"]  # fmt: skip
    for code, langs in found.items():
        lines.append(f'  "{code}":')  # quoted: YAML reads a bare NO as false
        for lang in LANGS:
            if lang in langs:
                lines.append(f"    {lang}:")
                plural = (lang, code) in PLURAL_NAMES
                lines += [f"      - {_entry(n, plural)}" for n in langs[lang]]
    return "\n".join(lines) + "\n"


def _entry(name: str, plural: bool) -> str:
    return f"{{term: {_quoted(name)}, morph: auto}}" if plural else _quoted(name)


def _quoted(name: str) -> str:
    return f'"{name}"' if re.search(r"[:#'\"{}\[\],&*!|>%@`]", name) else name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / "data")
    args = parser.parse_args(argv)
    found = world(args.data_dir)
    (args.data_dir / OUT).write_text(render(found), encoding="utf-8")
    print(f"{len(found)} states -> {args.data_dir / OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
