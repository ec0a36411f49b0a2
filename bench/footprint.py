"""Footprint: memory of a real ``memory-mesh serve`` process and of its embedded PostgreSQL,
fresh (0 messages) and at ``--messages`` messages, idle and after a search workload, plus
the database's size on disk.

    python -m bench.footprint --messages 100000

Steps, on one data directory:

1. **fresh**: start the server (its own embedded PostgreSQL, migrated); sign up one user;
   measure idle; run the workload (searches through HTTP with the server's own model,
   reads); measure again.
2. **load**: ``messages - http_messages`` rows by binary COPY straight into that server's
   database (bench/tables.py: real-model vectors, derived beyond the corpus, HNSW rebuilt),
   all in one tenant, so searches there take the HNSW path; then ``http_messages`` real
   corpus turns through ``POST /v1/messages/batch`` (inline mode: stored and embedded by
   the server's model). COPY because HTTP ingestion is bound by the model (~60-70
   messages/s here, core.md): 100k messages would take about half an hour of embedding,
   which tells nothing more about memory than the derived vectors do; the HTTP part makes
   sure the write and embedding paths have run in the measured process.
3. **restart**: stop the server and start it again on the same data directory (cold
   caches: what a restarted server holds); measure idle; run the workload; measure again.

Memory, each a median of ``--samples`` readings: the server process's RSS, USS (pages
only it holds) and PSS; the PostgreSQL processes (postmaster and every child) summed as
PSS (shared memory such as ``shared_buffers`` split among the processes mapping it, so
counted once) and USS, RSS summed only for reference (it counts shared pages once per
process). Disk: ``pg_database_size``, the messages table and its indexes, the whole
``pgdata`` directory (WAL included).
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil
import psycopg
from tqdm import tqdm

from bench import cli, report
from bench.data import DEFAULT_LOCOMO, Corpus, derive_vectors, embed_cached, load_corpus, pick
from bench.footprint_report import markdown
from bench.ingest import SERVER_ENV, local_embedder
from bench.machine import describe, load_average
from bench.server import ServerProcess
from bench.stats import latency_summary
from bench.tables import Layout, load

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TENANT = "footprint"  # the tenant holding every loaded message
MB = 2**20


@dataclass
class FootprintConfig:
    messages: int = 100_000
    http_messages: int = 500  # of ``messages``, sent through HTTP (embedded by the server)
    http_batch: int = 100
    searches: int = 200  # per workload, real questions embedded by the server
    reads: int = 100  # per workload: a conversation's messages, a message, a conversation list
    samples: int = 5  # memory readings per stage (median)
    sample_interval: float = 0.5
    settle_seconds: float = 3.0  # idle wait before an idle reading
    seed: int = 7
    real_vectors: int | None = None  # embed only the first N corpus turns (None: all)
    locomo: Path | None = DEFAULT_LOCOMO
    out: Path = RESULTS_DIR
    work_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "mm-bench-side")
    progress: bool = True
    redraw: bool = False  # only rewrite the .md from the .json in ``out``
    command: str = "python -m bench.footprint"


# --- measuring ---------------------------------------------------------------------------


def _process_memory(process: psutil.Process) -> dict[str, float]:
    info = process.memory_full_info()
    return {"rss": info.rss, "uss": info.uss, "pss": getattr(info, "pss", info.uss)}


def postmaster(pgdata: Path) -> psutil.Process:
    pid = int((pgdata / "postmaster.pid").read_text().split()[0])
    return psutil.Process(pid)


def postgres_memory(pgdata: Path) -> dict[str, float]:
    """Postmaster and every child summed (PSS: shared memory counted once overall)."""
    root = postmaster(pgdata)
    total = {"rss": 0.0, "uss": 0.0, "pss": 0.0, "processes": 0.0}
    for process in [root, *root.children(recursive=True)]:
        try:
            figures = _process_memory(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue  # a backend that ended between listing and reading
        for key, value in figures.items():
            total[key] += value
        total["processes"] += 1
    return total


def server_memory(pid: int) -> dict[str, float]:
    """The ``memory-mesh serve`` process itself (PostgreSQL runs detached from it)."""
    return _process_memory(psutil.Process(pid))


def sample_memory(pid: int, pgdata: Path, samples: int, interval: float) -> dict[str, Any]:
    """Median of ``samples`` readings, in MB."""
    readings = []
    for i in range(samples):
        if i:
            time.sleep(interval)
        readings.append((server_memory(pid), postgres_memory(pgdata)))

    def med(values: list[float], scale: float = MB) -> float:
        return round(statistics.median(values) / scale, 1)

    server = {k: med([r[0][k] for r in readings]) for k in ("rss", "uss", "pss")}
    pg = {k: med([r[1][k] for r in readings]) for k in ("rss", "uss", "pss")}
    pg["processes"] = med([r[1]["processes"] for r in readings], 1)
    return {
        "server_mb": server,
        "postgres_mb": pg,
        "total_pss_mb": round(server["pss"] + pg["pss"], 1),
        "samples": samples,
    }


def _dir_size(path: Path) -> int:
    total = 0
    for item in path.rglob("*"):
        try:
            if item.is_file() and not item.is_symlink():
                total += item.stat().st_size
        except OSError:
            continue  # removed while walking (WAL recycling, temp files)
    return total


def disk_sizes(url: str, pgdata: Path) -> dict[str, Any]:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "select pg_database_size(current_database()), pg_total_relation_size('messages'),"
            " pg_relation_size('messages'), pg_indexes_size('messages'),"
            " (select count(*) from messages), current_setting('shared_buffers')"
        ).fetchone()
        indexes = conn.execute(
            "select c.relname, a.amname, pg_relation_size(c.oid) from pg_index i"
            " join pg_class c on c.oid = i.indexrelid join pg_am a on a.oid = c.relam"
            " where i.indrelid = 'messages'::regclass order by 3 desc"
        ).fetchall()
    assert row is not None
    hnsw = sum(int(size) for _, method, size in indexes if method == "hnsw")
    return {
        "messages": int(row[4]),
        "database_mb": round(int(row[0]) / MB, 1),
        "messages_total_mb": round(int(row[1]) / MB, 1),
        "messages_heap_mb": round(int(row[2]) / MB, 1),
        "messages_indexes_mb": round(int(row[3]) / MB, 1),
        "hnsw_index_mb": round(hnsw / MB, 1),
        "indexes_mb": {str(name): round(int(size) / MB, 2) for name, _, size in indexes},
        "pgdata_mb": round(_dir_size(pgdata) / MB, 1),
        "shared_buffers": str(row[5]),
    }


# --- the server --------------------------------------------------------------------------


def server_database_url(data_dir: Path) -> str:
    """The server's own database in its embedded PostgreSQL (Unix socket in pgdata)."""
    return f"postgresql://postgres:@/postgres?host={data_dir / 'pgdata'}"


