"""Search latency (p50 / p95 / p99) and recall@10 against exact search, through the
product's own code: ``Runtime.search.search(SearchQuery(mode=vector, top_k=10))`` on a
database filled with real-model vectors.

Two regimes per size, each in its own database of the embedded PostgreSQL:
- ``scoped``: many tenants of ``rows_per_tenant`` rows; each query searches one of them.
- ``unscoped``: one tenant holds every row (the HNSW regime once it passes
  ``MEMORY_SEARCH_EXACT_MAX_ROWS``).
The service picks its plan from the scope size; the plan it used is recorded. Extra
cases force the other plan (``search_exact_max_rows`` 0 or above the size) to show what
the choice is worth, and sweep ``hnsw.ef_search`` for the latency/recall trade-off.

All cases of one database are measured interleaved: each question is asked of every
case in turn, so load from other processes on a shared machine affects them alike.

The query embedder is replaced by one returning precomputed vectors of the questions,
so the figures are database + service time, without the model (measured separately as
``query_embedding_ms``). The ranking weights are relevance 1, importance 0, recency 0, so
the top 10 ids can be compared with exact cosine top 10 computed by NumPy.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import numpy as np
from tqdm import tqdm

from bench.data import Corpus, derive_vectors, embed_cached, pick
from bench.explain import explain_search
from bench.stats import latency_summary
from bench.tables import Layout, create_database, drop_database, load
from memory_mesh.config import Settings
from memory_mesh.domain.models import SearchMode, SearchQuery
from memory_mesh.embeddings import Embedder, EmbedderInfo
from memory_mesh.runtime import Runtime
from memory_mesh.store.migrations import migrate

log = logging.getLogger(__name__)

TIE_TOLERANCE = 1e-6  # a hit as similar as the exact 10th (float rounding) counts as found


@dataclass(frozen=True)
class SearchConfig:
    sizes: tuple[int, ...] = (10_000, 100_000)
    rows_per_tenant: int = 100
    rows_per_conversation: int = 100
    queries: int = 200
    warmup: int = 20
    top_k: int = 10
    ef_values: tuple[int, ...] = (40, 100, 200)
    seed: int = 7
    real_vectors: int | None = None  # embed only the first N corpus turns (None: all)
    progress: bool = True


@dataclass(frozen=True)
class Case:
    """One measured configuration: a regime plus the settings that choose the plan."""

    regime: str
    label: str
    overrides: dict[str, int] = field(default_factory=dict)


class PrecomputedQueries:
    """An embedder whose queries are looked up (``"q17"`` -> vector 17): no model time."""

    def __init__(self, info: EmbedderInfo, vectors: np.ndarray) -> None:
        self._info = info
        self._vectors = vectors

    @property
    def info(self) -> EmbedderInfo:
        return self._info

    def embed_query(self, text: str) -> np.ndarray:
        return np.array(self._vectors[int(text.removeprefix("q"))], dtype=np.float32)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.embed_query(t) for t in texts])


def database_url(server_url: str, name: str) -> str:
    """The embedded server's URL pointing at database ``name``."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def search_settings(url: str, data_dir: Path, **overrides: int) -> Settings:
    """The service's settings for a case; ``data_dir`` keeps whatever the runtime writes
    (e.g. a development signing key) in the work directory."""
    return Settings(
        database_url=url,
        data_dir=data_dir,
        environment="test",
        auto_migrate=False,
        ranking_relevance_weight=1.0,
        ranking_importance_weight=0.0,
        ranking_recency_weight=0.0,
        db_pool_min_size=1,
        db_pool_max_size=2,
        **overrides,  # type: ignore[arg-type]
    )


@dataclass
class Truth:
    """Exact cosine similarities of each query over its scope, from NumPy."""

    query_tenants: list[str]
    scope_rows: list[np.ndarray]  # row indexes in scope, per query
    kth: list[float]  # similarity of the exact k-th neighbour, per query


def exact_truth(
    vectors: np.ndarray, queries: np.ndarray, layout: Layout, query_tenant: np.ndarray, k: int
) -> Truth:
    tenants, scopes, kth = [], [], []
    for q, t in zip(queries, query_tenant, strict=True):
        rows = layout.rows_of(int(t))
        sims = vectors[rows] @ q
        top = min(k, len(rows))
        kth.append(float(np.partition(sims, len(sims) - top)[len(sims) - top]))
        tenants.append(layout.tenants[int(t)])
        scopes.append(rows)
    return Truth(tenants, scopes, kth)


