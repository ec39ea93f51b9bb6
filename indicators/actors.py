"""Organizations (the `actor` axis): their records and the checks on their facts.

``data/actors.yaml`` names each organization with the same term lists as the
lexicon (read by ``indicators.lexicon_files``) plus what an analyst needs to
know about it: labels in three languages, a kind, and designation facts
(which authority recognized it as what, when, and the public page that says
so). This module holds those records and validates the facts; it reads no
files, so the checks are pure and the records travel to the dashboard and the
exports without the matcher.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from indicators.models import LANGS

ACTOR_KINDS: tuple[str, ...] = (
    "terrorist",
    "extremist",
    "banned_religious",
    "political_extremist",
    "criminal_network",
    "cyber",
)
AUTHORITIES: tuple[str, ...] = (
    "KZ court",  # a decision of a court of Kazakhstan
    "KZ list",  # Kazakhstan's published list of banned organizations
    "UN Security Council 1267",  # the ISIL (Da'esh) and Al-Qaida sanctions list
    "UN Security Council 1988",  # the Taliban sanctions list
    "US State Department FTO",
    "EU",
    "other",  # say which in `note`
)
STATUSES: tuple[str, ...] = ("terrorist", "extremist", "sanctions_list", "delisted")
# Ids are stored in item_tags.value (40 characters) and appear in URLs.
ACTOR_ID = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
META_KEYS = frozenset({"label", "kind", "designations", "note"})
DESIGNATION_KEYS = frozenset({"authority", "status", "date", "source", "ref", "note"})
_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True, slots=True)
class Designation:
    """One public fact: `authority` recognized the organization as `status` on `date`."""

    authority: str  # one of AUTHORITIES
    status: str  # one of STATUSES
    date: str  # ISO: YYYY-MM-DD, or YYYY-MM / YYYY when only that is known
    source: str  # https URL of a public page stating the fact
    ref: str = ""  # the authority's own reference (a sanctions list entry, a case number)
    note: str = ""


@dataclass(frozen=True)
class Actor:
    """One organization as the dashboard and the exports describe it."""

    id: str
    labels: Mapping[str, str]  # lang -> name
    kind: str  # one of ACTOR_KINDS
    designations: tuple[Designation, ...] = ()
    note: str = ""
    line: int | None = field(default=None, compare=False)  # where it starts in the file
    # other names it goes by (see `names_among_terms`), for exports such as STIX aliases
    aliases: tuple[str, ...] = ()

    def label(self, lang: str = "en") -> str:
        """The name in `lang`, falling back to English, then to the id."""
        return self.labels.get(lang) or self.labels.get("en") or self.id


def names_among_terms(terms: Iterable[tuple[str, bool]]) -> tuple[str, ...]:
    """The (term, weak) pairs of an organization's term lists that are names, in file order.

    The lists serve matching, so they also hold word forms ("талибы|талибов"),
    descriptions ("группировка Lazarus", "хизбутовец") and short forms that
    are ordinary words (weak: "ИГ", "IS"). A partner's platform wants names
    only: a term that is not weak, has no alternatives and starts with a
    capital letter or a digit. Repeats (ignoring case) are dropped.
    """
    names: list[str] = []
    seen: set[str] = set()
    for term, weak in terms:
        text = " ".join(term.split())
        if weak or not text or "|" in text or not (text[0].isupper() or text[0].isdigit()):
            continue
        if text.casefold() not in seen:
            seen.add(text.casefold())
            names.append(text)
    return tuple(names)


# (line, message) of each problem; the reader adds the file name.
Problems = list[tuple[int | None, str]]


def iso_date(value: Any) -> str | None:
    """A designation date as ISO text (full or partial), or None when it is not one.

    YAML reads an unquoted 2015-10-15 as a date and 2015 as a number; both are fine.
    """
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _PARTIAL_DATE.match(value):
        return None
    year, month, day = [*value.split("-"), "01", "01"][:3]
    try:
        date(int(year), int(month), int(day))
    except ValueError:
        return None
    return value


def is_public_source(url: Any) -> bool:
    """An https URL with a host and nothing that could break a link."""
    if not isinstance(url, str) or any(ch.isspace() for ch in url):
        return False
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(parts.hostname)


def parse_designation(raw: Any, line: int | None, problems: Problems) -> Designation | None:
    """Check one designation mapping; None (with its problems recorded) when unusable."""
    if not isinstance(raw, dict):
        problems.append((line, "a designation must be a mapping (authority, status, date, source)"))
        return None
    unknown = set(raw) - DESIGNATION_KEYS
    if unknown:
        problems.append((line, f"designation: unknown field(s) {sorted(unknown)}"))
    before = len(problems)
    authority, status = raw.get("authority"), raw.get("status")
    if authority not in AUTHORITIES:
        problems.append(
            (line, f"designation: authority {authority!r} is not one of {list(AUTHORITIES)}")
        )
    if status not in STATUSES:
        problems.append((line, f"designation: status {status!r} is not one of {list(STATUSES)}"))
    when = iso_date(raw.get("date"))
    if when is None:
        problems.append(
            (line, f"designation: date {raw.get('date')!r} is not YYYY-MM-DD, YYYY-MM or YYYY")
        )
    source = raw.get("source")
    if not is_public_source(source):
        problems.append((line, f"designation: source {source!r} is not an https URL"))
    note, ref = raw.get("note", ""), raw.get("ref", "")
    if not isinstance(note, str) or not isinstance(ref, str):
        problems.append((line, "designation: `note` and `ref` must be text"))
        note, ref = "", ""
    if authority == "other" and not note.strip():
        problems.append((line, "designation: authority `other` needs a `note` saying which"))
    if len(problems) > before:
        return None
    return Designation(str(authority), str(status), str(when), str(source), ref, note)


def parse_actor_meta(
    actor_id: str,
    block: Mapping[str, Any],
    *,
    line: int | None,
    designation_lines: list[int] | None,
    problems: Problems,
) -> Actor | None:
    """The metadata of one organization (label, kind, designations, note), checked.

    The term lists beside them are the lexicon reader's job.
    """
    before = len(problems)
    if not ACTOR_ID.match(actor_id):
        problems.append((line, f"actor id {actor_id!r} must be snake_case (a-z, 0-9, _)"))
    labels = block.get("label")
    if not isinstance(labels, dict):
        problems.append((line, f"{actor_id}: `label` must map ru, kk and en to names"))
        labels = {}
    clean: dict[str, str] = {}
    for lang in LANGS:
        name = labels.get(lang)
        if isinstance(name, str) and name.strip():
            clean[lang] = name.strip()
        elif labels:
            problems.append((line, f"{actor_id}: `label.{lang}` missing or empty"))
    for key in set(labels) - set(LANGS):
        problems.append((line, f"{actor_id}: `label` has unknown language {key!r}"))
    kind = block.get("kind")
    if kind not in ACTOR_KINDS:
        problems.append((line, f"{actor_id}: kind {kind!r} is not one of {list(ACTOR_KINDS)}"))
    note = block.get("note", "")
    if not isinstance(note, str):
        problems.append((line, f"{actor_id}: `note` must be text"))
        note = ""
    raw_designations = block.get("designations", [])
    if raw_designations is None:
        raw_designations = []
    designations: list[Designation] = []
    if not isinstance(raw_designations, list):
        problems.append((line, f"{actor_id}: `designations` must be a list"))
    else:
        for index, raw in enumerate(raw_designations):
            where = line
            if designation_lines and index < len(designation_lines):
                where = designation_lines[index]
            found = parse_designation(raw, where, problems)
            if found is not None:
                designations.append(found)
    if len(problems) > before:
        return None
    return Actor(
        id=actor_id,
        labels=MappingProxyType(clean),
        kind=str(kind),
        designations=tuple(designations),
        note=note.strip(),
        line=line,
    )
