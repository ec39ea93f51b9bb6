"""A filter the dashboard could not use, explained in the interface language.

`indicators.selection.FilterError` explains itself in English (the command
line and the JSON API show that text as it is). The dashboard matches the
message against the known forms below, each an English template whose
`{placeholders}` capture the values, and says the same in the interface
language; the values (a mistyped id, a date) are shown as typed. A message
of an unknown form is shown as written. `tests/unit/test_filter_errors.py`
provokes every FilterError the filter bar and the URL can raise and fails
when a form here no longer matches what `indicators` says.
"""

from __future__ import annotations

import re
import string

from dashboard.i18n import ENGLISH, N_, Translator

FORMS = (
    N_("'from' ({start}) is after 'to' ({end})"),
    N_("'{name}' given more than once with different values"),
    N_("unknown category {value}"),
    N_("unknown region {value} (use ISO 3166-2:KZ or a country code)"),
    N_("unknown platform {value}"),
    N_("unknown actor {value}"),
    N_("not a language code: {value}"),
    N_("search text longer than {n} characters"),
    N_("this needs a period with both 'from' and 'to'"),
    N_("'{name}' is not a date (YYYY-MM-DD): {value}"),
    N_("'source' must be a feed id (a positive number): {value}"),
    N_("emerging terms need a period with both 'from' and 'to'"),
    N_(
        "emerging terms compare the last {n} days with the days before: "
        "choose a period longer than {m} days"
    ),
)


def _pattern(form: str) -> re.Pattern[str]:
    parts = []
    for literal, name, _spec, _conversion in string.Formatter().parse(form):
        parts.append(re.escape(literal))
        if name is not None:
            parts.append(f"(?P<{name}>.+?)")
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


PATTERNS = tuple((form, _pattern(form)) for form in FORMS)


def filter_error_text(message: str, t: Translator = ENGLISH) -> str:
    """`message` (a FilterError's text) in `t`'s language when its form is known."""
    for form, pattern in PATTERNS:
        found = pattern.match(message)
        if found:
            return t(form).format(**found.groupdict())
    return message
