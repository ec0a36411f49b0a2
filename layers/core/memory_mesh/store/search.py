"""Search SQL: candidates found inside PostgreSQL, ranked there by the blend documented
in ``domain/ranking.py``, in ONE statement.

The candidate plan depends on the size of the scope (see ARCHITECTURE.md, measured):
- ``exact``: a scope (tenant, or conversation) of at most :func:`exact_limit` rows has
  every vector's distance computed: complete and ~1 ms per thousand rows. The vectors are
  read from ``message_vectors`` (migration 0009: a halfvec and the scope columns in a
  covering B-tree, ~7x fewer buffers than the messages' rows), the candidates re-ranked
  at full precision. That statement reuses its generic plan (in every mode, the
  keyword terms of a scope within the exact limit read from its rows or postings), held
  to the scope's B-trees and primary-key reads by its settings (:func:`generic_plan_applies`);
  A metadata filter (not in that table) reads ``messages`` instead, with index scans off
  so the planner cannot pick the HNSW index plus a filter, which is slow and returns too
  few rows.
- ``hnsw``: a larger scope walks the HNSW index (halfvec) with iterative scan, so filters
  still yield enough candidates. In vector mode the walk's rows carry the hits' columns
  and full-precision similarity (nothing joined back), and over a whole tenant the
  statement reuses its generic plan, sorts disabled so that plan can only walk the index
  (:func:`generic_plan_applies`).
Otherwise ``plan_cache_mode = force_custom_plan``: a prepared statement's generic plan
would pick the slow HNSW+filter path after a few runs.

Keyword matches (BM25, below): a scope's terms are read from migration 0015's postings
(one B-tree range per query word, of the conversation's or the tenant's postings:
migration 0020), whatever its size (:func:`postings_apply`), but under a metadata filter
(a column the postings lack): a small scope's are then found by reading its rows, which
row-level security requires of a plain query (``@@`` is not leakproof), a large scope's
come from migration 0013's function through the GIN indexes. The service gives a large
scope's statement its BM25 statistics, counted once a minute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict, Unpack

from pgvector import HalfVector, Vector
from psycopg import AsyncCursor, sql
from psycopg.types.json import Jsonb

from memory_mesh.domain.models import ScoreParts, SearchHit, SearchMode, SearchQuery
from memory_mesh.domain.ranking import RankingWeights
from memory_mesh.embeddings.base import QueryVector
from memory_mesh.store.database import Conn
from memory_mesh.store.rows import MESSAGE_COLUMNS, message_from_row


@dataclass(frozen=True)
class SearchPlanConfig:
    dimensions: int
    exact_max_rows: int
    ef_search: int
    candidate_multiplier: int


def exact_limit(exact_max_rows: int, table_rows: int, *, narrowed: bool) -> int:
    """The largest scope searched exactly.

    A tenant scope: ``exact_max_rows``. A scope narrowed inside its tenant (a conversation)
    is a thin slice of the HNSW graph, which the walk must cross far to collect enough of
    its rows: its cost grows as the slice's share of the table shrinks, while an exact
    scan costs the same per row. With the exact cost ~ rows and the filtered walk's ~
    table_rows / rows, they meet at rows = sqrt(exact_max_rows * table_rows), which is
    ``exact_max_rows`` itself for a scope holding the whole table. Measured at 1M rows: a
    10,000-row conversation scanned exactly in a quarter of the filtered walk's time
    (bench/results/scale_1m.md).
    """
    if not narrowed:
        return exact_max_rows
    return max(exact_max_rows, math.isqrt(exact_max_rows * max(table_rows, 0)))


@dataclass(frozen=True)
class ScopeSize:
    """A search scope's rows (its tenant's, or its conversation's) counted up to a cap,
    and the whole table's as the planner last estimated them."""

    rows: int
    table_rows: int


async def scope_size(conn: Conn, query: SearchQuery, cap: int) -> ScopeSize:
    """The query's tenant or conversation counted up to ``cap`` rows (bounded cost)."""
    table_rows = (
        "(select greatest(reltuples, 0)::bigint from pg_class"
        " where oid = 'messages'::regclass) as table_rows"
    )
    if query.conversation_id is not None:
        cur = await conn.execute(
            f"select count(*) as n, {table_rows} from (select 1 from messages"
            " where tenant_id = %s and conversation_id = %s limit %s) s",
            [query.tenant_id, query.conversation_id, cap],
        )
    else:
        cur = await conn.execute(
            f"select count(*) as n, {table_rows} from (select 1 from messages"
            " where tenant_id = %s limit %s) s",
            [query.tenant_id, cap],
        )
    row = await cur.fetchone()
    if row is None:
        return ScopeSize(0, 0)
    return ScopeSize(int(row["n"]), int(row["table_rows"] or 0))


@dataclass(frozen=True)
class ScopeStats:
    """BM25's statistics of a search's scope: its messages, their average length."""

    docs: float
    avg_len: float


