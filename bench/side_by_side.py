"""The same vectors and queries as the search benchmark through the alternatives a user
would pick instead, measured in the same run, interleaved query by query:

- **NumPy exact**: one matrix-vector product and ``argpartition`` over the scope (the
  physical limit of exact search in one process, no storage, no network hop);
- **Chroma** embedded (``EphemeralClient``, hnswlib, its defaults; tenant as metadata);
- **mem0** (``mem0ai``, open-source ``Memory``) with ``infer=False``, its ``pgvector``
  store in its own database of the same embedded PostgreSQL, an embedder that returns the
  precomputed vectors, no LLM call;
- **Memory Mesh** (``Runtime.search.search``, vector mode, the service's default plan).

    python -m bench.side_by_side --size 100000 --queries 200

Two regimes: "no filter" is one tenant holding every row; "tenant filter" is
``size / 100`` tenants of 100 rows, each query in one of them (the search benchmark's
two layouts). Memory Mesh scopes every search by tenant, so it gets one database per
layout; Chroma and mem0 hold one collection with the tenant as metadata and filter on it
(``where`` / ``filters={"user_id": ...}``); "no filter" is ``where=None`` for Chroma and a
filter every row matches for mem0 (``agent_id``: mem0 refuses a search without one).

Loading: Memory Mesh by binary COPY, then its HNSW index built (bench/tables.py). Chroma
through ``collection.add`` in batches (its index grows as it goes). mem0's own write path,
``Memory.add(..., infer=False)``, stores one message at a time (~20 ms each: a PostgreSQL
commit plus a SQLite history row), so it is timed on the first ``--mem0-add`` messages;
the rest go through mem0's own vector store (``PGVector.insert``, batches of 1,000, the
same payload fields) with its HNSW index dropped and rebuilt from its own definition, as
for Memory Mesh. Every figure says which path it measured.

During the run every Python-level connection or name lookup leaving the machine is
refused and counted (``network``): neither mem0 nor Chroma may call out.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import ipaddress
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import numpy as np
import psycopg
from psycopg import sql
from tqdm import tqdm

from bench import cli, report
from bench.data import DEFAULT_LOCOMO, derive_vectors, embed_cached, load_corpus, pick
from bench.ingest import local_embedder
from bench.machine import describe, load_average
from bench.search_latency import CachedQueries, database_url, search_settings
from bench.side_by_side_report import CHROMA, MEM0, MEMORY_MESH, NUMPY, draw, markdown
from bench.stats import latency_summary, median
from bench.tables import BUILD_SETTINGS, Layout, create_database, drop_database, embedded_server
from bench.tables import load as load_memory_mesh
from memory_mesh.domain.models import SearchMode, SearchQuery
from memory_mesh.runtime import Runtime
from memory_mesh.store.migrations import migrate

RESULTS_DIR = Path(__file__).resolve().parent / "results"
MEM0_ALL = "all"  # the agent_id every mem0 row carries: the "no filter" regime's filter


@dataclass
class SideConfig:
    size: int = 100_000
    queries: int = 200
    passes: int = 3  # every query asked of every system this many times (interleaved)
    warmup: int = 10
    top_k: int = 10
    rows_per_tenant: int = 100
    seed: int = 7  # as the search benchmark: the same derived vectors and questions
    real_vectors: int | None = None  # embed only the first N corpus turns (None: all)
    locomo: Path | None = DEFAULT_LOCOMO
    out: Path = RESULTS_DIR
    work_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "mm-bench-side")
    chroma: bool = True
    mem0: bool = True
    mem0_add: int = 2_000  # messages stored through Memory.add(infer=False), timed
    ef_sweep: tuple[int, ...] = ()  # "no filter": Chroma and Memory Mesh at each ef_search
    plot: bool = True
    progress: bool = True
    redraw: bool = False  # only rewrite the .md and .png from the .json in ``out``
    command: str = "python -m bench.side_by_side"


# --- no network ------------------------------------------------------------------------


def _is_local(host: object) -> bool:
    if host is None or host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@contextmanager
def no_network() -> Iterator[list[str]]:
    """Refuse every Python-level TCP/UDP connection or DNS lookup to a non-loopback host
    while inside; yield the list of attempts (each refused with an OSError). PostgreSQL
    (libpq, C) talks over its Unix socket and is not affected."""
    attempts: list[str] = []
    connect = socket.socket.connect
    connect_ex = socket.socket.connect_ex
    getaddrinfo = socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            attempts.append(f"connect {address[0]}:{address[1]}")
            raise OSError("network disabled by the benchmark")
        return connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            attempts.append(f"connect {address[0]}:{address[1]}")
            return 101  # ENETUNREACH
        return connect_ex(self, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_local(host):
            attempts.append(f"resolve {host}")
            raise socket.gaierror(socket.EAI_NONAME, "name resolution disabled by the benchmark")
        return getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = guarded_getaddrinfo
    try:
        yield attempts
    finally:
        socket.socket.connect = connect  # type: ignore[method-assign]
        socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = getaddrinfo


# --- Chroma ----------------------------------------------------------------------------


def _chroma_version() -> str | None:
    try:
        import chromadb
    except ImportError:
        return None
    return str(chromadb.__version__)


def build_chroma(
    vectors: np.ndarray, layout: Layout, progress: bool, ef_search: int | None = None
) -> tuple[Any, dict[str, Any]]:
    """One in-memory collection, cosine, every row with its tenant as metadata; with
    ``ef_search`` its HNSW search breadth (chromadb applies it only at creation: a later
    ``modify`` is recorded but not used by the loaded index, measured with 1.5.9)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    name = f"mm_side_{len(vectors)}" + (f"_ef{ef_search}" if ef_search else "")
    # an earlier run in this process (tests); absent: chroma raises its own NotFound types
    with contextlib.suppress(Exception):
        client.delete_collection(name)
    configuration: Any = {"hnsw": {"ef_search": ef_search}} if ef_search else None
    collection = client.create_collection(
        name, metadata={"hnsw:space": "cosine"}, configuration=configuration
    )
    step = 5000
    started = time.perf_counter()
    for start in tqdm(range(0, len(vectors), step), desc="chroma add", disable=not progress):
        stop = min(start + step, len(vectors))
        collection.add(
            ids=[str(i) for i in range(start, stop)],
            embeddings=vectors[start:stop],
            metadatas=[{"tenant": int(layout.row_tenant[i])} for i in range(start, stop)],
        )
    seconds = time.perf_counter() - started
    return collection, {
        "path": "collection.add, batches of 5,000 (index built as rows arrive)",
        "rows": len(vectors),
        "seconds": round(seconds, 2),
        "rows_per_s": round(len(vectors) / seconds, 1),
    }


