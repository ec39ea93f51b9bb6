"""The `item_tags` rows of a verdict: one per (axis, value), its evidence as JSON.

Retag compares these rows with the stored ones to rewrite only what changed,
so their text must be exactly what `json.dumps` gave when the rows were first
stored, whatever characters a term holds.
"""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from indicators.models import Match, Tags
from indicators.store.write import tag_rows

spans = st.tuples(st.integers(0, 10_000), st.integers(0, 10_000))


@given(terms=st.lists(st.tuples(st.text(), spans), max_size=4))
def test_evidence_is_the_json_dumps_text_of_the_matched_terms(
    terms: list[tuple[str, tuple[int, int]]],
) -> None:
    matches = tuple(Match("category", "cyber_threats", t, a, b) for t, (a, b) in terms)
    tags = Tags(
        True, ("cyber_threats",), ("KZ",), matches=(*matches, Match("region", "KZ", "x", 0, 1))
    )

    rows = {(r["axis"], r["value"]): r["terms"] for r in tag_rows(7, tags)}

    expected = [{"term": m.term, "start": m.start, "end": m.end} for m in matches]
    assert rows[("category", "cyber_threats")] == json.dumps(expected, ensure_ascii=False)
    assert json.loads(rows[("category", "cyber_threats")]) == expected
    assert rows[("region", "KZ")] == '[{"term": "x", "start": 0, "end": 1}]'


def test_a_tag_without_evidence_stores_an_empty_list() -> None:
    rows = tag_rows(1, Tags(True, ("terrorist_activity",)))
    assert rows == [
        {"item_id": 1, "axis": "category", "value": "terrorist_activity", "terms": "[]"}
    ]
