"""Search throughput under concurrent clients: queries per second and latency p50 / p95 /
p99 for 1, 2, 4, 8 and 16 clients, each client sending its next search as soon as the
last one is answered (closed loop).

    python -m bench.concurrency                          # 100k rows, ~8 minutes
    python -m bench.concurrency --rows 20000 --seconds 3 --rounds 1   # a quick look

Two transports, measured side by side:
- ``http``: ``GET /v1/memory/search`` against a real ``memory-mesh serve`` process (its
  settings as shipped, the query-embedding cache switched off so every request runs the
  local model, as distinct questions would): HTTP, authentication, the model, the plan
  choice and the SQL all count. The server uses a benchmark database of this process's
  embedded PostgreSQL (``MEMORY_DATABASE_URL``), filled by binary COPY like the search
  benchmark's; a user signed in through ``/v1/auth`` is made a member of its tenants.
- ``service``: ``Runtime.search.search`` in this process with a pool of as many
  connections as clients and the questions' vectors precomputed: service + database only.

Two workloads, each in its own database: ``scoped`` (each search in one tenant of
``rows_per_tenant`` rows among many: the exact plan) and ``unscoped`` (one tenant holding
every row: the HNSW plan). In each round every (workload, transport, clients) level runs
for ``seconds`` in a rotated order, so machine load from other processes is spread over
all levels; each figure is the median of the rounds, and the speed-up over one client is
the median of the per-round ratios. The share of the machine's CPU in use during each
level (``/proc/stat``) and the load generator's own CPU are recorded: on 2 cores the
plateau is where the CPUs are full.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg
from tqdm import tqdm

from bench import cli, report
from bench.data import Corpus, derive_vectors, embed_cached, load_corpus, pick
from bench.ingest import SERVER_ENV, local_embedder, sign_in
from bench.machine import load_average, run_record
from bench.search_latency import (
    PrecomputedQueries,
    SearchConfig,
    database_url,
    layout_for,
    search_settings,
)
from bench.server import ServerProcess
from bench.stats import latency_summary, median
from bench.tables import drop_database, embedded_server, prepare
from memory_mesh.config import Settings
from memory_mesh.domain.models import SearchMode, SearchQuery
from memory_mesh.embeddings import Embedder
from memory_mesh.runtime import Runtime

log = logging.getLogger(__name__)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TRANSPORTS = ("http", "service")
BASELINE = "http-baseline"  # the server from another checkout (``--baseline-src``)
WORKLOADS = ("scoped", "unscoped")


@dataclass(frozen=True)
class ConcurrencyConfig:
    rows: int = 100_000
    rows_per_tenant: int = 100
    rows_per_conversation: int = 100
    clients: tuple[int, ...] = (1, 2, 4, 8, 16)
    seconds: float = 5.0  # per level and round
    warmup_seconds: float = 1.0  # per workload and transport, before the first round
    rounds: int = 3
    workloads: tuple[str, ...] = WORKLOADS
    transports: tuple[str, ...] = TRANSPORTS
    top_k: int = 10
    seed: int = 7
    real_vectors: int | None = None  # embed only the first N corpus turns (None: all)
    questions: int | None = None  # questions asked, spread over the corpus (None: all)
    keep_databases: bool = False
    baseline_src: Path | None = None  # another checkout's layers/core: an HTTP server of it too
    query_cache: bool = False  # http: the server's query-embedding cache on (repeated questions)
    progress: bool = True


@dataclass
class Level:
    """One timed burst: ``clients`` closed-loop clients for a fixed time."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    stack_cpu_seconds: float | None = None  # client + servers + PostgreSQL processes
    cpu_busy: float | None = None  # share of all CPUs busy during the burst (machine-wide)

    def figures(self) -> dict[str, Any]:
        done = len(self.latencies)
        return {
            "queries": done,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "qps": round(done / self.seconds, 2) if self.seconds else 0.0,
            "latency_ms": latency_summary(self.latencies) if done else None,
            "client_cpu_share": round(self.client_cpu_seconds / self.seconds, 3)
            if self.seconds
            else None,
            # CPU the benchmark's own processes used, in cores and per query: what a
            # query costs, whatever else runs on the machine
            "stack_cpu_cores": round(self.stack_cpu_seconds / self.seconds, 3)
            if self.seconds and self.stack_cpu_seconds is not None
            else None,
            "stack_cpu_ms_per_query": round(1000 * self.stack_cpu_seconds / done, 3)
            if done and self.stack_cpu_seconds is not None
            else None,
            "machine_cpu_busy": self.cpu_busy,
        }