# --- mem0 ------------------------------------------------------------------------------


def _mem0_version() -> str | None:
    from importlib import metadata

    try:
        return metadata.version("mem0ai")
    except metadata.PackageNotFoundError:
        return None


def _import_mem0(work_dir: Path) -> Any:
    """Import mem0 with its telemetry off and its home (``MEM0_DIR``) in the work dir."""
    os.environ.setdefault("MEM0_TELEMETRY", "False")
    os.environ.setdefault("MEM0_DIR", str(work_dir / "mem0-home"))
    import mem0
    import mem0.memory.main as mem0_main
    import mem0.memory.telemetry as mem0_telemetry

    # read from the environment at import: force it off even if imported earlier
    mem0_telemetry.MEM0_TELEMETRY = False
    mem0_main.MEM0_TELEMETRY = False
    return mem0


def _lookup_embedder(vectors: np.ndarray, queries: np.ndarray) -> Any:
    """A mem0 embedder returning precomputed vectors: ``"m17"`` is row 17, ``"q3"`` query 3
    (the same vectors every system gets; no model time in the figures)."""
    from mem0.embeddings.base import EmbeddingBase

    class Lookup(EmbeddingBase):  # type: ignore[misc]
        def embed(self, text: str, memory_action: str | None = None) -> list[float]:
            table = queries if text.startswith("q") else vectors
            return [float(x) for x in table[int(text[1:])]]

    return Lookup()


