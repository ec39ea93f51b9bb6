"""Plotly's own words in Russian and Kazakh: the chart toolbar, its hints, month names.

Plotly writes its toolbar's tooltips ("Zoom in", "Download plot as a PNG"),
a few hints and its date ticks in English unless a locale is registered.
Plotly's published locale files come from a CDN, which the dashboard never
uses; so `locales_script` builds the same kind of file from our catalogs
(the toolbar's messages below) and Babel's CLDR data (month and day names,
the decimal and thousands marks), and the app serves it at `SCRIPT_PATH`.
The file follows plotly's own convention: it registers the locales when
plotly is loaded, or queues them in `window.PlotlyLocales`, which plotly
registers when it loads. Each graph picks its locale in its `config`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from babel.dates import get_day_names, get_month_names

from dashboard.i18n import N_, SOURCE_LANGUAGE, Translator

SCRIPT_PATH = "/i18n/plotly-locales.js"
# The English texts plotly itself shows on the dashboard's charts (its dictionary keys).
PLOTLY_MESSAGES = (
    N_("Download plot as a PNG"),
    N_("Download plot"),
    N_("Zoom"),
    N_("Pan"),
    N_("Zoom in"),
    N_("Zoom out"),
    N_("Reset axes"),
    N_("Reset"),
    N_("Reset view"),
    N_("Autoscale"),
    N_("Box Select"),
    N_("Lasso Select"),
    N_("Toggle Spike Lines"),
    N_("Show closest data on hover"),
    N_("Compare data on hover"),
    N_("Toggle show closest data on hover"),
    N_("Double-click to zoom back out"),
    N_("Double-click on legend to isolate one trace"),
    N_("Sorry, there was a problem downloading your image!"),
)
SUNDAY_FIRST = (6, 0, 1, 2, 3, 4, 5)  # plotly lists days from Sunday, Babel from Monday


def plotly_locale(t: Translator) -> dict[str, object]:
    """One language's plotly locale: the dictionary from the catalog, formats from Babel."""
    months = get_month_names("wide", "stand-alone", locale=t.lang)
    short_months = get_month_names("abbreviated", "stand-alone", locale=t.lang)
    days = get_day_names("wide", "stand-alone", locale=t.lang)
    short_days = get_day_names("abbreviated", "stand-alone", locale=t.lang)
    separators = t.separators
    return {
        "moduleType": "locale",
        "name": t.lang,
        "dictionary": {message: t(message) for message in PLOTLY_MESSAGES},
        "format": {
            "days": [days[i] for i in SUNDAY_FIRST],
            "shortDays": [short_days[i] for i in SUNDAY_FIRST],
            "months": [months[i] for i in range(1, 13)],
            "shortMonths": [short_months[i] for i in range(1, 13)],
            "date": "%d.%m.%Y",
            "decimal": separators[0],
            "thousands": separators[1],
        },
    }


def locales_script(translators: Mapping[str, Translator]) -> str:
    """The JavaScript that registers every non-English interface language with plotly."""
    locales = [plotly_locale(t) for lang, t in translators.items() if lang != SOURCE_LANGUAGE]
    return (
        "(function (locales) {\n"
        "  if (typeof window.Plotly !== 'undefined' && window.Plotly.register) {\n"
        "    window.Plotly.register(locales);\n"
        "  } else {\n"
        "    window.PlotlyLocales = (window.PlotlyLocales || []).concat(locales);\n"
        "  }\n"
        f"}})({json.dumps(locales, ensure_ascii=False)});\n"
    )
