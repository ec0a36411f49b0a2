"""Search latency (p50 / p95 / p99) and recall@10 against exact search, through the
product's own code: ``Runtime.search.search(SearchQuery(mode=vector, top_k=10))`` on a
database filled with real-model vectors.

Two databases per size in the embedded PostgreSQL, four regimes:
- ``scoped``: many tenants of ``rows_per_tenant`` rows; each query searches one of them.
- ``unscoped``: one tenant holds every row (the HNSW regime once it passes
  ``MEMORY_SEARCH_EXACT_MAX_ROWS``).
- ``conversation``: in that same one-tenant database, each query is filtered to one
  conversation of ``rows_per_conversation`` rows.
- ``large conversation``: the same, in one of a few conversations holding
  ``large_conversation_share`` of the rows each (1% of 1M rows: a filtered scope too
  large for exact search, so the service walks the HNSW index with the filter).
The service picks its plan from the scope size; the plan it used is recorded. Extra
cases force the other plan (``search_exact_max_rows`` 0 or above the size) to show what
the choice is worth, and sweep ``hnsw.ef_search`` for the latency/recall trade-off.

All cases of one regime are measured interleaved: each question is asked of every case
in turn, so load from other processes on a shared machine affects them alike; the whole
pass is repeated ``rounds`` times and each percentile reported is the median of the
rounds' (every round's figures are kept). With ``keep_databases`` the loaded databases
stay in the work directory and a later run with the same data reuses them (the 1M load
and index build take a long time); ``hnsw_variants`` rebuilds the one-tenant database's
index with other ``m`` / ``ef_construction`` at ``variants_size`` and sweeps ef_search.

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
from bench.tables import Layout, drop_database, prepare, rebuild_hnsw
from memory_mesh.config import Settings
from memory_mesh.domain.models import SearchMode, SearchQuery
from memory_mesh.embeddings import Embedder, EmbedderInfo, QueryVector
from memory_mesh.embeddings.base import query_vector_from_row
from memory_mesh.runtime import Runtime

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
    rounds: int = 3  # interleaved passes over the questions; percentiles: median of rounds
    large_conversations: int = 5  # conversations holding large_conversation_share each
    large_conversation_share: float = 0.01
    keep_databases: bool = False  # keep loaded databases in the work dir, reuse if same
    prepare_only: bool = False  # load (or find) the databases, measure nothing
    hnsw_variants: tuple[tuple[int, int], ...] = ()  # (m, ef_construction) to rebuild with
    variants_size: int = 100_000
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

    def embed_query(self, text: str) -> QueryVector:
        return query_vector_from_row(self._row(text))

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._row(t) for t in texts])

    def _row(self, text: str) -> np.ndarray:
        return np.array(self._vectors[int(text.removeprefix("q"))], dtype=np.float32)


class CachedQueries(PrecomputedQueries):
    """Precomputed queries answered as the service answers a query its cache holds: on
    the event loop (no worker-thread hand-off, which stands for the model's time), as a
    peer given the vector answers."""

    async def embed_query_async(self, text: str) -> np.ndarray:
        return self.embed_query(text)


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


Scope = tuple[int, int | None]  # (tenant index, conversation index or None)


@dataclass
class Truth:
    """Exact cosine similarities of each query over its scope, from NumPy."""

    scopes: list[Scope]  # per query
    scope_size: list[int]  # rows in each query's scope
    kth: list[float]  # similarity of the exact k-th neighbour, per query


def exact_truth(
    vectors: np.ndarray, queries: np.ndarray, layout: Layout, scopes: Sequence[Scope], k: int
) -> Truth:
    """Queries are grouped by scope; a scope of every row is scored in place (no copy)
    a few queries at a time, so 1M rows stay cheap."""
    kth = [0.0] * len(queries)
    size = [0] * len(queries)
    groups: dict[Scope, list[int]] = {}
    for i, scope in enumerate(scopes):
        groups.setdefault(scope, []).append(i)
    for (tenant, conversation), members in groups.items():
        rows = layout.rows_of(tenant, conversation)
        block = vectors if len(rows) == len(vectors) else vectors[rows]
        top = min(k, len(rows))
        for start in range(0, len(members), 16):
            chunk = members[start : start + 16]
            sims = block @ queries[chunk].T
            kths = np.partition(sims, len(rows) - top, axis=0)[len(rows) - top]
            for i, value in zip(chunk, kths, strict=True):
                kth[i] = float(value)
                size[i] = len(rows)
    return Truth(list(scopes), size, kth)


def recall_at_k(
    hit_ids: Sequence[UUID],
    truth: Truth,
    index: int,
    row_of: dict[UUID, int],
    vectors: np.ndarray,
    query: np.ndarray,
    k: int,
    layout: Layout,
) -> float:
    """Share of the exact top k found: a hit counts if it is in scope and at least as
    similar as the exact k-th neighbour (so exact ties at the boundary count)."""
    tenant, conversation = truth.scopes[index]
    expected = min(k, truth.scope_size[index])
    found = 0
    for hit in hit_ids[:k]:
        row = row_of.get(hit)
        if row is None or int(layout.row_tenant[row]) != tenant:
            continue
        if conversation is not None and int(layout.row_conversation[row]) != conversation:
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
    layout: Layout
    conversation_ids: list[UUID]

    def query(self, i: int) -> SearchQuery:
        tenant, conversation = self.truth.scopes[i]
        return SearchQuery(
            tenant_id=self.layout.tenants[tenant],
            query=f"q{i}",
            mode=SearchMode.vector,
            top_k=self.config.top_k,
            conversation_id=None if conversation is None else self.conversation_ids[conversation],
        )

    def recall(self, i: int, ids: Sequence[UUID]) -> float:
        return recall_at_k(
            ids,
            self.truth,
            i,
            self.row_of,
            self.vectors,
            self.queries[i],
            self.config.top_k,
            self.layout,
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
    round_latencies: list[list[float]] = field(default_factory=list)

    @property
    def plan(self) -> str:
        return max(self.plans, key=self.plans.__getitem__)


def measure_cases(db: Loaded, regime: str, size: int) -> list[dict[str, Any]]:
    return asyncio.run(_measure_cases(db, regime, size))


async def _measure_cases(db: Loaded, regime: str, size: int) -> list[dict[str, Any]]:
    """Every case of one database, interleaved: each question is asked of every case in
    turn (rotating the order), so a burst of load on this shared machine hits all cases
    alike and their ratios stay meaningful."""
    default = Case(regime, "service default")
    runtime = await db.runtime(default)
    try:
        probe = await runtime.search.search(db.query(0))
    finally:
        await runtime.stop()
    return await _measure(db, [default, *_cases(regime, size, probe.plan, db.config)], size)


async def _measure(db: Loaded, cases: list[Case], size: int) -> list[dict[str, Any]]:
    """``cases`` on ``db``, interleaved, ``rounds`` times."""
    config = db.config
    regime = cases[0].regime
    runtimes: list[Runtime] = []
    try:
        for case in cases:
            runtimes.append(await db.runtime(case))
        records = [Record() for _ in cases]
        for runtime in runtimes:
            for i in range(config.warmup):
                await runtime.search.search(db.query(i % len(db.queries)))
        questions = len(db.queries)
        with tqdm(
            total=questions * config.rounds,
            desc=f"  {size:,} {regime}: {len(cases)} cases x {config.rounds} rounds",
            disable=not config.progress,
        ) as bar:
            for round_ in range(config.rounds):
                for record in records:
                    record.round_latencies.append([])
                for i in range(questions):
                    for k in range(len(cases)):
                        c = (i + k + round_) % len(cases)
                        start = time.perf_counter()
                        outcome = await runtimes[c].search.search(db.query(i))
                        seconds = time.perf_counter() - start
                        record = records[c]
                        record.round_latencies[-1].append(seconds)
                        record.latencies.append(seconds)
                        ids = [hit.message.id for hit in outcome.hits]
                        record.plans[outcome.plan] = record.plans.get(outcome.plan, 0) + 1
                        if round_ == 0:  # the answers do not change between rounds
                            record.returned.append(len(ids))
                            record.recalls.append(db.recall(i, ids))
                    bar.update()
        results = []
        for case, runtime, record in zip(cases, runtimes, records, strict=True):
            explained = await explain_search(runtime, db.query(0), db.queries[0], record.plan)
            summary = _summary(case, runtime, record, explained, config.top_k)
            summary["p50_vs_first"] = _ratio_of_rounds(record, records[0])
            results.append(summary)
        return results
    finally:
        for runtime in runtimes:
            await runtime.stop()


def _ratio_of_rounds(record: Record, first: Record) -> float:
    """p50 of ``record`` over p50 of ``first`` (the service default, measured in the same
    interleaved pass), per round; the median of the rounds."""
    ratios = [
        float(np.median(mine) / np.median(theirs))
        for mine, theirs in zip(record.round_latencies, first.round_latencies, strict=True)
        if mine and theirs
    ]
    return round(float(np.median(ratios)), 3)


def effective_ef(ef_search: int, top_k: int, multiplier: int) -> int:
    """The ef_search the service sets: at least as far as the candidates it fetches
    (store/search.py: ``max(ef_search, max(top_k * multiplier, 50))``)."""
    return max(ef_search, max(top_k * multiplier, 50))


def median_of_rounds(rounds: Sequence[Sequence[float]]) -> dict[str, float]:
    """Each percentile of :func:`latency_summary`, the median over the rounds."""
    summaries = [latency_summary(r) for r in rounds if r]
    return {key: round(float(np.median([s[key] for s in summaries])), 3) for key in summaries[0]}


def _summary(
    case: Case, runtime: Runtime, record: Record, explained: dict[str, Any], top_k: int
) -> dict[str, Any]:
    plan_config = runtime.search.plan
    return {
        "regime": case.regime,
        "label": case.label,
        "settings": {
            "search_exact_max_rows": plan_config.exact_max_rows,
            "search_hnsw_ef_search": plan_config.ef_search,
            "search_candidate_multiplier": plan_config.candidate_multiplier,
            "effective_ef_search": effective_ef(
                plan_config.ef_search, top_k, plan_config.candidate_multiplier
            ),
        },
        "plan": record.plan,
        "plans": record.plans,
        "queries": len(record.recalls),
        "rounds": len(record.round_latencies),
        "latency_ms": median_of_rounds(record.round_latencies),
        "latency_ms_pooled": latency_summary(record.latencies),
        "latency_ms_rounds": [latency_summary(r) for r in record.round_latencies],
        "recall_at_10": round(float(np.mean(record.recalls)), 4),
        "recall_at_10_min": round(float(np.min(record.recalls)), 4),
        "mean_results": round(float(np.mean(record.returned)), 2),
        "explain": explained,
    }


def _cases(regime: str, size: int, default_plan: str, config: SearchConfig) -> list[Case]:
    """Cases after the service-default one, given the plan the default chose."""
    cases: list[Case] = []
    if regime in ("scoped", "conversation"):
        # what the plan choice avoids: HNSW + tenant / conversation filter (iterative scan)
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


def query_scopes(
    regime: str, layout: Layout, count: int, rng: np.random.Generator
) -> list[Scope] | None:
    """Each question's scope in ``regime`` (None: the layout has no such scope)."""
    conversations = len(layout.conversation_tenant)
    if regime == "scoped":
        return [(int(t), None) for t in rng.integers(len(layout.tenants), size=count)]
    if regime == "unscoped":
        return [(0, None)] * count
    if regime == "conversation":
        if conversations <= layout.large_conversations:
            return None
        picked = rng.integers(layout.large_conversations, conversations, size=count)
        return [(0, int(c)) for c in picked]
    if regime == "large conversation":
        if not layout.large_conversations:
            return None
        return [(0, int(c)) for c in rng.integers(layout.large_conversations, size=count)]
    raise ValueError(regime)


def layout_for(database: str, size: int, config: SearchConfig) -> Layout:
    """Who owns each row of database ``scoped`` or ``unscoped`` (one tenant)."""
    if database == "scoped":
        return Layout.scoped(size, config.rows_per_tenant)
    return Layout.single(
        size,
        config.rows_per_conversation,
        config.large_conversations,
        config.large_conversation_share,
    )


DATABASE_REGIMES = {
    "scoped": ("scoped",),
    "unscoped": ("unscoped", "conversation", "large conversation"),
}


def run_search_latency(
    corpus: Corpus, server: str, work_dir: Path, embedder: Embedder, config: SearchConfig
) -> dict[str, Any]:
    """Measure every size and regime on the embedded server at ``server`` (its databases
    are created here, and dropped unless ``keep_databases``); ``work_dir`` holds the
    vector cache."""
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
    variants: list[dict[str, Any]] = []
    for size in config.sizes:
        vectors = derive_vectors(real, size, seed=config.seed + size)
        rng = np.random.default_rng(config.seed + 1)
        for database in ("scoped", "unscoped"):
            layout = layout_for(database, size, config)
            name = f"mm_bench_{size}_{database}"
            if config.progress:
                tqdm.write(f"search: {size:,} rows, {database} ({len(layout.tenants):,} tenants)")
            url = database_url(server, name)
            try:
                loaded = prepare(
                    server,
                    name,
                    url,
                    vectors,
                    layout,
                    info,
                    seed=config.seed + size,
                    keep=config.keep_databases,
                    progress=config.progress,
                )
                if config.prepare_only:
                    results.append(
                        {"size": size, "regime": database, "data": loaded["figures"], "cases": []}
                    )
                    continue
                row_of = {message_id: i for i, message_id in enumerate(loaded["ids"])}
                for regime in DATABASE_REGIMES[database]:
                    scopes = query_scopes(regime, layout, len(queries), rng)
                    if scopes is None:
                        continue
                    truth = exact_truth(vectors, queries, layout, scopes, config.top_k)
                    db = Loaded(
                        url,
                        work_dir / "runtime",
                        info,
                        queries,
                        truth,
                        row_of,
                        vectors,
                        config,
                        layout,
                        loaded["conversation_ids"],
                    )
                    cases = measure_cases(db, regime, size)
                    results.append(
                        {
                            "size": size,
                            "regime": regime,
                            "scope_rows": int(np.median(truth.scope_size)),
                            "data": loaded["figures"],
                            "cases": cases,
                        }
                    )
                    if (
                        regime == "unscoped"
                        and config.hnsw_variants
                        and size == config.variants_size
                    ):
                        variants = measure_variants(db, size)
            finally:
                if not config.keep_databases:
                    drop_database(server, name)
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
        "hnsw_variants": variants,
    }