class NoLLM:
    """Stands in for mem0's LLM: counts and refuses every call."""

    def __init__(self) -> None:
        self.calls = 0

    def generate_response(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        raise RuntimeError("the benchmark runs mem0 with infer=False: no LLM call expected")


@dataclass
class Mem0Store:
    memory: Any
    url: str
    database: str
    figures: dict[str, Any]

    def close(self) -> None:
        try:
            self.memory.vector_store.connection_pool.close()
        finally:
            self.memory.close()


def _mem0_spacy() -> bool:
    from mem0.utils.spacy_models import get_nlp_lemma

    return get_nlp_lemma() is not None


def build_mem0(
    server: str,
    vectors: np.ndarray,
    queries: np.ndarray,
    layout: Layout,
    config: SideConfig,
) -> Mem0Store:
    _import_mem0(config.work_dir)
    from mem0 import Memory
    from mem0.configs.base import MemoryConfig
    from mem0.utils.lemmatization import lemmatize_for_bm25

    name = f"mm_side_mem0_{len(vectors)}"
    create_database(server, name)
    url = database_url(server, name)
    history = config.work_dir / "mem0-home" / f"history-{len(vectors)}.db"
    history.parent.mkdir(parents=True, exist_ok=True)
    history.unlink(missing_ok=True)
    dims = int(vectors.shape[1])
    memory = Memory(
        MemoryConfig(
            vector_store={
                "provider": "pgvector",
                "config": {
                    "connection_string": url,
                    "collection_name": "memories",
                    "embedding_model_dims": dims,
                },
            },
            # mem0 builds its embedder and LLM from a provider name; "openai" with a key
            # nobody reads builds clients without calling anything. The embedder is then
            # replaced by the lookup and the LLM is never used (infer=False).
            embedder={
                "provider": "openai",
                "config": {"api_key": "unused", "embedding_dims": dims},
            },
            llm={"provider": "openai", "config": {"api_key": "unused"}},
            history_db_path=str(history),
        )
    )
    memory.embedding_model = _lookup_embedder(vectors, queries)
    memory.llm = NoLLM()  # infer=False must never reach it: any call is counted and fails
    store = Mem0Store(memory, url, name, {})
    try:
        store.figures = _fill_mem0(memory, url, vectors, layout, config, lemmatize_for_bm25)
    except BaseException:
        store.close()
        drop_database(server, name)
        raise
    return store


def _fill_mem0(
    memory: Any,
    url: str,
    vectors: np.ndarray,
    layout: Layout,
    config: SideConfig,
    lemmatize: Callable[[str], str],
) -> dict[str, Any]:
    rows = len(vectors)
    added = min(config.mem0_add, rows)
    tenant = [layout.tenants[int(t)] for t in layout.row_tenant]
    started = time.perf_counter()
    for i in tqdm(range(added), desc="mem0 Memory.add", disable=not config.progress):
        memory.add(f"m{i}", user_id=tenant[i], agent_id=MEM0_ALL, infer=False)
    add_seconds = time.perf_counter() - started
    store = memory.vector_store
    table = store.collection_name
    with psycopg.connect(url, autocommit=True) as conn:
        indexes = conn.execute(
            "select indexname, indexdef from pg_indexes where tablename = %s"
            " and indexdef ilike '%%using hnsw%%'",
            [table],
        ).fetchall()
        sample = conn.execute(
            sql.SQL("select payload from {} limit 1").format(sql.Identifier(table))
        ).fetchone()
        for index, _ in indexes:
            conn.execute(sql.SQL("drop index {}").format(sql.Identifier(index)))
    add_keys = sorted(sample[0]) if sample else []
    bulk_keys: list[str] = []
    started = time.perf_counter()
    step = 1000
    for start in tqdm(
        range(added, rows, step), desc="mem0 vector_store.insert", disable=not config.progress
    ):
        stop = min(start + step, rows)
        now = datetime.now(UTC).isoformat()
        payloads = []
        for i in range(start, stop):
            text = f"m{i}"
            payloads.append(
                {  # what Memory._create_memory stores for Memory.add(text, infer=False)
                    "user_id": tenant[i],
                    "agent_id": MEM0_ALL,
                    "role": "user",
                    "data": text,
                    "hash": hashlib.md5(text.encode()).hexdigest(),
                    "created_at": now,
                    "updated_at": now,
                    "text_lemmatized": lemmatize(text),
                }
            )
        bulk_keys = sorted(payloads[0])
        store.insert(
            vectors=[vectors[i].tolist() for i in range(start, stop)],
            payloads=payloads,
            ids=[str(UUID(bytes=os.urandom(16), version=4)) for _ in range(start, stop)],
        )
    bulk_seconds = time.perf_counter() - started
    with psycopg.connect(url, autocommit=True) as conn:
        for key, value in BUILD_SETTINGS.items():
            conn.execute(sql.SQL("set {} = {}").format(sql.Identifier(key), sql.Literal(value)))
        started = time.perf_counter()
        for _, definition in indexes:
            conn.execute(definition)
        build_seconds = time.perf_counter() - started
        conn.execute(sql.SQL("vacuum (analyze) {}").format(sql.Identifier(table)))
        sizes = conn.execute(
            "select pg_total_relation_size(%s::regclass),"
            " coalesce(sum(pg_relation_size(indexrelid)), 0)"
            " from pg_index i join pg_class c on c.oid = i.indexrelid"
            " join pg_am a on a.oid = c.relam where i.indrelid = %s::regclass"
            " and a.amname = 'hnsw'",
            [table, table],
        ).fetchone()
        count = conn.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(table)))
        stored = count.fetchone()
    assert sizes is not None and stored is not None
    return {
        "path": f"Memory.add(infer=False) for {added:,} messages (timed), the rest through "
        "mem0's PGVector.insert in batches of 1,000 with its HNSW index dropped, then "
        "rebuilt from its own definition",
        "rows": int(stored[0]),
        "memory_add_messages": added,
        "memory_add_seconds": round(add_seconds, 2),
        "memory_add_msgs_per_s": round(added / add_seconds, 1) if add_seconds else None,
        "bulk_insert_rows": rows - added,
        "bulk_insert_seconds": round(bulk_seconds, 2),
        "hnsw_build_seconds": round(build_seconds, 2),
        "hnsw_indexes": len(indexes),
        "hnsw_index_mb": round(int(sizes[1]) / 2**20, 2),
        "table_total_mb": round(int(sizes[0]) / 2**20, 2),
        "bulk_payload_matches_add": bulk_keys == add_keys or added == 0 or added == rows,
        "payload_keys": add_keys or bulk_keys,
        "spacy": _mem0_spacy(),
        "vector_store": "pgvector (own database on the same embedded PostgreSQL)",
    }


