"""Free-text search: the items whose title or summary contains `q`, and where to start looking.

The match is always an exact, case-insensitive substring test (LIKE on a
Unicode-aware lower(), with LIKE's wildcards escaped; on SQLite one
registered function, `tm_has`, does the same test on title and summary in
one call). On SQLite builds with FTS5 a trigram index (`schema.TEXT_INDEX`)
can supply the candidates first; `plan_search` decides per query whether the
index or the other filters should drive, by comparing two cheap counts.
When the index drives, the exact ids are computed once and kept
(`exact_matches`), keyed by the store's text version (`schema.TEXT_VERSION`,
raised by triggers in the very transaction that adds or removes an item), so
the dozen queries of a view, and the next analyst's, read a list of ids
instead of re-testing every candidate's text. On PostgreSQL the same LIKE
test is answered from the pg_trgm GIN indexes on lower(title) and
lower(summary) where `threatmon init` could create them
(`schema.TRIGRAM_INDEXES`), else it runs on whatever the other filters leave.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Protocol

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    Engine,
    Select,
    Subquery,
    Text,
    and_,
    bindparam,
    column,
    func,
    inspect,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from indicators.selection import Filters
from indicators.store.conditions import Count, first_id, rarest_tag, scope_of
from indicators.store.kept import Kept
from indicators.store.schema import TEXT_INDEX, TEXT_VERSION, items


class _lower(FunctionElement[str]):
    """Unicode lower(): `tm_lower` on SQLite (registered per connection), lower() elsewhere."""

    type = Text()
    inherit_cache = True


@compiles(_lower)
def _compile_lower(element: _lower, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(_lower, "sqlite")
def _compile_lower_sqlite(element: _lower, compiler: Any, **kw: Any) -> str:
    return f"tm_lower({compiler.process(element.clauses, **kw)})"


class _contains(FunctionElement[bool]):
    """`title` or `summary` contains the folded query: the exact test of a search.

    Arguments: the folded query, its LIKE pattern, title, summary, then the
    query's `case_forms`. SQLite first looks for each form with its built-in
    `instr` (a form found proves the match) and calls `tm_has` only on the
    rows where none is (two `tm_lower` calls and two LIKEs cost about twice
    as much as `tm_has`, which costs about twice as much as the `instr`s);
    elsewhere it is the LIKE pair PostgreSQL's trigram indexes answer.
    """

    type = Boolean()
    inherit_cache = True


@compiles(_contains)
def _compile_contains(element: _contains, compiler: Any, **kw: Any) -> str:
    _, pattern, title, summary, *_forms = element.clauses
    either = or_(
        _lower(title).like(pattern, escape="\\"), _lower(summary).like(pattern, escape="\\")
    )
    return compiler.process(either.self_group(), **kw)  # type: ignore[no-any-return]


@compiles(_contains, "sqlite")
def _compile_contains_sqlite(element: _contains, compiler: Any, **kw: Any) -> str:
    folded, _, title, summary, *forms = (compiler.process(c, **kw) for c in element.clauses)
    has = f"tm_has({folded}, {title}, {summary})"
    if not forms:
        return has
    # Titles first (short); CASE because SQLAlchemy compares the whole test with 1, and
    # SQLite evaluates every operand of an OR whose value is compared (twice the time),
    # while it stops at the first true one in a CASE's condition.
    found = " OR ".join(f"instr({column}, {form})" for column in (title, summary) for form in forms)
    return f"(CASE WHEN {found} THEN 1 ELSE {has} END)"


def _exact_test(q: str) -> _contains:
    return _contains(q.lower(), _like_pattern(q), items.c.title, items.c.summary, *case_forms(q))


# Greek sigma is the one letter whose lower case depends on its neighbours (final
# "ς"), so a text holding a form of a query with it may not hold the folded query.
_CONTEXT_CASED = frozenset("Σσς")


def case_forms(q: str) -> tuple[str, ...]:
    """Spellings of `q` whose presence in a text proves that the folded text holds `q` folded.

    The folded query, `q` as typed and the folded query with a capital first
    letter: news writes a word in one of these nearly always. Each form
    lower-cases to the folded query, and lower-casing maps letter by letter
    (sigma aside: a query with it has no forms), so a text that holds a form
    holds the folded query once folded. Rows holding none are still tested
    in full.
    """
    folded = q.lower()
    if not folded or _CONTEXT_CASED & set(folded):
        return ()
    forms = dict.fromkeys((folded, q, folded[:1].upper() + folded[1:]))
    return tuple(form for form in forms if form.lower() == folded)


def _fold(value: str | None) -> str | None:
    return None if value is None else value.lower()


def _has(folded_q: str, title: str | None, summary: str | None) -> bool:
    """`tm_has`: Python's `in` on the lowered texts, the same test as LIKE '%q%'."""
    return (title is not None and folded_q in title.lower()) or (
        summary is not None and folded_q in summary.lower()
    )


