"""What a search costs over HTTP next to the same search called in process, and where
the server's time goes (py-spy).

    python -m bench.http_overhead                       # ~3 minutes
    python -m bench.http_overhead --baseline-src ../main/layers/core --profile-seconds 15

One benchmark database (one tenant, conversations of ``rows_per_conversation`` rows; the
search is scoped to one conversation, so the exact plan runs) and, in one run, measured
one request at a time and interleaved round by round:

- ``model``: ``embed_query`` of a new text in this process (the local model alone);
- ``service``: ``Runtime.search.search`` in this process (real local model + query cache,
  the server's default settings), the questions' embeddings cached (``warm``) or not
  (``cold``: every text new);
- ``http``: ``GET /v1/memory/search`` against a real ``memory-mesh serve`` (Redis rate
  limiter, like a deployment), authenticated by bearer token or API key, warm and cold;
- ``floor``: an authenticated ``GET /v1/conversations?limit=1`` (HTTP + auth + limiter).

CPU per request is read from /proc: the server process plus every PostgreSQL backend
(the load generator's own CPU is left out; in process it is the caller's CPU plus
PostgreSQL's). ``--baseline-src`` starts a second server from another checkout's code
(e.g. ``main`` before a change) on the same database, measured in the same rounds, so
before and after are side by side.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg

from bench import cli, report
from bench.data import derive_vectors, embed_cached, pick
from bench.explain import explain_search
from bench.http_overhead_report import markdown
from bench.ingest import SERVER_ENV, local_embedder, sign_in
from bench.search_latency import database_url
from bench.server import ServerProcess
from bench.stats import latency_summary, median
from bench.tables import Layout, prepare, row_ids
from memory_mesh.config import Settings
from memory_mesh.domain.models import SearchMode, SearchQuery
from memory_mesh.runtime import Runtime

log = logging.getLogger(__name__)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TENANT = "all"  # Layout.single's one tenant


@dataclass(frozen=True)
class OverheadConfig:
    rows: int = 15_000
    rows_per_conversation: int = 1_500
    requests: int = 200  # per case and round
    rounds: int = 3
    questions: int = 200
    redis: bool = True
    baseline_src: Path | None = None  # another checkout's layers/core, served side by side
    profile_seconds: float = 0.0  # py-spy on each server while it answers warm searches
    profile_clients: int = 1  # closed-loop clients sending searches while py-spy records
    turns: int | None = None  # embed only the first N corpus turns (None: all)
    seed: int = 7
    progress: bool = True


# --- CPU from /proc -------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def postgres_cpu(pgdata: Path) -> float:
    """CPU seconds of the postmaster of ``pgdata`` and all its children, so far."""
    try:
        postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            found = _stat(int(entry))
            if found and (found[0] == postmaster or int(entry) == postmaster):
                total += found[1]
    return total


def process_cpu(pid: int) -> float:
    found = _stat(pid)
    return found[1] if found else 0.0


# --- cases ----------------------------------------------------------------------------


@dataclass
class Case:
    """One kind of request, sent ``requests`` times a round, one at a time."""

    name: str
    # sends one request; may answer the server's own timings (its Server-Timing header)
    send: Callable[[int], Awaitable[dict[str, float] | None]]
    cpu: Callable[[], float]  # CPU seconds so far of what serves the request
    latencies: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # per request, one value a round
    p50s: list[float] = field(default_factory=list)
    server_timing: dict[str, list[float]] = field(default_factory=dict)  # ms, by part

    async def round(self, requests: int, offset: int) -> None:
        before = self.cpu()
        times = []
        for i in range(requests):
            start = time.perf_counter()
            timing = await self.send(offset + i)
            times.append(time.perf_counter() - start)
            for part, ms in (timing or {}).items():
                self.server_timing.setdefault(part, []).append(ms)
        self.cpu_ms.append(1000 * (self.cpu() - before) / requests)
        self.latencies.extend(times)
        self.p50s.append(float(np.percentile(times, 50)) * 1000)

    def figures(self) -> dict[str, Any]:
        figures = {
            "latency_ms": latency_summary(self.latencies),
            "p50_ms_per_round": [round(v, 3) for v in self.p50s],
            "cpu_ms_per_request": round(median(self.cpu_ms), 3),
            "cpu_ms_per_round": [round(v, 3) for v in self.cpu_ms],
        }
        if self.server_timing:
            timing = {part: round(median(v), 3) for part, v in self.server_timing.items()}
            figures["server_timing_p50_ms"] = timing
        return figures


class Server:
    """A `memory-mesh serve` on the benchmark database, with a signed-in user who is
    admin of the benchmark tenant and holds an API key for it."""

    def __init__(
        self, label: str, work_dir: Path, url: str, redis_url: str | None, src: Path | None
    ) -> None:
        env = dict(SERVER_ENV, MEMORY_DATABASE_URL=url)
        if redis_url:
            env["MEMORY_REDIS_URL"] = redis_url
        if src is not None:  # another checkout's code: its package first on the path
            env["PYTHONPATH"] = str(src.resolve())
        self.label = label
        self.process = ServerProcess(work_dir / f"http-overhead-{label}", **env)
        self.url = self.process.url()
        with httpx.Client(base_url=self.url, timeout=60.0) as http:
            tenant = f"bench-http-{label}-{int(time.time() * 1000) % 10**9}"
            self.bearer = sign_in(http, tenant)
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(
                    "insert into tenant_members (tenant_id, user_id, role)"
                    " select %s, u.id, 'admin' from users u where u.email = %s"
                    " on conflict (tenant_id, user_id) do update set role = 'admin'",
                    [TENANT, f"{tenant}@bench.example.com"],
                )
            answer = http.post(
                "/v1/auth/api-keys",
                json={"tenant_id": TENANT, "name": "bench", "scopes": ["read"]},
                headers=self.bearer,
            )
            answer.raise_for_status()
            self.api_key = {"x-api-key": answer.json()["key"]}
        self.http = httpx.AsyncClient(base_url=self.url, timeout=60.0)

    @property
    def pid(self) -> int:
        return self.process.process.pid

    async def close(self) -> None:
        await self.http.aclose()
        self.process.stop()


def _search_params(question: str, conversation: str, mode: str = "vector") -> dict[str, str]:
    return {
        "query": question,
        "tenant_id": TENANT,
        "conversation_id": conversation,
        "mode": mode,
        "top_k": "10",
    }


def server_timing(header: str | None) -> dict[str, float] | None:
    """A Server-Timing header's parts and durations (ms); None without one (a server from
    before the header)."""
    if not header:
        return None
    parts = {}
    for item in header.split(","):
        name, _, duration = item.strip().partition(";dur=")
        parts[name] = float(duration)
    return parts


def http_cases(
    server: Server, questions: list[str], conversations: list[str], cpu: Callable[[], float]
) -> list[Case]:
    async def get(
        path: str, params: dict[str, str], headers: dict[str, str]
    ) -> dict[str, float] | None:
        answer = await server.http.get(path, params=params, headers=headers)
        if answer.status_code != 200:
            raise RuntimeError(f"{path}: {answer.status_code} {answer.text[:300]}")
        return server_timing(answer.headers.get("server-timing"))

    def search(
        headers: dict[str, str], cold: bool, mode: str = "vector"
    ) -> Callable[[int], Awaitable[None]]:
        def text(n: int) -> str:
            question = questions[n % len(questions)]
            return f"{question} ({server.label} {n})" if cold else question

        return lambda n: get(
            "/v1/memory/search",
            _search_params(text(n), conversations[n % len(conversations)], mode),
            headers,
        )

    label = f"http {server.label}"
    return [
        Case(
            f"{label}: floor (GET /v1/conversations?limit=1)",
            lambda n: get("/v1/conversations", {"tenant_id": TENANT, "limit": "1"}, server.bearer),
            cpu,
        ),
        Case(f"{label}: search, bearer, warm", search(server.bearer, False), cpu),
        Case(f"{label}: search, API key, warm", search(server.api_key, False), cpu),
        Case(f"{label}: search, bearer, cold", search(server.bearer, True), cpu),
        Case(f"{label}: search, hybrid, bearer, warm", search(server.bearer, False, "hybrid"), cpu),
    ]


def service_cases(
    runtime: Runtime, questions: list[str], conversations: list[str], cpu: Callable[[], float]
) -> list[Case]:
    async def search(n: int, cold: bool) -> None:
        question = questions[n % len(questions)]
        await runtime.search.search(
            SearchQuery(
                tenant_id=TENANT,
                query=f"{question} (service {n})" if cold else question,
                mode=SearchMode.vector,
                top_k=10,
                conversation_id=conversations[n % len(conversations)],  # type: ignore[arg-type]
            )
        )

    async def model(n: int) -> None:
        # a text of the cold searches' shape, "<question> (<label> <n>)": as many tokens,
        # so the model's time is the one a cold search pays ("#n" was two tokens shorter,
        # ~4% less model time)
        await asyncio.to_thread(
            runtime.embedder.embed_query, f"{questions[n % len(questions)]} (model {n})"
        )

    async def model_then_warm(n: int) -> None:
        question = questions[n % len(questions)]
        await asyncio.to_thread(runtime.embedder.embed_query, f"{question} (then {n})")
        await search(n, False)

    return [
        Case("model: embed_query of a new text", model, cpu),
        Case("service: search, warm", lambda n: search(n, False), cpu),
        Case("service: search, cold", lambda n: search(n, True), cpu),
        Case("service: embed a new text, then search warm", model_then_warm, cpu),
    ]


# --- the search statement's planning, this checkout's against the baseline's -----------

# prints the exact plan's statement in a mode as the checkout on PYTHONPATH writes it
_STATEMENT_SCRIPT = """
import sys
from memory_mesh.domain.models import SearchMode, SearchQuery
from memory_mesh.store.search import statement
mode = SearchMode(sys.argv[3])
query = SearchQuery(tenant_id="t", query="q", mode=mode, conversation_id=sys.argv[1])
print(statement(query, "exact", int(sys.argv[2])).as_string(None))
"""

# the modes whose exact statement is planned side by side (hybrid: the API's default)
PLANNED_MODES = (SearchMode.vector, SearchMode.hybrid)


def _statement_text(src: Path, conversation: str, dimensions: int, mode: SearchMode) -> str:
    path = os.pathsep.join(filter(None, [str(src.resolve()), os.environ.get("PYTHONPATH")]))
    env = os.environ | {"PYTHONPATH": path}
    done = subprocess.run(
        [sys.executable, "-c", _STATEMENT_SCRIPT, conversation, str(dimensions), mode.value],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


async def _planning(
    runtime: Runtime, baseline_src: Path, questions: list[str], conversations: list[str]
) -> dict[str, Any]:
    """PostgreSQL's planning and execution time of this checkout's search statement and the
    baseline's, per mode, interleaved question by question (EXPLAIN ANALYZE, same settings
    and parameters, the statement text alone differing)."""
    dimensions = runtime.search.plan.dimensions
    result: dict[str, Any] = {"questions": len(questions), "modes": {}}
    for mode in PLANNED_MODES:
        baseline = _statement_text(baseline_src, conversations[0], dimensions, mode)
        figures: dict[str, dict[str, list[float]]] = {
            label: {"planning_ms": [], "execution_ms": []} for label in ("branch", "baseline")
        }
        for n, question in enumerate(questions):
            query = SearchQuery(
                tenant_id=TENANT,
                query=question,
                mode=mode,
                top_k=10,
                conversation_id=conversations[n % len(conversations)],  # type: ignore[arg-type]
            )
            vector = runtime.embedder.embed_query(question)
            order = ("branch", "baseline") if n % 2 == 0 else ("baseline", "branch")
            for label in order:
                instead = baseline if label == "baseline" else None
                explained = await explain_search(runtime, query, vector, "exact", instead=instead)
                if "error" in explained:
                    raise RuntimeError(f"{label} {mode.value} statement: {explained['error']}")
                for key, values in figures[label].items():
                    values.append(explained[key])
        result["modes"][mode.value] = {
            label: {k: round(median(v), 3) for k, v in by_key.items()}
            for label, by_key in figures.items()
        }
    return result


# --- py-spy ---------------------------------------------------------------------------

#: Where a sample's time is counted: the bucket of the frame nearest the top of the stack
#: (the running code) that matches one; a function matches the first bucket listing it.
BUCKETS: list[tuple[str, tuple[str, ...]]] = [
    (
        "query embedding (model, batching)",
        ("embeddings/local.py", "embeddings/batching.py", "onnxruntime", "tokenizers"),
    ),
    (
        "authentication (token check, principal lookup)",
        ("services/auth.py", "services/tokens.py", "principal_cache.py", "jwt/"),
    ),
    ("rate limiter (Redis round trips)", ("ratelimit/limiter.py", "limits/", "redis/")),
    (
        "search SQL (plan choice + statement, psycopg)",
        ("store/search.py", "services/search.py", "psycopg/", "psycopg_pool/"),
    ),
    (
        "response: pydantic serialisation + JSON",
        ("serialize_response", "jsonable_encoder", "render", "json/"),
    ),
    ("validation + models (pydantic)", ("pydantic/", "pydantic_core")),
    ("access log + metrics + request context", ("observability/", "logging/")),
    ("FastAPI dependencies + routing", ("fastapi/", "starlette/routing.py")),
    (
        "middleware (request id, body limit, versioning, errors)",
        ("http/middleware.py", "http/versioning.py", "http/errors.py", "starlette/middleware"),
    ),
    ("HTTP protocol (uvicorn, h11/httptools)", ("uvicorn/", "h11/", "httptools")),
    (
        "event loop + thread hand-offs (asyncio, anyio)",
        ("asyncio/", "anyio/", "threading.py", "concurrent/futures"),
    ),
]

#: Frames on top of the stack that are a thread waiting, not working: left out.
IDLE = (
    "EpollSelector.select",
    "select (selectors.py",
    "Condition.wait",
    "Event.wait",
    "_worker (concurrent",
    "Lock.acquire",
    "wait (threading.py",
)


def profile(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes] | None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        log.warning("py-spy not found: no profile (pip install py-spy)")
        return None
    return subprocess.Popen(
        [
            spy,
            "record",
            "-p",
            str(pid),
            "-d",
            str(int(seconds)),
            "-r",
            "250",
            "-f",
            "raw",
            "-o",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def summarise_profile(path: Path) -> dict[str, Any]:
    """Share of the busy samples per bucket, and the functions most often on top."""
    buckets: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = idle = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        if any(frames[-1].startswith(mark) or mark in frames[-1] for mark in IDLE):
            idle += count
            continue
        total += count
        leaves[_short(frames[-1])] += count
        buckets[_bucket(frames)] += count
    return {
        "samples": total,
        "idle_samples": idle,
        "buckets": {n: round(c / total, 4) for n, c in buckets.most_common()} if total else {},
        "top_functions": [(n, round(c / total, 4)) for n, c in leaves.most_common(15)]
        if total
        else [],
    }


def _bucket(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, markers in BUCKETS:
            if any(marker in frame for marker in markers):
                return name
    return "other"


def _short(frame: str) -> str:
    """``func (path/to/package/module.py:12)`` -> ``func (package/module.py)``."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    parts = where.split("/")
    return f"{name} ({'/'.join(parts[-2:])})" if where else name