def _explain_mem0(url: str, table: str, query: np.ndarray, where: dict[str, str]) -> list[str]:
    """The scans PostgreSQL uses for mem0's semantic query (its SQL, one filter)."""
    (key, value), *_ = where.items()
    statement = sql.SQL(
        "explain (format json) select id, vector <=> %s::vector as distance, payload from {}"
        " where payload->>%s = %s order by distance limit %s"
    ).format(sql.Identifier(table))
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(statement, [query.tolist(), key, value, 60]).fetchone()
    scans: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        if "Scan" in node["Node Type"]:
            scans.append(
                f"{node['Node Type']} ({node.get('Index Name', node.get('Relation Name'))})"
            )
        for child in node.get("Plans", []):
            walk(child)

    assert row is not None
    walk(row[0][0]["Plan"])
    return scans


# --- the run ---------------------------------------------------------------------------


def _recall(found: list[int], truth: np.ndarray) -> float:
    return len(set(found) & set(truth.tolist())) / len(truth)


@dataclass
class Shared:
    """What every regime uses: vectors, queries, the Chroma and mem0 stores."""

    vectors: np.ndarray
    queries: np.ndarray
    scoped: Layout
    chroma: Any | None
    mem0: Mem0Store | None


async def _regime(
    server: str, config: SideConfig, regime: str, shared: Shared, info: Any
) -> dict[str, Any]:
    vectors, queries = shared.vectors, shared.queries
    rng = np.random.default_rng(config.seed + 1)
    filtered = regime == "tenant filter"
    if filtered:
        layout = shared.scoped
        query_tenant = rng.integers(len(layout.tenants), size=len(queries))
    else:
        layout = Layout.single(len(vectors), config.rows_per_tenant)
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
    load_at_start = load_average()
    try:
        migrate(url, dimensions=info.dimensions)
        loaded = load_memory_mesh(
            url, vectors, layout, info, seed=config.seed, progress=config.progress
        )
        row_of: dict[UUID, int] = {m: i for i, m in enumerate(loaded["ids"])}
        runtime = await Runtime.start(
            search_settings(url, config.work_dir / "runtime"),
            embedder=CachedQueries(info, queries),
            run_worker=False,
        )

        def numpy_exact(i: int) -> list[int]:
            k = min(config.top_k, len(vectors) - 1)
            if filtered:
                rows = layout.rows_of(int(query_tenant[i]))  # the filter is part of the cost
                sims = vectors[rows] @ queries[i]
                top = np.argpartition(-sims, k)[:k]
                return [int(x) for x in rows[top[np.argsort(-sims[top])]]]
            sims = vectors @ queries[i]
            top = np.argpartition(-sims, k)[:k]
            return [int(x) for x in top[np.argsort(-sims[top])]]

        def chroma(i: int) -> list[int]:
            assert shared.chroma is not None
            where = {"tenant": int(query_tenant[i])} if filtered else None
            answer = shared.chroma.query(
                query_embeddings=[queries[i]], n_results=config.top_k, where=where
            )
            return [int(x) for x in answer["ids"][0]]

        def mem0_filter(i: int) -> dict[str, str]:
            if filtered:
                return {"user_id": layout.tenants[int(query_tenant[i])]}
            return {"agent_id": MEM0_ALL}

        def mem0(i: int) -> list[int]:
            assert shared.mem0 is not None
            answer = shared.mem0.memory.search(
                f"q{i}", filters=mem0_filter(i), top_k=config.top_k, threshold=0.0
            )
            return [int(hit["memory"][1:]) for hit in answer["results"]]

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
            plans[outcome.plan] = plans.get(outcome.plan, 0) + 1
            return [row_of[h.message.id] for h in outcome.hits]

        plans: dict[str, int] = {}
        systems: dict[str, Callable[[int], Any]] = {NUMPY: numpy_exact}
        if shared.chroma is not None:
            systems[CHROMA] = chroma
        if shared.mem0 is not None:
            systems[MEM0] = mem0
        systems[MEMORY_MESH] = memory_mesh
        names = list(systems)

        async def ask(n: str, i: int) -> list[int]:
            result = systems[n](i)
            if asyncio.iscoroutine(result):
                result = await result
            return list(result)

        for i in range(min(config.warmup, len(queries))):
            for n in names:
                await ask(n, i)
        plans.clear()
        seconds: dict[str, list[list[float]]] = {n: [] for n in names}
        recalls: dict[str, list[float]] = {n: [] for n in names}
        returned: dict[str, list[int]] = {n: [] for n in names}
        step = 0
        for p in range(config.passes):
            for n in names:
                seconds[n].append([])
            for i in tqdm(
                range(len(queries)),
                desc=f"{regime} pass {p + 1}/{config.passes}",
                disable=not config.progress,
            ):
                step += 1
                for k in range(len(names)):  # rotate the order: no system always first
                    n = names[(step + k) % len(names)]
                    start = time.perf_counter()
                    result = await ask(n, i)
                    seconds[n][p].append(time.perf_counter() - start)
                    if p == 0:
                        recalls[n].append(_recall(result, truth[i]))
                        returned[n].append(len(result))
        out: dict[str, Any] = {
            "regime": regime,
            "tenants": len(layout.tenants),
            "rows_in_scope": len(scopes[int(query_tenant[0])]),
            "systems": {},
        }
        per_pass_p50 = {
            n: [float(np.percentile(np.asarray(s) * 1000, 50)) for s in seconds[n]] for n in names
        }
        for n in names:
            pooled = [x for run in seconds[n] for x in run]
            entry: dict[str, Any] = {
                "latency_ms": latency_summary(pooled),
                "p50_ms_per_pass": [round(x, 3) for x in per_pass_p50[n]],
                "recall_at_10": round(float(np.mean(recalls[n])), 4),
                "recall_at_10_min": round(float(np.min(recalls[n])), 4),
                "mean_results": round(float(np.mean(returned[n])), 2),
            }
            for ref, key in (
                (NUMPY, "p50_ratio_to_numpy"),
                (MEMORY_MESH, "p50_ratio_to_memory_mesh"),
            ):
                ratios = [a / b for a, b in zip(per_pass_p50[n], per_pass_p50[ref], strict=True)]
                entry[key] = round(median(ratios), 2)
            out["systems"][n] = entry
        out["systems"][MEMORY_MESH]["plans"] = dict(plans)  # the sweep below counts on
        if not filtered and config.ef_sweep:
            swept = {n: systems[n] for n in (CHROMA, MEMORY_MESH) if n in systems}
            out["ef_sweep"] = await _ef_sweep(config, runtime, shared, swept, truth)
        if shared.mem0 is not None:
            out["systems"][MEM0]["plan_scans"] = _explain_mem0(
                shared.mem0.url,
                shared.mem0.memory.vector_store.collection_name,
                queries[0],
                mem0_filter(0),
            )
        out["memory_mesh_load"] = loaded["figures"]
        out["load_average"] = {"start": load_at_start, "end": load_average()}
        return out
    finally:
        if runtime is not None:
            await runtime.stop()
        drop_database(server, name)


