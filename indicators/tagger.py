"""Tag one news item against the compiled lexicon, with evidence for every tag.

``tag(title, summary, compiled)`` is pure: no I/O, no globals besides
memoized tail checks. It runs in four steps, each a plain function:

1. find: normalize the text, run the Aho-Corasick automaton over the keys of
   anchor words (one per term), keep hits at word starts whose remaining
   letters are an allowed ending, and check the other words of a multi-word
   term in place on either side of its anchor;
2. resolve overlaps: the longest match wins ("уровень террористической
   опасности" over "террористической", "Алматинской области" over
   "Алматинской"); a false-friend phrase ("взрыв бытового газа", "паническая
   атака") of the same or greater length cancels what it covers;
3. context rules from the data: a rule whose trigger occurs ("футбол",
   "фильм", "бытовой газ") drops its target terms or categories, unless one of
   its cancelling phrases occurs or a strong match of a named category remains;
   a rule may instead (or also) add a category, with its trigger as evidence,
   when a strong match of a required category remains ("осуждён" in an item
   about recruitment adds terrorist_activity);
4. verdict: weak terms count only with support, platforms only when the item
   has a category, ``KZ`` only when no Kazakh unit was named, a weak region
   term (a nationality adjective) only beside a name of the same place; a
   named banned movement (an organization kind with a category in rules.yaml)
   makes an item relevant by itself.

Organizations (the ``actor`` axis) are found by the same automaton but
resolved on their own, so a group name never shortens or cancels a category
term (and so never changes relevance or categories), and the context rules do
not touch them. They are kept only on a relevant item; an alias marked
``weak: true`` (an ordinary word or an ambiguous short form such as "ИГ")
counts only next to a non-weak name of the same organization.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache, partial

from indicators.category_model import additions, lexicon_features, word_span
from indicators.category_model import item_words as model_words
from indicators.lexicon import CompiledLexicon, Phrase
from indicators.lexicon_files import (
    KIND_FALSE_FRIEND,
    KIND_NOT_INSIDE,
    KIND_TERM,
    KIND_TRIGGER,
    KIND_UNLESS,
)
from indicators.models import EMPTY_TAGS, METHOD_AXIS, STORED_AXES, Match, Tags, tagged_text
from indicators.morph import tail_allowed
from indicators.region_lists import list_items, overlaps, participant_runs, shared_head
from indicators.region_model import Mention, RegionModel, choose_regions
from indicators.relevance_model import CategoryTerm, Evidence, item_features
from indicators.relevance_model import decide as decide_relevance
from indicators.taxonomy import CATEGORY_IDS, COUNTRY_CODE, METHOD_IDS, PLATFORM_IDS
from indicators.textnorm import Normalized, fold, normalize

# What may stand between the words of a multi-word term: spaces (not a line
# break: title and summary are separate), hyphens and dashes, brackets, quotes,
# and the dots and commas of "vk.com" or "X, formerly Twitter".
GAP_CHARS = frozenset(
    " \t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u202f\u205f\u3000-‐‑‒–—()«»\"'’“”„/.,:"
)
_GAP = re.compile("[" + re.escape("".join(sorted(GAP_CHARS))) + "]+")
_MAX_GAP = 4
_WORD_REST = re.compile(r"[^\W_]*")
_CATEGORY_ORDER = {c: i for i, c in enumerate(CATEGORY_IDS)}
_PLATFORM_ORDER = {p: i for i, p in enumerate(PLATFORM_IDS)}
_AXIS_ORDER = {axis: i for i, axis in enumerate(STORED_AXES)}
_METHOD_ORDER = {m: i for i, m in enumerate(METHOD_IDS)}
# Lexicon terms as context rules name them; terms are few, so folding is memoized.
_folded_term = lru_cache(maxsize=65536)(fold)
# Pseudo-axis of terms a context rule kept only as support for weak terms.
SUPPORT = "support"
ACTOR = "actor"
_OWN_OVERLAPS = frozenset({ACTOR, METHOD_AXIS})  # axes resolved apart from the category terms


@dataclass(frozen=True, slots=True)
class Candidate:
    """A phrase found in the text, before overlap resolution and rules."""

    start: int  # original-text offsets
    end: int
    phrase: Phrase

    @property
    def length(self) -> int:
        return self.end - self.start

    @property
    def span(self) -> tuple[int, int]:
        return self.start, self.end


def _word_hits(text: str, compiled: CompiledLexicon) -> dict[int, tuple[int, set[int]]]:
    """Word start -> (word end, slots whose key + allowed ending make up the word)."""
    hits: dict[int, tuple[int, set[int]]] = {}
    size = len(text)
    for last, (key_len, pairs) in compiled.automaton.iter(text):
        start = last - key_len + 1
        if start and text[start - 1].isalnum():
            continue
        end = last + 1
        if end < size and text[end].isalnum():
            word_end = _WORD_REST.match(text, end).end()  # type: ignore[union-attr]
            tail = text[end:word_end]
        else:
            word_end, tail = end, ""
        for tail_class, slot in pairs:
            if tail_allowed(tail_class, tail):
                found = hits.get(start)
                if found is None:
                    hits[start] = (word_end, {slot})
                else:
                    found[1].add(slot)
    return hits


def _case_ok(phrase: Phrase, original: str, norm: Normalized, start: int) -> bool:
    if phrase.case == "any":
        return True
    first, last = norm.original_span(start, start + phrase.upper_len)
    if phrase.case == "proper":
        return original[first].isupper()
    return original[first:last].isupper()  # "upper"


def _previous_word(text: str, pos: int) -> tuple[int, int] | None:
    """The word ending just before ``pos`` across a short gap, as (start, end)."""
    i = pos - 1
    while i >= 0 and text[i] in GAP_CHARS and pos - 1 - i < _MAX_GAP:
        i -= 1
    if i < 0 or i == pos - 1 or not text[i].isalnum():
        return None
    end = i + 1
    while i >= 0 and text[i].isalnum():
        i -= 1
    return i + 1, end


def _next_word(text: str, pos: int) -> tuple[int, int] | None:
    """The word starting just after ``pos`` across a short gap, as (start, end)."""
    gap = _GAP.match(text, pos)
    if gap is None or gap.end() - pos > _MAX_GAP:
        return None
    start = gap.end()
    end = _WORD_REST.match(text, start).end()  # type: ignore[union-attr]
    return (start, end) if end > start else None


def _extend(
    text: str, phrase: Phrase, start: int, end: int, compiled: CompiledLexicon
) -> tuple[int, int] | None:
    """Grow an anchor word hit into the whole phrase, or None if a word is missing."""
    slots = phrase.slots
    for index in range(phrase.anchor - 1, -1, -1):
        word = _previous_word(text, start)
        if word is None or not compiled.word_matches(slots[index], text[word[0] : word[1]]):
            return None
        start = word[0]
    for index in range(phrase.anchor + 1, len(slots)):
        word = _next_word(text, end)
        if word is None or not compiled.word_matches(slots[index], text[word[0] : word[1]]):
            return None
        end = word[1]
    return start, end


class _Neighbours:
    """The words either side of one anchor hit, found once and shared by its phrases.

    Most phrases anchored on a common word ("района", "министерства") fail on
    the adjacent word; checking it against a cached neighbour keeps that cheap.
    """

    __slots__ = ("_after", "_before", "end", "start", "text")
    _UNSET: tuple[str] = ("",)

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text, self.start, self.end = text, start, end
        self._before: tuple[str] | str | None = self._UNSET
        self._after: tuple[str] | str | None = self._UNSET

    def before(self) -> str | None:
        if self._before is self._UNSET:
            span = _previous_word(self.text, self.start)
            self._before = None if span is None else self.text[span[0] : span[1]]
        return self._before  # type: ignore[return-value]

    def after(self) -> str | None:
        if self._after is self._UNSET:
            span = _next_word(self.text, self.end)
            self._after = None if span is None else self.text[span[0] : span[1]]
        return self._after  # type: ignore[return-value]


def _neighbour_span(near: _Neighbours, anchor: int) -> tuple[int, int] | None:
    """The span of a two-word phrase whose other word (already checked) is next to its anchor."""
    if anchor == 0:
        word = _next_word(near.text, near.end)
        return None if word is None else (near.start, word[1])
    word = _previous_word(near.text, near.start)
    return None if word is None else (word[0], near.end)


def find_candidates(
    text: str, compiled: CompiledLexicon, lang: str | None = None
) -> list[Candidate]:
    """Every phrase occurrence in ``text`` (terms, false friends, triggers), unresolved."""
    norm = normalize(text)
    folded = norm.text
    phrases = compiled.phrases
    found: list[Candidate] = []
    sides = compiled.anchor_sides
    for start, (word_end, slots) in _word_hits(folded, compiled).items():
        near: _Neighbours | None = None
        for slot in slots:
            need_before, need_after = sides[slot]
            if need_before or need_after:
                if near is None:
                    near = _Neighbours(folded, start, word_end)
                indices = compiled.anchored_phrases(
                    slot,
                    near.before() if need_before else None,
                    near.after() if need_after else None,
                )
            else:
                indices = compiled.by_anchor[slot]
            for index in indices:
                phrase = phrases[index]
                if phrase.only_lang and lang and lang != phrase.only_lang:
                    continue
                span: tuple[int, int] | None = (start, word_end)
                if len(phrase.slots) > 2:
                    span = _extend(folded, phrase, start, word_end, compiled)
                elif len(phrase.slots) == 2:  # the one other word is the neighbour checked
                    span = _neighbour_span(near, phrase.anchor)  # type: ignore[arg-type]
                if span is not None and _case_ok(phrase, text, norm, span[0]):
                    found.append(Candidate(*norm.original_span(*span), phrase))
    return found


def resolve_overlaps(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Keep the longest of overlapping terms and false friends; equal spans coexist.

    A false friend beats a term of the same span; winners that are false
    friends are then discarded, taking the terms they covered with them. A
    false friend that loses to a longer term it only partly covers still
    takes the shorter terms lying inside it: in "канал контрабанды оружия"
    the weapons term wins "контрабанды", but "канал" is still no online
    channel.
    """
    ranked = sorted(
        candidates,
        key=lambda c: (-c.length, c.start, c.phrase.kind != KIND_FALSE_FRIEND),
    )
    kept: list[Candidate] = []
    beaten: list[Candidate] = []  # false friends that lost to a longer, overlapping term
    for cand in ranked:
        clash = False
        for other in kept:
            if cand.start < other.end and other.start < cand.end:
                same_span = cand.start == other.start and cand.end == other.end
                if not same_span or other.phrase.kind == KIND_FALSE_FRIEND:
                    clash = True
                    break
        if not clash:
            kept.append(cand)
        elif cand.phrase.kind == KIND_FALSE_FRIEND:
            beaten.append(cand)
    return [
        c
        for c in kept
        if c.phrase.kind == KIND_TERM
        and not any(f.start <= c.start and c.end <= f.end for f in beaten)
    ]