def _cpu_times() -> tuple[int, int] | None:
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])
    return total - idle, total


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _process_cpu(pid: int) -> tuple[int, float] | None:
    """(parent pid, user + system CPU seconds) of ``pid``, from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


class StackCpu:
    """CPU seconds used so far by the benchmark's stack: this process, the servers it
    started (``pids``) and every process of the embedded PostgreSQL (children of the
    postmaster whose pid ``pgdata/postmaster.pid`` names)."""

    def __init__(self, pgdata: Path | None) -> None:
        self.pgdata = pgdata
        self.pids: list[int] = []

    def _postmaster(self) -> int | None:
        try:
            return (
                int((self.pgdata / "postmaster.pid").read_text().split()[0])
                if self.pgdata
                else None
            )
        except (OSError, ValueError, IndexError):
            return None

    def __call__(self) -> float | None:
        if not Path("/proc/self/stat").exists():
            return None
        total = time.process_time()
        for pid in self.pids:
            found = _process_cpu(pid)
            total += found[1] if found else 0.0
        postmaster = self._postmaster()
        if postmaster is not None:
            for entry in os.listdir("/proc"):
                if entry.isdigit():
                    found = _process_cpu(int(entry))
                    if found and (found[0] == postmaster or int(entry) == postmaster):
                        total += found[1]
        return total


async def closed_loop(
    clients: int,
    seconds: float,
    send: Callable[[int, int], Awaitable[bool]],
    stack_cpu: Callable[[], float | None] | None = None,
) -> Level:
    """``clients`` tasks each calling ``send(client, n)`` back to back until ``seconds``
    have passed; a call in flight at the deadline is awaited and counted."""
    level = Level()
    deadline = time.perf_counter() + seconds

    async def client(index: int) -> None:
        n = 0
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            ok = await send(index, n)
            if ok:
                level.latencies.append(time.perf_counter() - start)
            else:
                level.errors += 1
            n += 1

    stack_before = stack_cpu() if stack_cpu else None
    cpu_before, process_before = _cpu_times(), time.process_time()
    start = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    level.seconds = time.perf_counter() - start
    level.client_cpu_seconds = time.process_time() - process_before
    stack_after = stack_cpu() if stack_cpu else None
    if stack_before is not None and stack_after is not None:
        level.stack_cpu_seconds = stack_after - stack_before
    cpu_after = _cpu_times()
    if cpu_before and cpu_after and cpu_after[1] > cpu_before[1]:
        busy = (cpu_after[0] - cpu_before[0]) / (cpu_after[1] - cpu_before[1])
        level.cpu_busy = round(busy, 3)
    return level


class Target(ABC):
    """What one (workload, transport) pair sends: ``send(client, n)`` runs search number
    ``n`` of ``client`` and says whether it succeeded."""

    def __init__(self, workload: str, transport: str) -> None:
        self.workload = workload
        self.transport = transport
        self.errors: list[str] = []

    @abstractmethod
    async def send(self, client: int, n: int) -> bool: ...

    async def close(self) -> None:
        return None


class HttpTarget(Target):
    def __init__(
        self,
        workload: str,
        base_url: str,
        headers: dict[str, str],
        questions: Sequence[str],
        tenants: Sequence[str],
        rng: np.random.Generator,
        top_k: int,
        clients: int,
        transport: str = "http",
    ) -> None:
        super().__init__(workload, transport)
        self.http = httpx.AsyncClient(
            base_url=base_url,
            headers=headers,
            timeout=120.0,
            limits=httpx.Limits(max_connections=clients, max_keepalive_connections=clients),
        )
        self.params = [
            {
                "query": questions[i % len(questions)],
                "tenant_id": tenants[int(t)],
                "mode": "vector",
                "top_k": str(top_k),
            }
            for i, t in enumerate(rng.integers(len(tenants), size=4 * len(questions)))
        ]

    async def send(self, client: int, n: int) -> bool:
        params = self.params[(client * 7919 + n) % len(self.params)]
        response = await self.http.get("/v1/memory/search", params=params)
        if response.status_code != 200:
            if len(self.errors) < 5:
                self.errors.append(f"{response.status_code} {response.text[:200]}")
            return False
        return True

    async def close(self) -> None:
        await self.http.aclose()


class ServiceTarget(Target):
    def __init__(
        self, workload: str, runtime: Runtime, tenants: Sequence[str], count: int, top_k: int
    ) -> None:
        super().__init__(workload, "service")
        self.runtime = runtime
        self.queries = [
            SearchQuery(
                tenant_id=tenants[i],
                query=f"q{i % count}",
                mode=SearchMode.vector,
                top_k=top_k,
            )
            for i in range(4 * count)
        ]

    async def send(self, client: int, n: int) -> bool:
        await self.runtime.search.search(self.queries[(client * 7919 + n) % len(self.queries)])
        return True

    async def close(self) -> None:
        await self.runtime.stop()


def add_member(url: str, email: str) -> None:
    """Make the user ``email`` a member of every tenant of the database at ``url``."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "insert into tenant_members (tenant_id, user_id, role)"
            " select t.id, u.id, 'member' from tenants t, users u where u.email = %s"
            " on conflict do nothing",
            [email],
        )