async def _ef_sweep(
    config: SideConfig,
    runtime: Runtime,
    shared: Shared,
    systems: dict[str, Callable[[int], Any]],
    truth: list[np.ndarray],
) -> list[dict[str, Any]]:
    """Each system at each ``ef_search`` of ``config.ef_sweep``: p50 and recall@10, the
    systems interleaved query by query, ``config.passes`` passes (median of the passes'
    p50). Memory Mesh walks at least its candidate count (50) whatever ef_search says:
    ``effective_ef`` records what it used. Defaults are restored afterwards."""
    default_plan = runtime.search.plan
    default_chroma = shared.chroma
    candidates = max(config.top_k * default_plan.candidate_multiplier, 50)
    points = []
    try:
        for ef in config.ef_sweep:
            if default_chroma is not None and CHROMA in systems:
                # a collection per ef: chromadb takes ef_search only when one is created
                shared.chroma, _ = build_chroma(
                    shared.vectors, shared.scoped, config.progress, ef_search=ef
                )
            runtime.search.plan = replace(default_plan, ef_search=ef)
            names = list(systems)
            p50s: dict[str, list[float]] = {n: [] for n in names}
            recalls: dict[str, list[float]] = {n: [] for n in names}
            for p in range(config.passes):
                times: dict[str, list[float]] = {n: [] for n in names}
                for i in tqdm(
                    range(len(truth)),
                    desc=f"ef_search {ef} pass {p + 1}/{config.passes}",
                    disable=not config.progress,
                ):
                    for k in range(len(names)):
                        n = names[(i + k) % len(names)]
                        start = time.perf_counter()
                        result = systems[n](i)
                        if asyncio.iscoroutine(result):
                            result = await result
                        times[n].append(time.perf_counter() - start)
                        if p == 0:
                            recalls[n].append(_recall(list(result), truth[i]))
                for n in names:
                    p50s[n].append(float(np.percentile(times[n], 50)) * 1000)
            for n in names:
                points.append(
                    {
                        "system": n,
                        "ef_search": ef,
                        "effective_ef": max(ef, candidates) if n == MEMORY_MESH else ef,
                        "p50_ms": round(median(p50s[n]), 3),
                        "p50_ms_per_pass": [round(x, 3) for x in p50s[n]],
                        "recall_at_10": round(float(np.mean(recalls[n])), 4),
                    }
                )
    finally:
        runtime.search.plan = default_plan
        shared.chroma = default_chroma
    return points