def _apply_context_rules(
    terms: list[Candidate],
    triggers: dict[str, Candidate],
    cancelled: set[str],
    compiled: CompiledLexicon,
    fired: set[str] | None = None,
) -> list[Candidate]:
    for rule in compiled.rules:
        trigger = triggers.get(rule.id)
        if trigger is None or rule.id in cancelled:
            continue
        if rule.unless_categories and _has_strong(terms, rule.unless_categories):
            continue
        if rule.requires_categories and not _has_strong(terms, rule.requires_categories):
            continue
        if rule.requires_terms and not any(
            c.phrase.axis == "category" and _folded_term(c.phrase.term) in rule.requires_terms
            for c in terms
        ):
            continue
        if rule.country_wide and not any(_is_home(c) for c in terms):
            continue  # a nationwide measure elsewhere: not this rule's
        if fired is not None:
            fired.add(rule.id)
        kept = []
        for cand in terms:
            phrase = cand.phrase
            drop = (
                (rule.drop_weak and phrase.weak and phrase.axis == "category")
                or (rule.drop_platforms and phrase.axis == "platform")
                or (phrase.axis == "category" and not rule.drop_categories.isdisjoint(phrase.ids))
                or (bool(rule.drop_terms) and _folded_term(phrase.term) in rule.drop_terms)
                or (rule.country_wide and _is_unit(cand))
            )
            if not drop:
                kept.append(cand)
            elif rule.keep_as_support and phrase.axis == SUPPORT:
                # already support after an earlier rule, named again by drop_terms:
                # a rule that keeps support must not erase it, or the order of
                # the rules would decide whether weak terms stay backed
                kept.append(cand)
            elif rule.keep_as_support and phrase.axis == "category":
                kept.append(Candidate(cand.start, cand.end, replace(phrase, axis=SUPPORT)))
        if rule.add_category:
            # the trigger ("осуждён", "задержан") is the evidence of the added category
            evidence = replace(
                trigger.phrase,
                kind=KIND_TERM,
                axis="category",
                ids=(rule.add_category,),
                weak=False,
                context=False,
            )
            kept.append(Candidate(trigger.start, trigger.end, evidence))
        if rule.country_wide:
            country = replace(
                trigger.phrase, kind=KIND_TERM, axis="region", ids=(COUNTRY_CODE,), weak=False,
                context=False,
            )  # fmt: skip
            kept.append(Candidate(trigger.start, trigger.end, country))
        terms = kept
    return terms