async def scope_statistics(conn: Conn, query: SearchQuery, context_weight: float) -> ScopeStats:
    """BM25's statistics of the query's scope (every filter applied), as the keyword
    statement counts them: for a large scope, counted once and given to its searches for
    a while (a million rows take ~0.17 s)."""
    text = sql.SQL(_SCOPE_STATS).format(where=_filters(query))
    cur = await conn.execute(text, _filter_values(query) | {"ctx_w": context_weight})
    row = await cur.fetchone()
    assert row is not None  # an aggregate always answers one row
    return ScopeStats(docs=float(row["docs"]), avg_len=float(row["avg_len"]))


def _filter_values(query: SearchQuery) -> dict[str, Any]:
    """The values :func:`_filters`' clause (and migration 0013's function) binds."""
    return {
        "tenant": query.tenant_id,
        "conversation": query.conversation_id,
        "role": query.role.value if query.role else None,
        "after": query.created_after,
        "before": query.created_before,
        "metadata": Jsonb(query.metadata),
        "metadata_filter": Jsonb(query.metadata) if query.metadata else None,
        "include_archived": query.include_archived,
    }


def _filters(query: SearchQuery) -> sql.Composable:
    """The WHERE clause every candidate set shares; only fixed text, values are bound."""
    parts = [sql.SQL("m.tenant_id = %(tenant)s")]
    if query.conversation_id is not None:
        parts.append(sql.SQL("m.conversation_id = %(conversation)s"))
    if query.role is not None:
        parts.append(sql.SQL("m.role = %(role)s"))
    if query.created_after is not None:
        parts.append(sql.SQL("m.created_at >= %(after)s"))
    if query.created_before is not None:
        parts.append(sql.SQL("m.created_at < %(before)s"))
    if query.metadata:
        parts.append(sql.SQL("m.metadata @> %(metadata)s"))
    if not query.include_archived:
        parts.append(sql.SQL("not m.archived"))
    return sql.SQL(" and ").join(parts)


# --- the statements ----------------------------------------------------------------
#
# One literal statement per mode; only the filter clause (``{where}``, shared by every
# candidate list and by the BM25 corpus statistics) and the distance expression
# (``{distance}``: halfvec for the HNSW plan, full precision for the exact one) are
# composed in. Values are always bound.
#
# Keyword scoring is BM25 (Robertson / Lucene form), computed here without an extension
# so Aurora runs the same SQL:
#   bm25(d, q) = sum over the query's distinct lexemes t found in d of
#                idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avg_len))
#   idf(t)     = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))
# over the lexemes ``content_tsv`` holds (stemmed, stop words dropped); tf is the lexeme's
# number of positions, len(d) the stored ``content_terms`` (migration 0006), and N,
# avg_len and df(t) are counted over the search's scope (the same filters: a tenant, a
# conversation, a role, ...). A message is a keyword candidate when it holds any of the
# query's lexemes (``plainto_tsquery``'s lexemes ORed; a text without a searchable word
# matches nothing). ``keyword`` reports bm25 divided by the query's best possible score in
# this scope (each lexeme found in the scope at tf -> infinity with the average length:
# sum of idf(t) * (k1 + 1)), so it is in [0, 1] and comparable between queries.

_QUERY_TERMS = "tsvector_to_array(to_tsvector('english', %(qt)s))"
_TSQUERY = "replace(plainto_tsquery('english', %(qt)s)::text, ' & ', ' | ')::tsquery"
# a statement reusing its generic plan reads the two once, from this CTE (``generic`` in
# :func:`statement`): a custom plan folds them into constants, a generic plan would
# compute them again for every row (the tsquery parsed twice per message of the scope)
_QUERY_TERMS_CTE = (
    f"query_terms as materialized (select {_TSQUERY} as tsq, {_QUERY_TERMS} as terms)"
)

# a matching message's query lexemes, each with its positions in the content (weight A)
# and in the context (weight B): each tsvector cut to the query's lexemes (marked, then
# only the mark kept; positions and their count unchanged), the two joined (a lexeme in
# both keeps the positions of both, the context's shifted past the content's, far below
# the 16,383 where positions are capped: a message holds at most 32,000 characters), so
# one unnest per match gives both fields' term frequencies; unnesting every lexeme of
# every match, then each field apart, were the keyword statement's largest costs
_QUERY_LEXEMES = f"""ts_filter(setweight(k.content_tsv, 'A', {_QUERY_TERMS}), array['A'::"char"])
               || ts_filter(setweight(k.context_tsv, 'B', {_QUERY_TERMS}), array['B'::"char"])"""

_VECTOR_CTES = "\n{vector_candidates}"

# the vector candidates read from the messages themselves: the HNSW plan (its index is on
# messages), and an exact scope with a filter message_vectors lacks (metadata)
_WIDE_CANDIDATES = """vec as (
    select m.id, {distance} as distance
    from messages m
    where {where} and m.embedding_status = 'ready' and m.embedding_model = %(model)s
    order by {distance}
    limit %(candidates)s
),
vec_ranked as (
    select id, row_number() over (order by distance, id) as vec_rank from vec
)"""

