"""Ingestion: messages stored AND embedded per second, end to end through HTTP, next to
the embedding model's own throughput on the same texts (the limit) and the database's
(the service's own two statements per batch, vectors precomputed: the storage ceiling).

Two real ``memory-mesh serve`` processes (each with its own embedded PostgreSQL in a temp
directory) run side by side: one in ``inline`` mode (a batch is searchable when its
response returns) and one in ``async`` mode (answered at once; the clock stops when every
message of the run has its vector, polled through ``GET /v1/conversations/{id}/stats``).
Each repetition measures embedder, database, inline and async one after the other on the
same texts (in a rotated order), so the ratios compare figures taken under the same machine
load; the reported ratio is the median of the per-repetition ratios.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from pgserver.utils import PostmasterInfo
from tqdm import tqdm

from bench.data import Corpus, Turn
from bench.server import ServerProcess
from bench.stats import median
from memory_mesh.config import Settings
from memory_mesh.domain.models import EmbeddingStatus, NewMessage, Role
from memory_mesh.embeddings import Embedder, build_embedder
from memory_mesh.store import messages as message_store
from memory_mesh.store.database import Database

# rate limits lifted for the benchmark's one client (the limiter itself still runs)
SERVER_ENV = {
    "MEMORY_GLOBAL_RATE_LIMIT": "1000000/minute",
    "MEMORY_TENANT_RATE_LIMIT": "1000000/minute",
}


@dataclass(frozen=True)
class IngestConfig:
    messages: int = 2000
    batch_size: int = 100  # messages per POST /v1/messages/batch
    repetitions: int = 3
    embed_batch_size: int = 32  # texts per model call, as the service's default
    warmup_messages: int = 32  # stored (and embedded) once per server before timing
    poll_seconds: float = 0.2  # stats polling (async mode); each poll costs the server a little
    timeout_seconds: float = 900.0
    progress: bool = True


def local_embedder(batch_size: int) -> Embedder:
    """The service's default local model, configured as `memory-mesh serve` has it."""
    settings = Settings(
        embedding_provider="local",
        embedding_dimensions=384,
        embedding_batch_size=batch_size,
        local_model_path=None,
        local_tokenizer_path=None,
    )
    return build_embedder(settings)


def time_embedder(embedder: Embedder, texts: Sequence[str], batch_size: int) -> float:
    """Seconds the model takes to embed ``texts`` in batches of ``batch_size``."""
    start = time.perf_counter()
    for i in range(0, len(texts), batch_size):
        embedder.embed_documents(list(texts[i : i + batch_size]))
    return time.perf_counter() - start