def run(config: SideConfig) -> dict[str, Any]:
    config.work_dir.mkdir(parents=True, exist_ok=True)
    corpus = load_corpus(config.locomo)
    embedder = local_embedder(32)
    cache = config.work_dir / "cache"
    real = embed_cached(
        embedder,
        [t.text for t in corpus.turns[: config.real_vectors]],
        cache,
        progress=config.progress,
        label="embed corpus",
    )
    questions = pick(corpus.questions, config.queries, config.seed)
    queries = embed_cached(embedder, questions, cache, progress=False)
    vectors = derive_vectors(real, config.size, seed=config.seed + config.size)
    scoped = Layout.scoped(len(vectors), config.rows_per_tenant)
    started = time.perf_counter()
    with no_network() as attempts, embedded_server(config.work_dir / "side-db") as server:
        results: dict[str, Any] = {"command": config.command, "machine": describe(server)}
        results["machine"]["chromadb"] = _chroma_version() if config.chroma else None
        results["machine"]["mem0ai"] = _mem0_version() if config.mem0 else None
        results["corpus"] = {"source": corpus.source, "real_vectors": len(real)}
        builds: dict[str, Any] = {
            NUMPY: {"path": "the matrix in memory (nothing to build)", "rows": len(vectors)}
        }
        chroma = None
        if config.chroma:
            chroma, builds[CHROMA] = build_chroma(vectors, scoped, config.progress)
        mem0 = build_mem0(server, vectors, queries, scoped, config) if config.mem0 else None
        try:
            if mem0 is not None:
                builds[MEM0] = mem0.figures
            shared = Shared(vectors, queries, scoped, chroma, mem0)
            regimes = [
                asyncio.run(_regime(server, config, r, shared, embedder.info))
                for r in ("no filter", "tenant filter")
            ]
        finally:
            if mem0 is not None:
                builds[MEM0]["llm_calls"] = mem0.memory.llm.calls
                mem0.close()
                drop_database(server, mem0.database)
        mm = regimes[0]["memory_mesh_load"]
        builds[MEMORY_MESH] = {
            "path": "binary COPY, then the HNSW index built (bench/tables.py)",
            "rows": mm["rows"],
            "copy_seconds": mm["load_seconds"],
            "hnsw_build_seconds": mm["hnsw_build_seconds"],
            "hnsw_index_mb": mm["hnsw_index_mb"],
            "table_total_mb": mm["table_total_mb"],
        }
        network = list(attempts)
    results["side_by_side"] = {
        "size": config.size,
        "queries": len(queries),
        "passes": config.passes,
        "top_k": config.top_k,
        "rows_per_tenant": config.rows_per_tenant,
        "builds": builds,
        "regimes": regimes,
        "network": {
            "attempts": network,
            "guard": "Python-level connect/getaddrinfo to any non-loopback host refused and "
            "counted for the whole run (PostgreSQL is reached over its Unix socket)",
        },
        "notes": NOTES,
    }
    results["load_average_at_end"] = load_average()
    results["duration_seconds"] = round(time.perf_counter() - started, 1)
    report.write_json_and_markdown(results, config.out, "side_by_side", markdown)
    if config.plot:
        draw(results, config.out)
    return results