def _war_zones(
    candidates: list[Candidate], region_matches: list[Match], compiled: CompiledLexicon
) -> list[Match]:
    """The war zones an item names that its region matches lack, first mention each.

    For a repatriation operation, which takes place in both countries
    (GUIDELINES): "home from Syria" names the zone in the phrase that, in a
    returnee's biography, makes Syria no place of the event.
    """
    have = {m.id for m in region_matches}
    added: list[Match] = []
    for cand in sorted(candidates, key=lambda c: c.start):
        phrase = cand.phrase
        if phrase.kind != KIND_TERM or phrase.axis != "region":
            continue
        if not phrase.ids or not compiled.background_regions.issuperset(phrase.ids):
            continue
        for match in _matches(cand):
            if match.id not in have:
                have.add(match.id)
                added.append(match)
    return added


def _is_unit(cand: Candidate) -> bool:
    """A place name of Kazakh units only ("Актобе", not "Kazakhstan")."""
    ids = cand.phrase.ids
    return cand.phrase.axis == "region" and bool(ids) and all(i.startswith("KZ-") for i in ids)


def _is_home(cand: Candidate) -> bool:
    """A place name of Kazakhstan or of its units."""
    return cand.phrase.axis == "region" and any(
        i == COUNTRY_CODE or i.startswith("KZ-") for i in cand.phrase.ids
    )


