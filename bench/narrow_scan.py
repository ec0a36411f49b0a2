"""The exact search's scan, now and with the proposed narrow layout, side by side.

    python -m bench.narrow_scan            # ~2 minutes

One tenant holding the LoCoMo turns (real text, the local model's vectors) in
``conversations`` conversations of ~1,500 turns each, among ``other_rows`` rows of other
tenants, every row stored in a shuffled order as messages arrive in a live service, so a
conversation's rows are spread over the table. Then the proposal
``store/proposals/message_vectors.sql`` is applied (a narrow side table: scope, model,
archived and a halfvec, with a covering B-tree) and each question is searched,
conversation-scoped, vector mode, top 10, through ``store.search.run_search`` itself:

- ``current``: the service's statement as it is (exact plan: the scope's rows read from
  ``messages`` through its B-tree, every distance taken);
- ``narrow``: the same statement with its candidate CTE reading ``message_vectors``
  (index-only scan of the covering index: index scans allowed for it, since that table
  has no HNSW index to go wrong with), the rest of the statement unchanged.

Measured interleaved over ``rounds`` rounds: p50 / p95 of the call, and from
``EXPLAIN (ANALYZE, BUFFERS)`` of each question the buffers touched (shared hit + read)
and PostgreSQL's execution time. The top 10 of both are compared (the halfvec rounding
may swap near ties).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import time
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from psycopg import sql

from bench import cli, report
from bench.data import derive_vectors, embed_cached, pick
from bench.ingest import local_embedder
from bench.search_latency import PrecomputedQueries, database_url, search_settings
from bench.stats import latency_summary, median
from bench.tables import create_database, drop_database
from memory_mesh.domain.models import SearchMode, SearchQuery
from memory_mesh.runtime import Runtime
from memory_mesh.store import search as store_search
from memory_mesh.store.migrations import migrate

log = logging.getLogger(__name__)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
PROPOSAL = (
    Path(__file__).resolve().parents[1]
    / "layers/core/memory_mesh/store/proposals/message_vectors.sql"
)
TENANT = "narrow"


@dataclass(frozen=True)
class NarrowConfig:
    conversations: int = 4
    questions: int = 100
    rounds: int = 3
    turns: int | None = None  # the first N corpus turns (None: all)
    other_rows: int = 50_000  # other tenants' rows around the benchmark tenant's
    seed: int = 7
    progress: bool = True


# the candidate CTE of the exact plan, as store/search.py writes it
_VEC_FROM = re.compile(
    r"select m\.id, m\.embedding <=> %\(qv\)s::vector as distance\s+from messages m\s+"
    r"where (?P<where>.*?) and m\.embedding_status = 'ready' and m\.embedding_model = %\(model\)s"
    r"\s+order by m\.embedding <=> %\(qv\)s::vector",
    re.S,
)


def narrow_statement(text: str, dimensions: int) -> str:
    """The service's exact statement with its candidates read from ``message_vectors``."""
    half = f"%(qv)s::vector::halfvec({dimensions})"
    replaced, count = _VEC_FROM.subn(
        lambda m: (
            f"select m.id, m.embedding <=> {half} as distance from message_vectors m "
            f"where {m['where']} and m.embedding_model = %(model)s "
            f"order by m.embedding <=> {half}"
        ),
        text,
    )
    if count != 1:
        raise RuntimeError("the exact statement's candidate CTE has changed: update narrow_scan")
    return replaced