# the exact plan's candidates read from the narrow table (migration 0009: scope columns
# and a halfvec in a covering B-tree), ranked by that halfvec distance (``vec_rank``, as
# reported; every hit's similarity is taken at full precision from ``messages``, once, in
# ``scored``): joining the candidates back to ``messages`` here only to re-rank them cost
# a third read of that table and its planning
# the query's vector as the narrow table's halfvec, bound as such (``%(qh)s``): a cast
# of the bound ``vector`` is folded into a constant by a custom plan only; a generic
# plan would cast it again for every row it compares
_QUERY_HALFVEC = "%(qh)s::halfvec({d})"

_NARROW_CANDIDATES = f"""vec as (
    select m.id, m.embedding <=> {_QUERY_HALFVEC} as distance
    from message_vectors m
    where {{where}} and m.embedding_model = %(model)s
    order by m.embedding <=> {_QUERY_HALFVEC}
    limit %(candidates)s
),
vec_ranked as (
    select id, row_number() over (order by distance, id) as vec_rank from vec
)"""

# BM25's statistics of the scope (N, avg_len): counted by the statement (an index-only
# scan of migration 0010's covering B-tree: ~1 ms per 6,000 rows), or given by the
# caller (``%(docs)s``, ``%(avg_len)s``), who counted them a moment ago for a large scope
_SCOPE_STATS = """select count(*)::float8 as docs,
           greatest(avg(m.content_terms + %(ctx_w)s * m.context_terms), 1)::float8 as avg_len
    from messages m
    where {where}"""
_GIVEN_SCOPE_STATS = "select %(docs)s::float8 as docs, %(avg_len)s::float8 as avg_len"

# the scope's messages holding any of the query's lexemes, read under the policies: the
# GIN indexes are unusable there (`@@` is not leakproof: migration 0013), so every row of
# the scope is read and tested, the plan for a scope searched exactly
_MATCHES = f"""select m.id, m.content_tsv, m.context_tsv,
           m.content_terms + %(ctx_w)s * m.context_terms as len
    from messages m
    where {{where}} and (m.content_tsv @@ {_TSQUERY} or m.context_tsv @@ {_TSQUERY})"""

# the same matches found by migration 0013's function, which may use the GIN indexes (the
# transaction's tenant and these filters applied inside it): a large scope's
_INDEXED_MATCHES = f"""select k.id, k.content_tsv, k.context_tsv,
           k.content_terms + %(ctx_w)s * k.context_terms as len
    from memory_mesh_keyword_matches({_TSQUERY}, %(conversation)s::uuid, %(role)s::text,
        %(after)s::timestamptz, %(before)s::timestamptz, %(metadata_filter)s::jsonb,
        %(include_archived)s::boolean) k"""

# (match, query lexeme, BM25F's tf: content + ctx_w * context, its len) from the matching
# messages' rows: their tsvectors cut to the query's lexemes
_TERMS_FROM_ROWS = f"""kw_matches as (
    {{keyword_matches}}
),
kw_terms as (
    select id, lexeme, tf, len
    from (
        select k.id, t.lexeme, k.len,
               cardinality(array_positions(t.weights, 'A'))
               + %(ctx_w)s * cardinality(array_positions(t.weights, 'B')) as tf
        from kw_matches k, unnest({_QUERY_LEXEMES}) t
    ) per_lexeme
    where tf > 0  -- a lexeme found only in the context counts for nothing at ctx_w 0
)"""

# the same from migration 0015's postings: per query lexeme, one range of the scope's
# covering B-tree (tenant, lexeme), the other filters read from it too (it holds every
# filtered column but metadata); a large scope's, where the rows above cost a random read
# of a wide row per match
_TERMS_FROM_POSTINGS = f"""kw_terms as (
    select m.message_id as id, m.lexeme, m.tf_content + %(ctx_w)s * m.tf_context as tf,
           m.content_terms + %(ctx_w)s * m.context_terms as len
    from message_terms m
    where {{where}} and m.lexeme = any({_QUERY_TERMS}::text[])
      and m.tf_content + %(ctx_w)s * m.tf_context > 0
)"""

_KEYWORD_CTES = """
scope_stats as (
    {scope_stats}
),
{keyword_terms},
kw_idf as (  -- N no less than the matches: given statistics may predate rows just added
    select lexeme,
           ln(1 + (greatest(s.docs, count(*)) - count(*) + 0.5) / (count(*) + 0.5)) as idf
    from kw_terms cross join scope_stats s
    group by lexeme, s.docs
),
kw_best as (
    select sum(idf) * (%(k1)s + 1) as best from kw_idf
),
kw as (
    select t.id,
           sum(i.idf * t.tf * (%(k1)s + 1)
               / (t.tf + %(k1)s * (1 - %(b)s + %(b)s * t.len / s.avg_len))) as bm25
    from kw_terms t join kw_idf i using (lexeme) cross join scope_stats s
    group by t.id
),
kw_ranked as (
    select kw.id, row_number() over (order by kw.bm25 desc, kw.id) as kw_rank,
           kw.bm25 / b.best as keyword
    from kw cross join kw_best b
)"""