@contextmanager
def running_server(data_dir: Path) -> Iterator[tuple[ServerProcess, str]]:
    server = ServerProcess(data_dir, MEMORY_EMBEDDING_MODE="inline", **SERVER_ENV)
    try:
        yield server, server.url()
    finally:
        server.stop()


class Client:
    """The benchmark's one user over HTTP."""

    def __init__(self, base_url: str, email: str, password: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=300)
        self.email = email
        self.password = password
        self.headers: dict[str, str] = {}

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for _ in range(50):
            response = self.http.request(method, path, headers=self.headers, **kwargs)
            if response.status_code != 429:
                if response.is_error:
                    raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
                return response
            time.sleep(float(response.headers.get("retry-after", "1")))
        raise RuntimeError(f"{method} {path}: still rate limited")

    def register(self, tenant: str) -> str:
        answer = self.request(
            "POST",
            "/v1/auth/register",
            json={"email": self.email, "password": self.password, "tenant_id": tenant},
        )
        return str(answer.json()["user_id"])

    def login(self) -> None:
        self.headers = {}
        tokens = self.request(
            "POST", "/v1/auth/login", json={"email": self.email, "password": self.password}
        ).json()
        self.headers = {"authorization": f"Bearer {tokens['access_token']}"}


def workload(
    client: Client, tenant: str, questions: list[str], config: FootprintConfig, url: str
) -> dict[str, Any]:
    """Searches (default mode, the server embeds each question) and reads, interleaved."""
    with psycopg.connect(url, autocommit=True) as conn:
        conversations = [
            str(r[0])
            for r in conn.execute(
                "select id from conversations where tenant_id = %s order by id limit 200", [tenant]
            ).fetchall()
        ]
    rng = np.random.default_rng(config.seed)
    search_seconds: list[float] = []
    read_seconds: list[float] = []
    hits = 0
    total = max(config.searches, config.reads)
    for i in tqdm(range(total), desc=f"  workload ({tenant})", disable=not config.progress):
        if i < config.searches:
            start = time.perf_counter()
            answer = client.request(
                "POST",
                "/v1/memory/search",
                json={"tenant_id": tenant, "query": questions[i % len(questions)], "top_k": 10},
            ).json()
            search_seconds.append(time.perf_counter() - start)
            hits += len(answer["results"])
        if i < config.reads:
            start = time.perf_counter()
            kind = i % 3
            if kind == 0 or not conversations:
                client.request("GET", "/v1/conversations", params={"tenant_id": tenant})
            else:
                conversation = conversations[int(rng.integers(len(conversations)))]
                page = client.request(
                    "GET",
                    f"/v1/conversations/{conversation}/messages",
                    params={"tenant_id": tenant},
                ).json()
                items = page["items"]
                if kind == 2 and items:
                    client.request(
                        "GET", f"/v1/messages/{items[0]['id']}", params={"tenant_id": tenant}
                    )
            read_seconds.append(time.perf_counter() - start)
    return {
        "searches": len(search_seconds),
        "mean_hits": round(hits / max(len(search_seconds), 1), 2),
        "search_ms": latency_summary(search_seconds) if search_seconds else None,
        "reads": len(read_seconds),
        "read_ms": latency_summary(read_seconds) if read_seconds else None,
    }


