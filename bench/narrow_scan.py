"""The exact search's scan before and after the narrow layout (migration 0009), side by side.

    python -m bench.narrow_scan            # ~2 minutes

One tenant holding the LoCoMo turns (real text, the local model's vectors) in
``conversations`` conversations of ~1,500 turns each, among ``other_rows`` rows of other
tenants, every row stored in a shuffled order as messages arrive in a live service, so a
conversation's rows are spread over the table. Each question is searched,
conversation-scoped, vector mode, top 10, through ``store.search.run_search`` itself:

- ``wide``: the candidates read from ``messages`` (the statement before migration 0009,
  still the one a metadata filter takes: the scope's rows through its B-tree, every
  distance taken, index scans off);
- ``narrow``: the service's default, the candidates read from ``message_vectors``
  (index-only scan of its covering B-tree), re-ranked at full precision.

Measured interleaved over ``rounds`` rounds: p50 / p95 of the call, and from
``EXPLAIN (ANALYZE, BUFFERS)`` of each question the buffers touched (shared hit + read)
and PostgreSQL's execution time. The top 10 of both are compared, and NumPy gives what
halfvec alone would cost: recall@10 of an exact halfvec top 10 against the float32 one.
The migration itself is timed too: dropped and applied again on the loaded database.
"""

from __future__ import annotations

import asyncio
import logging
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
from bench.narrow_scan_report import markdown
from bench.search_latency import PrecomputedQueries, database_url, search_settings
from bench.stats import latency_summary, median
from bench.tables import create_database, drop_database
from memory_mesh.domain.models import SearchMode, SearchQuery
from memory_mesh.runtime import Runtime
from memory_mesh.store import search as store_search
from memory_mesh.store.migrations import available_migrations, migrate

log = logging.getLogger(__name__)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
NARROW_MIGRATION = 9
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
    hnsw: bool = False  # also the tenant-wide HNSW plan, with the graph on either table