# a candidate's cosine similarity at full precision; none for a vector of another model
_SIMILARITY = (
    "case when m.embedding_model = %(model)s"
    " then greatest(0, 1 - (m.embedding <=> %(qv)s::vector))::float8 end"
)

# a candidate's recency from the reference time; the exponent is capped at 1,000
# half-lives: beyond ~1,074 power() underflows to an error, and 2^-1000 is already 0 to
# every score
_RECENCY = """power(0.5, least(1000.0, greatest(0, extract(epoch from
                 coalesce(%(reference_time)s::timestamptz, now()) - {alias}.created_at)::float8)
                 / 86400.0 / %(half_life)s))"""


# every candidate's columns, its place in each list, its similarity and keyword score,
# recency from the reference time: ``messages`` read once per candidate (``c``)
def _scored(candidates: str, similarity: str) -> str:
    return f"""
scored as (
    select {MESSAGE_COLUMNS}, c.vec_rank, c.kw_rank, {similarity} as similarity, c.keyword,
           {_RECENCY.format(alias="m")} as recency
    from {candidates} c join messages m on m.id = c.id
)"""


# the blend of domain/ranking.py (importance and recency scale relevance: they reorder
# related hits, never lift an unrelated one), and the boost that breaks ties between hits
# of equal score (e.g. several with no relevance at all)
def _score(relevance: str, importance: str, recency: str) -> str:
    return f"{relevance} * (%(w_rel)s + %(w_imp)s * {importance} + %(w_rec)s * {recency})"


def _boost(importance: str, recency: str) -> str:
    return f"%(w_imp)s * {importance} + %(w_rec)s * {recency}"


# ``final``'s hits above the threshold, best first (equal scores by boost, then id), the
# top_k of them; their conversations' external ids looked up here, for those top ones only
# (the subquery runs after the sort and limit; a round trip fewer than asking afterwards)
_TOP = """
select t.*, (select c.external_id from conversations c where c.id = t.conversation_id)
       as conversation_external_id{stats}
from final t
where t.score >= %(min_score)s
order by t.score desc, t.boost desc, t.id
limit %(top_k)s"""


# the candidates (``scored``, or ``source``: every column, similarity, keyword score and
# recency) ranked in one step: relevance, its blend, the boost (``columns``: more to add),
# then the top; one step where a chain of them cost a third of the statement's planning
# (bench/results/http_overhead.md)
def _ranked(
    relevance: str, *, source: str = "scored", columns: str = "", keywords: bool = False
) -> str:
    return f"""
final as materialized (
    select s.*, {columns}{relevance} as relevance,
           {_score(f"({relevance})", "s.importance", "s.recency")} as score,
           {_boost("s.importance", "s.recency")} as boost
    from {source} s
){_TOP.format(stats=_STATS_OUT if keywords else "")}"""


# a keyword statement's BM25 statistics of its scope, on every hit (:func:`read_results`):
# the service remembers a large enough scope's a while instead of counting them each time
_STATS_OUT = """,
       (select docs from scope_stats) as scope_docs,
       (select avg_len from scope_stats) as scope_avg_len"""


_HYBRID_RELEVANCE = "(1 - %(h)s) * coalesce(s.similarity, 0) + %(h)s * s.keyword"

VECTOR_SQL = f"""with {_VECTOR_CTES},
cands as (
    select id, vec_rank, null::bigint as kw_rank, null::float8 as keyword from vec_ranked
),{_scored("cands", _SIMILARITY)},{_ranked("s.similarity")}
"""

# the keyword list's best ``candidates`` (by a limit, not a filter on kw_rank: the planner
# then knows how few rows join ``messages``, and reads them by key; a filter's guess of
# thousands once made it read the whole scope for 50 rows)
_KW_TOP = "(select * from kw_ranked order by kw_rank limit %(candidates)s)"

KEYWORD_SQL = f"""with {_KEYWORD_CTES},
cands as (
    select id, null::bigint as vec_rank, kw_rank, keyword
    from {_KW_TOP} kw_top
),{_scored("cands", "null::float8")},{_ranked("s.keyword", keywords=True)}
"""