def http_ingest(
    client: Client, tenant: str, corpus: Corpus, config: FootprintConfig
) -> dict[str, Any]:
    """``http_messages`` corpus turns through ``POST /v1/messages/batch`` (inline mode)."""
    count = config.http_messages
    if count <= 0:
        return {"messages": 0}
    turns = [corpus.turns[i % len(corpus.turns)] for i in range(count)]
    conversation = client.request(
        "POST", "/v1/conversations", json={"tenant_id": tenant, "title": "over HTTP"}
    ).json()["id"]
    started = time.perf_counter()
    ready = 0
    for start in tqdm(
        range(0, count, config.http_batch), desc="  HTTP ingest", disable=not config.progress
    ):
        items = [
            {
                "conversation_id": conversation,
                "role": "user" if t.first_speaker else "assistant",
                "content": t.text,
            }
            for t in turns[start : start + config.http_batch]
        ]
        answer = client.request(
            "POST", "/v1/messages/batch", json={"tenant_id": tenant, "items": items}
        ).json()
        if answer["failed"]:
            raise RuntimeError(f"batch rejected items: {answer['results'][:3]}")
        ready += sum(1 for r in answer["results"] if r["message"]["embedding"]["status"] == "ready")
    seconds = time.perf_counter() - started
    return {
        "messages": count,
        "seconds": round(seconds, 2),
        "msgs_per_s": round(count / seconds, 1),
        "ready": ready,
    }