def prepare(conn: Connection) -> None:
    """Ready a read connection for text search.

    On SQLite: registers `tm_lower`, a Unicode-aware lower() (SQLite's own
    folds ASCII only, so "Теракт" would not find "теракт"), and `tm_has`, the
    whole exact test in one call; notes whether the store has the trigram
    index and the text version counter.
    """
    if conn.dialect.name == "sqlite":
        raw: Any = conn.connection.driver_connection
        # `info` lives as long as the pooled DBAPI connection: the functions stay
        # registered on it, and the two table checks hold until the schema changes.
        schema = raw.execute("PRAGMA schema_version").fetchone()[0]
        if conn.info.get("prepared_schema") == schema:
            return
        raw.create_function("tm_lower", 1, _fold, deterministic=True)
        raw.create_function("tm_has", 3, _has, deterministic=True)
        inspector = inspect(conn)
        conn.info["text_index"] = inspector.has_table(TEXT_INDEX)
        conn.info["text_version"] = inspector.has_table(TEXT_VERSION)
        conn.info["prepared_schema"] = schema


def has_text_index(conn: Connection) -> bool:
    """Whether this (prepared) connection's store has the FTS5 trigram index."""
    return bool(conn.info.get("text_index"))


def _like_pattern(q: str) -> str:
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class TextPlan:
    """How to find the items containing `q` (results are the same either way).

    `use_index`: start from the FTS5 trigram index (a common word over a
    long period), else from the other filters, testing the text of each
    (a rare selection). `min_id`: no item of the period has a smaller id,
    so the index search can skip older rows.
    """

    use_index: bool = False
    min_id: int | None = None
    driver: str = ""  # without the index: the tag axis whose index starts the search
    matches: str | None = None  # with the index: the exact ids, a JSON array (exact_matches)


def text_condition(q: str, plan: TextPlan | None = None) -> ColumnElement[bool]:
    """Case-insensitive substring match on title or summary.

    `tm_lower` is SQLite's registered Unicode lower(); on PostgreSQL the
    same name is compiled to lower(), which is Unicode-aware there. With the
    FTS5 trigram index, candidates come from the index (items having all the
    query's trigrams) and the exact substring test runs on those only.
    """
    if plan and plan.use_index and plan.matches is not None:
        matches: Any = bindparam("text_matches", plan.matches, unique=True)
        ids = func.json_each(matches).table_valued("value")
        return items.c.id.in_(select(ids.c.value))
    exact = _exact_test(q)
    match = trigram_query(q) if plan and plan.use_index else None
    if match is None:
        return exact
    return and_(items.c.id.in_(_index_candidates(match, plan)), exact)


def _index_candidates(match: str, plan: TextPlan | None) -> Select[Any]:
    fts = table(TEXT_INDEX, column("rowid"))
    query = select(fts.c.rowid).where(literal_column(TEXT_INDEX).op("MATCH")(match))
    if plan and plan.min_id is not None:
        query = query.where(fts.c.rowid >= plan.min_id)
    return query