# a weighted sum of the two absolute scores (similarity and the query-normalised BM25, both
# in [0, 1]; see domain/ranking.py): an unrelated hit has neither and keeps a low relevance
# however few candidates the scope holds.
#
# The candidates: both lists' ids, each with its place in either list and its keyword
# score (a vector candidate's from every keyword match, not only the keyword top), in one
# aggregate over the two lists: joining them (left joins of each list on the ids) was
# planned as nested loops that rescanned the keyword matches once per candidate (98 x
# 453 rows for a question over a 1,500-turn conversation: 10 of the statement's 25 ms)
HYBRID_SQL = f"""with {_VECTOR_CTES},{_KEYWORD_CTES},
cands as (
    select id, min(vec_rank) as vec_rank, min(kw_rank) as kw_rank,
           coalesce(max(keyword), 0)::float8 as keyword
    from (
        select id, vec_rank, null::bigint as kw_rank, null::float8 as keyword from vec_ranked
        union all
        select id, null::bigint, kw_rank, keyword from kw_ranked
    ) u
    group by id
    having min(vec_rank) is not null or min(kw_rank) <= %(candidates)s
),{_scored("cands", _SIMILARITY)},{_ranked(_HYBRID_RELEVANCE, keywords=True)}
"""


def _vector_tail(vec_rank: str) -> str:
    """Vector mode's tail once the candidates (``vec``) carry every column the hits need,
    their full-precision ``similarity``, their ``recency`` and their place among the
    candidates (``vec_rank``: an expression over ``s``)."""
    columns = f"{vec_rank} as vec_rank, null::bigint as kw_rank, null::float8 as keyword, "
    return _ranked("s.similarity", source="vec", columns=columns) + "\n"


# the HNSW plan in vector mode: the index walk's rows carry every column the hits need
# and their similarity at full precision (the heap row is read for the filters anyway),
# so no candidate is joined back to ``messages``; ranked by the walk's halfvec distance
HNSW_VECTOR_SQL = f"""with vec as (
    select {MESSAGE_COLUMNS}, {{distance}} as distance,
           greatest(0, 1 - (m.embedding <=> %(qv)s::vector))::float8 as similarity,
           {_RECENCY.format(alias="m")} as recency
    from messages m
    where {{where}} and m.embedding_status = 'ready' and m.embedding_model = %(model)s
    order by {{distance}}
    limit %(candidates)s
),{_vector_tail("row_number() over (order by s.distance, s.id)")}"""

# the exact plan in vector mode, ranked inside the narrow table: the candidates and what
# ranks them (halfvec distance, importance, created_at) come from its covering B-tree
# alone; only the ``reread`` best by that score (a margin past top_k) are read back from
# ``messages`` for their columns and full-precision similarity, by which the tail ranks
# them (halfvec rounding, ~1e-3 of a similarity, can only matter between rows that close
# at the margin's edge). ``vec_rank``: the place by halfvec distance among the candidates.
# ``vec`` is materialised (at most ``reread`` rows): inlined, the final score threshold
# would be pushed down onto whatever scan of messages the join chose, computing exact
# distances for rows that are no candidate (and failing on a vector of other dimensions)
NARROW_VECTOR_SQL = f"""with candidates as (
    select m.id, m.importance, m.created_at,
           m.embedding <=> {_QUERY_HALFVEC} as distance
    from message_vectors m
    where {{where}} and m.embedding_model = %(model)s
    order by m.embedding <=> {_QUERY_HALFVEC}
    limit %(candidates)s
),
ranked as (
    select c.id, row_number() over (order by c.distance, c.id) as vec_rank,
           {_score("greatest(0, 1 - c.distance)", "c.importance", _RECENCY.format(alias="c"))}
               as rough_score
    from candidates c
),
best as (
    select id, vec_rank from ranked order by rough_score desc, id limit %(reread)s
),
vec as materialized (
    select {MESSAGE_COLUMNS}, b.vec_rank as candidate_rank,
           greatest(0, 1 - (m.embedding <=> %(qv)s::vector))::float8 as similarity,
           {_RECENCY.format(alias="m")} as recency
    from best b join messages m on m.id = b.id
),{_vector_tail("s.candidate_rank")}"""

_STATEMENTS = {
    SearchMode.vector: VECTOR_SQL,
    SearchMode.keyword: KEYWORD_SQL,
    SearchMode.hybrid: HYBRID_SQL,
}


def _terms_read_once(template: str) -> str:
    """``template`` with the query's tsquery and lexemes read from the ``query_terms``
    CTE (:data:`_QUERY_TERMS_CTE`) instead of computed where they are used."""
    return template.replace(_TSQUERY, "(select q.tsq from query_terms q)").replace(
        _QUERY_TERMS, "(select q.terms from query_terms q)"
    )


def narrow_applies(query: SearchQuery, plan: str) -> bool:
    """Whether the exact plan reads its vector candidates from ``message_vectors``: every
    filter but metadata names a column that table holds."""
    return plan == "exact" and not query.metadata


def indexed_keywords_apply(plan: str, *, large_scope: bool = False) -> bool:
    """Whether the keyword matches are found by migration 0013's function (the GIN
    indexes) rather than by reading the scope's rows (~0.6 s per million): for a scope
    above the exact limit (the HNSW plan), or ``large_scope``, above ``exact_max_rows``
    rows (a conversation searched exactly up to sqrt(exact_max_rows x the table's rows))."""
    return plan == "hnsw" or large_scope


