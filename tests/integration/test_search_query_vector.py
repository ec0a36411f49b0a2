"""The query vector reaches PostgreSQL without numpy (an ``array('f')`` bound as
pgvector's ``Vector``) and the search ranks exactly as when a numpy array was bound:
same candidates, same distances, same scores, on the real model's vectors, with every
candidate plan."""

from __future__ import annotations

import uuid
from array import array
from datetime import UTC, datetime
from typing import Any

import httpx
import numpy as np
import pytest

from memory_mesh.domain.models import SearchMode, SearchQuery
from memory_mesh.embeddings import QueryVector
from memory_mesh.runtime import Runtime
from memory_mesh.store import search as store_search
from tests.conftest import new_conversation
from tests.integration.batch import store_batch
from tests.integration.search_support import run_planned

TEXTS = [
    "I am severely allergic to peanuts and tree nuts.",
    "The quarterly sales report is due next Friday.",
    "Our dog Biscuit loves chasing tennis balls in the park.",
    "The wifi password for the office is on the fridge.",
    "My favourite holiday destination is the coast of Portugal.",
]
QUESTIONS = [
    "which foods could give me a reaction?",
    "when is the report due",
    "where can I find the wifi password",
    "holiday by the sea",
]
# (plan, narrow): the narrow exact scan, the exact scan of messages, the HNSW walk
PLANS = [("exact", True), ("exact", False), ("hnsw", False)]


def as_numpy(vector: QueryVector) -> Any:
    """The same float32 values as the numpy array the search bound before."""
    return np.frombuffer(vector, dtype=np.float32).copy()


async def _ranked(
    runtime: Runtime, query: SearchQuery, vector: Any, plan: str, narrow: bool
) -> list[tuple[str, float, float, float | None, int | None]]:
    async with runtime.db.tenant(query.tenant_id) as conn:
        hits = await run_planned(conn, runtime, query, plan=plan, vector=vector, narrow=narrow)
    return [
        (
            str(h.message.id),
            h.scores.score,
            h.scores.relevance,
            h.scores.similarity,
            h.scores.vector_rank,
        )
        for h in hits
    ]


async def test_the_array_query_vector_ranks_exactly_as_the_numpy_one_did(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN 60 messages embedded by the real local model
    conv = await new_conversation(client, tenant)
    await store_batch(client, tenant, conv, [f"{t} (note {i})" for i in range(12) for t in TEXTS])
    embedder = runtime.search.embedder
    now = datetime.now(UTC)  # recency from one instant: both runs must score alike
    for question in QUESTIONS:
        vector = embedder.embed_query(question)
        assert vector.typecode == "f"
        for mode in (SearchMode.vector, SearchMode.hybrid):
            for plan, narrow in PLANS:
                query = SearchQuery(
                    tenant_id=tenant,
                    query=question,
                    mode=mode,
                    top_k=20,
                    conversation_id=uuid.UUID(conv),
                    reference_time=now,
                )
                # WHEN it is searched with the array, then with the numpy array bound as
                # before (pgvector's ndarray dumper)
                new = await _ranked(runtime, query, vector, plan, narrow)
                with monkeypatch.context() as patch:
                    patch.setattr(store_search, "vector_parameter", lambda v: v)
                    old = await _ranked(runtime, query, as_numpy(vector), plan, narrow)
                # THEN the hits, their order and every score are identical
                assert len(new) == 20
                assert new == old, (question, mode, plan, narrow)


async def test_the_database_computes_the_same_distances_from_both_bindings(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str
) -> None:
    conv = await new_conversation(client, tenant)
    await store_batch(client, tenant, conv, TEXTS)
    vector = runtime.search.embedder.embed_query("what should I not eat?")
    statement = (
        "select id, embedding <=> %(qv)s::vector as full,"
        " embedding::halfvec <=> %(qv)s::vector::halfvec as half"
        " from messages where tenant_id = %(tenant)s order by id"
    )
    async with runtime.db.tenant(tenant) as conn:
        parameter = store_search.vector_parameter(vector)
        new = await (await conn.execute(statement, {"qv": parameter, "tenant": tenant})).fetchall()
        numpy_vector = as_numpy(vector)
        old = await (
            await conn.execute(statement, {"qv": numpy_vector, "tenant": tenant})
        ).fetchall()
        # the value PostgreSQL received, read back, is the query vector value for value
        cur = await conn.execute("select %(qv)s::vector as v", {"qv": parameter})
        row = await cur.fetchone()
    assert len(new) == len(TEXTS) and new == old
    assert row is not None and row["v"].to_list() == vector.tolist()


async def test_the_bound_halfvec_is_the_databases_own_cast_of_the_vector(
    runtime: Runtime, tenant: str
) -> None:
    # the narrow table is searched with the query's halfvec rounded here (a generic plan
    # would otherwise cast the vector for every row): it must be the very value the
    # database's cast gives, or the narrow scan's distances and ranking would change
    embedder = runtime.search.embedder
    vectors = [embedder.embed_query(t) for t in TEXTS + QUESTIONS]
    # ties between two halves (to even), a half's smallest values and its largest
    vectors.append(
        array("f", [1 + 2**-11, 1 + 3 * 2**-11, -(1 + 2**-11), 2**-25, 3 * 2**-25, 1e-8, 65504])
    )
    async with runtime.db.tenant(tenant) as conn:
        for vector in vectors:
            cur = await conn.execute(
                "select %(qh)s::halfvec = %(qv)s::vector::halfvec as same,"
                " %(qh)s::halfvec::text as bound",
                {
                    "qh": store_search.halfvec_parameter(vector),
                    "qv": store_search.vector_parameter(vector),
                },
            )
            row = await cur.fetchone()
            assert row is not None and row["same"], row
