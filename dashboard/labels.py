"""Human labels of tag values in an interface language (no web framework imported).

Used by the dashboard's views and exports and by the alert e-mails
(`notify`), so a label reads the same on screen and in an inbox.
"""

from __future__ import annotations

from collections.abc import Mapping

from dashboard.i18n import N_, SOURCE_LANGUAGE, Translator
from indicators.taxonomy import Taxonomy

LANGUAGE_NAMES = {
    "ru": N_("Russian"),
    "kk": N_("Kazakh"),
    "en": N_("English"),
    "ky": N_("Kyrgyz"),
    "uz": N_("Uzbek"),
    "tg": N_("Tajik"),
    "tk": N_("Turkmen"),
    "zh": N_("Chinese"),
}


def label_in(
    taxonomy: Taxonomy,
    t: Translator,
    axis: str,
    value: str,
    sources: Mapping[int, str] | None = None,
) -> str:
    """A human label for a tag value, language or source id in `t`'s language (the id as a
    last resort).

    Taxonomy labels come from taxonomy.toml (ru/kk/en); a country the taxonomy
    does not name in the language is named by Babel's CLDR data; source names
    are proper names and stay as they are.
    """
    if axis == "source":
        try:
            name = (sources or {}).get(int(value))
        except ValueError:
            return str(value)
        return name or t("source {id}").format(id=value)
    if axis == "lang":
        return t(LANGUAGE_NAMES[value]) if value in LANGUAGE_NAMES else (value or t("unknown"))
    if axis in ("region", "country") and t.lang != SOURCE_LANGUAGE:
        named = taxonomy.regions.get(value) or taxonomy.countries.get(value) or {}
        if t.lang not in named and len(value) == 2:
            country = t.country(value)
            if country:
                return country
    try:
        return taxonomy.label(axis, value, t.lang) or value
    except ValueError:
        return value