def _has_strong(terms: list[Candidate], categories: frozenset[str]) -> bool:
    """Whether a non-weak category term of one of ``categories`` is among ``terms``."""
    return any(
        c.phrase.axis == "category"
        and not c.phrase.weak
        and not categories.isdisjoint(c.phrase.ids)
        for c in terms
    )


def _matches(cand: Candidate) -> list[Match]:
    phrase = cand.phrase
    return [Match(phrase.axis, id_, phrase.term, cand.start, cand.end) for id_ in phrase.ids]


def tag(title: str, summary: str, compiled: CompiledLexicon, lang: str | None = None) -> Tags:
    """Tag an item: categories, regions and platforms, each with its evidence spans.

    Spans index into ``tagged_text(title, summary)``. ``lang`` (ISO 639-1,
    optional) only restricts entries marked ``strict_lang`` in the lexicon
    (words that are terms in one language and ordinary words in another);
    everything else matches in any language because feeds mislabel their
    language and items quote other languages.
    """
    text = tagged_text(title, summary)
    candidates = find_candidates(text, compiled, lang)
    if not candidates:  # most news: no lexicon word at all, and nothing to resolve
        return EMPTY_TAGS
    terms = _resolved_terms(candidates)
    # methods overlap category terms on purpose ("СВУ" is evidence of both), so a
    # longer category phrase must not swallow them: resolved among themselves
    method_terms = resolve_overlaps(
        c
        for c in candidates
        if c.phrase.kind == KIND_FALSE_FRIEND
        or (c.phrase.kind == KIND_TERM and c.phrase.axis == METHOD_AXIS)
    )
    # an unbacked weak alias must not win an overlap ("ИГИЛ к" is no "ИГИЛ-К")
    actor_terms = resolve_overlaps(
        [c for c in candidates if c.phrase.kind == KIND_FALSE_FRIEND]
        + _backed([c for c in candidates if c.phrase.kind == KIND_TERM and c.phrase.axis == ACTOR])
    )
    named = terms  # every place name, before context rules: what the region model looks at
    fired: set[str] = set()
    terms = _after_context_rules(candidates, terms, compiled, fired)
    supporters = {i for c in terms if c.phrase.axis == SUPPORT for i in c.phrase.ids}
    category_terms = _supported(
        [c for c in terms if c.phrase.axis == "category"], compiled, supporters
    )
    implied = compiled.platform_category
    # terms kept only as support ("террористы") still make a named platform the
    # channel of a threat: "террористы общались в Дискорде" is online_platforms
    topic = bool(supporters & compiled.core_categories)
    threat_use = topic or _threat_use(category_terms, compiled)
    if not threat_use:  # a hacked site or a phishing message is no use of a platform for a threat
        category_terms = [
            c for c in category_terms if not (c.phrase.weak and implied in c.phrase.ids)
        ]
    matches: list[Match] = []
    for cand in category_terms:
        matches += _matches(cand)
    categories = {m.id for m in matches}
    if categories or (topic and implied):
        for cand in terms:
            if cand.phrase.axis == "platform" and (threat_use or not cand.phrase.weak):
                if not categories and cand.phrase.weak:
                    continue
                matches += _matches(cand)
                if implied and threat_use:  # a named platform in a threat item: evidence of use
                    categories.add(implied)
                    matches.append(Match("category", implied, cand.phrase.term, *cand.span))
    region_matches = _without_participants(
        text, [m for c in _with_list_items(text, terms, compiled, lang) for m in _matches(c)]
    )
    if any(m.id != COUNTRY_CODE and m.id.startswith("KZ-") for m in region_matches):
        region_matches = [m for m in region_matches if m.id != COUNTRY_CODE]
    if fired and any(r.keep_war_zones for r in compiled.rules if r.id in fired):
        region_matches += _war_zones(candidates, region_matches, compiled)
    elif any(m.id.startswith("KZ-") or m.id in compiled.home_regions for m in region_matches):
        region_matches = [m for m in region_matches if m.id not in compiled.background_regions]
    banned = _banned_movements(actor_terms, compiled)
    if categories or banned:  # naming a group in a trade or sports story is no signal
        actor_matches = _actor_matches(actor_terms)
        matches += actor_matches
        # a banned religious movement is extremist ideology by what it is: its name
        # is the evidence ("процесс над сторонниками «Хизб ут-Тахрир»")
        for m in actor_matches:
            actor = compiled.actors.get(m.id)
            implied_by_kind = compiled.actor_kind_categories.get(actor.kind) if actor else None
            if implied_by_kind:
                categories.add(implied_by_kind)
                evidence = Match("category", implied_by_kind, m.term, m.start, m.end)
                if evidence not in matches:  # the name may be a category term already
                    matches.append(evidence)
        matches += [m for c in method_terms if c.phrase.axis == METHOD_AXIS for m in _matches(c)]
    seen: Evidence | None = None
    features: set[str] | None = None  # the lexicon's features of a relevant item, as it is
    if compiled.relevance_model is not None and (categories or _has_strong_term(named)):
        # what the context rules left matters only to an item the gate may make relevant
        seen = lexicon_evidence(candidates, named, len(title), [] if categories else terms)
        before = frozenset(categories)
        features = item_features(lang or "", bool(before), before, seen)
        verdict = decide_relevance(compiled.relevance_model, lang or "", before, seen, features)
        if verdict.categories != before:
            features = None
        if not verdict.relevant:
            if categories:  # a dropped verdict claims nothing, as the rules' "not relevant"
                categories, matches = set(), []
        elif not categories:  # made relevant: the terms it was made relevant by are evidence
            categories = set(verdict.categories)
            matches = [
                Match("category", t.category, t.term, t.start, t.end)
                for t in seen.evidence_if_relevant()
            ]
        elif verdict.categories != categories:
            categories = set(verdict.categories)
            matches = [m for m in matches if m.axis != "category" or m.id in categories]
    if compiled.category_model is not None and categories:
        if features is None:
            seen = seen or lexicon_evidence(candidates, named, len(title), [])
            features = lexicon_features(lang or "", categories, seen)
        stems = model_words(text)
        for added in additions(compiled.category_model, categories, stems, features):
            # explained by the words that pushed it most; none found, nothing added
            spans = [span for span in map(partial(word_span, text), added.stems) if span]
            matches += [Match("category", added.category, text[a:b], a, b) for a, b in spans]
            if spans:
                categories.add(added.category)
    if compiled.region_model is not None and categories:
        region_matches = _model_regions(
            compiled.region_model, title, text, lang, named, region_matches
        )
    matches = _one_per_span(matches + region_matches)
    regions = sorted({m.id for m in region_matches}, key=_region_order)
    platforms = sorted(
        {m.id for m in matches if m.axis == "platform"}, key=_PLATFORM_ORDER.__getitem__
    )
    return Tags(
        relevant=bool(categories),
        categories=tuple(sorted(categories, key=_CATEGORY_ORDER.__getitem__)),
        regions=tuple(regions),
        platforms=tuple(platforms),
        actors=tuple(sorted({m.id for m in matches if m.axis == ACTOR})),
        matches=tuple(matches),
        methods=tuple(
            sorted({m.id for m in matches if m.axis == METHOD_AXIS}, key=_METHOD_ORDER.__getitem__)
        ),
    )


