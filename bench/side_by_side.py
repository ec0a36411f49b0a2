"""The same vectors and queries as the search benchmark through the alternatives: an exact
NumPy scan (the physical limit of exact search), Chroma embedded (hnswlib, its defaults),
and Memory Mesh (vector mode, service default plan) -- measured in the same run, with and
without a tenant filter, interleaved query by query.

    python -m bench.side_by_side --size 100000 --queries 200

Memory Mesh scopes every search by tenant, so "no filter" is one tenant holding every
row, "tenant filter" is 1,000 tenants of 100 rows (``size / 100``): the search
benchmark's two layouts. Chroma gets the tenant as metadata and a ``where`` filter.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import numpy as np
from tqdm import tqdm

from bench.data import DEFAULT_LOCOMO, derive_vectors, embed_cached, load_corpus, pick
from bench.ingest import local_embedder
from bench.machine import describe
from bench.search_latency import PrecomputedQueries, database_url, search_settings
from bench.stats import latency_summary
from bench.tables import Layout, create_database, drop_database, embedded_server, load
from memory_mesh.domain.models import SearchMode, SearchQuery
from memory_mesh.runtime import Runtime
from memory_mesh.store.migrations import migrate

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class SideConfig:
    size: int = 100_000
    queries: int = 200
    top_k: int = 10
    seed: int = 7  # as the search benchmark: the same derived vectors and questions
    locomo: Path = DEFAULT_LOCOMO
    out: Path = RESULTS_DIR
    work_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "mm-bench")
    chroma: bool = True
    progress: bool = True
    command: str = "python -m bench.side_by_side"


def _recall(found: list[int], truth: np.ndarray) -> float:
    return len(set(found) & set(truth.tolist())) / len(truth)


def _chroma(vectors: np.ndarray, layout: Layout, name: str, progress: bool) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    # one in-memory system per process: a fresh collection per regime
    collection = client.create_collection(name, metadata={"hnsw:space": "cosine"})
    step = 5000
    for start in tqdm(range(0, len(vectors), step), desc="chroma add", disable=not progress):
        stop = min(start + step, len(vectors))
        collection.add(
            ids=[str(i) for i in range(start, stop)],
            embeddings=vectors[start:stop],
            metadatas=[{"tenant": int(layout.row_tenant[i])} for i in range(start, stop)],
        )
    return collection


async def _regime(
    server: str,
    config: SideConfig,
    regime: str,
    vectors: np.ndarray,
    queries: np.ndarray,
    info: Any,
) -> dict[str, Any]:
    rng = np.random.default_rng(config.seed + 1)
    if regime == "tenant filter":
        layout = Layout.scoped(len(vectors), 100)
        query_tenant = rng.integers(len(layout.tenants), size=len(queries))
    else:
        layout = Layout.single(len(vectors), 100)
        query_tenant = np.zeros(len(queries), dtype=np.int64)
    scopes = {int(t): layout.rows_of(int(t)) for t in set(query_tenant.tolist())}
    truth = []
    for q, t in zip(queries, query_tenant, strict=True):
        rows = scopes[int(t)]
        sims = vectors[rows] @ q
        truth.append(rows[np.argsort(-sims)[: config.top_k]])
    name = f"mm_side_{len(vectors)}_{regime.replace(' ', '_')}"
    create_database(server, name)
    url = database_url(server, name)
    runtime: Runtime | None = None
    try:
        migrate(url, dimensions=info.dimensions)
        loaded = load(url, vectors, layout, info, seed=config.seed, progress=config.progress)
        row_of: dict[UUID, int] = {m: i for i, m in enumerate(loaded["ids"])}
        runtime = await Runtime.start(
            search_settings(url, config.work_dir / "runtime"),
            embedder=PrecomputedQueries(info, queries),
            run_worker=False,
        )
        started = time.perf_counter()
        collection = _chroma(vectors, layout, name, config.progress) if config.chroma else None
        chroma_load = time.perf_counter() - started

        def numpy_exact(i: int) -> list[int]:
            if regime == "tenant filter":
                rows = layout.rows_of(int(query_tenant[i]))  # the filter is part of the cost
                sims = vectors[rows] @ queries[i]
                top = np.argpartition(-sims, config.top_k)[: config.top_k]
                return rows[top[np.argsort(-sims[top])]].tolist()
            sims = vectors @ queries[i]
            top = np.argpartition(-sims, config.top_k)[: config.top_k]
            return top[np.argsort(-sims[top])].tolist()

        def chroma(i: int) -> list[int]:
            where = {"tenant": int(query_tenant[i])} if regime == "tenant filter" else None
            answer = collection.query(
                query_embeddings=[queries[i]], n_results=config.top_k, where=where
            )
            return [int(x) for x in answer["ids"][0]]

        async def memory_mesh(i: int) -> list[int]:
            assert runtime is not None
            outcome = await runtime.search.search(
                SearchQuery(
                    tenant_id=layout.tenants[int(query_tenant[i])],
                    query=f"q{i}",
                    mode=SearchMode.vector,
                    top_k=config.top_k,
                )
            )
            return [row_of[h.message.id] for h in outcome.hits]

        systems: dict[str, Any] = {"numpy exact": numpy_exact, "memory mesh": memory_mesh}
        if collection is not None:
            systems["chroma"] = chroma
        names = list(systems)
        seconds: dict[str, list[float]] = {n: [] for n in names}
        recalls: dict[str, list[float]] = {n: [] for n in names}
        for i in range(min(10, len(queries))):  # warm-up
            for n in names:
                result = systems[n](i)
                if asyncio.iscoroutine(result):
                    await result
        for i in tqdm(range(len(queries)), desc=regime, disable=not config.progress):
            for k in range(len(names)):
                n = names[(i + k) % len(names)]
                start = time.perf_counter()
                result = systems[n](i)
                if asyncio.iscoroutine(result):
                    result = await result
                seconds[n].append(time.perf_counter() - start)
                recalls[n].append(_recall(result, truth[i]))
        mm = latency_summary(seconds["memory mesh"])
        out = {"regime": regime, "tenants": len(layout.tenants), "systems": {}}
        for n in names:
            lat = latency_summary(seconds[n])
            out["systems"][n] = {
                "latency_ms": lat,
                "recall_at_10": round(float(np.mean(recalls[n])), 4),
                "p50_ratio_to_memory_mesh": round(lat["p50"] / mm["p50"], 2),
            }
        out["memory_mesh_load"] = loaded["figures"]
        out["chroma_load_seconds"] = round(chroma_load, 1) if collection is not None else None
        return out
    finally:
        if runtime is not None:
            await runtime.stop()
        drop_database(server, name)


def run(config: SideConfig) -> dict[str, Any]:
    config.work_dir.mkdir(parents=True, exist_ok=True)
    corpus = load_corpus(config.locomo)
    embedder = local_embedder(32)
    cache = config.work_dir / "cache"
    real = embed_cached(embedder, [t.text for t in corpus.turns], cache, progress=False)
    questions = pick(corpus.questions, config.queries, config.seed)
    queries = embed_cached(embedder, questions, cache, progress=False)
    vectors = derive_vectors(real, config.size, seed=config.seed + config.size)
    started = time.perf_counter()
    with embedded_server(config.work_dir / "search-db") as server:
        results: dict[str, Any] = {"command": config.command, "machine": describe(server)}
        results["machine"]["chromadb"] = _chroma_version()
        regimes = [
            asyncio.run(_regime(server, config, r, vectors, queries, embedder.info))
            for r in ("no filter", "tenant filter")
        ]
    results["side_by_side"] = {
        "size": config.size,
        "queries": len(queries),
        "top_k": config.top_k,
        "regimes": regimes,
        "notes": "Memory Mesh: service search (vector mode, default plan: exact under "
        "search_exact_max_rows rows of scope, else HNSW halfvec); Chroma: EphemeralClient, "
        "cosine, hnsw defaults; NumPy: one matrix-vector product and argpartition.",
    }
    results["duration_seconds"] = round(time.perf_counter() - started, 1)
    config.out.mkdir(parents=True, exist_ok=True)
    (config.out / "side_by_side.json").write_text(json.dumps(results, indent=2) + "\n")
    (config.out / "side_by_side.md").write_text(markdown(results))
    return results


def _chroma_version() -> str | None:
    try:
        import chromadb
    except ImportError:
        return None
    return str(chromadb.__version__)


def markdown(results: dict[str, Any]) -> str:
    side = results["side_by_side"]
    m = results["machine"]
    lines = [
        "# Side by side: exact NumPy, Chroma embedded, Memory Mesh",
        "",
        f"Reproduce: `{results['command']}` ({m.get('date')}; {m.get('cpu_model')}, "
        f"{m.get('cpu_count')} CPUs; PostgreSQL {m.get('postgres')}, pgvector "
        f"{m.get('pgvector')}, chromadb {m.get('chromadb')}).",
        "",
        f"{side['size']} rows of 384-d vectors (real LoCoMo MiniLM embeddings, then derived), "
        f"{side['queries']} real question embeddings, top {side['top_k']}; recall@10 against "
        "the exact top 10 of the scope. Queries interleaved across systems; one client.",
        "",
        "| regime | system | p50 ms | p95 ms | recall@10 | p50 / Memory Mesh |",
        "|---|---|---|---|---|---|",
    ]
    for block in side["regimes"]:
        for name, s in block["systems"].items():
            lines.append(
                f"| {block['regime']} ({block['tenants']} tenants) | {name} | "
                f"{s['latency_ms']['p50']} | {s['latency_ms']['p95']} | {s['recall_at_10']} | "
                f"{s['p50_ratio_to_memory_mesh']} |"
            )
    lines += ["", side["notes"], ""]
    return "\n".join(lines)


def parse(argv: list[str]) -> SideConfig:
    parser = argparse.ArgumentParser(prog="python -m bench.side_by_side")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--locomo", type=Path, default=DEFAULT_LOCOMO)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument("--work-dir", type=Path)
    parser.add_argument("--no-chroma", action="store_true")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    config = SideConfig(
        size=args.size,
        queries=args.queries,
        locomo=args.locomo,
        out=args.out,
        chroma=not args.no_chroma,
        progress=not args.no_progress,
        command=shlex.join(["python", "-m", "bench.side_by_side", *argv]),
    )
    if args.work_dir is not None:
        config.work_dir = args.work_dir
    return config


def main(argv: list[str] | None = None) -> None:
    config = parse(sys.argv[1:] if argv is None else argv)
    results = run(config)
    print(markdown(results))


if __name__ == "__main__":
    main()