def _stage(
    name: str,
    server: ServerProcess,
    data_dir: Path,
    url: str,
    config: FootprintConfig,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    memory = sample_memory(
        server.process.pid, data_dir / "pgdata", config.samples, config.sample_interval
    )
    stage = {"stage": name, **memory, "disk": disk_sizes(url, data_dir / "pgdata")}
    stage["load_average"] = load_average()
    if extra:
        stage.update(extra)
    if config.progress:
        tqdm.write(
            f"{name}: server RSS {memory['server_mb']['rss']} MB, PostgreSQL PSS "
            f"{memory['postgres_mb']['pss']} MB, {stage['disk']['messages']} messages"
        )
    return stage


def run(config: FootprintConfig) -> dict[str, Any]:
    if not 0 <= config.http_messages <= config.messages:
        raise ValueError("http_messages must be between 0 and messages")
    config.work_dir.mkdir(parents=True, exist_ok=True)
    corpus = load_corpus(config.locomo)
    embedder = local_embedder(32)
    real = embed_cached(
        embedder,
        [t.text for t in corpus.turns[: config.real_vectors]],
        config.work_dir / "cache",
        progress=config.progress,
        label="embed corpus",
    )
    info = embedder.info  # rows look embedded by the server's own model
    del embedder  # the figures are the server's: this process's model is not measured
    questions = pick(corpus.questions, config.searches, config.seed)
    data_dir = config.work_dir / f"footprint-{uuid.uuid4().hex[:8]}"
    url = server_database_url(data_dir)
    email, password = "footprint@bench.example.com", secrets.token_urlsafe(24)
    stages: list[dict[str, Any]] = []
    loading: dict[str, Any] = {}
    started = time.perf_counter()
    results: dict[str, Any] = {"command": config.command}
    copied = config.messages - config.http_messages
    try:
        with running_server(data_dir) as (server, base_url):
            results["machine"] = describe(url)
            client = Client(base_url, email, password)
            try:
                user_id = client.register("home")
                client.login()
                time.sleep(config.settle_seconds)
                stages.append(_stage("fresh, idle", server, data_dir, url, config))
                done = workload(client, "home", questions, config, url)
                stages.append(_stage("fresh, after workload", server, data_dir, url, config, done))
                if copied:
                    figures = load(
                        url,
                        derive_vectors(real, copied, seed=config.seed + copied),
                        one_tenant(copied),
                        info,
                        seed=config.seed,
                        progress=config.progress,
                    )["figures"]
                    keys = ("rows", "load_seconds", "hnsw_build_seconds", "hnsw_index_mb")
                    loading["copy"] = {k: figures[k] for k in keys}
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(
                        "insert into tenants (id, name) values (%s, %s) on conflict do nothing",
                        [TENANT, TENANT],
                    )
                    conn.execute(  # the benchmark's user may read the loaded tenant
                        "insert into tenant_members (tenant_id, user_id, role)"
                        " values (%s, %s, 'admin') on conflict do nothing",
                        [TENANT, user_id],
                    )
                client.login()  # memberships as of now
                loading["http"] = http_ingest(client, TENANT, corpus, config)
                stages.append(_stage("loaded, same process", server, data_dir, url, config))
            finally:
                client.close()
        with running_server(data_dir) as (server, base_url):
            client = Client(base_url, email, password)
            try:
                client.login()
                time.sleep(config.settle_seconds)
                stages.append(_stage("restarted, idle", server, data_dir, url, config))
                done = workload(client, TENANT, questions, config, url)
                stages.append(
                    _stage("restarted, after workload", server, data_dir, url, config, done)
                )
            finally:
                client.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    results["footprint"] = {
        "messages": config.messages,
        "http_messages": config.http_messages,
        "copied_messages": copied,
        "tenant_layout": f"one tenant ({TENANT!r}) holding every message, conversations of 100",
        "searches_per_workload": config.searches,
        "reads_per_workload": config.reads,
        "loading": loading,
        "stages": stages,
        "corpus": {"source": corpus.source, "real_vectors": len(real)},
    }
    results["load_average_at_end"] = load_average()
    results["duration_seconds"] = round(time.perf_counter() - started, 1)
    report.write_json_and_markdown(results, config.out, "footprint", markdown)
    return results


def one_tenant(rows: int, per_conversation: int = 100) -> Layout:
    """Every row in tenant ``TENANT``, conversations of ``per_conversation`` rows."""
    row_conversation = np.arange(rows) // per_conversation
    return Layout(
        tenants=[TENANT],
        row_tenant=np.zeros(rows, dtype=np.int64),
        row_conversation=row_conversation,
        conversation_tenant=np.zeros(int(row_conversation.max()) + 1, dtype=np.int64),
    )


def parse(argv: list[str]) -> FootprintConfig:
    parser = argparse.ArgumentParser(prog="python -m bench.footprint")
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--http-messages", type=int, default=500)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--reads", type=int, default=100)
    parser.add_argument("--samples", type=int, default=5)
    cli.add_common_arguments(parser, RESULTS_DIR, redraw=True)
    args = parser.parse_args(argv)
    return cli.from_args(FootprintConfig, args, **cli.common_fields(args, "bench.footprint", argv))


def main(argv: list[str] | None = None) -> None:
    config = cli.start(parse, argv)
    results = report.redraw(config.out, "footprint", markdown) if config.redraw else run(config)
    print(markdown(results))


if __name__ == "__main__":
    main()
