"""Where one unscoped search's time goes at 100k rows, before and after a change.

    python -m bench.unscoped_profile --work-dir /tmp/mm-bench-unscoped --label after

One tenant holding every row: the side-by-side benchmark's "no filter" regime, the same
derived vectors and question embeddings (bench/side_by_side.py). Each question is
searched in vector mode, top 10, through ``Runtime.search.search`` in this process, its
vector in hand (answered as a cached query). Measured, each over the questions and
``passes`` passes:

- the service call's p50 and recall@10, and the same call with every round trip timed on
  the client, named by its statement (the transaction's start with the tenant's setting,
  the scope count, the plan settings, the search statement, the external ids, the
  commit); what is left is the service's own Python (validation, plan choice, decoding);
- the statement alone: ``EXPLAIN (ANALYZE, BUFFERS)`` of the service's statement for a
  question against the bare walk, ``select id from messages order by
  embedding::halfvec(384) <=> $1 limit 10``, at the same ``hnsw.ef_search``;
- at each ``ef_search`` of ``--ef``: the service's p50 and recall@10 with the bare
  walk's beside it, interleaved question by question.

A run is stored under its ``--label`` in the results; runs of other labels already
there are kept, so ``before`` can be measured on the code before a change (e.g.
``PYTHONPATH=<old checkout>/layers/core``) and ``after`` on the change, each rendered
beside the other.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from psycopg import sql

from bench import cli, markdown, report
from bench.data import derive_vectors, embed_cached, load_corpus, pick
from bench.ingest import local_embedder
from bench.machine import describe, load_average
from bench.search_latency import CachedQueries, database_url, search_settings
from bench.stats import median
from bench.tables import Layout, embedded_server, prepare
from memory_mesh.domain.models import SearchMode, SearchQuery
from memory_mesh.runtime import Runtime
from memory_mesh.store import search as store_search

RESULTS_DIR = cli.RESULTS_DIR
NAME = "unscoped_profile"
BARE = (
    "select id from messages"
    " order by embedding::halfvec({d}) <=> %s::vector::halfvec({d}) limit {k}"
)

# the pooled connection's check, BEGIN and the tenant's setting (in ``db.tenant``)
START = "transaction start (checkout, BEGIN, tenant)"
# the same in a pipeline: statements are queued, sent at the block's end with COMMIT
PIPELINE_START = "checkout (BEGIN, tenant queued)"
PIPELINE_END = "the round trip (BEGIN to COMMIT)"
# a round trip named by its statement's opening (the service's statements, old and new)
PARTS = (
    ("select count(*)", "scope count (plan choice)"),
    ("select set_config('plan_cache_mode'", "plan settings"),
    ("with ", "search statement"),
    ("select c.id", "external ids"),
)


@dataclass(frozen=True)
class ProfileConfig:
    size: int = 100_000
    queries: int = 100
    passes: int = 2
    ef: int = 80  # hnsw.ef_search of the breakdown
    sweep: tuple[int, ...] = (40, 80, 160)
    top_k: int = 10
    seed: int = 7  # as bench/side_by_side.py: the same vectors and questions
    rows_per_conversation: int = 100
    real_vectors: int | None = None  # embed only the first N corpus turns (None: all)
    label: str = "after"
    progress: bool = True
    locomo: Path | None = None
    out: Path = RESULTS_DIR
    work_dir: Path = field(default_factory=lambda: Path("/tmp/mm-bench-unscoped"))
    command: str = ""
    redraw: bool = False


def _part(text: str) -> str:
    opening = text.lstrip()
    for prefix, name in PARTS:
        if opening.startswith(prefix):
            return name
    return "other: " + opening[:30]


class _TimedConn:
    """The connection with each statement's round trip timed (its name -> seconds)."""

    def __init__(self, conn: Any, times: dict[str, float]) -> None:
        self._conn = conn
        self.times = times

    async def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        text = query.as_string(self._conn) if isinstance(query, sql.Composable) else str(query)
        start = time.perf_counter()
        cur = await self._conn.execute(query, params, **kwargs)
        name = _part(text)
        self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - start
        return cur

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def _transaction_name(runtime: Runtime) -> str:
    """The ``Database`` method the service's search runs its transaction in: the tenant
    pipeline (BEGIN to COMMIT in one round trip) where the code has it, else ``tenant``."""
    return "tenant_pipeline" if hasattr(runtime.db, "tenant_pipeline") else "tenant"