def _with_list_items(
    text: str, terms: list[Candidate], compiled: CompiledLexicon, lang: str | None
) -> list[Candidate]:
    """The region terms, with the earlier items of lists sharing a plural head.

    "Акмолинской и Карагандинской областях" names two units; the gazetteer
    phrase matches the last one only, and "Акмолинск" alone would be Astana's
    old name. Items found in a list replace whatever region their words matched.
    """
    regions = [c for c in terms if c.phrase.axis == "region"]
    listed: list[Candidate] = []
    for cand in regions:
        head = shared_head(text, cand.start, cand.end)
        if head is None:
            continue

        def place_of(item: str, head: str = head) -> Phrase | None:
            return _kz_unit_phrase(f"{item} {head}", compiled, lang)

        listed += [Candidate(*found) for found in list_items(text, cand.start, place_of)]
    if listed:
        spans = [c.span for c in listed]
        regions = [c for c in regions if not overlaps(c.span, spans)] + listed
    return _named_regions(regions)


def _named_regions(regions: list[Candidate]) -> list[Candidate]:
    """Weak region terms (a nationality adjective: "Tajik migrants", "российские СМИ") count
    only where the place itself is named too: alone they say who, not where."""
    named = {i for c in regions if not c.phrase.weak for i in c.phrase.ids}
    return [c for c in regions if not c.phrase.weak or not named.isdisjoint(c.phrase.ids)]


