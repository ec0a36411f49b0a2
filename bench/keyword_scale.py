"""Keyword and hybrid search of one large tenant: its rows read whole, or its matches
found through the GIN indexes (migration 0013), side by side.

    python -m bench.keyword_scale        # ~6 minutes the first time (load, HNSW build)

Two tenants of ``tenant_rows`` messages each, holding the LoCoMo turns' real texts (each
turn repeated; the benchmark data is read at run time, never stored) with vectors derived
from the local model's (bench/data.py), HNSW index built. The first tenant is searched
whole (far above the exact limit: the HNSW plan), top 10, with the local model's vector
of each real question, through ``store.search.run_search`` in the service's tenant
transaction:

- ``read``: the keyword matches found by reading every row of the scope under the
  row-level security policies, which keep ``@@`` off the GIN indexes (the statement
  before migration 0013, still the exact plan's), BM25's statistics counted by it;
- ``gin``: the matches from migration 0013's function (the GIN indexes), statistics
  counted by the statement;
- ``gin, statistics given``: as the service searches a large scope, the statistics
  counted once a minute (their count is timed apart).

Keyword and hybrid mode, the cases interleaved question by question over ``rounds``
rounds (p50 / p95), EXPLAIN (ANALYZE, BUFFERS) of each once (medians), and the top 10 of
every case compared with ``read``'s. Vector mode is timed beside them for reference.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench import cli, report
from bench.data import derive_vectors, embed_cached, pick
from bench.explain import explain_search
from bench.ingest import local_embedder
from bench.keyword_scale_report import markdown
from bench.search_latency import database_url
from bench.stats import latency_summary, median
from bench.tables import Layout, prepare
from memory_mesh.config import Settings
from memory_mesh.domain.models import SearchMode, SearchQuery
from memory_mesh.runtime import Runtime
from memory_mesh.store import search as store_search

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TENANT = "t00000"  # Layout.scoped's first tenant
CASES = ("read", "gin", "gin, statistics given")


@dataclass(frozen=True)
class KeywordConfig:
    tenant_rows: int = 150_000
    questions: int = 40
    rounds: int = 3
    seed: int = 11
    progress: bool = True


def _case_arguments(case: str, stats: store_search.ScopeStats) -> dict[str, Any]:
    return {
        "read": {"indexed_keywords": False},
        "gin": {"indexed_keywords": True},
        "gin, statistics given": {"indexed_keywords": True, "scope_stats": stats},
    }[case]


async def _search(
    runtime: Runtime, query: SearchQuery, vector: np.ndarray, **arguments: Any
) -> list[str]:
    async with runtime.db.tenant(query.tenant_id) as conn:
        hits = await store_search.run_search(
            conn,
            query=query,
            query_vector=vector,
            model=runtime.embedder.info.model,
            weights=runtime.search.weights,
            config=runtime.search.plan,
            plan="hnsw",
            **arguments,
        )
    return [str(h.message.id) for h in hits]


async def _statistics(runtime: Runtime, query: SearchQuery) -> store_search.ScopeStats:
    async with runtime.db.tenant(query.tenant_id) as conn:
        return await store_search.scope_statistics(
            conn, query, runtime.search.weights.context_weight
        )


async def _measure(
    url: str, work_dir: Path, questions: list[str], vectors: np.ndarray, config: KeywordConfig
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
    modes = (SearchMode.keyword, SearchMode.hybrid)
    keys = [(mode.value, case) for mode in modes for case in CASES] + [("vector", "hnsw")]
    times: dict[tuple[str, str], list[list[float]]] = {k: [] for k in keys}
    explained: dict[tuple[str, str], list[dict[str, Any]]] = {k: [] for k in keys}
    same_top10: dict[tuple[str, str], list[bool]] = {k: [] for k in keys}
    hits: list[int] = []
    counting: list[float] = []
    try:
        whole = SearchQuery(tenant_id=TENANT, query="", top_k=10)
        stats = await _statistics(runtime, whole)
        for _ in range(5):
            start = time.perf_counter()
            await _statistics(runtime, whole)
            counting.append(time.perf_counter() - start)
        for i, question in enumerate(questions):  # EXPLAIN each once, warm the caches
            for mode in modes:
                query = SearchQuery(tenant_id=TENANT, query=question, mode=mode, top_k=10)
                reference: list[str] = []
                for case in CASES:
                    arguments = _case_arguments(case, stats)
                    explained[(mode.value, case)].append(
                        await explain_search(runtime, query, vectors[i], "hnsw", **arguments)
                    )
                    found = await _search(runtime, query, vectors[i], **arguments)
                    reference = reference or found
                    same_top10[(mode.value, case)].append(found == reference)
                if mode is SearchMode.keyword:
                    hits.append(len(reference))
        for round_ in range(config.rounds):
            for key in keys:
                times[key].append([])
            for i, question in enumerate(questions):
                turn = (i + round_) % len(keys)
                for mode_name, case in keys[turn:] + keys[:turn]:
                    query = SearchQuery(
                        tenant_id=TENANT, query=question, mode=SearchMode(mode_name), top_k=10
                    )
                    arguments = _case_arguments(case, stats) if case in CASES else {}
                    start = time.perf_counter()
                    await _search(runtime, query, vectors[i], **arguments)
                    times[(mode_name, case)][-1].append(time.perf_counter() - start)
    finally:
        await runtime.stop()
    cases = []
    for key in keys:
        runs = [e for e in explained[key] if "execution_ms" in e]
        flat = [t for r in times[key] for t in r]
        cases.append(
            {
                "mode": key[0],
                "case": key[1],
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
    ratios = {}
    for mode in modes:
        read, given = times[(mode.value, "read")], times[(mode.value, "gin, statistics given")]
        ratios[mode.value] = round(
            median(
                [
                    float(np.percentile(g, 50)) / float(np.percentile(r, 50))
                    for g, r in zip(given, read, strict=True)
                ]
            ),
            4,
        )
    return {
        "scope_statistics": {
            "docs": stats.docs,
            "avg_len": round(stats.avg_len, 2),
            "count_ms_median": round(median(counting) * 1000, 2),
        },
        "keyword_hits_median": median([float(h) for h in hits]),
        "cases": cases,
        "given_over_read_p50": ratios,
    }


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
    name = f"mm_bench_keyword_{rows}"
    url = database_url(server, name)
    loaded = prepare(
        server,
        name,
        url,
        vectors,
        Layout.scoped(rows, config.tenant_rows),
        embedder.info,
        seed=config.seed,
        keep=True,
        progress=config.progress,
        texts=texts,
    )
    measured = asyncio.run(_measure(url, work_dir, questions, query_vectors, config))
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
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    return cli.parse_options(Options, KeywordConfig, parser, argv, RESULTS_DIR)


def main(argv: list[str] | None = None) -> None:
    options = cli.start(parse, argv)
    results = run(options)
    print(markdown(results))


if __name__ == "__main__":
    main()
