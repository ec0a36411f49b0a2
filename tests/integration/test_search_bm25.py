"""Keyword search ranks like textbook BM25 (Robertson / Lucene idf; BM25F's weighted sum of
fields for a message's content and its stored context, the previous message), computed by
the real PostgreSQL over the search's scope, and the statements render as written."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import replace

import httpx
import pytest

from memory_mesh.domain.models import Role, SearchMode, SearchQuery
from memory_mesh.runtime import Runtime
from memory_mesh.store.search import statement
from tests.conftest import new_conversation
from tests.integration.batch import store_batch
from tests.integration.search_support import run_planned

# short and long messages, repeated words, a word in almost every message (low idf)
CORPUS = [
    "The garden needs water: water the tomatoes and water the roses every morning.",
    "I painted the garden fence blue last weekend.",
    "Tomatoes from the garden taste better than tomatoes from the shop.",
    "My sister moved to Lisbon and loves the trams, the food and the light.",
    "We talked about the garden, the weather, the neighbours, the new bakery on the corner, "
    "the school run, the price of petrol and, briefly, the tomatoes.",
    "Water polo practice is on Tuesday evenings at the pool.",
    "The roses by the fence finally bloomed.",
    "Nothing to report today.",
    "The bakery sells sourdough and rye on Saturdays; the sourdough goes first.",
    "She said the garden was the best part of the house.",
]
OTHER = [  # a second conversation: it changes the tenant's statistics, not the conversation's
    "Garden garden garden: the community garden opens in spring.",
    "Tomatoes, tomatoes everywhere.",
]


def reference_bm25(
    docs: list[dict[str, float]], query: set[str], k1: float, b: float
) -> tuple[list[float], float]:
    """Textbook BM25 over term counts: idf = ln(1 + (N - df + 0.5) / (df + 0.5)); and the
    query's best possible score (sum of idf * (k1 + 1) over its terms found in ``docs``)."""
    K1, B = k1, b
    n = len(docs)
    avg = sum(sum(d.values()) for d in docs) / n
    best = 0.0
    for term in query:
        df = sum(1 for d in docs if term in d)
        if df:
            best += math.log(1 + (n - df + 0.5) / (df + 0.5)) * (K1 + 1)
    scores = []
    for doc in docs:
        length = sum(doc.values())
        score = 0.0
        for term in query:
            tf = doc.get(term, 0)
            if tf:
                df = sum(1 for d in docs if term in d)
                idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
                score += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / avg))
        scores.append(score)
    return scores, best


def with_context(
    docs: list[Counter[str]], contexts: list[Counter[str]], weight: float
) -> list[dict[str, float]]:
    """BM25F's document: each field's term counts times the field's weight, summed."""
    out = []
    for doc, context in zip(docs, contexts, strict=True):
        merged: dict[str, float] = dict(doc)
        for term, count in context.items():
            merged[term] = merged.get(term, 0) + weight * count
        out.append(merged)
    return out


async def _lexemes(runtime: Runtime, texts: list[str]) -> list[Counter[str]]:
    """PostgreSQL's own lexemes (the tokeniser is not under test; the scoring is)."""
    async with runtime.db.system() as conn:
        out = []
        for text in texts:
            cur = await conn.execute(
                "select lexeme, coalesce(array_length(positions, 1), 1) as tf"
                " from unnest(to_tsvector('english', %s))",
                [text],
            )
            out.append(Counter({r["lexeme"]: int(r["tf"]) for r in await cur.fetchall()}))
        return out


@pytest.mark.parametrize(
    "query",
    [
        "water the garden tomatoes",
        "garden",
        "sourdough bakery on Saturdays",
        "fence roses",
        "What did she say about the garden and the house?",
    ],
)
async def test_keyword_mode_ranks_and_scores_like_textbook_bm25_in_its_scope(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str, query: str
) -> None:
    conv = await new_conversation(client, tenant)
    other = await new_conversation(client, tenant)
    ids = await store_batch(client, tenant, conv, CORPUS)
    other_ids = await store_batch(client, tenant, other, OTHER)
    [query_lexemes] = await _lexemes(runtime, [query])
    w = runtime.search.weights
    chars = runtime.settings.message_context_chars
    # each message's context: the end of the one before it in its conversation
    previous = ["", *CORPUS[:-1]], ["", *OTHER[:-1]]
    contexts = [p[-chars:] if chars else "" for p in previous[0] + previous[1]]
    for scope, count in (({"conversation_id": conv}, len(CORPUS)), ({}, len(CORPUS + OTHER))):
        texts = (CORPUS + OTHER)[:count]
        stored = (ids + other_ids)[:count]
        docs = with_context(
            await _lexemes(runtime, texts),
            await _lexemes(runtime, contexts[:count]),
            w.context_weight,
        )
        expected, best = reference_bm25(docs, set(query_lexemes), w.bm25_k1, w.bm25_b)
        body = (
            await client.get(
                "/v1/memory/search",
                params={
                    "tenant_id": tenant,
                    "query": query,
                    "mode": "keyword",
                    "top_k": 50,
                    **scope,
                },
            )
        ).json()
        got = {r["message"]["id"]: r["scores"]["keyword"] for r in body["results"]}
        want = {i: s for i, s in zip(stored, expected, strict=True) if s > 0}
        assert set(got) == set(want), (scope, query)
        # the same ranking (equal scores ordered by id in both); the final order also
        # weighs importance and recency, so the keyword list's own ranks are compared
        order = sorted(want, key=lambda i: (-want[i], i))
        ranked = sorted(body["results"], key=lambda r: r["scores"]["keyword_rank"])
        assert [r["message"]["id"] for r in ranked] == order
        assert [r["scores"]["keyword_rank"] for r in ranked] == list(range(1, len(order) + 1))
        # the reported keyword score is bm25 over the query's best possible score here
        for message_id, score in got.items():
            assert score == pytest.approx(want[message_id] / best, rel=1e-4)
            assert 0 < score <= 1