def _timed_tenant(runtime: Runtime, times: dict[str, float]) -> Callable[..., Any]:
    """The search's transaction with its start and end timed, its statements too (in a
    pipeline a statement is only queued: its round trip is the end's)."""
    name = _transaction_name(runtime)
    original = getattr(runtime.db, name)
    start_part, end_part = (
        (PIPELINE_START, PIPELINE_END) if name == "tenant_pipeline" else (START, "commit")
    )

    @asynccontextmanager
    async def tenant(tenant_id: str, **kwargs: Any) -> AsyncIterator[Any]:
        start = time.perf_counter()
        async with original(tenant_id, **kwargs) as conn:
            times[start_part] = time.perf_counter() - start
            yield _TimedConn(conn, times)
            start = time.perf_counter()
        times[end_part] = time.perf_counter() - start

    return tenant


class _Explaining:
    """The connection with the search statement run under EXPLAIN (ANALYZE, BUFFERS)."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.plan: dict[str, Any] | None = None

    async def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        text = query.as_string(self._conn) if isinstance(query, sql.Composable) else str(query)
        if not text.lstrip().startswith("with "):
            return await self._conn.execute(query, params, **kwargs)
        cur = await self._conn.execute(
            "explain (analyze, buffers, format json) " + text, params, **kwargs
        )
        row = await cur.fetchone()
        self.plan = next(iter(row.values()))[0]
        return _NoRows()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class _NoRows:
    async def fetchall(self) -> list[dict[str, Any]]:
        return []

    async def fetchone(self) -> None:
        return None


def _explain_figures(plan: dict[str, Any]) -> dict[str, Any]:
    top = plan["Plan"]
    return {
        "planning_ms": round(float(plan.get("Planning Time", 0.0)), 3),
        "execution_ms": round(float(plan.get("Execution Time", 0.0)), 3),
        "buffers": int(top.get("Shared Hit Blocks", 0)) + int(top.get("Shared Read Blocks", 0)),
    }


def _recall(found: list[int], truth: np.ndarray) -> float:
    return len(set(found) & set(truth.tolist())) / len(truth)


def _p50(seconds: list[float]) -> float:
    return round(float(np.percentile(np.asarray(seconds) * 1000, 50)), 3)


async def _measure(
    runtime: Runtime,
    config: ProfileConfig,
    queries: np.ndarray,
    truth: list[np.ndarray],
    row_of: dict[Any, int],
) -> dict[str, Any]:
    service = runtime.search
    default_plan = service.plan
    dims = queries.shape[1]
    bare = BARE.format(d=dims, k=config.top_k)

    def question(i: int) -> SearchQuery:
        return SearchQuery(
            tenant_id="all", query=f"q{i}", mode=SearchMode.vector, top_k=config.top_k
        )

    async def service_search(i: int) -> list[int]:
        outcome = await service.search(question(i))
        return [row_of[h.message.id] for h in outcome.hits]

    transaction_name = _transaction_name(runtime)
    transaction = getattr(runtime.db, transaction_name)

    async def bare_walk(i: int, ef: int) -> list[int]:
        async with transaction("all") as conn:  # as the service's search runs
            await conn.execute(sql.SQL("set local hnsw.ef_search = {}").format(sql.Literal(ef)))
            cur = await conn.execute(bare, [queries[i]])
        return [row_of[r["id"]] for r in await cur.fetchall()]

    # the walk the service makes at least: its candidate count
    candidates = max(config.top_k * default_plan.candidate_multiplier, 50)
    out: dict[str, Any] = {"load_average_at_start": load_average()}
    try:
        service.plan = replace(default_plan, ef_search=config.ef)
        for i in range(min(10, len(queries))):  # warm: caches, prepared statements
            await service_search(i)
        # 1. the service call, plain and with its round trips timed
        plain: list[float] = []
        recalls: list[float] = []
        parts: dict[str, list[float]] = {}
        timed_total: list[float] = []
        original = transaction
        for p in range(config.passes):
            for i in range(len(queries)):
                start = time.perf_counter()
                found = await service_search(i)
                plain.append(time.perf_counter() - start)
                if p == 0:
                    recalls.append(_recall(found, truth[i]))
                times: dict[str, float] = {}
                setattr(runtime.db, transaction_name, _timed_tenant(runtime, times))
                try:
                    start = time.perf_counter()
                    await service_search(i)
                    total = time.perf_counter() - start
                finally:
                    setattr(runtime.db, transaction_name, original)
                timed_total.append(total)
                times["the service's Python (the rest)"] = total - sum(times.values())
                for name, seconds in times.items():
                    parts.setdefault(name, []).append(seconds)
        out["service"] = {
            "transaction": transaction_name,
            "ef_search": config.ef,
            "effective_ef": max(config.ef, candidates),
            "p50_ms": _p50(plain),
            "recall_at_10": round(float(np.mean(recalls)), 4),
            "timed_p50_ms": _p50(timed_total),
            "parts_p50_ms": {name: _p50(s) for name, s in parts.items()},
            "parts_calls": {name: len(s) for name, s in parts.items()},
        }
        # 2. the statement alone, against the bare walk at the same ef_search
        explained: list[dict[str, Any]] = []
        bare_explained: list[dict[str, Any]] = []
        for i in range(min(20, len(queries))):
            async with runtime.db.tenant("all") as conn:
                proxy = _Explaining(conn)
                await store_search.run_search(
                    proxy,  # type: ignore[arg-type]
                    query=question(i),
                    query_vector=queries[i],
                    model=runtime.embedder.info.model,
                    weights=service.weights,
                    config=service.plan,
                    plan="hnsw",
                )
                if proxy.plan is not None:
                    explained.append(_explain_figures(proxy.plan))
            async with runtime.db.tenant("all") as conn:
                ef = max(config.ef, candidates)
                await conn.execute(sql.SQL("set local hnsw.ef_search = {}").format(sql.Literal(ef)))
                cur = await conn.execute(
                    "explain (analyze, buffers, format json) " + bare, [queries[i]]
                )
                row = await cur.fetchone()
                assert row is not None
                bare_explained.append(_explain_figures(next(iter(row.values()))[0]))
        out["explain"] = {
            name: {key: round(median([float(e[key]) for e in rows]), 1) for key in rows[0]}
            for name, rows in (("service statement", explained), ("bare walk", bare_explained))
            if rows
        }
        # 3. the sweep: the service and the bare walk, interleaved question by question
        sweep = []
        for ef in config.sweep:
            service.plan = replace(default_plan, ef_search=ef)
            walk_ef = max(ef, candidates)
            times_s: list[float] = []
            times_b: list[float] = []
            rec_s: list[float] = []
            rec_b: list[float] = []
            for p in range(config.passes):
                for i in range(len(queries)):
                    start = time.perf_counter()
                    found = await service_search(i)
                    times_s.append(time.perf_counter() - start)
                    start = time.perf_counter()
                    walked = await bare_walk(i, walk_ef)
                    times_b.append(time.perf_counter() - start)
                    if p == 0:
                        rec_s.append(_recall(found, truth[i]))
                        rec_b.append(_recall(walked, truth[i]))
            sweep.append(
                {
                    "ef_search": ef,
                    "effective_ef": walk_ef,
                    "service_p50_ms": _p50(times_s),
                    "service_recall_at_10": round(float(np.mean(rec_s)), 4),
                    "bare_p50_ms": _p50(times_b),
                    "bare_recall_at_10": round(float(np.mean(rec_b)), 4),
                }
            )
        out["sweep"] = sweep
    finally:
        service.plan = default_plan
    out["load_average_at_end"] = load_average()
    return out


def _code() -> str:
    """The checkout whose ``memory_mesh`` ran, and its commit."""
    import subprocess

    import memory_mesh

    root = Path(memory_mesh.__file__).resolve().parents[3]
    found = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return f"{root.name} at {found.stdout.strip() or 'unknown commit'}"


def run(config: ProfileConfig) -> dict[str, Any]:
    config.work_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    corpus = load_corpus(config.locomo)
    embedder = local_embedder(32)
    cache = config.work_dir / "cache"
    texts = [t.text for t in corpus.turns[: config.real_vectors]]
    real = embed_cached(embedder, texts, cache, progress=False)
    questions = pick(corpus.questions, config.queries, config.seed)
    queries = embed_cached(embedder, questions, cache, progress=False)
    vectors = derive_vectors(real, config.size, seed=config.seed + config.size)
    truth = [np.argsort(-(vectors @ q))[: config.top_k] for q in queries]
    layout = Layout.single(len(vectors), config.rows_per_conversation)
    with embedded_server(config.work_dir / "profile-db") as server:
        name = f"mm_unscoped_{config.size}"
        url = database_url(server, name)
        loaded = prepare(
            server,
            name,
            url,
            vectors,
            layout,
            embedder.info,
            seed=config.seed,
            keep=True,
            progress=config.progress,
        )
        row_of = {m: i for i, m in enumerate(loaded["ids"])}
        machine = describe(server)

        async def measure() -> dict[str, Any]:
            runtime = await Runtime.start(
                search_settings(url, config.work_dir / "runtime"),
                embedder=CachedQueries(embedder.info, queries),
                run_worker=False,
            )
            try:
                return await _measure(runtime, config, queries, truth, row_of)
            finally:
                await runtime.stop()

        measured = asyncio.run(measure())
    path = config.out / f"{NAME}.json"
    previous: dict[str, Any] = json.loads(path.read_text("utf-8")) if path.exists() else {}
    runs = dict(previous.get("runs", {}))
    measured |= {
        "command": config.command,
        "code": _code(),
        "machine": machine,
        "seconds": round(time.perf_counter() - started, 1),
        "hnsw_definitions": loaded["figures"].get("hnsw_definitions", []),
    }
    runs[config.label] = measured
    results = {
        "size": config.size,
        "queries": len(queries),
        "passes": config.passes,
        "top_k": config.top_k,
        "corpus": {"source": corpus.source, "real_vectors": len(real)},
        "runs": runs,
    }
    report.write_json_and_markdown(results, config.out, NAME, render)
    return results


def _order(runs: dict[str, Any]) -> list[str]:
    return sorted(runs, key=lambda label: (label != "before", label != "after", label))


def render(results: dict[str, Any]) -> str:
    runs = results["runs"]
    labels = _order(runs)
    lines = [
        "# One unscoped search at 100k rows, broken down",
        "",
        f"{results['size']:,} rows of {results['corpus']['real_vectors']:,} real LoCoMo "
        "MiniLM vectors and mixes of them (as bench/side_by_side.py), one tenant holding "
        f"every row; {results['queries']} real questions' embeddings, top "
        f"{results['top_k']}, recall@10 against the exact top 10; {results['passes']} "
        "passes. Each search through `Runtime.search.search` in process, vector mode, the "
        "query vector in hand (a cached query). Runs:",
        "",
    ]
    for label in labels:
        run_ = runs[label]
        m = run_["machine"]
        lines.append(
            f"- **{label}** (code: {run_.get('code', 'unrecorded')}): `{run_['command']}` "
            f"({m.get('date')}; {m.get('cpu_count')} "
            f"CPUs; PostgreSQL {m.get('postgres')}, pgvector {m.get('pgvector')}). Load "
            f"average {markdown.load(run_.get('load_average_at_start'))} at the start, "
            f"{markdown.load(run_.get('load_average_at_end'))} at the end; "
            f"{run_['seconds']} s. Index: {'; '.join(run_['hnsw_definitions'])}"
        )
    lines += ["", "## The service call and its round trips (p50 ms)", ""]
    names: list[str] = []
    for label in labels:
        for name in runs[label]["service"]["parts_p50_ms"]:
            if name not in names:
                names.append(name)
    rows: list[list[object]] = []
    for key, title in (
        ("p50_ms", "service call"),
        ("recall_at_10", "recall@10"),
        ("timed_p50_ms", "service call, round trips timed"),
    ):
        rows.append([title, *(runs[label]["service"][key] for label in labels)])
    for name in names:
        rows.append(
            [
                f"- {name}",
                *(runs[label]["service"]["parts_p50_ms"].get(name, "none") for label in labels),
            ]
        )
    ef_note = ", ".join(
        f"{label} at ef_search {runs[label]['service']['ef_search']} "
        f"(walks {runs[label]['service']['effective_ef']})"
        for label in labels
    )
    lines += markdown.table("part | " + " | ".join(labels), rows)
    lines += [
        "",
        f"Parts are each one's own p50 (they need not add up to the call's); {ef_note}.",
        "",
        "## The statement in PostgreSQL (EXPLAIN ANALYZE, median over the first 20 questions)",
        "",
    ]
    rows = []
    for label in labels:
        for name, figures in runs[label]["explain"].items():
            rows.append(
                [
                    label,
                    name,
                    figures["planning_ms"],
                    figures["execution_ms"],
                    figures["buffers"],
                ]
            )
    lines += markdown.table(
        "run | statement | planning ms | execution ms | buffers", rows, text_columns=2
    )
    lines += [
        "",
        "EXPLAIN plans the statement anew each time; the service's HNSW vector statement "
        "is prepared and reuses its generic plan on a connection after its 5th run (the "
        "after run), so a search pays no planning then.",
        "",
        "## ef_search sweep: the service beside the bare walk (interleaved)",
        "",
    ]
    rows = []
    for label in labels:
        for point in runs[label]["sweep"]:
            rows.append(
                [
                    label,
                    point["ef_search"],
                    point["effective_ef"],
                    point["service_p50_ms"],
                    point["service_recall_at_10"],
                    point["bare_p50_ms"],
                    point["bare_recall_at_10"],
                    round(point["service_p50_ms"] / point["bare_p50_ms"], 2),
                ]
            )
    lines += markdown.table(
        "run | ef_search | walks | service p50 ms | service recall | bare p50 ms | "
        "bare recall | service / bare",
        rows,
    )
    lines += [
        "",
        "The bare walk: `select id from messages order by embedding::halfvec(384) <=> $1 "
        "limit 10` at the same ef_search (what the service walks), no ranking, no columns, "
        "in a tenant transaction as the service's (BEGIN, the tenant's setting, `SET LOCAL "
        "hnsw.ef_search`, the statement, COMMIT). Absolute figures follow the machine's load (2 "
        "shared cores; the load averages above): compare within a run.",
        "",
    ]
    return "\n".join(lines)


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def parse(argv: list[str]) -> ProfileConfig:
    parser = argparse.ArgumentParser(prog="python -m bench.unscoped_profile")
    parser.add_argument("--size", type=int)
    parser.add_argument("--queries", type=int)
    parser.add_argument("--passes", type=int)
    parser.add_argument("--ef", type=int, help="hnsw.ef_search of the breakdown")
    parser.add_argument("--sweep", type=_ints, help="e.g. 40,80,160")
    parser.add_argument("--label", help="the run's name in the results (before, after)")
    cli.add_common_arguments(parser, RESULTS_DIR, redraw=True)
    args = parser.parse_args(argv)
    return cli.from_args(
        ProfileConfig, args, **cli.common_fields(args, "bench.unscoped_profile", argv)
    )


def main(argv: list[str] | None = None) -> None:
    config = cli.start(parse, argv)
    results = report.redraw(config.out, NAME, render) if config.redraw else run(config)
    print(render(results))


if __name__ == "__main__":
    main()
