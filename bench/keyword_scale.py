"""Keyword and hybrid search of large scopes: their rows read whole, or their matches found
through the GIN indexes (migration 0013), side by side.

    python -m bench.keyword_scale        # ~8 minutes the first time (load, HNSW build)

Two tenants of ``tenant_rows`` messages each, holding the LoCoMo turns' real texts (each
turn repeated; the benchmark data is read at run time, never stored) with vectors derived
from the local model's (bench/data.py), HNSW index built. Two scopes of the first tenant
are searched, top 10, with the local model's vector of each real question, through
``store.search.run_search`` in the service's tenant transaction:

- ``tenant``: the whole tenant, far above the exact limit: the HNSW plan;
- ``conversation``: its large conversation (``conversation_rows``, its rows spread over
  the table), above ``exact_max_rows`` yet searched exactly (up to sqrt(exact_max_rows x
  the table's rows)).

Cases:

- ``read``: the keyword matches found by reading every row of the scope under the
  row-level security policies, which keep ``@@`` off the GIN indexes (the statement
  before migration 0013, still a small scope's), BM25's statistics counted by it;
- ``gin``: the matches from migration 0013's function (the GIN indexes), statistics
  counted by the statement;
- ``gin, statistics given``: as the service searched a large scope before migration
  0015, the statistics counted once a minute (their count is timed apart);
- ``gin, statistics given, seq scans allowed``: the same with the function's setting of
  migration 0014 cleared (as before it), so the planner may read the whole table;
- ``postings, statistics given``: as the service searches a large scope, each query
  word's postings read from migration 0015's ``message_terms`` instead of the matching
  rows.

Keyword and hybrid mode, the cases interleaved question by question over ``rounds``
rounds (p50 / p95), EXPLAIN (ANALYZE, BUFFERS) of each once (medians), and the top 10 of
every case compared with ``read``'s. Vector mode is timed beside them for reference.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

from bench import cli, report
from bench.data import derive_vectors, embed_cached, pick
from bench.explain import explain_search
from bench.ingest import local_embedder
from bench.keyword_scale_report import markdown
from bench.search_latency import database_url
from bench.stats import latency_summary, median
from bench.tables import Layout, prepare, row_ids
from memory_mesh.config import Settings
from memory_mesh.domain.models import SearchMode, SearchQuery
from memory_mesh.runtime import Runtime
from memory_mesh.store import search as store_search

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TENANT = "t00000"  # Layout.scoped's first tenant
CASES = (
    "read",
    "gin",
    "gin, statistics given",
    "gin, statistics given, seq scans allowed",
    "postings, statistics given",
)
# the case run with the function's setting of migration 0014 cleared (before it)
SEQSCAN_CASE = CASES[3]
# as the service searches a large scope: migration 0015's postings, statistics given
SERVICE_CASE = CASES[4]
FUNCTION = (
    "memory_mesh_keyword_matches(tsquery, uuid, text, timestamptz, timestamptz, jsonb, boolean)"
)


@dataclass(frozen=True)
class KeywordConfig:
    tenant_rows: int = 150_000
    conversation_rows: int = 20_000  # the first tenant's large conversation
    questions: int = 40
    rounds: int = 3
    seed: int = 11
    progress: bool = True


def _case_arguments(case: str, stats: store_search.ScopeStats) -> dict[str, Any]:
    function: dict[str, Any] = {"indexed_keywords": True, "postings": False}
    given = {"scope_stats": stats}
    return {
        "read": {"indexed_keywords": False, "postings": False},
        "gin": function,
        "gin, statistics given": function | given,
        SEQSCAN_CASE: function | given,
        SERVICE_CASE: {"indexed_keywords": True, "postings": True} | given,
    }[case]


class FunctionSetting:
    """Migration 0014's setting of the keyword function (``enable_seqscan = off``),
    cleared for :data:`SEQSCAN_CASE` and put back for every other, by the database's
    owner (the function's)."""

    def __init__(self, url: str) -> None:
        self._conn = psycopg.connect(url, autocommit=True)
        self._off = True

    def for_case(self, case: str) -> None:
        off = case != SEQSCAN_CASE
        if off != self._off:
            change = "set enable_seqscan = off" if off else "reset enable_seqscan"
            self._conn.execute(f"alter function {FUNCTION} {change}")
            self._off = off

    def close(self) -> None:
        self.for_case("")
        self._conn.close()


@dataclass(frozen=True)
class Scope:
    """A searched scope: the whole first tenant (the HNSW plan), or its large conversation
    (above ``exact_max_rows`` rows, yet searched exactly: sqrt(exact_max_rows x rows))."""

    name: str
    plan: str
    conversation: uuid.UUID | None = None

    def query(self, text: str, mode: SearchMode) -> SearchQuery:
        return SearchQuery(
            tenant_id=TENANT, query=text, mode=mode, top_k=10, conversation_id=self.conversation
        )


async def _search(
    runtime: Runtime, scope: Scope, query: SearchQuery, vector: np.ndarray, **arguments: Any
) -> list[str]:
    async with runtime.db.tenant(query.tenant_id) as conn:
        hits = await store_search.run_search(
            conn,
            query=query,
            query_vector=vector,
            model=runtime.embedder.info.model,
            weights=runtime.search.weights,
            config=runtime.search.plan,
            plan=scope.plan,
            **arguments,
        )
    return [str(h.message.id) for h in hits]


async def _statistics(
    runtime: Runtime, scope: Scope
) -> tuple[store_search.ScopeStats, list[float]]:
    """The scope's BM25 statistics, and the time of counting them, 5 times."""
    times = []
    for _ in range(6):
        start = time.perf_counter()
        async with runtime.db.tenant(TENANT) as conn:
            stats = await store_search.scope_statistics(
                conn, scope.query("", SearchMode.keyword), runtime.search.weights.context_weight
            )
        times.append(time.perf_counter() - start)
    return stats, times[1:]


Key = tuple[str, str, str]  # scope, mode, case


async def _measure(
    url: str,
    work_dir: Path,
    questions: list[str],
    vectors: np.ndarray,
    scopes: list[Scope],
    config: KeywordConfig,
) -> dict[str, Any]:
    settings = Settings(
        database_url=url,
        data_dir=work_dir / "runtime",
        environment="test",
        auto_migrate=False,
        db_pool_min_size=1,
        db_pool_max_size=2,
    )
    runtime = await Runtime.start(settings, run_worker=False)
    setting = FunctionSetting(url)
    modes = (SearchMode.keyword, SearchMode.hybrid)
    keys: list[Key] = [
        key
        for scope in scopes
        for key in [(scope.name, m.value, c) for m in modes for c in CASES]
        + [(scope.name, "vector", scope.plan)]
    ]
    times: dict[Key, list[list[float]]] = {k: [] for k in keys}
    explained: dict[Key, list[dict[str, Any]]] = {k: [] for k in keys}
    same_top10: dict[Key, list[bool]] = {k: [] for k in keys}
    hits: dict[str, list[float]] = {scope.name: [] for scope in scopes}
    stats: dict[str, store_search.ScopeStats] = {}
    counting: dict[str, list[float]] = {}
    by_name = {scope.name: scope for scope in scopes}
    try:
        for scope in scopes:
            stats[scope.name], counting[scope.name] = await _statistics(runtime, scope)
        for i, question in enumerate(questions):  # EXPLAIN each once, warm the caches
            for scope in scopes:
                for mode in modes:
                    query = scope.query(question, mode)
                    reference: list[str] = []
                    for case in CASES:
                        arguments = _case_arguments(case, stats[scope.name])
                        setting.for_case(case)
                        explained[(scope.name, mode.value, case)].append(
                            await explain_search(
                                runtime, query, vectors[i], scope.plan, **arguments
                            )
                        )
                        found = await _search(runtime, scope, query, vectors[i], **arguments)
                        reference = reference or found
                        same_top10[(scope.name, mode.value, case)].append(found == reference)
                    if mode is SearchMode.keyword:
                        hits[scope.name].append(float(len(reference)))
        for round_ in range(config.rounds):
            for key in keys:
                times[key].append([])
            for i, question in enumerate(questions):
                turn = (i + round_) % len(keys)
                for key in keys[turn:] + keys[:turn]:
                    scope = by_name[key[0]]
                    query = scope.query(question, SearchMode(key[1]))
                    arguments = (
                        _case_arguments(key[2], stats[scope.name]) if key[2] in CASES else {}
                    )
                    setting.for_case(key[2])
                    start = time.perf_counter()
                    await _search(runtime, scope, query, vectors[i], **arguments)
                    times[key][-1].append(time.perf_counter() - start)
    finally:
        setting.close()
        await runtime.stop()
    cases = []
    for key in keys:
        runs = [e for e in explained[key] if "execution_ms" in e]
        flat = [t for r in times[key] for t in r]
        cases.append(
            {
                "scope": key[0],
                "mode": key[1],
                "case": key[2],
                "latency_ms": latency_summary(flat),
                "p50_ms_per_round": [
                    round(float(np.percentile(r, 50)) * 1000, 3) for r in times[key]
                ],
                "execution_ms_median": round(median([e["execution_ms"] for e in runs]), 3)
                if runs
                else None,
                "buffers_median": int(median([e["buffers"] for e in runs])) if runs else None,
                "scans": sorted({s for e in runs for s in e["scans"]}),
                "same_top10_as_read": round(float(np.mean(same_top10[key])), 4)
                if same_top10[key]
                else None,
            }
        )
    return {
        "scopes": {
            scope.name: {
                "plan": scope.plan,
                "messages": stats[scope.name].docs,
                "avg_len": round(stats[scope.name].avg_len, 2),
                "statistics_count_ms_median": round(median(counting[scope.name]) * 1000, 2),
                "keyword_hits_median": median(hits[scope.name]),
                "service_over_read_p50": {
                    mode.value: _ratio(
                        times[(scope.name, mode.value, SERVICE_CASE)],
                        times[(scope.name, mode.value, "read")],
                    )
                    for mode in modes
                },
                "service_over_gin_p50": {
                    mode.value: _ratio(
                        times[(scope.name, mode.value, SERVICE_CASE)],
                        times[(scope.name, mode.value, "gin, statistics given")],
                    )
                    for mode in modes
                },
            }
            for scope in scopes
        },
        "cases": cases,
    }


def _ratio(after: list[list[float]], before: list[list[float]]) -> float:
    """The median over rounds of the rounds' p50 ratio."""
    return round(
        median(
            [
                float(np.percentile(a, 50)) / float(np.percentile(b, 50))
                for a, b in zip(after, before, strict=True)
            ]
        ),
        4,
    )


def layout(tenant_rows: int, conversation_rows: int, seed: int) -> Layout:
    """Two tenants of ``tenant_rows`` rows; the first tenant's rows in two conversations,
    ``conversation_rows`` of them (about: drawn at random, so its rows are spread over
    the table as live traffic stores them) in conversation 0, the rest in conversation 1;
    the second tenant's in conversation 2."""
    rng = np.random.default_rng(seed)
    first = np.where(rng.random(tenant_rows) < conversation_rows / tenant_rows, 0, 1)
    return Layout(
        tenants=[TENANT, "t00001"],
        row_tenant=np.repeat([0, 1], tenant_rows),
        row_conversation=np.concatenate([first, np.full(tenant_rows, 2)]),
        conversation_tenant=np.array([0, 0, 1]),
    )


def run_keyword_scale(
    corpus: Any, server: str, work_dir: Path, config: KeywordConfig
) -> dict[str, Any]:
    embedder = local_embedder(32)
    cache = work_dir / "cache"
    texts = [t.text for t in corpus.turns]
    real = embed_cached(embedder, texts, cache, progress=config.progress, label="embed corpus")
    questions = pick(corpus.questions, config.questions, config.seed)
    query_vectors = embed_cached(embedder, questions, cache, progress=False)
    rows = 2 * config.tenant_rows
    vectors = derive_vectors(real, rows, seed=config.seed)
    name = f"mm_bench_keyword_{rows}_{config.conversation_rows}"
    url = database_url(server, name)
    loaded = prepare(
        server,
        name,
        url,
        vectors,
        layout(config.tenant_rows, config.conversation_rows, config.seed),
        embedder.info,
        seed=config.seed,
        keep=True,
        progress=config.progress,
        texts=texts,
    )
    _, conversation_ids = row_ids(rows, 3, config.seed)
    scopes = [
        Scope("tenant", "hnsw"),
        Scope("conversation", "exact", conversation_ids[0]),
    ]
    measured = asyncio.run(_measure(url, work_dir, questions, query_vectors, scopes, config))
    return {
        "config": asdict(config) | {"progress": None},
        "load": loaded["figures"],
        "corpus_turns": len(texts),
        **measured,
    }


@dataclass
class Options(cli.Options[KeywordConfig]):
    name: str = "keyword_scale"
    command: str = "python -m bench.keyword_scale"


def run(options: Options) -> dict[str, Any]:
    return report.run_on_corpus(options, key="keyword", stage=run_keyword_scale, markdown=markdown)


def parse(argv: list[str]) -> Options:
    parser = cli.parser("bench.keyword_scale", __doc__)
    parser.add_argument("--tenant-rows", type=int, default=150_000)
    parser.add_argument(
        "--conversation-rows", type=int, default=20_000, help="the large conversation's rows"
    )
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    return cli.parse_options(Options, KeywordConfig, parser, argv, RESULTS_DIR)


def main(argv: list[str] | None = None) -> None:
    options = cli.start(parse, argv)
    results = run(options)
    print(markdown(results))


if __name__ == "__main__":
    main()