# --- the run --------------------------------------------------------------------------


def _start_redis(work_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(work_dir),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return process, f"redis://127.0.0.1:{port}/0"


def run_overhead(
    corpus: Any, server_url: str, work_dir: Path, config: OverheadConfig
) -> dict[str, Any]:
    embedder = local_embedder(32)
    cache = work_dir / "cache"
    texts = [t.text for t in corpus.turns[: config.turns]]
    real = embed_cached(embedder, texts, cache, progress=config.progress)
    vectors = derive_vectors(real, config.rows, seed=config.seed + config.rows)
    layout = Layout.single(config.rows, config.rows_per_conversation)
    name = f"mm_bench_http_{config.rows}_{config.rows_per_conversation}"
    url = database_url(server_url, name)
    prepare(
        server_url,
        name,
        url,
        vectors,
        layout,
        embedder.info,
        seed=config.seed,
        keep=True,
        progress=config.progress,
    )
    _, conversation_ids = row_ids(config.rows, len(layout.conversation_tenant), config.seed)
    conversations = [str(c) for c in conversation_ids]
    questions = pick(corpus.questions, config.questions, config.seed)
    pgdata = work_dir / "search-db" / "pgdata"
    redis = _start_redis(work_dir) if config.redis and shutil.which("redis-server") else None
    servers: list[Server] = []
    try:
        servers.append(Server("branch", work_dir, url, redis[1] if redis else None, None))
        if config.baseline_src is not None:
            servers.append(
                Server("baseline", work_dir, url, redis[1] if redis else None, config.baseline_src)
            )
        return asyncio.run(
            _session(servers, url, work_dir, questions, conversations, pgdata, config)
        )
    finally:
        for server in servers:
            server.process.stop()
        if redis:
            redis[0].send_signal(signal.SIGTERM)
            redis[0].wait(timeout=10)


async def _session(
    servers: list[Server],
    url: str,
    work_dir: Path,
    questions: list[str],
    conversations: list[str],
    pgdata: Path,
    config: OverheadConfig,
) -> dict[str, Any]:
    settings = Settings(
        database_url=url, data_dir=work_dir / "runtime", environment="test", auto_migrate=False
    )
    runtime = await Runtime.start(settings, run_worker=False)
    try:

        def in_process() -> float:
            return time.process_time() + postgres_cpu(pgdata)

        cases = service_cases(runtime, questions, conversations, in_process)
        for server in servers:
            pid = server.pid
            cases += http_cases(
                server,
                questions,
                conversations,
                lambda pid=pid: process_cpu(pid) + postgres_cpu(pgdata),  # type: ignore[misc]
            )
        for case in cases:  # warm: connections, caches (every question once), the model
            for i in range(len(questions)):
                if "cold" not in case.name or i < 20:
                    await case.send(i)
        for round_ in range(config.rounds):
            order = cases[round_ % len(cases) :] + cases[: round_ % len(cases)]
            if round_ % 2:
                order.reverse()
            for case in order:
                await case.round(config.requests, offset=10_000 * (round_ + 1))
            if config.progress:
                print(f"  round {round_ + 1}/{config.rounds} done", file=sys.stderr)
        planning = (
            await _planning(runtime, config.baseline_src, questions, conversations)
            if config.baseline_src is not None
            else None
        )
        profiles = {}
        if config.profile_seconds > 0:
            for server in servers:
                profiles[server.label] = await _profile(
                    server, questions, conversations, work_dir, config
                )
    finally:
        for server in servers:
            await server.http.aclose()
        await runtime.stop()
    figures = {case.name: case.figures() for case in cases}
    return {
        "config": {
            k: str(v) if isinstance(v, Path) else v
            for k, v in asdict(config).items()
            if k != "progress"
        },
        "cases": figures,
        "ratios": _ratios(figures, [s.label for s in servers]),
        "profiles": profiles,
    } | ({"planning": planning} if planning else {})


async def _profile(
    server: Server,
    questions: list[str],
    conversations: list[str],
    work_dir: Path,
    config: OverheadConfig,
) -> dict[str, Any]:
    profiles: dict[str, Any] = {}
    for kind, cold in (("warm", False), ("cold", True)):
        out = work_dir / f"py-spy-{server.label}-{kind}.txt"
        spy = profile(server.pid, config.profile_seconds, out)
        if spy is None:
            return {}
        until = time.monotonic() + config.profile_seconds + 5.5
        sent = await _searches_while(
            spy, until, server, questions, conversations, cold, config.profile_clients
        )
        spy.wait(timeout=30)
        profiles[kind] = summarise_profile(out) | {
            "requests": sent,
            "clients": config.profile_clients,
            "raw": str(out),
        }
    return profiles


async def _searches_while(
    spy: subprocess.Popen[bytes],
    until: float,
    server: Server,
    questions: list[str],
    conversations: list[str],
    cold: bool,
    clients: int,
) -> int:
    """Searches from ``clients`` closed-loop clients while ``spy`` records; how many."""
    sent = 0

    async def client() -> None:
        nonlocal sent
        while spy.poll() is None and time.monotonic() < until:
            n = sent
            sent += 1
            question = questions[n % len(questions)]
            text = f"{question} (profile {n})" if cold else question
            await server.http.get(
                "/v1/memory/search",
                params=_search_params(text, conversations[n % len(conversations)]),
                headers=server.bearer,
            )

    await asyncio.gather(*(client() for _ in range(clients)))
    return sent


def _ratios(figures: dict[str, Any], labels: list[str]) -> dict[str, Any]:
    def cpu(name: str) -> float:
        return float(figures[name]["cpu_ms_per_request"])

    def p50(name: str) -> float:
        return float(figures[name]["latency_ms"]["p50"])

    out: dict[str, Any] = {}
    for label in labels:
        h = f"http {label}"
        out[label] = {
            "cpu_http_over_service_warm": round(
                cpu(f"{h}: search, bearer, warm") / cpu("service: search, warm"), 2
            ),
            "cpu_http_over_service_cold": round(
                cpu(f"{h}: search, bearer, cold") / cpu("service: search, cold"), 2
            ),
            "cpu_api_key_over_service_warm": round(
                cpu(f"{h}: search, API key, warm") / cpu("service: search, warm"), 2
            ),
            # the goal: http search p50 <= model + authenticated floor + 3 ms
            "p50_cold_minus_model_and_floor_ms": round(
                p50(f"{h}: search, bearer, cold")
                - p50("model: embed_query of a new text")
                - p50(f"{h}: floor (GET /v1/conversations?limit=1)"),
                2,
            ),
            "p50_warm_minus_floor_ms": round(
                p50(f"{h}: search, bearer, warm")
                - p50(f"{h}: floor (GET /v1/conversations?limit=1)"),
                2,
            ),
        }
        # the same with the embedding the server itself reported for these very requests
        # (Server-Timing): the model alone, above, runs with its caches hot
        own = figures[f"{h}: search, bearer, cold"].get("server_timing_p50_ms", {})
        if "embedding" in own:
            out[label]["p50_cold_minus_own_embedding_and_floor_ms"] = round(
                p50(f"{h}: search, bearer, cold")
                - own["embedding"]
                - p50(f"{h}: floor (GET /v1/conversations?limit=1)"),
                2,
            )
    if "baseline" in labels:
        out["branch_over_baseline"] = {
            kind: round(
                cpu(f"http branch: search, bearer, {kind}")
                / cpu(f"http baseline: search, bearer, {kind}"),
                2,
            )
            for kind in ("warm", "cold")
        }
    return out


@dataclass
class Options(cli.Options[OverheadConfig]):
    name: str = "http_overhead"
    command: str = "python -m bench.http_overhead"


def run(options: Options) -> dict[str, Any]:
    return report.run_on_corpus(options, key="overhead", stage=run_overhead, markdown=markdown)


def parse(argv: list[str]) -> Options:
    parser = cli.parser("bench.http_overhead", __doc__)
    parser.add_argument("--rows", type=int, default=15_000)
    parser.add_argument("--rows-per-conversation", type=int, default=1_500)
    parser.add_argument("--requests", type=int, default=200, help="per case and round (200)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--no-redis", dest="redis", action="store_false", help="rate limits in memory"
    )
    parser.add_argument("--baseline-src", type=Path, help="another checkout's layers/core")
    parser.add_argument("--profile-seconds", type=float, default=0.0, help="py-spy per server")
    parser.add_argument(
        "--profile-clients", type=int, default=1, help="concurrent clients while profiling (1)"
    )
    return cli.parse_options(Options, OverheadConfig, parser, argv, RESULTS_DIR)


def main(argv: list[str] | None = None) -> None:
    options = cli.start(parse, argv)
    run(options)
    print(f"wrote {options.out / (options.name + '.json')} and .md")


if __name__ == "__main__":
    main()
