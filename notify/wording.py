"""Alert e-mails in Russian or Kazakh: the dashboard's catalogs and labels, loaded lazily.

English needs nothing: its wording is the messages as written in
`notify.render`. Another language reads the same gettext catalogs as the
dashboard (`dashboard/locale`, where `python -m tools.catalogs` also collects
the e-mail messages) and names an alert again from its series, as the Alerts
view does, with the taxonomy's labels from the data folder. The imports wait
until the first e-mail in that language, so an ingest process that sends none
loads none of it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from notify.render import ENGLISH, Wording


@lru_cache(maxsize=8)
def wording_for(language: str, data_dir: Path | None) -> Wording:
    """The wording of e-mails in `language` (en, ru or kk); English when it is "en"."""
    if language == "en":
        return ENGLISH
    from dashboard.alert_text import STATE_NAMES, alert_label, named
    from dashboard.i18n import load_translators
    from dashboard.labels import label_in
    from indicators.alerts import AlertRow
    from indicators.lexicon import load_actors, load_labels

    t = load_translators()[language]
    taxonomy = load_labels(data_dir, load_actors(data_dir)) if data_dir is not None else None

    def label(alert: AlertRow) -> str:
        if taxonomy is None:
            return alert.label
        return alert_label(alert, lambda axis, value: label_in(taxonomy, t, axis, value), t)

    def state(value: str) -> str:
        return named(STATE_NAMES, value, t)

    return Wording(t=t, plural=t.plural, label=label, state=state, decimal=t.decimal)
