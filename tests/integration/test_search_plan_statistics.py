"""The exact search's generic plans under the statistics of a large shared table: a million
messages among 100,000 tenants, so the planner guesses any tenant ~10 rows and any
conversation ~2. A generic plan is made once per connection from such guesses and kept;
it must still read a candidate's row by its primary key, never by scanning a range of its
tenant (or its tenant's postings) once and joining against that: for a large tenant (up
to the exact limit's 5,000 rows, or a conversation of 1,500 among 40) such a range is
thousands of rows, materialised per search. A hybrid statement that joined its
candidates to ``message_vectors`` did exactly that after an autoanalyze (a Materialize of
the tenant's covering-index range, 85 loops, 7 MB spilled: 300 ms; taken back).

The statistics are written with PostgreSQL 18's ``pg_restore_*_stats`` on an empty
database of its own: the plan is a premise of them alone, no rows needed."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg._queries import PostgresQuery
from psycopg.adapt import Transformer
from psycopg.rows import dict_row

from memory_mesh.domain.models import Role, SearchMode, SearchQuery
from memory_mesh.domain.ranking import RankingWeights
from memory_mesh.store import search as store_search
from memory_mesh.store.database import APP_ROLE
from tests.integration.test_conversation_lookup_plan import _database, _nodes

ROWS = 1_000_000
TENANTS = 100_000
CONVERSATIONS = 500_000
CONVERSATION = "00000000-0000-4000-8000-000000000001"
# (table, rows, pages) as a table of that many messages would hold them
TABLES = (
    ("messages", ROWS, 160_000),
    ("message_vectors", ROWS, 110_000),
    ("message_terms", 22 * ROWS, 400_000),
    ("conversations", CONVERSATIONS, 6_000),
)
# the columns searches filter on, by their number of distinct values
DISTINCT = {"tenant_id": TENANTS, "conversation_id": CONVERSATIONS, "role": 2, "archived": 1}
LEXEMES = 200_000

_STATEMENT_START = {SearchMode.vector: "with candidates", SearchMode.hybrid: "with query_terms"}


def _a_few_rows(conn: psycopg.Connection[Any]) -> None:
    """A tenant, a conversation and a few embedded messages (their vectors and postings
    by the triggers): the planner scales a table's statistics to the pages it has now, and
    takes a table of none as empty, whatever they say."""
    conn.execute("insert into tenants (id, name) values ('tenant-a', 'a')")
    conn.execute(
        "insert into conversations (id, tenant_id, title) values (%s, 'tenant-a', 'c')",
        [CONVERSATION],
    )
    conn.execute(
        "insert into messages (id, tenant_id, conversation_id, role, content, importance,"
        " embedding, embedding_model, embedding_status) select gen_random_uuid(), 'tenant-a',"
        " %s, 'user', 'the garden fence, day ' || i, 0.5,"
        " array_fill(0.05, array[384])::vector, 'm', 'ready' from generate_series(1, 20) i",
        [CONVERSATION],
    )


def _restore_statistics(conn: psycopg.Connection[Any]) -> None:
    """Each table's statistics as the large shared table's (its rows spread over its pages
    now, so the planner takes them as they are)."""
    for table, rows, _ in TABLES:
        conn.execute(
            "select pg_restore_relation_stats('schemaname', 'public', 'relname', %s::text,"
            " 'relpages', pg_relation_size(%s::regclass)::integer / 8192,"
            " 'reltuples', %s::real,"
            " 'relallvisible', pg_relation_size(%s::regclass)::integer / 8192)",
            [table, table, rows, table],
        )
        columns = dict(DISTINCT)
        if table == "message_terms":
            columns["lexeme"] = LEXEMES
        if table == "conversations":
            columns = {"tenant_id": TENANTS}
        for column, distinct in columns.items():
            conn.execute(
                "select pg_restore_attribute_stats('schemaname', 'public', 'relname', %s::text,"
                " 'attname', %s::text, 'inherited', false, 'null_frac', 0::real,"
                " 'avg_width', 16, 'n_distinct', %s::real)",
                [table, column, float(distinct)],
            )


def _plan(
    conn: psycopg.Connection[Any], query: SearchQuery, *, given_stats: bool = False
) -> list[dict[str, Any]]:
    """The nodes of the generic plan the service's exact statement gets for ``query``
    (``given_stats``: its variant given the scope's BM25 statistics), under the settings
    its transaction sets."""
    generic = store_search.generic_plan_applies(query, "exact")
    assert generic
    settings = store_search._plan_settings("exact", 40, narrow=True, generic=True)
    conn.execute(store_search._PLAN_SETTINGS.replace(", true)", ", false)"), settings)
    text = store_search.statement(
        query, "exact", 384, generic=True, given_stats=given_stats
    ).as_string(conn)
    weights = RankingWeights()
    params = store_search._filter_values(query) | {
        "docs": 1500.0 if given_stats else None, "avg_len": 9.0 if given_stats else None,
        "qv": "[0]", "qh": "[0]", "qt": query.query,
        "model": "m", "candidates": 50, "half_life": weights.half_life_days,
        "reference_time": None, "h": 0.3, "k1": 1.2, "ctx_w": 0.5, "b": 0.75,
        "w_rel": 0.6, "w_imp": 0.2, "w_rec": 0.2, "min_score": 0.0, "top_k": 10,
        "reread": 20,
    }  # fmt: skip
    converted = PostgresQuery(Transformer(conn))
    converted.convert(text, params)
    row = conn.execute(b"explain (generic_plan, format json) " + converted.query).fetchone()
    assert row is not None
    plan = next(iter(row.values()))
    return _nodes((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])


def _relation(node: dict[str, Any]) -> str:
    return str(node.get("Relation Name") or "")


def _materialised_reads(nodes: list[dict[str, Any]]) -> list[str]:
    """Each Materialize or Hash above a read of a table (not of a CTE): a range of it kept
    to be joined against, where each candidate should be read by key."""
    found = []
    for node in nodes:
        if node["Node Type"] not in ("Materialize", "Hash"):
            continue
        below = _nodes(node)[1:]
        found += [f"{node['Node Type']} over {_relation(n)}" for n in below if _relation(n)]
    return found


QUERIES = {
    "conversation": {"conversation_id": CONVERSATION},
    "tenant": {},
    "role and time": {"role": Role.user, "created_after": datetime.now(UTC) - timedelta(days=1)},
}


# each mode, and the keyword modes' variant given the scope's BM25 statistics (a scope
# whose statistics the service remembers)
MODES = [(mode, False) for mode in SearchMode] + [
    (SearchMode.keyword, True),
    (SearchMode.hybrid, True),
]


@pytest.mark.parametrize(
    ("mode", "given_stats"),
    MODES,
    ids=lambda v: v.value if isinstance(v, SearchMode) else ("", "given-stats")[v],
)
@pytest.mark.parametrize("scope", list(QUERIES))
async def test_a_generic_exact_plan_reads_each_candidate_by_key_whatever_the_guesses(
    database_url: str, mode: SearchMode, given_stats: bool, scope: str
) -> None:
    async with _database(database_url) as url:
        with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
            _a_few_rows(conn)
            _restore_statistics(conn)
            conn.execute(f"set role {APP_ROLE}")
            conn.execute("select set_config('memory_mesh.tenant_id', 'tenant-a', false)")
            base = SearchQuery(tenant_id="tenant-a", query="garden fence", mode=mode, top_k=10)
            query = replace(base, **QUERIES[scope])
            nodes = _plan(conn, query, given_stats=given_stats)
    listed = ", ".join(f"{n['Node Type']} {n.get('Index Name') or _relation(n)}" for n in nodes)
    assert not _materialised_reads(nodes), (scope, listed)
    assert not any(
        n["Node Type"].startswith(("Seq Scan", "Bitmap", "Hash Join", "Merge Join")) for n in nodes
    ), (scope, listed)
    # every read of messages is a candidate's (or hit's) row by its primary key, but the
    # scope's own filtered reads (its statistics, its keyword rows) in their B-trees
    for node in nodes:
        if _relation(node) == "messages" and node.get("Index Name") == "messages_pkey":
            assert "id = " in str(node.get("Index Cond")), (scope, listed)