def _bench_user(http: httpx.Client, url: str, workload: str) -> dict[str, str]:
    """Sign a fresh user in (its own tenant), then add it to the loaded tenants."""
    tenant = f"bench-{workload}-{int(time.time() * 1000) % 10**9}"
    headers = sign_in(http, tenant)
    if headers:
        add_member(url, f"{tenant}@bench.example.com")
    return headers


@dataclass
class TargetSpec:
    """What a target needs, prepared before the event loop starts."""

    workload: str
    transport: str
    url: str  # the database
    tenants: list[str]
    base_url: str = ""  # http: the server
    headers: dict[str, str] = field(default_factory=dict)


def run_concurrency(
    corpus: Corpus, server: str, work_dir: Path, embedder: Embedder, config: ConcurrencyConfig
) -> dict[str, Any]:
    """Fill the workloads' databases on the embedded server at ``server``, start the
    servers and measure every level; the databases are dropped unless kept."""
    info = embedder.info
    cache = work_dir / "cache"
    real = embed_cached(
        embedder,
        [t.text for t in corpus.turns[: config.real_vectors]],
        cache,
        progress=config.progress,
        label="embed corpus",
    )
    questions = pick(corpus.questions, config.questions or len(corpus.questions), config.seed)
    vectors = derive_vectors(real, config.rows, seed=config.seed + config.rows)
    query_vectors = embed_cached(embedder, questions, cache, progress=config.progress)
    layout_config = SearchConfig(
        rows_per_tenant=config.rows_per_tenant, rows_per_conversation=config.rows_per_conversation
    )
    servers: list[ServerProcess] = []
    specs: list[TargetSpec] = []
    names: list[str] = []
    try:
        for workload in config.workloads:
            layout = layout_for(workload, config.rows, layout_config)
            name = f"mm_bench_{config.rows}_{workload}"  # the search benchmark's, if kept
            names.append(name)
            url = database_url(server, name)
            if config.progress:
                tqdm.write(f"concurrency: {config.rows:,} rows, {workload}")
            prepare(
                server,
                name,
                url,
                vectors,
                layout,
                info,
                seed=config.seed + config.rows,
                keep=config.keep_databases,
                progress=config.progress,
            )
            transports = list(config.transports)
            if config.baseline_src is not None and "http" in transports:
                transports.append(BASELINE)
            for transport in transports:
                spec = TargetSpec(workload, transport, url, list(layout.tenants))
                if transport in ("http", BASELINE):
                    env = dict(SERVER_ENV, MEMORY_DATABASE_URL=url)
                    if not config.query_cache:
                        env["MEMORY_EMBEDDING_QUERY_CACHE_SIZE"] = "0"
                    if transport == BASELINE:
                        assert config.baseline_src is not None
                        env["PYTHONPATH"] = str(config.baseline_src.resolve())
                    process = ServerProcess(work_dir / f"conc-server-{workload}-{transport}", **env)
                    servers.append(process)
                    spec.base_url = process.url()
                    with httpx.Client(base_url=spec.base_url, timeout=60.0) as http:
                        spec.headers = _bench_user(http, url, workload)
                specs.append(spec)
        stack = StackCpu(work_dir / "search-db" / "pgdata")
        stack.pids = [process.process.pid for process in servers]
        session = asyncio.run(
            _session(specs, config, questions, query_vectors, work_dir / "runtime", embedder, stack)
        )
    finally:
        for process in servers:
            process.stop()
        if not config.keep_databases:
            for name in names:
                drop_database(server, name)
    return {
        "config": {
            k: str(v) if isinstance(v, Path) else v
            for k, v in asdict(config).items()
            if k != "progress"
        },
        "model": asdict(info),
        "questions": len(questions),
        "server_settings": {
            "MEMORY_EMBEDDING_QUERY_CACHE_SIZE": "default" if config.query_cache else "0",
            "db_pool_max_size": Settings.model_fields["db_pool_max_size"].default,
        },
        **session,
    }