class _Explaining:
    """A connection stand-in: the search statement run under EXPLAIN (ANALYZE, BUFFERS);
    everything else passes through."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.plan: dict[str, Any] | None = None

    async def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        text = query.as_string(self._conn) if isinstance(query, sql.Composable) else str(query)
        if not text.lstrip().lower().startswith("with "):
            return await self._conn.execute(text, params, **kwargs)
        cur = await self._conn.execute(
            "explain (analyze, buffers, format json) " + text, params, **kwargs
        )
        row = await cur.fetchone()
        document = next(iter(row.values())) if isinstance(row, dict) else row[0]
        self.plan = document[0]
        return _NoRows()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class _NoRows:
    async def fetchall(self) -> list[dict[str, Any]]:
        return []


async def search(
    runtime: Runtime,
    query: SearchQuery,
    vector: np.ndarray,
    *,
    narrow: bool,
    explain: bool,
    plan: str = "exact",
) -> tuple[list[str], dict[str, Any] | None]:
    """(ids of the top hits, the EXPLAIN document when ``explain``)."""
    async with runtime.db.tenant(query.tenant_id) as conn:
        proxy = _Explaining(conn) if explain else None
        hits = await store_search.run_search(
            cast(Any, proxy) if proxy else conn,
            query=query,
            query_vector=vector,
            model=runtime.embedder.info.model,
            weights=runtime.search.weights,
            config=runtime.search.plan,
            plan=plan,
            narrow=narrow,
        )
    return [str(h.message.id) for h in hits], proxy.plan if proxy else None


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
        # neither scan measured here walks the HNSW index: dropped, so the load does not
        # feed it row by row
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
        # the migration timed on the loaded table: undone, then applied as migrate() does,
        # its two parts apart (the backfill, then the part during which writers wait)
        later_seconds: dict[str, float] = {}
        conn.execute("drop table message_vectors")
        conn.execute("drop function message_vectors_sync() cascade")
        [narrow] = [m for m in available_migrations() if m.version == NARROW_MIGRATION]
        backfill, locked = narrow.sql.replace("{dimensions}", str(model.dimensions)).split(
            "\n-- 2. ", 1
        )
        with conn.transaction():
            start = time.perf_counter()
            conn.execute(backfill)
            middle = time.perf_counter()
            conn.execute("-- 2. " + locked)
        end = time.perf_counter()
        # the later migrations on the narrow table (0011 importance and its backfill, 0012
        # the covering index rebuilt concurrently), timed, as migrate() runs them
        for later in available_migrations():
            narrow_table = "table message_vectors" in later.sql or "on message_vectors" in later.sql
            if later.version > NARROW_MIGRATION and narrow_table:
                began = time.perf_counter()
                for statement in later.statements(model.dimensions):
                    conn.execute(statement)
                later_seconds[f"{later.version:04d}_{later.name}"] = round(
                    time.perf_counter() - began, 3
                )
        conn.execute("vacuum (analyze) message_vectors")
        sizes = conn.execute(
            "select pg_total_relation_size('messages'), pg_relation_size('messages'),"
            " pg_total_relation_size('message_vectors'),"
            " pg_relation_size('message_vectors_scope')"
        ).fetchone()
    assert sizes is not None
    return {
        "conversation_ids": [str(c) for c in conversation_ids],
        "rows_per_conversation": [len(g) for g in groups],
        "migration_seconds": {
            "backfill": round(middle - start, 3),
            "writers_wait": round(end - middle, 3),
        },
        "later_migration_seconds": later_seconds,
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
        measured["write"] = write_cost(url, config.seed)
        if config.hnsw:
            measured["hnsw"] = hnsw_study(url, work_dir, embedder.info, query_vectors, config)
    finally:
        drop_database(server, name)
    return {
        "config": asdict(config) | {"progress": None},
        "load": loaded,
        **measured,
        "halfvec_recall_at_10": halfvec_recall(vectors, query_vectors, config.conversations),
    }


def halfvec_recall(vectors: np.ndarray, queries: np.ndarray, conversations: int) -> float:
    """Mean recall@10 of an exact top 10 by halfvec cosine (both sides rounded to float16,
    as ``embedding::halfvec <=> query::halfvec`` computes it) against the float32 top 10,
    each question over its conversation's rows: what the narrow scan would lose without
    its re-ranking at full precision."""
    groups = np.array_split(np.arange(len(vectors)), conversations)

    def top10(rows: np.ndarray, query: np.ndarray) -> set[int]:
        norms = np.linalg.norm(rows, axis=1) * np.linalg.norm(query)
        return set(np.argsort(-(rows @ query) / norms, kind="stable")[:10].tolist())

    found = []
    for i, query in enumerate(queries):
        rows = vectors[groups[i % conversations]].astype(np.float32)
        half = rows.astype(np.float16).astype(np.float32)
        exact = top10(rows, query.astype(np.float32))
        found.append(len(exact & top10(half, query.astype(np.float16).astype(np.float32))) / 10)
    return round(float(np.mean(found)), 4)


def write_cost(url: str, seed: int, batches: int = 40) -> dict[str, float]:
    """What the sync trigger adds to the embedding worker's write (``store_embeddings``'
    update of 32 rows' vectors): median ms per batch with the trigger and with it disabled,
    interleaved, on the loaded table without its HNSW index (whose upkeep would dwarf
    both). The rows written without the trigger are put back in step afterwards."""
    rng = np.random.default_rng(seed)
    times: dict[str, list[float]] = {"with_trigger": [], "without": []}
    with psycopg.connect(url, autocommit=True) as conn:
        register_vector(conn)
        ids = [row[0] for row in conn.execute("select id from messages").fetchall()]
        row = conn.execute("select vector_dims(embedding) from messages limit 1").fetchone()
        assert row is not None
        dims = int(row[0])
        for k in range(batches):
            for kind in ("with_trigger", "without") if k % 2 else ("without", "with_trigger"):
                batch = [ids[i] for i in rng.choice(len(ids), 32, replace=False)]
                vectors = list(rng.normal(size=(32, dims)).astype(np.float32))
                with conn.transaction():
                    if kind == "without":
                        conn.execute("alter table messages disable trigger messages_vectors_update")
                    start = time.perf_counter()
                    conn.execute(
                        "update messages m set embedding = v.e, embedding_status = 'ready',"
                        " embedded_at = now() from unnest(%s::uuid[], %s::vector[]) as v(id, e)"
                        " where m.id = v.id",
                        [batch, vectors],
                    )
                    times[kind].append(time.perf_counter() - start)
                    if kind == "without":
                        conn.execute("alter table messages enable trigger messages_vectors_update")
                        conn.execute(
                            "update messages set embedding = embedding where id = any(%s)", [batch]
                        )
        conn.execute("vacuum (analyze) message_vectors")
    return {kind: round(median(t) * 1000, 3) for kind, t in times.items()}


def hnsw_study(
    url: str, work_dir: Path, info: Any, query_vectors: np.ndarray, config: NarrowConfig
) -> dict[str, Any]:
    """The tenant-wide search of the benchmark tenant (~5,900 rows among ~56,000: above
    the exact limit, so the HNSW plan with iterative scan) with the graph on ``messages``
    (the migration's index on the halfvec expression: the walk's rows are read from the
    wide heap) and on ``message_vectors`` (the narrow rows), same build parameters; recall
    @10 against the exact plan's answer."""
    d = info.dimensions
    builds = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for label, definition in (
            (
                "wide",
                f"create index messages_embedding_hnsw on messages using hnsw"
                f" ((embedding::halfvec({d})) halfvec_cosine_ops)"
                " with (m = 16, ef_construction = 64)",
            ),
            (
                "narrow",
                "create index message_vectors_hnsw on message_vectors using hnsw"
                " (embedding halfvec_cosine_ops) with (m = 16, ef_construction = 64)",
            ),
        ):
            start = time.perf_counter()
            conn.execute(definition)
            builds[label] = round(time.perf_counter() - start, 2)
        conn.execute("analyze messages")
        conn.execute("analyze message_vectors")
    return {"build_seconds": builds} | asyncio.run(
        _measure_hnsw(url, work_dir, info, query_vectors, config)
    )