def recall_at_k(
    hit_ids: Sequence[UUID],
    truth: Truth,
    index: int,
    row_of: dict[UUID, int],
    vectors: np.ndarray,
    query: np.ndarray,
    k: int,
) -> float:
    """Share of the exact top k found: a hit counts if it is in scope and at least as
    similar as the exact k-th neighbour (so exact ties at the boundary count)."""
    scope = truth.scope_rows[index]
    expected = min(k, len(scope))
    in_scope = set(scope.tolist())
    found = 0
    for hit in hit_ids[:k]:
        row = row_of.get(hit)
        if row is None or row not in in_scope:
            continue
        if float(vectors[row] @ query) >= truth.kth[index] - TIE_TOLERANCE:
            found += 1
    return min(found, expected) / expected


@dataclass
class Loaded:
    """One loaded database and the exact answers of its queries."""

    url: str
    data_dir: Path
    info: EmbedderInfo
    queries: np.ndarray
    truth: Truth
    row_of: dict[UUID, int]
    vectors: np.ndarray
    config: SearchConfig

    def query(self, i: int) -> SearchQuery:
        return SearchQuery(
            tenant_id=self.truth.query_tenants[i],
            query=f"q{i}",
            mode=SearchMode.vector,
            top_k=self.config.top_k,
        )

    async def runtime(self, case: Case) -> Runtime:
        settings = search_settings(self.url, self.data_dir, **case.overrides)
        return await Runtime.start(
            settings, embedder=PrecomputedQueries(self.info, self.queries), run_worker=False
        )


@dataclass
class Record:
    latencies: list[float] = field(default_factory=list)
    recalls: list[float] = field(default_factory=list)
    returned: list[int] = field(default_factory=list)
    plans: dict[str, int] = field(default_factory=dict)

    @property
    def plan(self) -> str:
        return max(self.plans, key=self.plans.__getitem__)


def measure_cases(db: Loaded, regime: str, size: int) -> list[dict[str, Any]]:
    return asyncio.run(_measure_cases(db, regime, size))


async def _measure_cases(db: Loaded, regime: str, size: int) -> list[dict[str, Any]]:
    """Every case of one database, interleaved: each question is asked of every case in
    turn (rotating the order), so a burst of load on this shared machine hits all cases
    alike and their ratios stay meaningful."""
    config = db.config
    default = Case(regime, "service default")
    runtimes: list[Runtime] = []
    try:
        runtimes.append(await db.runtime(default))
        probe = await runtimes[0].search.search(db.query(0))
        cases = [default, *_cases(regime, size, probe.plan, config)]
        for case in cases[1:]:
            runtimes.append(await db.runtime(case))
        records = [Record() for _ in cases]
        for runtime in runtimes:
            for i in range(config.warmup):
                await runtime.search.search(db.query(i % len(db.queries)))
        for i in tqdm(
            range(len(db.queries)),
            desc=f"  {regime}: {len(cases)} cases",
            disable=not config.progress,
        ):
            for k in range(len(cases)):
                c = (i + k) % len(cases)
                start = time.perf_counter()
                outcome = await runtimes[c].search.search(db.query(i))
                records[c].latencies.append(time.perf_counter() - start)
                ids = [hit.message.id for hit in outcome.hits]
                records[c].plans[outcome.plan] = records[c].plans.get(outcome.plan, 0) + 1
                records[c].returned.append(len(ids))
                records[c].recalls.append(
                    recall_at_k(
                        ids, db.truth, i, db.row_of, db.vectors, db.queries[i], config.top_k
                    )
                )
        results = []
        for case, runtime, record in zip(cases, runtimes, records, strict=True):
            explained = await explain_search(runtime, db.query(0), db.queries[0], record.plan)
            results.append(_summary(case, runtime, record, explained))
        return results
    finally:
        for runtime in runtimes:
            await runtime.stop()