NOTES = (
    "Each system at its defaults. Memory Mesh: service search (vector mode, default plan:"
    " exact under search_exact_max_rows rows of scope, else HNSW over halfvec), through "
    "Runtime.search.search in this process (no HTTP), the query's vector answered as its "
    "query cache answers a repeated query (on the event loop, as Chroma is given it). "
    "Chroma: EphemeralClient, cosine, hnsw defaults, tenant in metadata. mem0: "
    "Memory.search(query, filters, top_k=10, threshold=0.0) -- its hybrid pipeline "
    "(semantic pgvector query of 60 candidates, keyword query on the GIN index, "
    "score_and_rank); spaCy is not installed (its model would be downloaded at run time),"
    " so no lemmatising and no entity boosts, and the keyword query finds nothing on the "
    "synthetic labels: the ranking is the semantic one; pgvector hnsw.ef_search at its "
    "default (40). NumPy: one matrix-vector product and argpartition over the scope (the "
    "tenant's rows picked by index in the filtered regime)."
)


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def parse(argv: list[str]) -> SideConfig:
    parser = argparse.ArgumentParser(prog="python -m bench.side_by_side")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--mem0-add", type=int, default=2_000, help="messages through Memory.add")
    parser.add_argument("--ef-sweep", type=_ints, default=(), help="e.g. 10,20,40,80,160")
    parser.add_argument("--no-chroma", dest="chroma", action="store_false")
    parser.add_argument("--no-mem0", dest="mem0", action="store_false")
    cli.add_common_arguments(parser, RESULTS_DIR, redraw=True)
    args = parser.parse_args(argv)
    return cli.from_args(SideConfig, args, **cli.common_fields(args, "bench.side_by_side", argv))


def main(argv: list[str] | None = None) -> None:
    config = cli.start(parse, argv)
    if config.redraw:
        results = report.redraw(config.out, "side_by_side", markdown, draw)
    else:
        results = run(config)
    print(markdown(results))


if __name__ == "__main__":
    main()