async def _session(
    specs: list[TargetSpec],
    config: ConcurrencyConfig,
    questions: Sequence[str],
    query_vectors: np.ndarray,
    data_dir: Path,
    embedder: Embedder,
    stack: StackCpu | None = None,
) -> dict[str, Any]:
    most = max(config.clients)
    targets: list[Target] = []
    try:
        for spec in specs:
            rng = np.random.default_rng(config.seed)
            if spec.transport in ("http", BASELINE):
                targets.append(
                    HttpTarget(
                        spec.workload,
                        spec.base_url,
                        spec.headers,
                        questions,
                        spec.tenants,
                        rng,
                        config.top_k,
                        most,
                        spec.transport,
                    )
                )
            else:
                settings = search_settings(spec.url, data_dir).model_copy(
                    update={"db_pool_min_size": 1, "db_pool_max_size": max(most, 2)}
                )
                runtime = await Runtime.start(
                    settings,
                    embedder=PrecomputedQueries(embedder.info, query_vectors),
                    run_worker=False,
                )
                tenants = [
                    spec.tenants[int(t)]
                    for t in rng.integers(len(spec.tenants), size=4 * len(questions))
                ]
                targets.append(
                    ServiceTarget(spec.workload, runtime, tenants, len(questions), config.top_k)
                )
        levels = await _measure(targets, config, stack)
    finally:
        for target in targets:
            await target.close()
    return {
        "levels": levels,
        "error_samples": {
            f"{t.workload}/{t.transport}": t.errors
            for t in targets
            if isinstance(t, HttpTarget) and t.errors
        },
    }


async def _measure(
    targets: list[Target], config: ConcurrencyConfig, stack: StackCpu | None = None
) -> list[dict[str, Any]]:
    """Every (target, clients) level, rotated through ``rounds`` rounds."""
    for target in targets:
        await closed_loop(max(config.clients), config.warmup_seconds, target.send)
    combos = [(t, c) for t in range(len(targets)) for c in config.clients]
    runs: dict[tuple[int, int], list[Level]] = {}
    with tqdm(
        total=len(combos) * config.rounds, desc="  levels", disable=not config.progress
    ) as bar:
        for round_ in range(config.rounds):
            # rotate the order, and reverse every other round: no level always goes first
            order = combos[round_ % len(combos) :] + combos[: round_ % len(combos)]
            if round_ % 2:
                order.reverse()
            for t_index, clients in order:
                level = await closed_loop(clients, config.seconds, targets[t_index].send, stack)
                runs.setdefault((t_index, clients), []).append(level)
                bar.update()
    out = []
    for t_index, target in enumerate(targets):
        for clients in config.clients:
            figures = [lv.figures() for lv in runs[(t_index, clients)]]
            one = [lv.figures() for lv in runs[(t_index, min(config.clients))]]
            speedups = [f["qps"] / b["qps"] for f, b in zip(figures, one, strict=True) if b["qps"]]
            with_latency = [f["latency_ms"] for f in figures if f["latency_ms"]]
            out.append(
                {
                    "workload": target.workload,
                    "transport": target.transport,
                    "clients": clients,
                    "qps": round(median([f["qps"] for f in figures]), 2),
                    "speedup_vs_1": round(median(speedups), 3) if speedups else None,
                    "latency_ms": {
                        key: round(median([lat[key] for lat in with_latency]), 3)
                        for key in ("p50", "p95", "p99", "mean")
                    }
                    if with_latency
                    else None,
                    "errors": sum(f["errors"] for f in figures),
                    "machine_cpu_busy": _median_or_none([f["machine_cpu_busy"] for f in figures]),
                    "client_cpu_share": _median_or_none([f["client_cpu_share"] for f in figures]),
                    "stack_cpu_cores": _median_or_none([f["stack_cpu_cores"] for f in figures]),
                    "stack_cpu_ms_per_query": _median_or_none(
                        [f["stack_cpu_ms_per_query"] for f in figures]
                    ),
                    "rounds": figures,
                }
            )
    return out