def indexable(c: str) -> bool:
    """Whether every letter that lower-cases to `c` is folded to `c` by the trigram index too.

    FTS5 folds case with its own table, one letter to one letter; Python's
    lower() follows a newer Unicode and maps "İ" to two letters ("i" and a
    combining dot). Where they differ, a text the exact test matches would
    lack the query's trigram in the index. Latin, Greek (but "ϳ") and
    Cyrillic, the letters of the news read here, agree (a test checks every
    code point against the SQLite in use).
    """
    code = ord(c)
    return code < 0x250 or (0x370 <= code < 0x500 and c != "\u03f3")


def trigram_query(q: str, *, most: int = 24) -> str | None:
    """An FTS5 query requiring the trigrams of `q` (None when it has no usable trigram).

    Long queries use `most` trigrams spread over the text: still a superset
    of the true matches, which the exact test then narrows. Trigrams with a
    letter the index may fold otherwise (`indexable`), or with the "i" of a
    dotted capital I, are left out; a query with none is answered without the
    index.
    """
    text = q.lower()
    usable = [
        indexable(c) and not (c == "i" and text[i + 1 : i + 2] == "\u0307")
        for i, c in enumerate(text)
    ]
    grams = list(
        dict.fromkeys(text[i : i + 3] for i in range(len(text) - 2) if all(usable[i : i + 3]))
    )
    if not grams:
        return None
    if len(grams) > most:
        step = len(grams) / most
        grams = [grams[int(i * step)] for i in range(most)]
    return " AND ".join('"' + g.replace('"', '""') + '"' for g in grams)


_PLAN_TTL = 300.0  # seconds
# Where the facts of a search are kept (`rows`: the dashboard), the index's side is
# worth this many of the filters': its exact ids and their facts are kept, so every
# later query of the view, and the next filter change, counts them in memory, while
# the filters' side tests the text again in each query. At 1M items, `Алматы` in the
# Cyber view over 180 days: 355 ms a query from the category's 9,000 items against
# ~150 ms once from the word's 94,000 (bench_dashboard.py's Cyber p99).
KEPT_INDEX_WORTH = 4
_plans: dict[tuple[str, int, Filters, bool], tuple[float, TextPlan]] = {}


def plan_search(
    conn: Connection, f: Filters, count: Count, rows: MatchRows | None = None
) -> TextPlan:
    """Choose where the search for `f.q` starts, by comparing two cheap counts.

    The index side: items with all of `q`'s trigrams in the period's id
    range (FTS5 counts them in a few ms). The filter side, from `count`:
    the items of the rarest selected tag from the period on, or without
    tags the items of the period, languages and sources. The smaller one
    drives; where the facts are kept (`rows`) the index's side counts
    `KEPT_INDEX_WORTH` times less, and a set of the word's ids already kept
    always drives (and is not counted). Plans are cached briefly, so the
    dozen queries of one view share the estimate; the key holds the newest
    item id, so a write (or another database at the same URL) gets a fresh
    plan. `rows`: see `exact_matches`.
    """
    match = trigram_query(f.q) if f.q else None
    if match is None or not has_text_index(conn):
        return TextPlan()
    newest = int(conn.execute(select(func.max(items.c.id))).scalar_one() or 0)
    key = (str(conn.engine.url), newest, f, rows is not None)
    cached = _plans.get(key)
    if cached and time.monotonic() - cached[0] < _PLAN_TTL:
        plan = cached[1]
        if not plan.use_index and _is_kept(conn, f.q, plan.min_id):
            plan = replace(plan, use_index=True)
        return _with_matches(conn, f.q, plan, rows)
    min_id = first_id(conn, f)
    if _is_kept(conn, f.q, min_id):  # another view found them: reading the list is cheaper
        plan = TextPlan(use_index=True, min_id=min_id)
        return _with_matches(conn, f.q, plan, rows)
    driver, from_filters = rarest_tag(conn, f, count)
    if from_filters < 0:
        from_filters = count(conn, scope_of(f))
    worth = KEPT_INDEX_WORTH if rows is not None else 1
    # The index holds at most one candidate per id from the first on: when even that
    # many are worth less than the filters' side, counting them (14 ms for a common
    # word over 180 days at 1M items) would not change the answer.
    if newest - (min_id or 1) + 1 < from_filters * worth:
        from_index = 0
    else:
        index_side = select(func.count()).select_from(
            _index_candidates(match, TextPlan(True, min_id)).subquery()
        )
        from_index = int(conn.execute(index_side).scalar_one())
    plan = TextPlan(use_index=from_index < from_filters * worth, min_id=min_id, driver=driver)
    if len(_plans) > 256:
        _plans.clear()
    _plans[key] = (time.monotonic(), plan)
    return _with_matches(conn, f.q, plan, rows)