def _send(http: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request; a 429 (rate limit) is waited out and retried, anything else >= 400
    raises with the server's answer."""
    for _ in range(100):
        response = http.request(method, path, **kwargs)
        if response.status_code != 429:
            if response.is_error:
                raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
            return response
        time.sleep(float(response.headers.get("retry-after", "1")))
    raise RuntimeError(f"{method} {path}: still rate limited")


def sign_in(http: httpx.Client, tenant: str) -> dict[str, str]:
    """Create ``tenant`` through the identity API and return auth headers for it; a
    server without ``/v1/auth`` (404) needs neither."""
    password = secrets.token_urlsafe(24)
    email = f"{tenant}@bench.example.com"
    response = http.post(
        "/v1/auth/register", json={"email": email, "password": password, "tenant_id": tenant}
    )
    if response.status_code == 404:
        return {}
    if response.is_error:
        raise RuntimeError(f"register: {response.status_code} {response.text}")
    tokens = _send(http, "POST", "/v1/auth/login", json={"email": email, "password": password})
    return {"authorization": f"Bearer {tokens.json()['access_token']}"}


class IngestClient:
    """One tenant's run against one server: conversations, batches, completion polling."""

    def __init__(self, http: httpx.Client, tenant: str, turns: Sequence[Turn]) -> None:
        self.http = http
        self.tenant = tenant
        self.turns = turns
        self.headers = sign_in(http, tenant)
        self.conversations: dict[int, str] = {}
        for index in sorted({t.conversation for t in turns}):
            response = self._send(
                "POST",
                "/v1/conversations",
                json={"tenant_id": tenant, "title": f"conversation {index}"},
            )
            self.conversations[index] = str(response.json()["id"])

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = self.headers | kwargs.pop("headers", {})
        return _send(self.http, method, path, headers=headers, **kwargs)

    def bodies(self, batch_size: int) -> list[bytes]:
        """The request bodies, serialised before the clock starts."""
        items = [
            {
                "conversation_id": self.conversations[t.conversation],
                "role": "user" if t.first_speaker else "assistant",
                "content": t.text,
            }
            for t in self.turns
        ]
        return [
            json.dumps({"tenant_id": self.tenant, "items": items[i : i + batch_size]}).encode()
            for i in range(0, len(items), batch_size)
        ]

    def post(self, bodies: Sequence[bytes], bar: tqdm[Any] | None = None) -> int:
        """Send every batch in turn; return how many messages were answered ``ready``."""
        ready = 0
        for body in bodies:
            response = self._send(
                "POST",
                "/v1/messages/batch",
                content=body,
                headers={"content-type": "application/json"},
            )
            answer = response.json()
            if answer["failed"]:
                raise RuntimeError(f"batch rejected items: {answer['results'][:3]}")
            ready += sum(
                1 for r in answer["results"] if r["message"]["embedding"]["status"] == "ready"
            )
            if bar is not None:
                bar.update(len(answer["results"]))
        return ready

    def wait_embedded(self, poll_seconds: float, timeout_seconds: float) -> None:
        """Poll each conversation's stats until every message has its vector."""
        deadline = time.monotonic() + timeout_seconds
        remaining = set(self.conversations.values())
        while remaining:
            for conversation in sorted(remaining):
                response = self._send(
                    "GET",
                    f"/v1/conversations/{conversation}/stats",
                    params={"tenant_id": self.tenant},
                )
                stats = response.json()
                if stats["failed_count"]:
                    raise RuntimeError(f"embeddings failed: {stats['failed_count']}")
                if stats["embedding_coverage"] == 1.0 and (
                    stats["embedded_count"] == stats["message_count"]
                ):
                    remaining.discard(conversation)
            if remaining:
                if time.monotonic() > deadline:
                    raise TimeoutError("embeddings not ready in time")
                time.sleep(poll_seconds)

    def message_count(self) -> int:
        total = 0
        for conversation in self.conversations.values():
            response = self._send(
                "GET", f"/v1/conversations/{conversation}/stats", params={"tenant_id": self.tenant}
            )
            total += int(response.json()["message_count"])
        return total


def _inline_run(http: httpx.Client, turns: Sequence[Turn], config: IngestConfig) -> dict[str, Any]:
    client = IngestClient(http, f"inline-{uuid.uuid4().hex[:8]}", turns)
    bodies = client.bodies(config.batch_size)
    with tqdm(total=len(turns), desc="  inline", unit="msg", disable=not config.progress) as bar:
        start = time.perf_counter()
        ready = client.post(bodies, bar)
        seconds = time.perf_counter() - start
    if client.message_count() != len(turns):
        raise RuntimeError("inline run stored an unexpected number of messages")
    return {"seconds": seconds, "ready_at_response": ready / len(turns)}


def _async_run(http: httpx.Client, turns: Sequence[Turn], config: IngestConfig) -> dict[str, Any]:
    client = IngestClient(http, f"async-{uuid.uuid4().hex[:8]}", turns)
    bodies = client.bodies(config.batch_size)
    with tqdm(total=len(turns), desc="  async", unit="msg", disable=not config.progress) as bar:
        start = time.perf_counter()
        client.post(bodies, bar)
        accepted = time.perf_counter() - start
        client.wait_embedded(config.poll_seconds, config.timeout_seconds)
        seconds = time.perf_counter() - start
    if client.message_count() != len(turns):
        raise RuntimeError("async run stored an unexpected number of messages")
    return {"seconds": seconds, "accepted_seconds": accepted}


def embed_all(embedder: Embedder, texts: Sequence[str], batch_size: int) -> np.ndarray:
    return np.vstack(
        [
            embedder.embed_documents(list(texts[i : i + batch_size]))
            for i in range(0, len(texts), batch_size)
        ]
    )


def server_database_url(data_dir: Path) -> str:
    """The URL of a running `memory-mesh serve`'s embedded PostgreSQL (its pgdata)."""
    info = PostmasterInfo.read_from_pgdata(data_dir / "pgdata")
    if info is None:
        raise RuntimeError(f"no PostgreSQL running in {data_dir}")
    return info.get_uri()


async def _store_batches(
    url: str,
    tenant: str,
    conversation: str,
    turns: Sequence[Turn],
    vectors: np.ndarray,
    batch_size: int,
) -> float:
    """Seconds to store ``turns`` as the inline service does per batch, minus HTTP and the
    model: one ``insert_many`` per batch in a tenant transaction, each row written once
    with its precomputed vector and its context (``MessageService.create_batch``, embedded
    first, at the default ``MEMORY_MESSAGE_CONTEXT_CHARS``): the service's own statement."""
    db = Database(url, min_size=1, max_size=1, statement_timeout_ms=60_000)
    context_chars = Settings().message_context_chars
    await db.open()
    try:
        start = time.perf_counter()
        for i in range(0, len(turns), batch_size):
            batch = turns[i : i + batch_size]
            new = [
                NewMessage(
                    id=uuid.uuid4(),
                    tenant_id=tenant,
                    conversation_id=uuid.UUID(conversation),
                    role=Role.user if t.first_speaker else Role.assistant,
                    content=t.text,
                    metadata={},
                    importance=0.5,
                    importance_explicit=False,
                )
                for t in batch
            ]
            embedded = message_store.Embedded(
                vectors=list(vectors[i : i + len(batch)]), provider="bench", model="precomputed"
            )
            async with db.tenant(tenant) as conn:
                stored, _ = await message_store.insert_many(
                    conn,
                    new,
                    lease_seconds=60.0,
                    context_chars=context_chars,
                    embedded=embedded,
                )
            if sum(m.embedding_status is EmbeddingStatus.ready for m in stored) != len(batch):
                raise RuntimeError("database run stored an unexpected number of vectors")
        return time.perf_counter() - start
    finally:
        await db.close()


def _database_run(
    http: httpx.Client,
    url: str,
    turns: Sequence[Turn],
    vectors: np.ndarray,
    config: IngestConfig,
) -> dict[str, Any]:
    client = IngestClient(http, f"database-{uuid.uuid4().hex[:8]}", turns[:1])
    conversation = next(iter(client.conversations.values()))
    seconds = asyncio.run(
        _store_batches(url, client.tenant, conversation, turns, vectors, config.batch_size)
    )
    if client.message_count() != len(turns):
        raise RuntimeError("database run stored an unexpected number of messages")
    return {"seconds": seconds}


def _warm(http: httpx.Client, turns: Sequence[Turn], config: IngestConfig) -> None:
    """Load the model, fill the pool and caches before the clock matters."""
    client = IngestClient(http, f"warmup-{uuid.uuid4().hex[:8]}", turns[: config.warmup_messages])
    client.post(client.bodies(config.batch_size))
    client.wait_embedded(config.poll_seconds, config.timeout_seconds)


def run_ingest(corpus: Corpus, work_dir: Path, config: IngestConfig) -> dict[str, Any]:
    """Measure the embedder, inline and async ingestion; return every figure."""
    if len(corpus.turns) < config.messages:
        raise ValueError(f"the corpus has {len(corpus.turns)} turns, fewer than requested")
    turns = corpus.turns[: config.messages]
    texts = [t.text for t in turns]
    embedder = local_embedder(config.embed_batch_size)
    vectors = embed_all(embedder, texts, config.embed_batch_size)  # also the model's warm-up

    runs: list[dict[str, Any]] = []
    data_dirs = {mode: work_dir / f"ingest-{mode}-{uuid.uuid4().hex[:8]}" for mode in ("i", "a")}
    try:
        with ExitStack() as stack:
            servers = {}
            for mode, name in (("i", "inline"), ("a", "async")):  # both start side by side
                servers[mode] = ServerProcess(
                    data_dirs[mode], MEMORY_EMBEDDING_MODE=name, **SERVER_ENV
                )
                stack.callback(servers[mode].stop)
            clients = {}
            for mode, server in servers.items():
                clients[mode] = stack.enter_context(
                    httpx.Client(base_url=server.url(), timeout=600)
                )
                _warm(clients[mode], turns, config)
            # the storage ceiling is measured on the inline server's own database
            inline_db = server_database_url(data_dirs["i"])
            for rep in range(config.repetitions):
                if config.progress:
                    tqdm.write(f"ingest repetition {rep + 1}/{config.repetitions}")
                steps: dict[str, Callable[[], dict[str, Any]]] = {
                    "embedder": lambda: {
                        "seconds": time_embedder(embedder, texts, config.embed_batch_size)
                    },
                    "database": lambda: _database_run(
                        clients["i"], inline_db, turns, vectors, config
                    ),
                    "inline": lambda: _inline_run(clients["i"], turns, config),
                    "async": lambda: _async_run(clients["a"], turns, config),
                }
                names = list(steps)
                shift = rep % len(names)
                order = names[shift:] + names[:shift]  # rotated: no fixed position
                done = {name: steps[name]() for name in order}
                runs.append(
                    {
                        "repetition": rep + 1,
                        "order": order,
                        "embedder_seconds": round(done["embedder"]["seconds"], 4),
                        "database_seconds": round(done["database"]["seconds"], 4),
                        "inline_seconds": round(done["inline"]["seconds"], 4),
                        "inline_ready_at_response": done["inline"]["ready_at_response"],
                        "async_seconds": round(done["async"]["seconds"], 4),
                        "async_accepted_seconds": round(done["async"]["accepted_seconds"], 4),
                    }
                )
    finally:
        for path in data_dirs.values():
            shutil.rmtree(path, ignore_errors=True)
    return summarise(runs, len(turns), config, embedder)


def summarise(
    runs: list[dict[str, Any]], messages: int, config: IngestConfig, embedder: Embedder
) -> dict[str, Any]:
    def rate(key: str) -> list[float]:
        return [messages / r[key] for r in runs]

    embedder_rates = rate("embedder_seconds")
    database_rates = rate("database_seconds")
    inline_rates = rate("inline_seconds")
    async_rates = rate("async_seconds")
    for run, e, d, i, a in zip(
        runs, embedder_rates, database_rates, inline_rates, async_rates, strict=True
    ):
        run["embedder_msgs_per_s"] = round(e, 2)
        run["database_msgs_per_s"] = round(d, 2)
        run["database_to_embedder"] = round(d / e, 2)
        run["inline_msgs_per_s"] = round(i, 2)
        run["async_msgs_per_s"] = round(a, 2)
        run["inline_ratio"] = round(i / e, 4)
        run["async_ratio"] = round(a / e, 4)
    return {
        "config": {k: v for k, v in asdict(config).items() if k != "progress"},
        "messages": messages,
        "server_env": SERVER_ENV,
        "model": asdict(embedder.info),
        "embedder": {"msgs_per_s": round(median(embedder_rates), 2)},
        "database": {
            "path": "the service's inline insert per batch, each row written once with its"
            " vector and context",
            "msgs_per_s": round(median(database_rates), 2),
            "ratio_to_embedder": round(median([r["database_to_embedder"] for r in runs]), 2),
        },
        "inline": {
            "msgs_per_s": round(median(inline_rates), 2),
            "ratio_to_embedder": round(median([r["inline_ratio"] for r in runs]), 4),
            "ready_at_response": min(r["inline_ready_at_response"] for r in runs),
        },
        "async": {
            "msgs_per_s": round(median(async_rates), 2),
            "ratio_to_embedder": round(median([r["async_ratio"] for r in runs]), 4),
            "accepted_msgs_per_s": round(median(rate("async_accepted_seconds")), 2),
        },
        "runs": runs,
    }