def _median_or_none(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(median(present), 3) if present else None


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


@dataclass
class Options(cli.Options[ConcurrencyConfig]):
    name: str = "concurrency"
    command: str = "python -m bench.concurrency"
    plot: bool = True


def run(options: Options) -> dict[str, Any]:
    started = time.perf_counter()
    options.work_dir.mkdir(parents=True, exist_ok=True)
    corpus = load_corpus(options.locomo)
    with embedded_server(options.work_dir / "search-db") as server:
        embedder = local_embedder(32)
        results: dict[str, Any] = run_record(options.command, server, corpus, embedder.info)
        results["concurrency"] = run_concurrency(
            corpus, server, options.work_dir, embedder, options.config
        )
    results["machine"]["load_average_at_end"] = load_average()
    results["duration_seconds"] = round(time.perf_counter() - started, 1)
    report.write_concurrency(results, options.out, options.name)
    if options.plot:
        from bench.plots import throughput_curve

        throughput_curve(results, options.out / f"{options.name}.png")
    return results


def parse(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.concurrency", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rows", type=int, default=100_000, help="rows per database (100000)")
    parser.add_argument("--clients", type=_ints, default=(1, 2, 4, 8, 16), help="1,2,4,8,16")
    parser.add_argument("--seconds", type=float, default=5.0, help="per level and round (5)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (3)")
    parser.add_argument("--workloads", type=_names, default=WORKLOADS, help="scoped,unscoped")
    parser.add_argument("--transports", type=_names, default=TRANSPORTS, help="http,service")
    parser.add_argument("--keep-databases", action="store_true", help="keep/reuse databases")
    parser.add_argument(
        "--baseline-src", type=Path, help="another checkout's layers/core: its server too"
    )
    parser.add_argument(
        "--query-cache", action="store_true", help="http: keep the query-embedding cache on"
    )
    parser.add_argument("--no-plot", dest="plot", action="store_false")
    cli.add_common_arguments(parser, RESULTS_DIR, "concurrency")
    args = parser.parse_args(argv)
    for value, allowed in ((args.workloads, WORKLOADS), (args.transports, TRANSPORTS)):
        if not value or not set(value) <= set(allowed):
            parser.error(f"choose from {', '.join(allowed)}")
    return Options(
        config=cli.from_args(ConcurrencyConfig, args),
        plot=args.plot,
        **cli.options_fields(args, "bench.concurrency", argv),
    )


def main(argv: list[str] | None = None) -> None:
    options = cli.start(parse, argv)
    results = run(options)
    print(f"wrote {options.out / (options.name + '.json')} and .md")
    for level in results["concurrency"]["levels"]:
        latency = level["latency_ms"] or {}
        print(
            f"{level['workload']:<9} {level['transport']:<8} {level['clients']:>3} clients: "
            f"{level['qps']:8.1f} q/s  x{level['speedup_vs_1'] or 0:.2f}  "
            f"p50 {latency.get('p50', 0):7.2f} ms  p99 {latency.get('p99', 0):7.2f} ms  "
            f"cpu {level['machine_cpu_busy']}"
        )


if __name__ == "__main__":
    main()
