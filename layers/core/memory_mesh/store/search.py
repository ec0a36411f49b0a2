"""Search SQL: candidates found inside PostgreSQL, ranked there by the blend documented
in ``domain/ranking.py``, in ONE statement.

The candidate plan depends on the size of the scope (see ARCHITECTURE.md, measured):
- ``exact``: a scope (tenant, or conversation) of at most :func:`exact_limit` rows is
  read through its B-tree and every vector's distance computed: complete and ~1 ms per
  thousand rows. Index scans are switched off for the statement so the planner cannot
  pick the HNSW index plus a filter, which is slow and returns too few rows.
- ``hnsw``: a larger scope walks the HNSW index (halfvec) with iterative scan, so filters
  still yield enough candidates.
Either way ``plan_cache_mode = force_custom_plan``: a prepared statement's generic plan
would otherwise pick the slow HNSW+filter path after a few runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from psycopg import sql
from psycopg.types.json import Jsonb

from memory_mesh.domain.models import ScoreParts, SearchHit, SearchMode, SearchQuery
from memory_mesh.domain.ranking import RankingWeights
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


async def scope_size(conn: Conn, query: SearchQuery, cap: int) -> tuple[int, int]:
    """(rows in the query's tenant or conversation counted up to ``cap`` (bounded cost),
    rows in the whole table as the planner last estimated them)."""
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
    return (int(row["n"]), int(row["table_rows"] or 0)) if row else (0, 0)


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


# The keyword query: the text's words, stemmed and without stop words (as ``plainto_tsquery``
# reads them: any quotes or operators in the text are plain punctuation), ORed. A message
# matching any word is a keyword candidate; ``ts_rank`` ranks it by how often the words
# occur in it. Requiring every word (``websearch_to_tsquery`` ANDs them) found almost
# nothing for a question in natural language: keyword recall@10 on LoCoMo 10% against 58%;
# ``ts_rank`` did a little better than ``ts_rank_cd`` and than length normalisations
# (bench/results/quality.md, chosen on half the conversations). The replace is exact: the canonical
# text of a ``plainto_tsquery`` is quoted lexemes joined by " & ", and a lexeme holds no
# space. A text without a searchable word gives the empty query, which matches nothing
# (keyword mode: no hits; hybrid: the vector half alone).
TSQUERY = "replace(plainto_tsquery('english', %(qt)s)::text, ' & ', ' | ')::tsquery"
KEYWORD_RANK = f"ts_rank(m.content_tsv, {TSQUERY}, 32)"

_RELEVANCE = {
    SearchMode.vector: "coalesce(similarity, 0)",
    SearchMode.keyword: "coalesce(keyword, 0)",
    # reciprocal-rank fusion of the two candidate lists (domain/ranking.py)
    SearchMode.hybrid: (
        "(1 - %(h)s) * coalesce((%(rrf_k)s + 1)::float8 / (%(rrf_k)s + vec_rank), 0)"
        " + %(h)s * coalesce((%(rrf_k)s + 1)::float8 / (%(rrf_k)s + kw_rank), 0)"
    ),
}


def _statement(query: SearchQuery, plan: str, dims: int) -> sql.Composed:
    where = _filters(query)
    ctes: list[sql.Composable] = []
    sources: list[str] = []
    joins: list[str] = []  # each candidate's rank in the lists it came from
    ranks: list[str] = []
    if query.mode in (SearchMode.vector, SearchMode.hybrid):
        if plan == "hnsw":
            distance = sql.SQL("(m.embedding::halfvec({d})) <=> (%(qv)s::vector::halfvec({d}))")
        else:
            distance = sql.SQL("m.embedding <=> %(qv)s::vector")
        ctes.append(
            sql.SQL(
                """vec as (
                select m.id, {distance} as distance from messages m
                where {where} and m.embedding_status = 'ready' and m.embedding_model = %(model)s
                order by {distance} limit %(candidates)s
            ),
            vec_ranked as (
                select id, row_number() over (order by distance, id) as vec_rank from vec
            )"""
            ).format(where=where, distance=distance.format(d=sql.Literal(dims)))
        )
        sources.append("select id from vec")
        joins.append("left join vec_ranked using (id)")
        ranks.append("vec_rank")
    if query.mode in (SearchMode.keyword, SearchMode.hybrid):
        ctes.append(
            sql.SQL(
                """kw as (
                select m.id, {rank} as rank from messages m
                where {where} and m.content_tsv @@ {tsquery}
                order by {rank} desc
                limit %(candidates)s
            ),
            kw_ranked as (
                select id, row_number() over (order by rank desc, id) as kw_rank from kw
            )"""
            ).format(where=where, tsquery=sql.SQL(TSQUERY), rank=sql.SQL(KEYWORD_RANK))
        )
        sources.append("select id from kw")
        joins.append("left join kw_ranked using (id)")
        ranks.append("kw_rank")
    similarity = (
        "case when m.embedding_model = %(model)s then greatest(0, 1 - (m.embedding <=> "
        "%(qv)s::vector))::float8 end"
        if query.mode is not SearchMode.keyword
        else "null::float8"
    )
    keyword = f"{KEYWORD_RANK}::float8" if query.mode is not SearchMode.vector else "null::float8"
    body = f"""
        cands as (
            select id, {", ".join(ranks)} from ({" union ".join(sources)}) ids
            {" ".join(joins)}
        ),
        scored as (
            select {MESSAGE_COLUMNS}, {", ".join(f"cands.{r}" for r in ranks)},
                   {similarity} as similarity,
                   {keyword} as keyword,
                   power(0.5, greatest(0, extract(epoch from now() - m.created_at)::float8)
                              / 86400.0 / %(half_life)s) as recency
            from cands join messages m on m.id = cands.id
        ),
        related as (
            select *, {_RELEVANCE[query.mode]} as relevance from scored
        ),
        final as (
            select *, %(w_rel)s * relevance + %(w_imp)s * importance + %(w_rec)s * recency
                      as score
            from related
        )
        select * from final where score >= %(min_score)s
        order by score desc, id
        limit %(top_k)s
    """
    return sql.SQL("with {ctes}, {body}").format(
        ctes=sql.SQL(", ").join(ctes),
        body=sql.SQL(body),
    )


# the plan's transaction-local settings in one round trip (``set_config(..., true)`` is
# ``SET LOCAL``); settings a plan does not need are given their defaults
_PLAN_SETTINGS = (
    "select set_config('plan_cache_mode', 'force_custom_plan', true),"
    " set_config('enable_indexscan', %(indexscan)s, true),"
    " set_config('hnsw.ef_search', %(ef)s, true),"
    " set_config('hnsw.iterative_scan', %(iterative)s, true)"
)


def _plan_settings(plan: str, ef_search: int) -> dict[str, str]:
    if plan == "exact":  # no index scans: the scope's rows are read and all distances taken
        return {"indexscan": "off", "ef": "40", "iterative": "off"}
    return {"indexscan": "on", "ef": str(ef_search), "iterative": "relaxed_order"}


async def run_search(
    conn: Conn,
    *,
    query: SearchQuery,
    query_vector: np.ndarray | None,
    model: str | None,
    weights: RankingWeights,
    config: SearchPlanConfig,
    plan: str,
) -> list[SearchHit]:
    """Run the search in the caller's transaction with the chosen plan's settings."""
    # candidates fetched before re-ranking; the HNSW walk must look at least this far
    candidates = max(query.top_k * config.candidate_multiplier, 50)
    await conn.execute(_PLAN_SETTINGS, _plan_settings(plan, max(config.ef_search, candidates)))
    params: dict[str, Any] = {
        "tenant": query.tenant_id,
        "conversation": query.conversation_id,
        "role": query.role.value if query.role else None,
        "after": query.created_after,
        "before": query.created_before,
        "metadata": Jsonb(query.metadata),
        "qv": query_vector,
        "qt": query.query,
        "model": model,
        "candidates": candidates,
        "half_life": weights.half_life_days,
        "h": weights.hybrid_keyword_share,
        "rrf_k": weights.rrf_k,
        "w_rel": weights.relevance,
        "w_imp": weights.importance,
        "w_rec": weights.recency,
        "min_score": query.min_score,
        "top_k": query.top_k,
    }
    cur = await conn.execute(_statement(query, plan, config.dimensions), params)
    hits = []
    for row in await cur.fetchall():
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
    return hits