def measure_variants(db: Loaded, size: int) -> list[dict[str, Any]]:
    """Rebuild the one-tenant database's HNSW index with each (m, ef_construction) and
    sweep ef_search on it (unscoped queries, the ef cases interleaved). Variants are
    measured one after the other (one index at a time: the planner would pick among
    several), so compare them through the recall they reach, and latencies with care;
    the migration's own index (m 16, ef_construction 64) is restored at the end when the
    database is kept."""
    config = db.config
    default = _index_parameters(db.url)
    out = []
    try:
        for m, ef_construction in config.hnsw_variants:
            if config.progress:
                tqdm.write(f"  index variant m {m}, ef_construction {ef_construction}")
            built = rebuild_hnsw(db.url, m, ef_construction, size)
            cases = asyncio.run(_measure_ef_sweep(db, size))
            out.append(built | {"cases": cases})
    finally:  # a kept database gets its own index back (a dropped one needs none)
        if config.keep_databases and _index_parameters(db.url) != default:
            rebuild_hnsw(db.url, default[0], default[1], size)
    return out


def _index_parameters(url: str) -> tuple[int, int]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "select c.reloptions from pg_class c join pg_index i on i.indexrelid = c.oid"
            " join pg_am a on a.oid = c.relam"
            " where i.indrelid = 'messages'::regclass and a.amname = 'hnsw'"
        ).fetchone()
    options = dict(o.split("=", 1) for o in (row[0] or [])) if row else {}
    return int(options.get("m", 16)), int(options.get("ef_construction", 64))


async def _measure_ef_sweep(db: Loaded, size: int) -> list[dict[str, Any]]:
    cases = [
        Case(
            "unscoped",
            f"hnsw ef_search {ef}",
            {"search_exact_max_rows": 0, "search_hnsw_ef_search": ef},
        )
        for ef in db.config.ef_values
    ]
    return await _measure(db, cases, size)