def _is_kept(conn: Connection, q: str, min_id: int | None) -> bool:
    """Whether the exact ids of `q` from `min_id` on are kept for the store as it is now."""
    state = text_version(conn)
    return state is not None and _matches.get(_match_key(conn, state, q, min_id)) is not None


def _match_key(
    conn: Connection, state: tuple[str, int], q: str, min_id: int | None
) -> tuple[str, int, str, int]:
    """A kept set's key: the database (URL and store id), text version, folded query, first id."""
    return (f"{conn.engine.url}#{state[0]}", state[1], q.lower(), min_id or 0)


def _with_matches(
    conn: Connection, q: str, plan: TextPlan, rows: MatchRows | None = None
) -> TextPlan:
    if not plan.use_index:
        return plan
    matches = exact_matches(conn, q, plan.min_id, rows)
    return plan if matches is None else replace(plan, matches=matches)


# Match sets: (database URL and store id, text version, folded query, first id) -> JSON
# array of ids. Bounded by the ids held (8 bytes or so each as JSON), least recently
# used out first.
MATCH_BUDGET = 2_000_000
_matches: Kept[tuple[str, int, str, int], tuple[str, int]] = Kept(size=lambda found: found[1])


def text_version(conn: Connection) -> tuple[str, int] | None:
    """The store's id and text version (None without a counter: PostgreSQL, old stores)."""
    if not conn.info.get("text_version"):
        return None
    store, n = conn.exec_driver_sql(f"SELECT store, n FROM {TEXT_VERSION}").one()
    return str(store), int(n)


def counted_version(conn: Connection) -> tuple[str, int, int] | None:
    """The store's id, text version and counted version (see `schema.TEXT_VERSION`)."""
    if not conn.info.get("text_version"):
        return None
    store, n, counted = conn.exec_driver_sql(f"SELECT store, n, counted FROM {TEXT_VERSION}").one()
    return str(store), int(n), int(counted)


class MatchRows(Protocol):
    """What a caller reads of the matched rows in the same pass as their ids, and keeps.

    The exact test reads every candidate row anyway: the facts a search is
    counted from (`match_facts`) cost a fifth more there, and a second read
    of every matched row by id took twice as long as finding them.
    """

    needs: tuple[str, ...]  # the `items` columns `aggregates` uses, besides the id

    def aggregates(self, rows: Subquery) -> list[ColumnElement[Any]]:
        """Aggregates over the matched rows (`rows`: their id and `needs`), one value each."""
        ...

    def keep(
        self, conn: Connection, state: tuple[str, int, int], ids: str, parts: list[Sequence[Any]]
    ) -> None:
        """Keep what was read: the store's (id, text version, counted version) the rows were
        read at, the ids as `exact_matches` returns them, and per id range searched (in
        the ids' order) the ids joined by commas, how many, then the aggregates."""
        ...


def exact_matches(
    conn: Connection, q: str, min_id: int | None = None, rows: MatchRows | None = None
) -> str | None:
    """The ids (from `min_id` on) of the items whose title or summary contains `q`.

    A JSON array, computed from the trigram index plus the exact test and then
    kept for as long as the store's text version stays the same: any commit
    that adds, removes or rewrites an item raises it (triggers), and the set
    is stored under the version read in the same statement as the ids, so a
    kept set is never older than its key. A query that starts after a later
    commit simply misses the key and computes afresh. None where the store
    cannot say (no trigram index or no version counter). When the set is
    computed, `rows` reads its aggregates of the matched rows in the same
    statements and keeps them (none are read for a set already kept).
    """
    match = trigram_query(q)
    state = text_version(conn)
    if match is None or state is None or not has_text_index(conn):
        return None
    key = _match_key(conn, state, q, min_id)
    found = _matches.get_or_compute(
        key, lambda: _compute_matches(conn, q, min_id, match, key, rows), MATCH_BUDGET
    )
    return None if found is None else found[0]