def _without_participants(text: str, region_matches: list[Match]) -> list[Match]:
    """The region matches less the states of a participants' list ("Russia, China and India")."""
    countries = [m for m in region_matches if not m.id.startswith("KZ-")]
    runs = participant_runs(text, [(m.start, m.end) for m in countries])
    if not runs:
        return region_matches
    listed = {id(countries[i]) for run in runs for i in run}
    return [m for m in region_matches if id(m) not in listed]


def _kz_unit_phrase(text: str, compiled: CompiledLexicon, lang: str | None) -> Phrase | None:
    """The gazetteer phrase of a Kazakh unit that spans all of ``text``, if one does."""
    for cand in find_candidates(text, compiled, lang):
        phrase = cand.phrase
        if (
            phrase.kind == KIND_TERM
            and phrase.axis == "region"
            and cand.start == 0
            and cand.end == len(text)
            and all(i.startswith("KZ-") for i in phrase.ids)
        ):
            return phrase
    return None


def _banned_movements(actor_terms: list[Candidate], compiled: CompiledLexicon) -> bool:
    """Does the item name (not by a weak alias) a movement whose kind implies a category?

    A banned religious movement is news for what it is ("27 members of the Muslim
    Brotherhood detained"): unlike an armed group named in a trade story, its name
    alone makes the item relevant, with the category its kind implies."""
    for cand in actor_terms:
        if cand.phrase.weak:
            continue
        for id_ in cand.phrase.ids:
            actor = compiled.actors.get(id_)
            if actor and actor.kind in compiled.actor_kind_categories:
                return True
    return False


def _backed(actor_terms: list[Candidate]) -> list[Candidate]:
    """Organization names, without weak aliases of organizations not otherwise named.

    A weak alias ("ИГ", an ordinary word) counts only when a non-weak name of
    the same organization is in the item too; a `weak: context` alias counts
    in any relevant item, as every other name does.
    """
    named = {i for c in actor_terms if not c.phrase.weak for i in c.phrase.ids}
    return [
        c
        for c in actor_terms
        if not (c.phrase.weak and not c.phrase.context) or not named.isdisjoint(c.phrase.ids)
    ]


def _actor_matches(actor_terms: list[Candidate]) -> list[Match]:
    """The organizations named in a relevant item, with their spans."""
    named = {i for c in actor_terms if not c.phrase.weak for i in c.phrase.ids}
    out: list[Match] = []
    for cand in _backed(actor_terms):
        phrase = cand.phrase
        weak_alone = phrase.weak and not phrase.context
        out += [
            Match(ACTOR, id_, phrase.term, cand.start, cand.end)
            for id_ in phrase.ids
            if not weak_alone or id_ in named
        ]
    return out


