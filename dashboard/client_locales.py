"""The browser-side libraries' own words in Russian and Kazakh: plotly and the date picker.

Plotly writes its toolbar's tooltips ("Zoom in", "Download plot as a PNG"),
a few hints and its date ticks in English unless a locale is registered; the
date picker (date-fns inside dcc.DatePickerRange) names months and weekdays
in English unless `window.dateFns.locale` holds a locale. Their published
locale files come from CDNs, which the dashboard never uses; so
`locales_script` builds them from our catalogs (the toolbar's messages
below) and Babel's CLDR data (month and day names, the decimal and thousands
marks), and the app serves the script at `SCRIPT_PATH`.

Plotly: the script registers the locales when plotly is loaded, or queues
them in `window.PlotlyLocales`, which plotly registers when it loads (its own
convention); each graph picks its locale in its `config`. Date picker: the
script gives it only the page's own language (`<html lang>`), which it then
uses whatever the browser's languages are; an English page gets none and
keeps date-fns' English.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from babel.dates import get_day_names, get_month_names

from dashboard.i18n import N_, SOURCE_LANGUAGE, Translator

SCRIPT_PATH = "/i18n/locales.js"
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


def calendar_names(t: Translator) -> dict[str, dict[str, list[str]]]:
    """Month (January first) and weekday (Sunday first) names for the date picker.

    Stand-alone forms in every width: the picker shows names alone ("декабрь 2026",
    not the genitive "декабря" that a day before them would need)."""
    months = {
        width: [names[i] for i in range(1, 13)]
        for width in ("wide", "abbreviated", "narrow")
        for names in [get_month_names(width, "stand-alone", locale=t.lang)]
    }
    days = {
        width: [names[i] for i in SUNDAY_FIRST]
        for width in ("wide", "abbreviated", "short", "narrow")
        for names in [get_day_names(width, "stand-alone", locale=t.lang)]
    }
    return {"months": months, "days": days}


# A date-fns locale from the names above: the picker formats month captions and weekday
# headers with `localize`; it parses only numeric dates (display_format YYYY-MM-DD), so the
# `match` functions never find a name.
DATE_FNS = """
function dateFnsLocale(code, names) {
  var pick = function (table) {
    return function (n, options) {
      var width = (options && options.width) || 'wide';
      return (table[width] || table.wide)[n];
    };
  };
  var none = function () { return null; };
  return {
    code: code,
    localize: {
      ordinalNumber: function (n) { return String(n); },
      era: function (n) { return String(n); },
      quarter: function (n) { return String(n); },
      month: pick(names.months),
      day: pick(names.days),
      dayPeriod: function (p) { return p; }
    },
    formatLong: {
      date: function () { return 'dd.MM.yyyy'; },
      time: function () { return 'HH:mm'; },
      dateTime: function () { return '{{date}} {{time}}'; }
    },
    match: {ordinalNumber: none, era: none, quarter: none, month: none, day: none,
            dayPeriod: none},
    options: {weekStartsOn: 1, firstWeekContainsDate: 1}
  };
}
"""


def locales_script(translators: Mapping[str, Translator]) -> str:
    """The JavaScript that gives plotly every non-English interface language and the date
    picker the page's own."""
    others = {lang: t for lang, t in translators.items() if lang != SOURCE_LANGUAGE}
    plotly = [plotly_locale(t) for t in others.values()]
    calendars = {lang: calendar_names(t) for lang, t in others.items()}
    return (
        "(function (plotlyLocales, calendars) {\n"
        + DATE_FNS
        + "  if (typeof window.Plotly !== 'undefined' && window.Plotly.register) {\n"
        "    window.Plotly.register(plotlyLocales);\n"
        "  } else {\n"
        "    window.PlotlyLocales = (window.PlotlyLocales || []).concat(plotlyLocales);\n"
        "  }\n"
        "  var lang = document.documentElement.lang;\n"
        "  if (calendars[lang]) {\n"
        "    window.dateFns = window.dateFns || {};\n"
        "    window.dateFns.locale = {};\n"
        "    window.dateFns.locale[lang] = dateFnsLocale(lang, calendars[lang]);\n"
        "  }\n"
        f"}})({json.dumps(plotly, ensure_ascii=False)}, "
        f"{json.dumps(calendars, ensure_ascii=False)});\n"
    )