async def _measure_hnsw(
    url: str, work_dir: Path, info: Any, query_vectors: np.ndarray, config: NarrowConfig
) -> dict[str, Any]:
    settings = search_settings(url, work_dir / "runtime")
    runtime = await Runtime.start(
        settings, embedder=PrecomputedQueries(info, query_vectors), run_worker=False
    )
    queries = [
        SearchQuery(tenant_id=TENANT, query=f"q{i}", mode=SearchMode.vector, top_k=10)
        for i in range(len(query_vectors))
    ]
    kinds = ("wide", "narrow")
    times: dict[str, list[list[float]]] = {k: [] for k in kinds}
    recall: dict[str, list[float]] = {k: [] for k in kinds}
    scans: dict[str, list[str]] = {}
    try:
        for i, query in enumerate(queries):
            exact, _ = await search(runtime, query, query_vectors[i], narrow=True, explain=False)
            for kind in kinds:
                found, plan = await search(
                    runtime, query, query_vectors[i], narrow=kind == "narrow", explain=True,
                    plan="hnsw",
                )  # fmt: skip
                assert plan is not None
                scans.setdefault(kind, _scans(plan["Plan"], []))
                found, _ = await search(
                    runtime, query, query_vectors[i], narrow=kind == "narrow", explain=False,
                    plan="hnsw",
                )  # fmt: skip
                recall[kind].append(len(set(found) & set(exact)) / max(len(exact), 1))
        for round_ in range(config.rounds):
            for kind in kinds:
                times[kind].append([])
            for i, query in enumerate(queries):
                for kind in kinds if (i + round_) % 2 == 0 else kinds[::-1]:
                    start = time.perf_counter()
                    await search(
                        runtime, query, query_vectors[i], narrow=kind == "narrow", explain=False,
                        plan="hnsw",
                    )  # fmt: skip
                    times[kind][-1].append(time.perf_counter() - start)
    finally:
        await runtime.stop()
    ratios = [
        float(np.percentile(n, 50)) / float(np.percentile(w, 50))
        for n, w in zip(times["narrow"], times["wide"], strict=True)
    ]
    return {
        "ef_search": settings.search_hnsw_ef_search,
        "cases": {
            kind: {
                "latency_ms": latency_summary([t for r in times[kind] for t in r]),
                "recall_at_10": round(float(np.mean(recall[kind])), 4),
                "scans": scans[kind],
            }
            for kind in kinds
        },
        "narrow_over_wide_p50": round(median(ratios), 3),
    }


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
    kinds = ("wide", "narrow")
    times: dict[str, list[list[float]]] = {k: [] for k in kinds}
    buffers: dict[str, list[int]] = {k: [] for k in kinds}
    execution: dict[str, list[float]] = {k: [] for k in kinds}
    planning: dict[str, list[float]] = {k: [] for k in kinds}
    scans: dict[str, list[str]] = {}
    same_top10 = []
    same_order: list[bool] = []
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
                planning[kind].append(float(plan["Planning Time"]))
                scans.setdefault(kind, _scans(plan["Plan"], []))
                tops[kind], _ = await search(
                    runtime, query, query_vectors[i], narrow=kind == "narrow", explain=False
                )
            same_top10.append(
                len(set(tops["wide"]) & set(tops["narrow"])) / max(len(tops["wide"]), 1)
            )
            same_order.append(tops["wide"] == tops["narrow"])
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
            "planning_ms_median": round(median(planning[kind]), 3),
            "scans": scans[kind],
        }
    ratios = [
        float(np.percentile(n, 50)) / float(np.percentile(c, 50))
        for n, c in zip(times["narrow"], times["wide"], strict=True)
    ]
    return {
        "cases": cases,
        "narrow_over_wide": {
            "p50": round(median(ratios), 3),
            "buffers": round(
                cases["narrow"]["buffers_median"] / cases["wide"]["buffers_median"], 4
            ),
            "execution": round(
                cases["narrow"]["execution_ms_median"] / cases["wide"]["execution_ms_median"], 3
            ),
        },
        "top10_overlap_mean": round(float(np.mean(same_top10)), 4),
        "top10_same_order": round(float(np.mean(same_order)), 4),
    }


@dataclass
class Options(cli.Options[NarrowConfig]):
    name: str = "narrow_scan"
    command: str = "python -m bench.narrow_scan"


def run(options: Options) -> dict[str, Any]:
    return report.run_on_corpus(options, key="narrow", stage=run_narrow, markdown=markdown)


def parse(argv: list[str]) -> Options:
    parser = cli.parser("bench.narrow_scan", __doc__)
    parser.add_argument("--conversations", type=int, default=4)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--other-rows", type=int, default=50_000, help="other tenants' rows")
    parser.add_argument(
        "--hnsw", action="store_true", help="also the tenant-wide HNSW plan, graph on either table"
    )
    return cli.parse_options(Options, NarrowConfig, parser, argv, RESULTS_DIR)


def main(argv: list[str] | None = None) -> None:
    options = cli.start(parse, argv)
    results = run(options)
    print(markdown(results))


if __name__ == "__main__":
    main()