def _supported(
    category_terms: list[Candidate], compiled: CompiledLexicon, supporters: set[str]
) -> list[Candidate]:
    """Keep weak terms only with support, and context terms only in a relevant item.

    A weak term is supported by a strong term of its own category or of a core
    category (rules.yaml): "bitcoin" in a ransomware story is not terrorist
    financing, but next to "ИГИЛ" it is. In an item with no strong term at all,
    weak terms support each other when at least ``weak_terms_alone`` different
    ones belong to the same group: one category, or the core categories
    together ("взрыв" and "бомба"; but not "вирус" and "бомба"), except for the
    categories of ``weak_never_alone`` (cash, couriers and crypto wallets are
    commerce or fraud until a strong term links them to terrorism). ``supporters``
    are the categories of terms a context rule kept only as support: they back
    weak terms of other categories like strong terms do, but give no category
    themselves (and so cannot revive their own through its weak terms).
    """
    core = compiled.core_categories
    strong = {i for c in category_terms if not c.phrase.weak for i in c.phrase.ids}
    backed = bool(strong & core)
    backed_by_support = bool(supporters & core)
    weak = [c for c in category_terms if c.phrase.weak and not c.phrase.context]
    groups_alone: set[str] = set()
    if not strong:
        # Variants of one entry ("протаранил|протаранили", "қауіп|қаупі") are one
        # weak term wherever they are found: a form listed beside its base is no
        # second piece of evidence. Of two terms on the same words ("attackers":
        # "attacker" and "attack") the longer counts, whatever order the lexicon
        # compiled them in: the verdict must not change when an unrelated entry
        # is added.
        by_group: dict[str, set[int]] = {}
        taken: dict[str, list[tuple[int, int]]] = {}
        order = sorted(weak, key=lambda c: (c.start, c.end, -len(c.phrase.term), c.phrase.term))
        for cand in order:
            for id_ in cand.phrase.ids:
                group = "core" if id_ in core else id_
                spans = taken.setdefault(group, [])
                if any(cand.start < end and start < cand.end for start, end in spans):
                    continue
                spans.append((cand.start, cand.end))
                by_group.setdefault(group, set()).add(cand.phrase.term_id)
        groups_alone = {
            g
            for g, t in by_group.items()
            if len(t) >= compiled.weak_terms_alone and g not in compiled.weak_never_alone
        }

    def keep(cand: Candidate) -> bool:
        phrase = cand.phrase
        if not phrase.weak:
            return True
        if phrase.context:
            return False
        if backed or not strong.isdisjoint(phrase.ids):
            return True
        if backed_by_support and supporters.isdisjoint(phrase.ids):
            return True
        return any(("core" if i in core else i) in groups_alone for i in phrase.ids)

    kept = [c for c in category_terms if keep(c)]
    if kept:  # context terms join an item that is relevant on other evidence
        kept += [c for c in category_terms if c.phrase.context]
    return kept


def _after_context_rules(
    candidates: list[Candidate],
    terms: list[Candidate],
    compiled: CompiledLexicon,
    fired: set[str] | None = None,
) -> list[Candidate]:
    """The resolved terms once the context rules whose triggers occur have judged them.

    The ids of the rules that fired are added to `fired` when it is given.
    """
    triggers: dict[str, Candidate] = {}
    for rule_id, cand in _rule_triggers(candidates):
        held = triggers.get(rule_id)
        # the first in the text, the longest there: the evidence a rule adds must not
        # depend on the order of the lexicon's entries
        if held is None or _trigger_rank(cand) < _trigger_rank(held):
            triggers[rule_id] = cand
    if not triggers:
        return terms
    cancelled = {i for c in candidates if c.phrase.kind == KIND_UNLESS for i in c.phrase.ids}
    return _apply_context_rules(terms, triggers, cancelled, compiled, fired)


def _trigger_rank(cand: Candidate) -> tuple[int, int, int, str]:
    return cand.start, -cand.length, -len(cand.phrase.term), cand.phrase.term


def _rule_triggers(candidates: list[Candidate]) -> Iterator[tuple[str, Candidate]]:
    """Each rule a trigger occurrence fires, in text order: none inside a phrase the
    rule lists under `not_inside` ("law" in "law enforcement" names no law)."""
    masks: list[Candidate] | None = None
    for cand in candidates:
        if cand.phrase.kind != KIND_TRIGGER:
            continue
        if masks is None:
            masks = [c for c in candidates if c.phrase.kind == KIND_NOT_INSIDE]
        for rule_id in cand.phrase.ids:
            if not any(
                m.start <= cand.start and cand.end <= m.end and rule_id in m.phrase.ids
                for m in masks
            ):
                yield rule_id, cand


def _threat_use(category_terms: list[Candidate], compiled: CompiledLexicon) -> bool:
    """Whether the item has a category that makes a platform mention a use for a threat.

    ``platform_needs`` (rules.yaml) lists them: propaganda, recruitment,
    financing, weapons sales. A cyberattack on a site or phishing through a
    messenger is cyber_threats, not the use of a platform (GUIDELINES).
    """
    needs = compiled.platform_needs
    if not needs:
        return True
    own = compiled.platform_category
    return any(
        not needs.isdisjoint(c.phrase.ids) and not (c.phrase.weak and own in c.phrase.ids)
        for c in category_terms
    )


def _resolved_terms(candidates: list[Candidate]) -> list[Candidate]:
    """The category, region and platform terms left when overlaps are resolved."""
    return resolve_overlaps(
        c
        for c in candidates
        if c.phrase.kind == KIND_FALSE_FRIEND
        or (c.phrase.kind == KIND_TERM and c.phrase.axis not in _OWN_OVERLAPS)
    )