SPLIT_FROM_IDS = 20_000  # id ranges at least this wide are searched in two halves at once


def _compute_matches(
    conn: Connection,
    q: str,
    min_id: int | None,
    match: str,
    key: tuple[str, int, str, int],
    rows: MatchRows | None = None,
) -> tuple[tuple[str, int, str, int], tuple[str, int]]:
    """(the key at the version actually read, (the ids as JSON, how many)).

    A wide id range is searched in two halves side by side, the upper one on a
    second pooled connection: the exact test runs inside SQLite (its `instr`
    shortcut) while the interpreter lock is released, so the halves take two
    cores. Each statement reads the text version (and counted version) with
    its ids; equal versions mean both saw the same store, else the range is
    searched again in one go.
    """
    low = min_id or 0
    high = int(conn.execute(select(func.max(items.c.id))).scalar_one() or 0)
    found: list[_Found] = []
    if high - low >= SPLIT_FROM_IDS:
        middle = (low + high) // 2
        with ThreadPoolExecutor(1, thread_name_prefix="text-matches") as pool:
            upper = pool.submit(_matches_on_own_connection, conn.engine, q, match, middle, rows)
            below = _matches_between(conn, q, match, low, middle, rows)
            above = upper.result()
        if (below.version, below.state) == (above.version, above.state):
            found = [below, above]
    if not found:
        found = [_matches_between(conn, q, match, low, None, rows)]
    ids = f"[{','.join(part.ids for part in found if part.size)}]"
    size = sum(part.size for part in found)
    if rows is not None and found[0].state is not None:
        rows.keep(conn, found[0].state, ids, [part.part for part in found])
    return (key[0], found[0].version, key[2], key[3]), (ids, size)


@dataclass(frozen=True)
class _Found:
    """One id range's matches, read in one statement: the text version, their ids joined
    by commas, how many; with `rows` also the store's (id, text version, counted
    version) and the part `MatchRows.keep` takes."""

    version: int
    ids: str
    size: int
    state: tuple[str, int, int] | None = None
    part: tuple[Any, ...] = ()


def _matches_between(
    conn: Connection,
    q: str,
    match: str,
    first: int,
    before: int | None,
    rows: MatchRows | None = None,
) -> _Found:
    """The matches with first <= id < before (see `_Found`)."""
    candidates = _index_candidates(match, TextPlan(True, first))
    if before is not None:
        candidates = candidates.where(candidates.selected_columns[0] < before)
    needs = [items.c[name] for name in (rows.needs if rows else ())]
    inner = select(items.c.id, *needs).where(items.c.id.in_(candidates), _exact_test(q)).subquery()
    versions = table(TEXT_VERSION, column("n"), column("store"), column("counted"))
    names = ("n", "store", "counted") if rows else ("n",)
    state = [select(versions.c[name]).scalar_subquery() for name in names]
    extra = rows.aggregates(inner) if rows else []
    row = conn.execute(
        select(*state, func.json_group_array(inner.c.id), func.count(), *extra)
    ).one()
    k = len(names)
    ids, size = str(row[k])[1:-1], int(row[k + 1])
    if rows is None:
        return _Found(int(row[0]), ids, size)
    read_at = (str(row[1]), int(row[0]), int(row[2]))
    return _Found(int(row[0]), ids, size, read_at, (ids, size, *row[k + 2 :]))


def _matches_on_own_connection(
    engine: Engine, q: str, match: str, first: int, rows: MatchRows | None = None
) -> _Found:
    with engine.connect() as other:
        prepare(other)
        return _matches_between(other, q, match, first, None, rows)


def forget_plans() -> None:
    """Drop every cached plan (a benchmark's first search of a word has none)."""
    _plans.clear()


def forget_matches() -> None:
    """Drop every kept match set (tests; a process that wants its memory back)."""
    _matches.clear()