def postings_apply(query: SearchQuery) -> bool:
    """Whether the keyword terms come from migration 0015's postings (``message_terms``,
    keyed by tenant, word and conversation since migration 0020): for every scope whose
    filters that table holds, all but metadata (a large scope under a metadata filter
    finds its matches by migration 0013's function; a small one reads its rows). A query
    word's postings are one range of the conversation's, or of the tenant's, a role or
    time range filtered in it. Over a 1,500-turn conversation of real text among 10 in
    its tenant, against reading its rows: keyword 0.65x under a role filter (hybrid
    0.77x), 0.60x under a time range of half the conversation (0.75x), about even under
    one of its last 1% (bench/results/keyword_filters.md)."""
    return not query.metadata


def statement(
    query: SearchQuery,
    plan: str,
    dims: int,
    *,
    narrow: bool | None = None,
    indexed_keywords: bool | None = None,
    postings: bool | None = None,
    given_stats: bool = False,
    generic: bool = False,
) -> sql.Composed:
    """The mode's statement with the query's filter clause and the plan's candidates
    (``narrow`` None: :func:`narrow_applies` decides), its keyword terms (from the
    postings, ``postings`` None: :func:`postings_apply` decides; else from the matching
    rows, found by migration 0013's function or by reading the scope, ``indexed_keywords``
    None: :func:`indexed_keywords_apply` decides) and BM25's scope statistics
    (``given_stats``: bound as ``docs`` and ``avg_len``, else counted). ``generic``: the
    statement is to reuse its generic plan, so the query's keywords are computed once
    (:data:`_QUERY_TERMS_CTE`)."""
    if narrow is None:
        narrow = narrow_applies(query, plan)
    if indexed_keywords is None:
        indexed_keywords = indexed_keywords_apply(plan)
    if plan == "hnsw":
        distance = sql.SQL("(m.embedding::halfvec({d})) <=> (%(qv)s::vector::halfvec({d}))")
    else:
        distance = sql.SQL("m.embedding <=> %(qv)s::vector")
    where = _filters(query)
    d = sql.Literal(dims)
    if plan == "hnsw" and query.mode is SearchMode.vector and not narrow:
        return sql.SQL(HNSW_VECTOR_SQL).format(where=where, distance=distance.format(d=d))
    if narrow and query.mode is SearchMode.vector:
        return sql.SQL(NARROW_VECTOR_SQL).format(where=where, d=d)
    candidates = sql.SQL(_NARROW_CANDIDATES if narrow else _WIDE_CANDIDATES).format(
        where=where, distance=distance.format(d=d), d=d
    )
    if query.mode is SearchMode.vector:  # no keyword part to compose
        return sql.SQL(VECTOR_SQL).format(where=where, vector_candidates=candidates)
    if postings is None:
        postings = postings_apply(query)
    keywords = _terms_read_once if generic else str
    if postings:
        terms = sql.SQL(keywords(_TERMS_FROM_POSTINGS)).format(where=where)
    else:
        matches = _INDEXED_MATCHES if indexed_keywords else _MATCHES
        terms = sql.SQL(keywords(_TERMS_FROM_ROWS)).format(
            keyword_matches=sql.SQL(keywords(matches)).format(where=where)
        )
    template = _STATEMENTS[query.mode]
    if generic:
        template = f"with {_QUERY_TERMS_CTE},{template.removeprefix('with ')}"
    return sql.SQL(template).format(
        where=where,
        vector_candidates=candidates,
        keyword_terms=terms,
        scope_stats=sql.SQL(_GIVEN_SCOPE_STATS if given_stats else _SCOPE_STATS).format(
            where=where
        ),
    )


# the plan's transaction-local settings in one round trip (``set_config(..., true)`` is
# ``SET LOCAL``); settings a plan does not need are given their defaults
_PLAN_SETTINGS = (
    "select set_config('plan_cache_mode', %(cache)s, true),"
    " set_config('enable_indexscan', %(indexscan)s, true),"
    " set_config('enable_sort', %(sort)s, true),"
    " set_config('enable_seqscan', %(wide)s, true),"
    " set_config('enable_bitmapscan', %(wide)s, true),"
    " set_config('enable_hashjoin', %(wide)s, true),"
    " set_config('enable_mergejoin', %(wide)s, true),"
    " set_config('hnsw.ef_search', %(ef)s, true),"
    " set_config('hnsw.iterative_scan', %(iterative)s, true),"
    " set_config('max_parallel_workers_per_gather',"
    " coalesce(%(parallel)s, current_setting('max_parallel_workers_per_gather')), true),"
    # never compiled: a search runs for milliseconds, less than LLVM takes to compile it,
    # and a generic plan's cost, from a guess of the scope's rows, can pass jit_above_cost
    # (a 1,000-row tenant's among 1M rows: 255,609 against 100,000)
    " set_config('jit', 'off', true)"
)