def _mentions(named: list[Candidate]) -> list[Mention]:
    return [
        Mention(id_, c.phrase.term, c.start, c.end, c.phrase.weak)
        for c in named
        if c.phrase.axis == "region"
        for id_ in c.phrase.ids
    ]


def _has_strong_term(named: list[Candidate]) -> bool:
    """Whether a strong category term matched: else the relevance gate cannot add the item
    (`relevance_model.gate_eligible`), and its evidence need not be gathered."""
    return any(
        c.phrase.axis == "category" and not c.phrase.weak and not c.phrase.context for c in named
    )


def _category_terms(terms: list[Candidate], title_len: int) -> tuple[CategoryTerm, ...]:
    return tuple(
        CategoryTerm(
            id_, c.phrase.term, c.phrase.weak, c.phrase.context, c.start, c.end, c.start < title_len
        )
        for c in terms
        if c.phrase.axis == "category"
        for id_ in c.phrase.ids
    )


def lexicon_evidence(
    candidates: list[Candidate],
    named: list[Candidate],
    title_len: int,
    after_rules: list[Candidate],
) -> Evidence:
    """What the relevance model sees of an item: the resolved category and platform terms,
    the context-rule triggers, false friends, organizations and methods met; and the
    category terms the context rules left (`after_rules`), for an item it makes relevant."""
    return Evidence(
        terms=_category_terms(named, title_len),
        after_rules=_category_terms(after_rules, title_len),
        triggers=tuple(rule_id for rule_id, _cand in _rule_triggers(candidates)),
        false_friends=tuple(
            c.phrase.term for c in candidates if c.phrase.kind == KIND_FALSE_FRIEND
        ),
        platforms=tuple(i for c in named if c.phrase.axis == "platform" for i in c.phrase.ids),
        actors=tuple(
            i
            for c in candidates
            if c.phrase.kind == KIND_TERM and c.phrase.axis == ACTOR
            for i in c.phrase.ids
        ),
        methods=tuple(
            i
            for c in candidates
            if c.phrase.kind == KIND_TERM and c.phrase.axis == METHOD_AXIS
            for i in c.phrase.ids
        ),
    )


def item_evidence(
    title: str, summary: str, compiled: CompiledLexicon, lang: str | None = None
) -> Evidence:
    """`lexicon_evidence` of an item (for training the relevance model on labelled items)."""
    candidates = find_candidates(tagged_text(title, summary), compiled, lang)
    named = _resolved_terms(candidates)
    return lexicon_evidence(
        candidates, named, len(title), _after_context_rules(candidates, named, compiled)
    )


def place_mentions(
    title: str, summary: str, compiled: CompiledLexicon, lang: str | None = None
) -> list[Mention]:
    """The place names `tag` shows the region model (for training it on labelled items)."""
    return _mentions(_resolved_terms(find_candidates(tagged_text(title, summary), compiled, lang)))


def _model_regions(
    model: RegionModel,
    title: str,
    text: str,
    lang: str | None,
    named: list[Candidate],
    region_matches: list[Match],
) -> list[Match]:
    """The rules' region evidence after the region model's look (`indicators.region_model`).

    Kept regions keep the rules' evidence; a region the model adds is
    explained by its matched place names.
    """
    mentions = _mentions(named)
    given = sorted({m.id for m in region_matches}, key=_region_order)
    chosen = choose_regions(model, title, text, lang or "", mentions, given)
    kept = [m for m in region_matches if m.id in chosen]
    added = [
        Match("region", m.region, m.term, m.start, m.end)
        for m in mentions
        if m.region in chosen and m.region not in given
    ]
    return kept + added


def _one_per_span(matches: list[Match]) -> list[Match]:
    """One piece of evidence per (axis, id, span): the longest, most specific term.

    "лаңкес" and "лаңкестік" both explain "лаңкестікке"; the analyst needs one.
    """
    best: dict[tuple[str, str, int, int], Match] = {}
    for match in matches:
        key = (match.axis, match.id, match.start, match.end)
        other = best.get(key)
        if other is None or (len(match.term), match.term) > (len(other.term), other.term):
            best[key] = match
    return sorted(best.values(), key=lambda m: (m.start, _AXIS_ORDER[m.axis], m.id, m.end))


def _region_order(code: str) -> tuple[int, str]:
    """Kazakh units first (by code), then KZ, then other countries alphabetically."""
    if code.startswith("KZ-"):
        return (0, code)
    return (1, "") if code == COUNTRY_CODE else (2, code)