@pytest.mark.parametrize("mode", list(SearchMode))
@pytest.mark.parametrize("plan", ["exact", "hnsw"])
async def test_each_statement_renders_as_literal_sql_with_its_filters(
    runtime: Runtime, mode: SearchMode, plan: str
) -> None:
    query = SearchQuery(tenant_id="t", query="q", mode=mode, role=None)
    async with runtime.db.system() as conn:
        text = statement(query, plan, 384).as_string(conn)
        filtered = statement(replace(query, metadata={"k": "v"}), plan, 384).as_string(conn)
        by_role = statement(replace(query, role=Role.user), plan, 384).as_string(conn)
    assert "{" not in text and "}" not in text  # every placeholder composed
    assert "m.tenant_id = %(tenant)s and not m.archived" in text
    # both plans order their vector candidates by halfvec distance: the HNSW index's, or
    # the narrow table's (the exact plan); every hit's similarity is taken at full precision
    assert ("halfvec(384)" in text) == (mode is not SearchMode.keyword)
    assert ("message_vectors" in text) == (plan == "exact" and mode is not SearchMode.keyword)
    assert ("bm25" in text) == (mode is not SearchMode.vector)
    # keyword terms come from migration 0015's postings for any scope but one filtered by
    # metadata, whose matches come from migration 0013's function (GIN indexes) when it is
    # large, from its rows when it is small
    large = plan == "hnsw" and mode is not SearchMode.vector
    assert ("from message_terms m" in text) == (mode is not SearchMode.vector)
    assert ("from message_terms m" in by_role) == (mode is not SearchMode.vector)
    assert "from memory_mesh_keyword_matches(" not in text
    assert ("from memory_mesh_keyword_matches(" in filtered) == large
    assert "from message_terms" not in filtered
    counted = "select count(*)::float8 as docs" in text
    assert counted == (mode is not SearchMode.vector)
    assert ("vec_rank" in text) and ("kw_rank" in text)
    # hybrid: the weighted sum of the two absolute scores; every mode: the blend scales it
    weighted = "(1 - %(h)s) * coalesce(s.similarity, 0) + %(h)s * s.keyword as relevance"
    assert (weighted in text) == (mode is SearchMode.hybrid)
    relevance = {
        SearchMode.vector: "s.similarity",
        SearchMode.keyword: "s.keyword",
        SearchMode.hybrid: weighted.removesuffix(" as relevance"),
    }[mode]
    blend = f"({relevance}) * (%(w_rel)s + %(w_imp)s * s.importance + %(w_rec)s * s.recency)"
    assert re.search(re.escape(blend) + r"\s+as score", text)
    # the top_k hits, their conversations' external ids read in the same statement
    assert "as conversation_external_id" in text
    assert text.rstrip().endswith(
        "where t.score >= %(min_score)s\norder by t.score desc, t.boost desc, t.id\nlimit %(top_k)s"
    )
    # the HNSW walk's rows carry every column in vector mode: nothing joined back
    lean = plan == "hnsw" and mode is SearchMode.vector
    assert ("join messages" in text) == (not lean)


@pytest.mark.parametrize("plan", ["exact", "hnsw"])
async def test_a_vector_candidate_keeps_its_keyword_score_from_beyond_the_keyword_top(
    client: httpx.AsyncClient, runtime: Runtime, tenant: str, plan: str
) -> None:
    # GIVEN 70 messages that all hold the query's word, so the keyword list ranks 70
    # matches, more than the 50 candidates it contributes on its own
    conv = await new_conversation(client, tenant)
    filler = " ".join(f"word{n}" for n in range(30))
    texts = [f"garden note {i}" for i in range(69)] + [f"garden {filler}"]
    ids = await store_batch(client, tenant, conv, texts)
    keyword = SearchQuery(tenant_id=tenant, query="garden", mode=SearchMode.keyword, top_k=70)
    async with runtime.db.tenant(tenant) as conn:
        ranked = await run_planned(conn, runtime, keyword, plan=plan)
        last = ranked[-1]  # the long message: the lowest BM25 of the 70
        assert len(ranked) == 70 and last.scores.keyword_rank == 70
        # WHEN a hybrid search asks with that very message's vector (its best vector match)
        cur = await conn.execute("select embedding from messages where id = %s", [last.message.id])
        row = await cur.fetchone()
        assert row is not None
        vector = row["embedding"].to_numpy()
        hybrid = replace(keyword, mode=SearchMode.hybrid, top_k=5)
        hits = await run_planned(conn, runtime, hybrid, plan=plan, vector=vector)
    # THEN it is found first, with its place and score in the keyword list all the same
    assert str(hits[0].message.id) == str(last.message.id) and str(last.message.id) in ids
    assert hits[0].scores.vector_rank == 1
    assert hits[0].scores.keyword_rank == 70
    assert hits[0].scores.keyword == pytest.approx(last.scores.keyword)