# ``wide``: sequential and bitmap scans, hash and merge joins, the ways a plan reads more
# of a table than an index range or a primary key gives ("off" pins a generic plan);
# ``parallel``: the parallel workers a plan may start (None: the server's setting)
def _plan_settings(
    plan: str, ef_search: int, *, narrow: bool, generic: bool
) -> dict[str, str | None]:
    custom: dict[str, str | None] = {
        "cache": "force_custom_plan",
        "sort": "on",
        "wide": "on",
        "parallel": None,
    }
    if plan == "exact":
        # message_vectors has no HNSW index to misuse: its covering B-tree is read by an
        # index-only scan, the candidates by primary key; messages' scope is read whole
        # (no index scans) and all distances taken
        exact: dict[str, str | None] = {
            "indexscan": "on" if narrow else "off",
            "ef": "40",
            "iterative": "off",
        }
        if not generic:
            return custom | exact
        # planned once per connection (:func:`generic_plan_applies`): with sequential and
        # bitmap scans, hash and merge joins disabled, the plan left reads the scope from
        # its B-trees (the vectors' covering one; the keyword matches' rows through an
        # index on the scope's own filters) and each candidate back from messages by its
        # primary key, whatever a generic plan guesses of the scope's rows. Nor parallel
        # workers: guessing a tenant of the table's average rows (one large tenant among
        # a few: half the table), the plan scanned a 1,000-row tenant with two workers,
        # whose start took 7 of its 9 ms (bench/results/scale_http_generic.md)
        return exact | {
            "cache": "force_generic_plan",
            "sort": "on",
            "wide": "off",
            "parallel": "0",
        }
    hnsw: dict[str, str | None] = {
        "indexscan": "on",
        "ef": str(ef_search),
        "iterative": "relaxed_order",
    }
    if not generic:
        return custom | hnsw
    # planned once per connection (its generic plan, psycopg prepares it): with sorts
    # disabled the only plan without one walks the HNSW index, whatever share of the
    # rows the planner guesses a tenant holds
    return hnsw | {"cache": "force_generic_plan", "sort": "off", "wide": "on", "parallel": None}


def generic_plan_applies(
    query: SearchQuery,
    plan: str,
    *,
    narrow: bool | None = None,
    indexed_keywords: bool | None = None,
    postings: bool | None = None,
) -> bool:
    """Whether the statement reuses its generic plan (planned once per connection, where
    planning a search cost a third of its statement: bench/results/http_overhead.md;
    ``narrow``, ``indexed_keywords``, ``postings`` None: the service's rules):

    - the exact plan of a scope read from ``message_vectors`` (no metadata filter), whose
      keyword terms, if any, are read from its postings, not through migration 0013's
      function: every filter is then a condition on the scope's covering B-trees, and
      the plan's shape is pinned by its settings (:func:`_plan_settings`). The query's
      halfvec is bound as one (``%(qh)s``) and its keywords computed once
      (:func:`statement`, ``generic``), which a generic plan would otherwise redo for
      every row;
    - the HNSW plan in vector mode over a whole tenant. A filter (conversation, role,
      time, metadata) keeps custom plans there: a B-tree range plus a sort can be the
      better (and complete) plan for it.

    The exact plan over ``messages`` (a metadata filter) keeps custom plans: under a
    generic plan's guess of a tenant's rows (the table's average) the candidates' join
    back to ``messages`` can take the tenant's B-tree, read whole per candidate, instead
    of the primary key (seen with many small tenants). So do a large scope's keyword
    matches (the GIN indexes or the postings), whose best plan depends on the words, and
    a narrow scope's keyword terms read from its rows, which the service never does (a
    caller forces it, to compare): its generic plan, under some tables' statistics, did
    not read the candidates back by primary key (a CI run of test_search_narrow_plan)."""
    if narrow is None:
        narrow = narrow_applies(query, plan)
    if plan == "exact":
        if query.mode is SearchMode.vector:
            return narrow
        if indexed_keywords is None:
            indexed_keywords = indexed_keywords_apply(plan)
        if postings is None:
            postings = postings_apply(query)
        return narrow and postings and not indexed_keywords
    unfiltered = (
        query.conversation_id is None
        and query.role is None
        and query.created_after is None
        and query.created_before is None
        and not query.metadata
    )
    vector = query.mode is SearchMode.vector
    return plan == "hnsw" and vector and unfiltered and not narrow


def halfvec_parameter(query_vector: QueryVector | None) -> HalfVector | None:
    """The query vector as the ``%(qh)s`` parameter: pgvector's ``HalfVector``, each
    value rounded to the nearest half (ties to even) here, as PostgreSQL's cast of the
    ``vector`` would, and sent in binary."""
    return None if query_vector is None else HalfVector(query_vector.tolist())