def _summary(
    case: Case, runtime: Runtime, record: Record, explained: dict[str, Any]
) -> dict[str, Any]:
    plan_config = runtime.search.plan
    return {
        "regime": case.regime,
        "label": case.label,
        "settings": {
            "search_exact_max_rows": plan_config.exact_max_rows,
            "search_hnsw_ef_search": plan_config.ef_search,
            "search_candidate_multiplier": plan_config.candidate_multiplier,
        },
        "plan": record.plan,
        "plans": record.plans,
        "queries": len(record.latencies),
        "latency_ms": latency_summary(record.latencies),
        "recall_at_10": round(float(np.mean(record.recalls)), 4),
        "recall_at_10_min": round(float(np.min(record.recalls)), 4),
        "mean_results": round(float(np.mean(record.returned)), 2),
        "explain": explained,
    }


def _cases(regime: str, size: int, default_plan: str, config: SearchConfig) -> list[Case]:
    """Cases after the service-default one, given the plan the default chose."""
    cases: list[Case] = []
    if regime == "scoped":
        # what the plan choice avoids: HNSW + tenant filter (iterative scan)
        cases.append(Case(regime, "forced hnsw", {"search_exact_max_rows": 0}))
        return cases
    if default_plan != "exact":
        cases.append(Case(regime, "forced exact", {"search_exact_max_rows": size}))
    default_ef = Settings.model_fields["search_hnsw_ef_search"].default
    for ef in config.ef_values:
        if default_plan == "hnsw" and ef == default_ef:
            continue  # the default case already measured it
        cases.append(
            Case(
                regime,
                f"hnsw ef_search {ef}",
                {"search_exact_max_rows": 0, "search_hnsw_ef_search": ef},
            )
        )
    return cases


def measure_query_embedding(embedder: Embedder, questions: Sequence[str]) -> dict[str, float]:
    """Latency of embedding one question with the real model (uncached path)."""
    embedder.embed_documents([questions[0]])
    seconds = []
    for question in questions:
        start = time.perf_counter()
        embedder.embed_documents([question])
        seconds.append(time.perf_counter() - start)
    return latency_summary(seconds)


def run_search_latency(
    corpus: Corpus, server: str, work_dir: Path, embedder: Embedder, config: SearchConfig
) -> dict[str, Any]:
    """Measure every size and regime on the embedded server at ``server`` (its databases
    are created and dropped here); ``work_dir`` holds the vector cache."""
    cache = work_dir / "cache"
    info = embedder.info
    real = embed_cached(
        embedder,
        [t.text for t in corpus.turns[: config.real_vectors]],
        cache,
        progress=config.progress,
        label="embed corpus",
    )
    questions = pick(corpus.questions, config.queries, config.seed)
    queries = embed_cached(embedder, questions, cache, progress=False)
    query_embedding = measure_query_embedding(embedder, questions)
    results: list[dict[str, Any]] = []
    for size in config.sizes:
        vectors = derive_vectors(real, size, seed=config.seed + size)
        rng = np.random.default_rng(config.seed + 1)
        for regime in ("scoped", "unscoped"):
            if regime == "scoped":
                layout = Layout.scoped(size, config.rows_per_tenant)
                query_tenant = rng.integers(len(layout.tenants), size=len(queries))
            else:
                layout = Layout.single(size, config.rows_per_conversation)
                query_tenant = np.zeros(len(queries), dtype=np.int64)
            name = f"mm_bench_{size}_{regime}"
            if config.progress:
                tqdm.write(f"search: {size} rows, {regime} ({len(layout.tenants)} tenants)")
            create_database(server, name)
            url = database_url(server, name)
            try:
                migrate(url, dimensions=info.dimensions)
                loaded = load(
                    url, vectors, layout, info, seed=config.seed + size, progress=config.progress
                )
                row_of = {message_id: i for i, message_id in enumerate(loaded["ids"])}
                truth = exact_truth(vectors, queries, layout, query_tenant, config.top_k)

                db = Loaded(
                    url, work_dir / "runtime", info, queries, truth, row_of, vectors, config
                )
                cases = measure_cases(db, regime, size)
            finally:
                drop_database(server, name)
            results.append(
                {"size": size, "regime": regime, "data": loaded["figures"], "cases": cases}
            )
    return {
        "config": {k: v for k, v in asdict(config).items() if k != "progress"},
        "model": asdict(info),
        "vectors": {
            "real": len(real),
            "derivation": "rows beyond the real embeddings: normalise(w*a + (1-w)*b + noise), "
            "a, b random real vectors, w ~ U(0.2, 0.8), Gaussian noise of expected norm 0.1",
        },
        "query_embedding_ms": query_embedding,
        "results": results,
    }
