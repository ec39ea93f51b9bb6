"""The dashboard's filters from command-line options (export, terms emerging).

Commands take the same filters as the dashboard's URL; this turns their
options into the URL's parameters, so `Filters.from_params` validates both
alike.
"""

from __future__ import annotations

from collections.abc import Sequence

from indicators.selection import Filters, Vocabulary


def filters_from_options(
    date_from: str | None,
    date_to: str | None,
    query: str | None,
    *,
    vocabulary: Vocabulary | None = None,
    **axes: Sequence[str],
) -> Filters:
    """Filters for `--from`, `--to`, `-q` and the repeatable axis options (FilterError if bad).

    `vocabulary` names the ids the options may use (default: the taxonomy's, any actor id).
    """
    params: dict[str, list[str]] = {
        "from": [date_from] if date_from else [],
        "to": [date_to] if date_to else [],
        **{name: list(values) for name, values in axes.items()},
        "q": [query] if query else [],
    }
    return Filters.from_params(params, vocabulary=vocabulary)