def vector_parameter(query_vector: QueryVector | None) -> Vector | None:
    """The query vector as the ``%(qv)s`` parameter: pgvector's ``Vector`` (numpy-free),
    which the connection's pgvector dumper sends in binary, float32 for float32, the
    very bytes a numpy array was sent as (``register_vector_async``)."""
    return None if query_vector is None else Vector(query_vector.tolist())


async def start_search(
    conn: Conn,
    *,
    query: SearchQuery,
    query_vector: QueryVector | None,
    model: str | None,
    weights: RankingWeights,
    config: SearchPlanConfig,
    plan: str,
    narrow: bool | None = None,
    indexed_keywords: bool | None = None,
    postings: bool | None = None,
    scope_stats: ScopeStats | None = None,
) -> AsyncCursor[dict[str, Any]]:
    """Send the chosen plan's settings and the search statement in the caller's
    transaction; the hits are read from the returned cursor by :func:`read_hits` (in
    pipeline mode, after the transaction's end was sent too: one round trip in all).
    ``narrow``, ``indexed_keywords``, ``postings``: force the candidates' table, the
    keyword matches' path, the keyword terms' source, for comparisons; None: the
    service's rule. ``scope_stats``: BM25's statistics of the scope
    (:func:`scope_statistics`), else the statement counts them."""
    if narrow is None:
        narrow = narrow_applies(query, plan)
    # candidates fetched before re-ranking; the HNSW walk must look at least this far
    candidates = max(query.top_k * config.candidate_multiplier, 50)
    generic = generic_plan_applies(
        query, plan, narrow=narrow, indexed_keywords=indexed_keywords, postings=postings
    )
    settings = _plan_settings(
        plan, max(config.ef_search, candidates), narrow=narrow, generic=generic
    )
    params: dict[str, Any] = _filter_values(query) | {
        "docs": scope_stats.docs if scope_stats else None,
        "avg_len": scope_stats.avg_len if scope_stats else None,
        "qv": vector_parameter(query_vector),
        # read by the narrow table's statements only: converted for them alone
        "qh": halfvec_parameter(query_vector) if narrow else None,
        "qt": query.query,
        "model": model,
        "candidates": candidates,
        "half_life": weights.half_life_days,
        "reference_time": query.reference_time,
        "h": weights.hybrid_keyword_share,
        "k1": weights.bm25_k1,
        "ctx_w": weights.context_weight,
        "b": weights.bm25_b,
        "w_rel": weights.relevance,
        "w_imp": weights.importance,
        "w_rec": weights.recency,
        "min_score": query.min_score,
        "top_k": query.top_k,
        # the narrow exact plan's candidates read back from messages (NARROW_VECTOR_SQL)
        "reread": min(candidates, max(2 * query.top_k, query.top_k + 10)),
    }
    text = statement(
        query,
        plan,
        config.dimensions,
        narrow=narrow,
        indexed_keywords=indexed_keywords,
        postings=postings,
        given_stats=scope_stats is not None,
        generic=generic,
    )
    await conn.execute(_PLAN_SETTINGS, settings)
    return await conn.execute(text, params)


async def read_hits(cur: AsyncCursor[dict[str, Any]]) -> list[SearchHit]:
    """The hits of a statement :func:`start_search` sent, best first."""
    hits, _ = await read_results(cur)
    return hits


async def read_results(
    cur: AsyncCursor[dict[str, Any]],
) -> tuple[list[SearchHit], ScopeStats | None]:
    """The hits of a statement :func:`start_search` sent, best first, and the BM25
    statistics of its scope it used (None: no hit, or no keyword part)."""
    hits = []
    rows = await cur.fetchall()
    stats = None
    if rows and rows[0].get("scope_docs") is not None:
        first = rows[0]
        stats = ScopeStats(docs=float(first["scope_docs"]), avg_len=float(first["scope_avg_len"]))
    for row in rows:
        hits.append(
            SearchHit(
                message=message_from_row(row),
                scores=ScoreParts(
                    score=float(row["score"]),
                    relevance=float(row["relevance"]),
                    similarity=row["similarity"],
                    keyword=row["keyword"],
                    importance=float(row["importance"]),
                    recency=float(row["recency"]),
                    vector_rank=row.get("vec_rank"),
                    keyword_rank=row.get("kw_rank"),
                ),
            )
        )
    return hits, stats


class SearchArguments(TypedDict):
    """:func:`start_search`'s keyword arguments."""

    query: SearchQuery
    query_vector: QueryVector | None
    model: str | None
    weights: RankingWeights
    config: SearchPlanConfig
    plan: str
    narrow: NotRequired[bool | None]
    indexed_keywords: NotRequired[bool | None]
    postings: NotRequired[bool | None]
    scope_stats: NotRequired[ScopeStats | None]


async def run_search(conn: Conn, **search: Unpack[SearchArguments]) -> list[SearchHit]:
    """:func:`start_search` (its keyword arguments) and :func:`read_hits` at once."""
    return await read_hits(await start_search(conn, **search))