class _Rewriting:
    """A connection stand-in: the search statement rewritten (``narrow``) and/or run under
    EXPLAIN (``explain``); everything else passes through."""

    def __init__(self, conn: Any, *, narrow: bool, explain: bool, dimensions: int) -> None:
        self._conn = conn
        self.narrow = narrow
        self.explain = explain
        self.dimensions = dimensions
        self.plan: dict[str, Any] | None = None

    async def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        text = query.as_string(self._conn) if isinstance(query, sql.Composable) else str(query)
        if self.narrow and "set_config('enable_indexscan'" in text:
            params = dict(params, indexscan="on")  # the covering index, index-only
        if not text.lstrip().lower().startswith("with "):
            return await self._conn.execute(text, params, **kwargs)
        if self.narrow:
            text = narrow_statement(text, self.dimensions)
        if self.explain:
            cur = await self._conn.execute(
                "explain (analyze, buffers, format json) " + text, params, **kwargs
            )
            row = await cur.fetchone()
            document = next(iter(row.values())) if isinstance(row, dict) else row[0]
            self.plan = document[0]
            return _NoRows()
        return await self._conn.execute(text, params, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class _NoRows:
    async def fetchall(self) -> list[dict[str, Any]]:
        return []


async def search(
    runtime: Runtime, query: SearchQuery, vector: np.ndarray, *, narrow: bool, explain: bool
) -> tuple[list[str], dict[str, Any] | None]:
    """(ids of the top hits, the EXPLAIN document when ``explain``)."""
    async with runtime.db.tenant(query.tenant_id) as conn:
        proxy = _Rewriting(
            conn, narrow=narrow, explain=explain, dimensions=runtime.search.plan.dimensions
        )
        hits = await store_search.run_search(
            cast(Any, proxy),
            query=query,
            query_vector=vector,
            model=runtime.embedder.info.model,
            weights=runtime.search.weights,
            config=runtime.search.plan,
            plan="exact",
        )
    return [str(h.message.id) for h in hits], proxy.plan


def _buffers(plan: dict[str, Any]) -> int:
    top = plan["Plan"]
    return int(top.get("Shared Hit Blocks", 0)) + int(top.get("Shared Read Blocks", 0))


def _scans(node: dict[str, Any], found: list[str]) -> list[str]:
    target = node.get("Index Name") or node.get("Relation Name")
    if "Scan" in node.get("Node Type", "") and target:
        found.append(f"{node['Node Type']} ({target})")
    for child in node.get("Plans", []):
        _scans(child, found)
    return found


def load(
    url: str, corpus: Any, vectors: np.ndarray, model: Any, config: NarrowConfig
) -> dict[str, Any]:
    """The turns as ``config.conversations`` conversations of the benchmark tenant, and
    ``config.other_rows`` rows of other tenants (texts reused, derived vectors), every
    row stored in a shuffled order: the arrival order of a live service."""
    turns = len(corpus.turns)
    groups = np.array_split(np.arange(turns), config.conversations)
    conversation_ids = [uuid.uuid4() for _ in groups]
    others = config.other_rows
    other_conversations = [uuid.uuid4() for _ in range((others + 99) // 100)]
    other_vectors = derive_vectors(vectors, others, seed=config.seed) if others else vectors[:0]
    now = datetime.now(UTC)
    rng = np.random.default_rng(config.seed)
    order = rng.permutation(turns + others)  # < turns: a turn; else another tenant's row
    owner = {int(row): c for c, g in enumerate(groups) for row in g}
    with psycopg.connect(url, autocommit=True) as conn:
        register_vector(conn)
        # neither plan measured here walks the HNSW index (the exact plan has index scans
        # off; the narrow table has none): dropped, so the load does not feed it row by row
        conn.execute("drop index if exists messages_embedding_hnsw")
        tenants = [TENANT] + [f"other{j}" for j in range((others + 999) // 1000)]
        for tenant in tenants:
            conn.execute("insert into tenants (id, name) values (%s, %s)", [tenant, tenant])
        for index, cid in enumerate(conversation_ids):
            conn.execute(
                "insert into conversations (id, tenant_id, title) values (%s, %s, %s)",
                [cid, TENANT, f"conversation {index}"],
            )
        for index, cid in enumerate(other_conversations):
            conn.execute(
                "insert into conversations (id, tenant_id, title) values (%s, %s, %s)",
                [cid, f"other{index // 10}", f"conversation {index}"],
            )
        columns = (
            "id, tenant_id, conversation_id, role, content, importance, created_at,"
            " updated_at, embedding, embedding_provider, embedding_model,"
            " embedding_dimensions, embedding_status, embedded_at"
        )
        with conn.cursor().copy(
            f"copy messages ({columns}) from stdin with (format binary)"
        ) as copy:
            copy.set_types([
                "uuid", "text", "uuid", "text", "text", "float4", "timestamptz",
                "timestamptz", "vector", "text", "text", "int4", "text", "timestamptz",
            ])  # fmt: skip
            for n, position in enumerate(order.tolist()):
                created = now - timedelta(seconds=len(order) - n)
                if position < turns:
                    tenant, cid = TENANT, conversation_ids[owner[position]]
                    vector, turn = vectors[position], corpus.turns[position]
                else:
                    j = position - turns
                    tenant, cid = f"other{j // 1000}", other_conversations[j // 100]
                    vector, turn = other_vectors[j], corpus.turns[j % turns]
                copy.write_row((
                    uuid.uuid4(), tenant, cid, "user" if turn.first_speaker else "assistant",
                    turn.text, 0.5, created, created, vector,
                    model.provider, model.model, model.dimensions, "ready", created,
                ))  # fmt: skip
        conn.execute("vacuum (analyze) messages")
        start = time.perf_counter()
        conn.execute(PROPOSAL.read_text().replace("{dimensions}", str(model.dimensions)))
        conn.execute("vacuum (analyze) message_vectors")
        migrate_seconds = time.perf_counter() - start
        sizes = conn.execute(
            "select pg_total_relation_size('messages'), pg_relation_size('messages'),"
            " pg_total_relation_size('message_vectors'),"
            " pg_relation_size('message_vectors_scope')"
        ).fetchone()
    assert sizes is not None
    return {
        "conversation_ids": [str(c) for c in conversation_ids],
        "rows_per_conversation": [len(g) for g in groups],
        "proposal_seconds": round(migrate_seconds, 3),
        "sizes_mb": {
            "messages_total": round(sizes[0] / 2**20, 2),
            "messages_heap": round(sizes[1] / 2**20, 2),
            "message_vectors_total": round(sizes[2] / 2**20, 2),
            "covering_index": round(sizes[3] / 2**20, 2),
        },
    }


def run_narrow(corpus: Any, server: str, work_dir: Path, config: NarrowConfig) -> dict[str, Any]:
    embedder = local_embedder(32)
    cache = work_dir / "cache"
    corpus = replace(corpus, turns=corpus.turns[: config.turns])
    vectors = embed_cached(
        embedder, [t.text for t in corpus.turns], cache, progress=config.progress
    )
    questions = pick(corpus.questions, config.questions, config.seed)
    query_vectors = embed_cached(embedder, questions, cache, progress=config.progress)
    name = "mm_bench_narrow"
    url = database_url(server, name)
    drop_database(server, name)
    create_database(server, name)
    try:
        migrate(url, dimensions=embedder.info.dimensions)
        loaded = load(url, corpus, vectors, embedder.info, config)
        measured = asyncio.run(
            _measure(
                url, work_dir, embedder.info, query_vectors, loaded["conversation_ids"], config
            )
        )
    finally:
        drop_database(server, name)
    return {"config": asdict(config) | {"progress": None}, "load": loaded, **measured}


async def _measure(
    url: str,
    work_dir: Path,
    info: Any,
    query_vectors: np.ndarray,
    conversations: list[str],
    config: NarrowConfig,
) -> dict[str, Any]:
    settings = search_settings(url, work_dir / "runtime").model_copy(
        update={
            "ranking_relevance_weight": 0.6,  # the shipped blend, not the bench's relevance-only
            "ranking_importance_weight": 0.2,
            "ranking_recency_weight": 0.2,
        }
    )
    runtime = await Runtime.start(
        settings, embedder=PrecomputedQueries(info, query_vectors), run_worker=False
    )
    queries = [
        SearchQuery(
            tenant_id=TENANT,
            query=f"q{i}",
            mode=SearchMode.vector,
            top_k=10,
            conversation_id=uuid.UUID(conversations[i % len(conversations)]),
        )
        for i in range(len(query_vectors))
    ]
    kinds = ("current", "narrow")
    times: dict[str, list[list[float]]] = {k: [] for k in kinds}
    buffers: dict[str, list[int]] = {k: [] for k in kinds}
    execution: dict[str, list[float]] = {k: [] for k in kinds}
    scans: dict[str, list[str]] = {}
    same_top10 = []
    try:
        for i, query in enumerate(queries):  # EXPLAIN each once, and warm the caches
            tops = {}
            for kind in kinds:
                tops[kind], plan = await search(
                    runtime, query, query_vectors[i], narrow=kind == "narrow", explain=True
                )
                assert plan is not None
                buffers[kind].append(_buffers(plan))
                execution[kind].append(float(plan["Execution Time"]))
                scans.setdefault(kind, _scans(plan["Plan"], []))
                tops[kind], _ = await search(
                    runtime, query, query_vectors[i], narrow=kind == "narrow", explain=False
                )
            same_top10.append(
                len(set(tops["current"]) & set(tops["narrow"])) / max(len(tops["current"]), 1)
            )
        for round_ in range(config.rounds):
            for kind in kinds:
                times[kind].append([])
            for i, query in enumerate(queries):
                order = kinds if (i + round_) % 2 == 0 else kinds[::-1]
                for kind in order:
                    start = time.perf_counter()
                    await search(
                        runtime, query, query_vectors[i], narrow=kind == "narrow", explain=False
                    )
                    times[kind][-1].append(time.perf_counter() - start)
    finally:
        await runtime.stop()
    cases = {}
    for kind in kinds:
        flat = [t for r in times[kind] for t in r]
        cases[kind] = {
            "latency_ms": latency_summary(flat),
            "p50_ms_per_round": [round(float(np.percentile(r, 50)) * 1000, 3) for r in times[kind]],
            "buffers_median": int(median(buffers[kind])),
            "buffers_p95": int(np.percentile(buffers[kind], 95)),
            "execution_ms_median": round(median(execution[kind]), 3),
            "scans": scans[kind],
        }
    ratios = [
        float(np.percentile(n, 50)) / float(np.percentile(c, 50))
        for n, c in zip(times["narrow"], times["current"], strict=True)
    ]
    return {
        "cases": cases,
        "narrow_over_current": {
            "p50": round(median(ratios), 3),
            "buffers": round(
                cases["narrow"]["buffers_median"] / cases["current"]["buffers_median"], 4
            ),
            "execution": round(
                cases["narrow"]["execution_ms_median"] / cases["current"]["execution_ms_median"], 3
            ),
        },
        "top10_overlap_mean": round(float(np.mean(same_top10)), 4),
    }


def markdown(results: dict[str, Any]) -> str:
    body = results["narrow"]
    load_ = body["load"]
    sizes = load_["sizes_mb"]
    r = body["narrow_over_current"]
    lines = report.header(results, "Memory Mesh: the exact scan, now and narrow")
    lines += [
        f"One tenant, {len(load_['rows_per_conversation'])} conversations of "
        f"{', '.join(f'{n:,}' for n in load_['rows_per_conversation'])} LoCoMo turns (real text,"
        f" the local model's vectors) among {body['config']['other_rows']:,} rows of other"
        " tenants (texts reused, derived vectors), every row stored in a shuffled order as"
        " live traffic stores them."
        " Each question searched in one conversation, vector mode, top 10, through"
        " `store.search.run_search` (exact plan), `current` and `narrow` alternating;"
        f" {body['config']['questions']} questions x {body['config']['rounds']} rounds."
        " Buffers and execution time: `EXPLAIN (ANALYZE, BUFFERS)` of each question once,"
        " caches warm (median over the questions).",
        "",
        "| layout | p50 ms | p95 ms | buffers (median) | buffers p95 | execution ms | scans |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for kind, c in body["cases"].items():
        lat = c["latency_ms"]
        lines.append(
            f"| {kind} | {lat['p50']:.2f} | {lat['p95']:.2f} | {c['buffers_median']:,} "
            f"| {c['buffers_p95']:,} | {c['execution_ms_median']:.2f} | {'; '.join(c['scans'])} |"
        )
    lines += [
        "",
        f"narrow / current: p50 {r['p50']:.2f} (median of the per-round ratios), buffers"
        f" {r['buffers']:.3f} ({1 / r['buffers']:.0f}x fewer), execution {r['execution']:.2f}."
        f" Top 10 in common: {body['top10_overlap_mean']:.1%} (halfvec rounding swaps near ties).",
        "",
        f"Sizes: messages {sizes['messages_total']} MB in all (heap {sizes['messages_heap']} MB);"
        f" message_vectors {sizes['message_vectors_total']} MB in all, of which the covering"
        f" index {sizes['covering_index']} MB. Applying the proposal (table, indexes, trigger,"
        f" backfill, vacuum): {load_['proposal_seconds']} s.",
    ]
    return "\n".join(lines) + "\n"


@dataclass
class Options(cli.Options[NarrowConfig]):
    name: str = "narrow_scan"
    command: str = "python -m bench.narrow_scan"


def run(options: Options) -> dict[str, Any]:
    return report.run_on_corpus(
        options,
        key="narrow",
        stage=lambda corpus, server: run_narrow(corpus, server, options.work_dir, options.config),
        markdown=markdown,
    )


def parse(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.narrow_scan", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--conversations", type=int, default=4)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--other-rows", type=int, default=50_000, help="other tenants' rows")
    cli.add_common_arguments(parser, RESULTS_DIR, "narrow_scan")
    args = parser.parse_args(argv)
    return Options(
        config=cli.from_args(NarrowConfig, args),
        **cli.options_fields(args, "bench.narrow_scan", argv),
    )


def main(argv: list[str] | None = None) -> None:
    options = cli.start(parse, argv)
    results = run(options)
    print(markdown(results))


if __name__ == "__main__":
    main()
