"""Issue 17's large-tenant studies: one tenant of 1M rows at recall@10 >= 0.95, and a
small tenant among 1M rows searched over HTTP.

    python -m bench.scale_study --work-dir /tmp/mm-bench-scale1m --section index
    python -m bench.scale_study --work-dir /tmp/mm-bench-scale1m --section quantised
    python -m bench.scale_study --work-dir /tmp/mm-bench-scale1m --section variant --variant 32:128
    python -m bench.scale_study --work-dir /tmp/mm-bench-scale1m --section service
    python -m bench.scale_study --work-dir /tmp/mm-bench-scale1m --section real
    python -m bench.scale_study --work-dir /tmp/mm-bench-scale1m --section http
    python -m bench.scale_study --work-dir /tmp/mm-bench-scale1m --section modes
    python -m bench.scale_study --redraw

The 1M database is the one ``python -m bench --sizes 1000000 --keep-databases`` loads
(``mm_bench_1000000_unscoped``: one tenant, vectors derived from LoCoMo's real
embeddings, bench/data.py), loaded once into ``--work-dir`` and reused by every section.
Each run measures its section(s) and merges them into ``scale_study.json``; the report is
rendered from the whole JSON.

Sections:

- ``index``: the statement the service's HNSW plan runs for an unscoped search, as plain
  SQL (``order by embedding::halfvec <=> q limit 10`` under ``hnsw.ef_search``), on the
  index the migrations build, swept over ef_search (cases interleaved question by
  question, so machine load hits them alike).
- ``quantised``: a binary-quantised HNSW index beside it (48 bytes a row instead of 768),
  its ``ef_search`` nearest candidates by Hamming distance re-ranked exactly by cosine.
- ``variant``: the migration's index rebuilt with other ``m`` / ``ef_construction``
  (timed), swept like ``index``. One HNSW index on the expression at a time (the planner
  would pick among several), so a variant replaces the index; run ``index`` first.
- ``service``: the service's own search (statement, plan choice, ranking) on the index
  in place, at a few ef_search values.
- ``real``: the bias of derived vectors: a table of texts the local model embedded
  (LoCoMo's turns; ``--real-texts all`` adds observations and summaries) against tables
  of the same size derived as crowded as the 100k and 1M rows are; same index, same
  questions.
- ``http``: a tenant of 1,000 real turns inside the 1M table, searched through a real
  ``memory-mesh serve`` (vector mode, a new question text each request so the query
  cache never answers), next to its parts measured in the same rounds: the model
  embedding one question in process, the authenticated one-row list (HTTP floor), and
  the service's search in process.

Recall@10 is against exact cosine top 10 over the tenant (NumPy); a hit as similar as the
exact 10th counts (ties). ``similarity kept`` is the returned top 10's summed cosine over
the exact top 10's: how much worse the misses are, not just how many.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import signal
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg
from pgvector.psycopg import register_vector
from tqdm import tqdm

from bench import cli, markdown
from bench.data import Corpus, derive_vectors, embed_cached, load_corpus, pick
from bench.explain import explain_search
from bench.http_overhead import Case as TimedCase  # one request kind, timed with its CPU
from bench.http_overhead import _start_redis, postgres_cpu, process_cpu, server_timing
from bench.ingest import SERVER_ENV, local_embedder, sign_in
from bench.machine import load_average, run_record
from bench.search_latency import (
    Case,
    Loaded,
    SearchConfig,
    _measure,
    database_url,
    exact_truth,
    layout_for,
)
from bench.server import ServerProcess
from bench.stats import latency_summary, median
from bench.tables import Layout, build_settings, embedded_server, hnsw_sizes, prepare, row_ids
from memory_mesh.config import Settings
from memory_mesh.domain.models import SearchMode, SearchQuery
from memory_mesh.embeddings import Embedder
from memory_mesh.runtime import Runtime
from memory_mesh.store import search as store_search

log = logging.getLogger(__name__)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SECTIONS = ("index", "quantised", "variant", "service", "real", "http", "modes")
TENANT = "all"  # Layout.single's one tenant
SMALL_TENANT = "bench-1k"  # the http section's tenant inside the 1M table
QUANTISED_INDEX = "bench_embedding_bq_hnsw"
MAX_EF_SEARCH = 1000  # pgvector's limit


@dataclass(frozen=True)
class StudyConfig:
    size: int = 1_000_000
    queries: int = 200
    warmup: int = 10
    rounds: int = 2
    ef_values: tuple[int, ...] = (100, 200, 400, 800, 1000)
    quantised_candidates: tuple[int, ...] = (400, 1000, 2000)
    variant: tuple[int, int] | None = None  # (m, ef_construction)
    real_ef_values: tuple[int, ...] = (10, 20, 40, 100)
    service_ef_values: tuple[int, ...] = (200, 400, 800)
    real_texts: str = "turns"  # or "all": turns, observations, summaries (~11k texts)
    small_tenant_rows: int = 1_000
    baseline_src: str | None = None  # http: another checkout's layers/core, served beside
    http_requests: int = 100  # per case and round
    http_rounds: int = 3
    turns: int | None = None  # embed only the first N corpus turns (None: all)
    seed: int = 7
    progress: bool = True


class Options(cli.Options[StudyConfig]):
    pass


# --- the measured statements ----------------------------------------------------------


@dataclass
class SqlCase:
    """A statement run on its own connection with its own session settings; ``q`` is the
    query vector (and ``n`` the candidates, when the statement names it)."""

    label: str
    statement: str
    settings: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    latencies: list[list[float]] = field(default_factory=list)  # per round
    ids: list[list[Any]] = field(default_factory=list)  # round 1's answers, per question
    scans: list[str] = field(default_factory=list)


def hnsw_statement(dimensions: int) -> str:
    """The service's HNSW candidates (store/search.py) for an unscoped search, top 10."""
    return (
        "select m.id from messages m where m.tenant_id = %(tenant)s"
        " and m.embedding_status = 'ready'"
        f" order by m.embedding::halfvec({dimensions}) <=> %(q)s::halfvec({dimensions})"
        " limit 10"
    )


def quantised_statement(dimensions: int) -> str:
    """``n`` nearest by Hamming distance of the sign bits, re-ranked by exact cosine."""
    return (
        "select c.id from (select m.id, m.embedding from messages m"
        " where m.tenant_id = %(tenant)s and m.embedding_status = 'ready'"
        f" order by binary_quantize(m.embedding)::bit({dimensions})"
        " <~> binary_quantize(%(q)s::vector) limit %(n)s) c"
        " order by c.embedding <=> %(q)s::vector limit 10"
    )


def quantised_settings(candidates: int) -> dict[str, str]:
    """ef_search as far as the candidates; beyond pgvector's largest ef_search (1000) the
    iterative scan goes on walking until the candidates are found (order relaxed: they
    are re-ranked anyway)."""
    if candidates <= MAX_EF_SEARCH:
        return {"hnsw.ef_search": str(candidates)}
    return {
        "hnsw.ef_search": str(MAX_EF_SEARCH),
        "hnsw.iterative_scan": "relaxed_order",
        "hnsw.max_scan_tuples": str(candidates * 10),
    }


def hnsw_cases(dimensions: int, ef_values: Sequence[int], prefix: str) -> list[SqlCase]:
    return [
        SqlCase(
            f"{prefix} ef_search {ef}",
            hnsw_statement(dimensions),
            {"hnsw.ef_search": str(ef)},
            {"tenant": TENANT},
        )
        for ef in ef_values
    ]


def _scans(plan: dict[str, Any]) -> list[str]:
    found: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        target = node.get("Index Name") or node.get("Relation Name")
        if "Scan" in node.get("Node Type", ""):
            found.append(f"{node['Node Type']} ({target})" if target else node["Node Type"])
        for child in node.get("Plans", []):
            walk(child)

    walk(plan)
    return found


def measure_sql(
    url: str, cases: list[SqlCase], queries: np.ndarray, config: StudyConfig, title: str
) -> None:
    """Every case asked every question in turn (rotating which goes first), ``rounds``
    times; latencies per round, the first round's answers kept for recall."""
    conns = []
    try:
        for case in cases:
            conn = psycopg.connect(url, autocommit=True)
            register_vector(conn)
            for key, value in case.settings.items():
                conn.execute(f"set {key} = {value}")
            conns.append(conn)

        def ask(c: int, i: int) -> list[Any]:
            params = cases[c].params | {"q": queries[i]}
            return [row[0] for row in conns[c].execute(cases[c].statement, params).fetchall()]

        for c, case in enumerate(cases):
            plan = (
                conns[c]
                .execute("explain (format json) " + case.statement, case.params | {"q": queries[0]})
                .fetchone()
            )
            case.scans = _scans(plan[0][0]["Plan"]) if plan else []
            for i in range(config.warmup):
                ask(c, i % len(queries))
        with tqdm(
            total=config.rounds * len(queries),
            desc=f"  {title}: {len(cases)} cases",
            disable=not config.progress,
        ) as bar:
            for round_ in range(config.rounds):
                for case in cases:
                    case.latencies.append([])
                for i in range(len(queries)):
                    for k in range(len(cases)):
                        c = (i + k + round_) % len(cases)
                        start = time.perf_counter()
                        ids = ask(c, i)
                        cases[c].latencies[-1].append(time.perf_counter() - start)
                        if round_ == 0:
                            cases[c].ids.append(ids)
                    bar.update()
    finally:
        for conn in conns:
            conn.close()


# --- exact answers --------------------------------------------------------------------


@dataclass
class Exact:
    """Each query's exact neighbours over one table (every row in scope)."""

    top: np.ndarray  # (queries, depth) similarities, best first
    depth: int

    @property
    def kth(self) -> np.ndarray:
        return self.top[:, 9]


def exact_neighbours(vectors: np.ndarray, queries: np.ndarray, depth: int = 100) -> Exact:
    """Top ``depth`` cosine similarities of each query (unit vectors: dot products), a
    few queries at a time so 1M rows stay cheap."""
    top = np.zeros((len(queries), depth), dtype=np.float32)
    for start in range(0, len(queries), 16):
        sims = vectors @ queries[start : start + 16].T
        part = np.partition(sims, len(vectors) - depth, axis=0)[len(vectors) - depth :]
        top[start : start + 16] = -np.sort(-part.T, axis=1)
    return Exact(top, depth)


def density(exact: Exact) -> dict[str, float]:
    """How crowded the neighbourhoods are: the median gap in cosine between the 1st and
    10th, and between the 10th and 100th neighbour (a small gap: many near-ties that an
    approximate walk confuses at no cost in relevance)."""
    return {
        "sim_1st": round(float(np.median(exact.top[:, 0])), 4),
        "sim_10th": round(float(np.median(exact.top[:, 9])), 4),
        "gap_1st_10th": round(float(np.median(exact.top[:, 0] - exact.top[:, 9])), 4),
        "gap_10th_100th": round(
            float(np.median(exact.top[:, 9] - exact.top[:, exact.depth - 1])), 4
        ),
    }


TIE_TOLERANCE = 1e-6


def case_figures(
    case: SqlCase,
    exact: Exact,
    row_of: dict[Any, int],
    vectors: np.ndarray,
    queries: np.ndarray,
) -> dict[str, Any]:
    recalls, kept = [], []
    for i, ids in enumerate(case.ids):
        sims = np.array([float(vectors[row_of[x]] @ queries[i]) for x in ids if x in row_of])
        found = int(np.sum(sims >= exact.kth[i] - TIE_TOLERANCE))
        recalls.append(min(found, 10) / 10)
        kept.append(float(sims.sum() / exact.top[i, :10].sum()) if len(sims) else 0.0)
    rounds = [latency_summary(r) for r in case.latencies if r]
    ratio_base = {key: float(np.median([r[key] for r in rounds])) for key in rounds[0]}
    return {
        "label": case.label,
        "settings": case.settings,
        "params": {k: v for k, v in case.params.items() if k != "tenant"},
        "scans": case.scans,
        "latency_ms": {k: round(v, 3) for k, v in ratio_base.items()},
        "latency_ms_rounds": rounds,
        "recall_at_10": round(float(np.mean(recalls)), 4),
        "recall_at_10_min": round(float(np.min(recalls)), 4),
        "recall_at_10_p10": round(float(np.percentile(recalls, 10)), 4),
        "similarity_kept": round(float(np.mean(kept)), 5),
        "queries": len(recalls),
    }


# --- the study's data -----------------------------------------------------------------


@dataclass
class Study:
    server: str  # the embedded PostgreSQL's admin URL
    url: str  # the 1M database
    corpus: Corpus
    embedder: Embedder
    real: np.ndarray  # the corpus turns' real embeddings
    vectors: np.ndarray  # the 1M rows' vectors, row order
    row_of: dict[Any, int]
    questions: list[str]
    queries: np.ndarray
    exact: Exact
    data: dict[str, Any]
    dimensions: int


def open_study(server: str, options: Options, *, large: bool = True) -> Study:
    """The corpus, model, questions and, when ``large``, the 1M database (loaded once,
    then reused) with its vectors and the questions' exact neighbours there."""
    config = options.config
    corpus = load_corpus(options.locomo)
    embedder = local_embedder(32)
    cache = options.work_dir / "cache"
    real = embed_cached(
        embedder,
        [t.text for t in corpus.turns[: config.turns]],
        cache,
        progress=config.progress,
        label="embed corpus",
    )
    questions = pick(corpus.questions, config.queries, config.seed)
    queries = embed_cached(embedder, questions, cache, progress=False)
    if not large:  # the real-text section needs none of the 1M rows
        empty = np.zeros((0, embedder.info.dimensions), dtype=np.float32)
        return Study(
            server, "", corpus, embedder, real, empty, {}, questions, queries,
            Exact(np.zeros((0, 100), dtype=np.float32), 100), {}, embedder.info.dimensions,
        )  # fmt: skip
    # the scale bench's own database: same vectors, layout and seed (search_latency.py)
    search = SearchConfig(sizes=(config.size,), keep_databases=True)
    vectors = derive_vectors(real, config.size, seed=search.seed + config.size)
    layout = layout_for("unscoped", config.size, search)
    name = f"mm_bench_{config.size}_unscoped"
    url = database_url(server, name)
    loaded = prepare(
        server,
        name,
        url,
        vectors,
        layout,
        embedder.info,
        seed=search.seed + config.size,
        keep=True,
        progress=config.progress,
    )
    if config.progress:
        tqdm.write("  exact neighbours of the questions (NumPy)")
    exact = exact_neighbours(vectors, queries)
    return Study(
        server=server,
        url=url,
        corpus=corpus,
        embedder=embedder,
        real=real,
        vectors=vectors,
        row_of={message_id: i for i, message_id in enumerate(loaded["ids"])},
        questions=questions,
        queries=queries,
        exact=exact,
        data=loaded["figures"] | {"density": density(exact)},
        dimensions=embedder.info.dimensions,
    )


def index_definitions(url: str) -> list[dict[str, Any]]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "select c.relname, pg_get_indexdef(c.oid), pg_relation_size(c.oid)"
            " from pg_index i join pg_class c on c.oid = i.indexrelid"
            " join pg_am a on a.oid = c.relam"
            " where i.indrelid = 'messages'::regclass and a.amname = 'hnsw' order by 1"
        ).fetchall()
    return [{"name": r[0], "definition": r[1], "mb": round(int(r[2]) / 2**20, 1)} for r in rows]


def build_index(url: str, statement: str, rows: int) -> dict[str, Any]:
    """Run an index build with the large-table build settings; seconds and the load."""
    with psycopg.connect(url, autocommit=True) as conn:
        settings = build_settings(rows)
        for key, value in settings.items():
            conn.execute(f"set {key} = '{value}'")
        workers = conn.execute("show max_parallel_maintenance_workers").fetchone()
        start = time.perf_counter()
        conn.execute(statement)  # type: ignore[arg-type]
        seconds = time.perf_counter() - start
        conn.execute("analyze messages")
    return {
        "statement": statement,
        "seconds": round(seconds, 3),
        "build_settings": settings
        | {"max_parallel_maintenance_workers": workers[0] if workers else None},
        "load_average_after": load_average(),
    }


def _sweep(study: Study, cases: list[SqlCase], options: Options, title: str) -> list[Any]:
    measure_sql(study.url, cases, study.queries, options.config, title)
    return [case_figures(c, study.exact, study.row_of, study.vectors, study.queries) for c in cases]


def index_section(study: Study, options: Options) -> dict[str, Any]:
    indexes = index_definitions(study.url)
    label = _index_label(indexes, "halfvec")
    cases = hnsw_cases(study.dimensions, options.config.ef_values, label)
    return {"indexes": indexes, "cases": _sweep(study, cases, options, "index")}


def _index_label(indexes: list[dict[str, Any]], kind: str) -> str:
    for index in indexes:
        if kind in index["definition"]:
            found = dict(re.findall(r"(m|ef_construction)='?(\d+)", index["definition"]))
            return f"hnsw m {found.get('m', 16)} ef_c {found.get('ef_construction', 64)}"
    return "hnsw"


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def quantised_ceiling(
    vectors: np.ndarray, queries: np.ndarray, exact: Exact, candidates: Sequence[int]
) -> dict[str, float]:
    """Recall@10 when the ``n`` candidates are the exact nearest by Hamming distance of
    the sign bits (what a perfect walk of the binary index would give), re-ranked by
    cosine: the most the quantised plan can reach, whatever the index does."""
    bits = np.packbits(vectors > 0, axis=1)
    found: dict[int, list[float]] = {n: [] for n in candidates}
    for i, query in enumerate(queries):
        sims = vectors @ query
        hamming = _POPCOUNT[np.bitwise_xor(bits, np.packbits(query > 0))].sum(
            axis=1, dtype=np.int32
        )
        order = np.argsort(hamming, kind="stable")
        for n in candidates:
            chosen = order[:n]
            top = chosen[np.argsort(-sims[chosen])[:10]]
            found[n].append(float(np.sum(sims[top] >= exact.kth[i] - TIE_TOLERANCE)) / 10)
    return {str(n): round(float(np.mean(v)), 4) for n, v in found.items()}


def quantised_section(study: Study, options: Options) -> dict[str, Any]:
    """Build the binary-quantised index if absent (kept for later runs), then sweep the
    candidates re-ranked, next to the halfvec index at two ef_search values."""
    build = None
    d = study.dimensions
    if not any(i["name"] == QUANTISED_INDEX for i in index_definitions(study.url)):
        build = build_index(
            study.url,
            f"create index {QUANTISED_INDEX} on messages using hnsw"
            f" ((binary_quantize(embedding)::bit({d})) bit_hamming_ops)",
            options.config.size,
        )
    indexes = index_definitions(study.url)
    cases = [
        SqlCase(
            f"binary hnsw, {n} candidates re-ranked",
            quantised_statement(d),
            quantised_settings(n),
            {"tenant": TENANT, "n": n},
        )
        for n in options.config.quantised_candidates
    ]
    label = _index_label(indexes, "halfvec")
    cases += hnsw_cases(d, (200, 800), label)
    measured = _sweep(study, cases, options, "bq")
    ceiling = quantised_ceiling(
        study.vectors, study.queries, study.exact, options.config.quantised_candidates
    )
    return {"build": build, "indexes": indexes, "cases": measured, "ceiling": ceiling}


def variant_section(study: Study, options: Options) -> dict[str, Any]:
    """Replace the halfvec HNSW index by one with other m / ef_construction (kept)."""
    assert options.config.variant is not None
    m, ef_construction = options.config.variant
    d = study.dimensions
    build = None
    current = index_definitions(study.url)
    wanted = f"hnsw m {m} ef_c {ef_construction}"
    if _index_label(current, "halfvec") != wanted:
        with psycopg.connect(study.url, autocommit=True) as conn:
            for index in current:
                if "halfvec" in index["definition"]:
                    conn.execute(f"drop index {index['name']}")  # type: ignore[arg-type]
        build = build_index(
            study.url,
            "create index messages_embedding_hnsw on messages using hnsw"
            f" ((embedding::halfvec({d})) halfvec_cosine_ops)"
            f" with (m = {m}, ef_construction = {ef_construction})",
            options.config.size,
        )
    with psycopg.connect(study.url, autocommit=True) as conn:
        size = hnsw_sizes(conn)
    cases = hnsw_cases(d, options.config.ef_values, wanted)
    return {
        "m": m,
        "ef_construction": ef_construction,
        "build": build,
        "hnsw_mb_total": size,
        "indexes": index_definitions(study.url),
        "cases": _sweep(study, cases, options, wanted),
    }


def service_section(study: Study, options: Options) -> dict[str, Any]:
    """The service's own search (``Runtime.search.search``, vector mode, top 10, ranked
    by relevance alone) on the halfvec index in place, at a few ef_search values: what
    the plain SQL above costs inside the service's statement, plan choice and ranking
    (bench/search_latency.py's interleaved measurement)."""
    config = options.config
    search = SearchConfig(
        sizes=(config.size,),
        queries=config.queries,
        rounds=config.rounds,
        warmup=config.warmup,
        progress=config.progress,
    )
    layout = layout_for("unscoped", config.size, search)
    truth = exact_truth(study.vectors, study.queries, layout, [(0, None)] * len(study.queries), 10)
    _, conversations = row_ids(
        config.size, len(layout.conversation_tenant), search.seed + config.size
    )
    db = Loaded(
        study.url, options.work_dir / "runtime", study.embedder.info, study.queries, truth,
        study.row_of, study.vectors, search, layout, conversations,
    )  # fmt: skip
    indexes = index_definitions(study.url)
    label = _index_label(indexes, "halfvec")
    cases = [
        Case(
            "unscoped",
            f"service, {label}, ef_search {ef}",
            {"search_exact_max_rows": 0, "search_hnsw_ef_search": ef},
        )
        for ef in config.service_ef_values
    ]
    return {"indexes": indexes, "cases": asyncio.run(_measure(db, cases, config.size))}


# --- real text against derived vectors ------------------------------------------------


def real_texts(path: Path | None, corpus: Corpus) -> list[str]:
    """Every LoCoMo text that is not a question: turns, observations, session and event
    summaries (distinct, in file order)."""
    texts = [t.text for t in corpus.turns]
    if path is not None and path.is_file():
        for sample in json.loads(path.read_text("utf-8")):
            for facts in sample.get("observation", {}).values():
                for items in facts.values() if isinstance(facts, dict) else ():
                    texts.extend(str(item[0]) for item in items if item)
            for summary in sample.get("session_summary", {}).values():
                texts.extend(s.strip() + "." for s in str(summary).split(". ") if s.strip())
            for events in sample.get("event_summary", {}).values():
                for speaker, items in events.items():
                    if speaker != "date" and isinstance(items, list):
                        texts.extend(str(item) for item in items)
    seen: set[str] = set()
    return [t for t in texts if t and not (t in seen or seen.add(t))]  # type: ignore[func-returns-value]


def real_section(study: Study, options: Options) -> dict[str, Any]:
    """Tables of the same size in the same embedded server: the real embeddings of
    LoCoMo's texts, and vectors derived from the turns' embeddings the way the 100k and
    1M rows are, from as few parents as leave each as crowded as there; the migration's
    index on each, the same questions and ef sweep."""
    config = options.config
    if config.real_texts == "turns":  # the turns' embeddings the study already holds
        real = study.real
    else:
        texts = real_texts(options.locomo, study.corpus)
        real = embed_cached(
            study.embedder, texts, options.work_dir / "cache", progress=config.progress
        )
    size = len(real)
    rng = np.random.default_rng(config.seed)
    # derived as the 100k and the 1M tables are: as many derived rows per real parent
    tables = {"real": np.ascontiguousarray(real[rng.permutation(size)])}
    parents = {}
    for like in (100_000, config.size):
        count = max(2, round(size * len(study.real) / like))
        chosen = np.sort(rng.choice(len(study.real), size=count, replace=False))
        kind = f"derived as at {like:,} rows"
        parents[kind] = count
        tables[kind] = derive_vectors(study.real[chosen], size, seed=config.seed + count)
    out: dict[str, Any] = {
        "rows": size,
        "texts": "LoCoMo's dialogue turns"
        if config.real_texts == "turns"
        else "LoCoMo's turns, observations and summaries",
        "parents": parents,
    }
    layout = Layout.single(size, 100)
    figures: dict[str, Any] = {}
    measured: dict[str, list[SqlCase]] = {}
    urls = {}
    exacts = {}
    rows_of = {}
    for kind, vectors in tables.items():
        name = f"mm_study_{size}_" + re.sub(r"\W+", "_", kind)
        urls[kind] = database_url(study.server, name)
        loaded = prepare(
            study.server,
            name,
            urls[kind],
            vectors,
            layout,
            study.embedder.info,
            seed=config.seed,
            keep=True,
            progress=config.progress,
        )
        rows_of[kind] = {message_id: i for i, message_id in enumerate(loaded["ids"])}
        exacts[kind] = exact_neighbours(vectors, study.queries)
        figures[kind] = {"data": loaded["figures"], "density": density(exacts[kind])}
        measured[kind] = hnsw_cases(study.dimensions, config.real_ef_values, "hnsw m 16 ef_c 64")
        measure_sql(urls[kind], measured[kind], study.queries, config, kind)
        figures[kind]["cases"] = [
            case_figures(c, exacts[kind], rows_of[kind], vectors, study.queries)
            for c in measured[kind]
        ]
    return out | {"tables": figures}


# --- a small tenant among 1M rows, over HTTP -----------------------------------------


def add_small_tenant(study: Study, rows: int) -> str:
    """``rows`` real LoCoMo turns (their real embeddings) as one tenant's conversation in
    the 1M table; returns the conversation id. Removed again by :func:`drop_small_tenant`
    (the kept database must keep its row count to be reused)."""
    conversation = uuid.uuid4()
    now = datetime.now(UTC)
    info = study.embedder.info
    with psycopg.connect(study.url, autocommit=True) as conn:
        register_vector(conn)
        drop_small_tenant(study)
        conn.execute(
            "insert into tenants (id, name) values (%s, %s) on conflict do nothing",
            [SMALL_TENANT, SMALL_TENANT],
        )
        conn.execute(
            "insert into conversations (id, tenant_id, title, created_at, updated_at)"
            " values (%s, %s, 'bench', %s, %s)",
            [conversation, SMALL_TENANT, now, now],
        )
        with conn.cursor().copy(
            "copy messages (id, tenant_id, conversation_id, role, content, importance,"
            " created_at, updated_at, embedding, embedding_provider, embedding_model,"
            " embedding_dimensions, embedding_status, embedded_at, embedding_next_attempt_at)"
            " from stdin with (format binary)"
        ) as copy:
            copy.set_types(
                ["uuid", "text", "uuid", "text", "text", "float4", "timestamptz", "timestamptz",
                 "vector", "text", "text", "int4", "text", "timestamptz", "timestamptz"]
            )  # fmt: skip
            for i, turn in enumerate(study.corpus.turns[:rows]):
                copy.write_row(
                    (uuid.uuid4(), SMALL_TENANT, conversation,
                     "user" if turn.first_speaker else "assistant", turn.text, 0.5, now, now,
                     study.real[i], info.provider, info.model, info.dimensions, "ready", now, now)
                )  # fmt: skip
        conn.execute("vacuum (analyze) messages")
        conn.execute("vacuum (analyze) message_vectors")
    return str(conversation)


def drop_small_tenant(study: Study) -> None:
    with psycopg.connect(study.url, autocommit=True) as conn:
        conn.execute("delete from messages where tenant_id = %s", [SMALL_TENANT])
        conn.execute("delete from conversations where tenant_id = %s", [SMALL_TENANT])


@dataclass
class _Served:
    """A `memory-mesh serve` on the 1M database with a user admin of the small tenant."""

    label: str
    process: ServerProcess
    base: str
    bearer: dict[str, str]


HTTP_SEARCH = "http: search, vector, new question (embedding included)"


def _serve(study: Study, work_dir: Path, label: str, env: dict[str, str]) -> _Served:
    process = ServerProcess(work_dir / f"http-1k{'' if label == 'branch' else '-' + label}", **env)
    try:
        base = process.url()
        with httpx.Client(base_url=base, timeout=60.0) as http:
            user = f"bench-1k-{label}-{int(time.time()) % 10**6}"
            bearer = sign_in(http, user)
        with psycopg.connect(study.url, autocommit=True) as conn:
            conn.execute(
                "insert into tenant_members (tenant_id, user_id, role)"
                " select %s, u.id, 'admin' from users u where u.email = %s"
                " on conflict (tenant_id, user_id) do update set role = 'admin'",
                [SMALL_TENANT, f"{user}@bench.example.com"],
            )
    except BaseException:
        process.stop()
        raise
    return _Served(label, process, base, bearer)


def http_section(study: Study, options: Options) -> dict[str, Any]:
    config = options.config
    conversation = add_small_tenant(study, config.small_tenant_rows)
    redis = _start_redis(options.work_dir)
    env = dict(
        SERVER_ENV,
        MEMORY_DATABASE_URL=study.url,
        MEMORY_REDIS_URL=redis[1],
        MEMORY_EMBEDDING_QUERY_CACHE_SIZE="0",
    )
    servers: list[_Served] = []
    try:
        servers.append(_serve(study, options.work_dir, "branch", env))
        if config.baseline_src:  # another checkout's code: its package first on the path
            src = str(Path(config.baseline_src).resolve())
            servers.append(_serve(study, options.work_dir, "baseline", env | {"PYTHONPATH": src}))
        return asyncio.run(_http_rounds(study, options, servers, conversation))
    finally:
        for server in servers:
            server.process.stop()
        redis[0].send_signal(signal.SIGTERM)
        redis[0].wait(timeout=10)
        drop_small_tenant(study)


async def _http_rounds(
    study: Study, options: Options, servers: list[_Served], conversation: str
) -> dict[str, Any]:
    config = options.config
    pgdata = options.work_dir / "search-db" / "pgdata"
    branch = servers[0]
    questions = study.questions
    settings = Settings(
        database_url=study.url,
        data_dir=options.work_dir / "runtime",
        environment="test",
        auto_migrate=False,
        embedding_query_cache_size=0,
    )
    runtime = await Runtime.start(settings, run_worker=False)
    clients = {s.label: httpx.AsyncClient(base_url=s.base, timeout=60.0) for s in servers}
    plans: dict[str, int] = {}
    try:

        def text(n: int, who: str) -> str:  # a new text every request: no cache answers
            return f"{questions[n % len(questions)]} ({who} {n})"

        def search_on(server: _Served) -> Callable[[int], Any]:
            http = clients[server.label]

            async def search_http(n: int) -> dict[str, float] | None:
                answer = await http.get(
                    "/v1/memory/search",
                    params={
                        "query": text(n, f"http {server.label}"),
                        "tenant_id": SMALL_TENANT,
                        "mode": "vector",
                        "top_k": "10",
                    },
                    headers=server.bearer,
                )
                if answer.status_code != 200 or len(answer.json()["results"]) != 10:
                    raise RuntimeError(f"search: {answer.status_code} {answer.text[:300]}")
                plan = f"http {answer.json()['plan']}"
                plans[plan] = plans.get(plan, 0) + 1
                return server_timing(answer.headers.get("server-timing"))

            return search_http

        def served_by(server: _Served) -> Callable[[], float]:
            pid = server.process.process.pid
            return lambda: process_cpu(pid) + postgres_cpu(pgdata)

        async def floor(n: int) -> None:
            answer = await clients[branch.label].get(
                "/v1/conversations", params={"tenant_id": SMALL_TENANT, "limit": "1"},
                headers=branch.bearer,
            )  # fmt: skip
            answer.raise_for_status()

        async def model(n: int) -> None:
            await asyncio.to_thread(runtime.embedder.embed_query, text(n, "model"))

        async def service(n: int) -> None:
            outcome = await runtime.search.search(
                SearchQuery(
                    tenant_id=SMALL_TENANT,
                    query=text(n, "service"),
                    mode=SearchMode.vector,
                    top_k=10,
                )
            )
            plans[outcome.plan] = plans.get(outcome.plan, 0) + 1

        def in_process() -> float:
            return time.process_time() + postgres_cpu(pgdata)

        cases = [
            TimedCase(HTTP_SEARCH, search_on(branch), served_by(branch)),
            TimedCase("http: floor (authenticated GET /v1/conversations?limit=1)", floor,
                      served_by(branch)),
            TimedCase("model: embed_query of a new text, in process", model, in_process),
            TimedCase("service: search in process, new question (embedding included)",
                      service, in_process),
        ] + [
            TimedCase(f"{HTTP_SEARCH}, {s.label}", search_on(s), served_by(s))
            for s in servers[1:]
        ]  # fmt: skip
        for case in cases:
            for i in range(20):
                await case.send(90_000 + i)
        for round_ in range(config.http_rounds):
            order = cases[round_ % len(cases) :] + cases[: round_ % len(cases)]
            for case in order:
                await case.round(config.http_requests, offset=10_000 * (round_ + 1))
            if config.progress:
                tqdm.write(f"  http round {round_ + 1}/{config.http_rounds}")
        explained = []  # the service's statement alone, in PostgreSQL
        for i in range(20):
            question = text(i, "explain")
            vector = await asyncio.to_thread(runtime.embedder.embed_query, question)
            query = SearchQuery(
                tenant_id=SMALL_TENANT, query=question, mode=SearchMode.vector, top_k=10
            )
            explained.append(await explain_search(runtime, query, vector, "exact"))
    finally:
        for client in clients.values():
            await client.aclose()
        await runtime.stop()
    timed = [e for e in explained if "execution_ms" in e]
    postgres = {
        "questions": len(timed),
        "scans": timed[0]["scans"] if timed else [],
        "execution_ms_p50": round(median([e["execution_ms"] for e in timed]), 3) if timed else None,
        "planning_ms_p50": round(median([e["planning_ms"] for e in timed]), 3) if timed else None,
        "errors": [e["error"] for e in explained if "error" in e][:3],
    }
    figures = {case.name: case.figures() for case in cases}
    p50 = {name: median(f["p50_ms_per_round"]) for name, f in figures.items()}
    names = [c.name for c in cases]
    return {
        "tenant_rows": config.small_tenant_rows,
        "table_rows": config.size + config.small_tenant_rows,
        "service_plans": plans,
        "postgres": postgres,
        "cases": figures,
        "p50_ms": {k: round(v, 3) for k, v in p50.items()},
        "http_minus_parts_ms": round(p50[names[0]] - p50[names[1]] - p50[names[2]], 3),
    } | (
        {
            "baseline_src": config.baseline_src,
            "baseline_ratio": round(p50[names[0]] / p50[f"{HTTP_SEARCH}, baseline"], 3),
            "baseline_minus_parts_ms": round(
                p50[f"{HTTP_SEARCH}, baseline"] - p50[names[1]] - p50[names[2]], 3
            ),
        }
        if len(servers) > 1
        else {}
    )


# --- every mode over the whole 1M tenant ------------------------------------------------


def modes_section(study: Study, options: Options) -> dict[str, Any]:
    """The service's search of the whole 1M tenant in each mode (the HNSW plan), a few
    questions each, modes interleaved question by question; the statement's scans and
    PostgreSQL's time from EXPLAIN ANALYZE of one question per mode. The table's texts are
    synthetic (``row N``): no question's word matches one, so the keyword part shows the
    cost of looking, before any match is scored."""
    return asyncio.run(_modes(study, options))


MODES_QUESTIONS = 8


async def _modes(study: Study, options: Options) -> dict[str, Any]:
    settings = Settings(
        database_url=study.url,
        data_dir=options.work_dir / "runtime",
        environment="test",
        auto_migrate=False,
    )
    runtime = await Runtime.start(settings, run_worker=False)
    questions = study.questions[:MODES_QUESTIONS]
    times: dict[str, list[float]] = {mode.value: [] for mode in SearchMode}
    plans: dict[str, set[str]] = {mode.value: set() for mode in SearchMode}
    try:
        for round_ in range(1 + options.config.rounds):  # the first round warms up
            for n, question in enumerate(questions):
                modes = list(SearchMode)[(n + round_) % 3 :] + list(SearchMode)[: (n + round_) % 3]
                for mode in modes:
                    query = SearchQuery(tenant_id=TENANT, query=question, mode=mode, top_k=10)
                    start = time.perf_counter()
                    outcome = await runtime.search.search(query)
                    if round_:
                        times[mode.value].append(time.perf_counter() - start)
                    plans[mode.value].add(outcome.plan)
        # BM25's statistics of the tenant as the service counts them (once a minute), given
        # to the statement EXPLAINed as the service gives them
        started = time.perf_counter()
        async with runtime.db.tenant(TENANT) as conn:
            stats = await store_search.scope_statistics(
                conn, SearchQuery(tenant_id=TENANT, query=""), runtime.search.weights.context_weight
            )
        statistics_ms = (time.perf_counter() - started) * 1000
        explained = {
            mode.value: await explain_search(
                runtime,
                SearchQuery(tenant_id=TENANT, query=questions[0], mode=mode, top_k=10),
                runtime.embedder.embed_query(questions[0]),
                "hnsw",
                scope_stats=None if mode is SearchMode.vector else stats,
            )
            for mode in SearchMode
        }
    finally:
        await runtime.stop()
    return {
        "tenant_rows": options.config.size,
        "questions": len(questions),
        "statistics_ms": round(statistics_ms, 1),
        "cases": {
            mode: {
                "latency_ms": latency_summary(times[mode]),
                "plans": sorted(plans[mode]),
                "postgres": explained[mode],
            }
            for mode in times
        },
    }


# --- the run --------------------------------------------------------------------------


def run(options: Options, sections: Sequence[str]) -> dict[str, Any]:
    """Measure ``sections`` in turn, each merged into the results file as soon as it is
    measured (so runs of different sections may overlap)."""
    config = options.config
    options.work_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    with embedded_server(options.work_dir / "search-db") as server:
        study = open_study(server, options, large=set(sections) != {"real"})
        record = run_record(options.command, server, study.corpus, study.embedder.info)
        runners: dict[str, Callable[[Study, Options], dict[str, Any]]] = {
            "index": index_section,
            "quantised": quantised_section,
            "variant": variant_section,
            "service": service_section,
            "real": real_section,
            "http": http_section,
            "modes": modes_section,
        }
        for section in sections:
            started = time.perf_counter()
            figures = runners[section](study, options)
            figures |= {
                "command": options.command,
                "machine": record["machine"],
                "load_average_at_end": load_average(),
                "duration_seconds": round(time.perf_counter() - started, 1),
                "config": {k: v for k, v in asdict(config).items() if k != "progress"},
            }
            results = merge_section(options, section, figures, study.data)
    return results


def merge_section(
    options: Options, section: str, figures: dict[str, Any], data: dict[str, Any]
) -> dict[str, Any]:
    """The results file with ``section`` replaced (a variant: the one of the same m and
    ef_construction), read again just before writing; the report rewritten from it."""
    path = options.out / f"{options.name}.json"
    results: dict[str, Any] = json.loads(path.read_text("utf-8")) if path.is_file() else {}
    if section == "variant":
        key = (figures["m"], figures["ef_construction"])
        kept = [v for v in results.get("variants", []) if (v["m"], v["ef_construction"]) != key]
        results["variants"] = sorted([*kept, figures], key=lambda v: (v["m"], v["ef_construction"]))
    else:
        results[section] = figures
    if data:
        results["data"] = data
    if options.name != "scale_study":
        results["name"] = options.name
    options.out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n", "utf-8")
    (options.out / f"{options.name}.md").write_text(render(results), "utf-8")
    return results


# --- the report -----------------------------------------------------------------------


def _case_rows(cases: list[dict[str, Any]]) -> list[list[object]]:
    return [
        [
            c["label"],
            f"{c['latency_ms']['p50']:.2f}",
            f"{c['latency_ms']['p95']:.2f}",
            f"{c['recall_at_10']:.3f}",
            f"{c['recall_at_10_p10']:.2f}",
            f"{c['recall_at_10_min']:.2f}",
            f"{c['similarity_kept']:.4f}",
        ]
        for c in cases
    ]


CASE_HEADER = "case | p50 ms | p95 ms | recall@10 | p10 recall | min recall | similarity kept"


def _section_head(title: str, section: dict[str, Any]) -> list[str]:
    """A section's heading and the line saying when and how it was measured."""
    return [f"## {title}", "", _section_line(section), ""]


def _section_line(section: dict[str, Any]) -> str:
    m = section["machine"]
    return (
        f"Measured {m.get('date')}: `{section['command']}`; load average (1/5/15 min) "
        f"{markdown.load(m.get('load_average_at_start'))} at the start, "
        f"{markdown.load(section.get('load_average_at_end'))} at the end; "
        f"{section['duration_seconds']} s."
    )


def render(results: dict[str, Any]) -> str:
    lines = ["# Large tenants at 1M rows (issue 17)", ""]
    data = results.get("data")
    if data:
        d = data["density"]
        lines += [
            f"One tenant of {data['rows']:,} rows (`mm_bench_{data['rows']}_unscoped`, the "
            "scale bench's database): 5,882 real MiniLM embeddings of LoCoMo turns, the rest "
            "derived from them (normalise(w*a + (1-w)*b + noise), bench/data.py). Questions: "
            "200 LoCoMo questions, embedded by the local model. Statements run as plain SQL "
            "on one connection per case, the cases interleaved question by question; "
            "percentiles are the median of the rounds'.",
            "",
            f"Exact neighbourhoods (median over the questions): cosine of the 1st neighbour "
            f"{d['sim_1st']}, of the 10th {d['sim_10th']}; gap 1st-10th {d['gap_1st_10th']}, "
            f"gap 10th-100th {d['gap_10th_100th']}.",
            "",
        ]
    for key, title in (
        ("index", "HNSW as the migrations build it, ef_search swept"),
        ("quantised", "Binary-quantised HNSW, candidates re-ranked exactly"),
    ):
        section = results.get(key)
        if not section:
            continue
        lines += _section_head(title, section)
        for index in section["indexes"]:
            lines.append(f"- `{index['definition']}` ({index['mb']} MB)")
        build = section.get("build")
        if build:
            lines.append(
                f"- built in {build['seconds']} s ({build['build_settings']}; load average "
                f"after {markdown.load(build['load_average_after'])})"
            )
        lines += ["", *markdown.table(CASE_HEADER, _case_rows(section["cases"])), ""]
        if section.get("ceiling"):
            lines += [
                "The ceiling of this plan (NumPy): recall@10 when the candidates are the exact "
                "nearest by Hamming distance, re-ranked: "
                + ", ".join(f"{n} candidates {r}" for n, r in section["ceiling"].items())
                + ".",
                "",
            ]
    for variant in results.get("variants", []):
        lines += [
            *_section_head(
                f"HNSW rebuilt with m {variant['m']}, ef_construction {variant['ef_construction']}",
                variant,
            ),
        ]
        for index in variant["indexes"]:
            lines.append(f"- `{index['definition']}` ({index['mb']} MB)")
        build = variant.get("build")
        if build:
            lines.append(
                f"- built in {build['seconds']} s ({build['build_settings']}; load average "
                f"after {markdown.load(build['load_average_after'])})"
            )
        lines.append("")
        lines += [*markdown.table(CASE_HEADER, _case_rows(variant["cases"])), ""]
    service = results.get("service")
    if service:
        lines += [
            *_section_head("Through the service", service),
            "`Runtime.search.search` (vector mode, top 10, relevance weight 1), the plan "
            "forced to HNSW, on the index in place: "
            + "; ".join(f"`{i['definition']}`" for i in service["indexes"])
            + ". The walk asks at least the candidates the service fetches (50).",
            "",
            *markdown.table(
                "case | plan | p50 ms | p95 ms | recall@10 | min recall | scans in the plan",
                [
                    [
                        c["label"],
                        c["plan"],
                        f"{c['latency_ms']['p50']:.2f}",
                        f"{c['latency_ms']['p95']:.2f}",
                        f"{c['recall_at_10']:.3f}",
                        f"{c['recall_at_10_min']:.2f}",
                        ", ".join(c["explain"].get("scans", [])),
                    ]
                    for c in service["cases"]
                ],
                text_columns=2,
            ),
            "",
        ]
    real = results.get("real")
    if real:
        lines += [
            *_section_head("Real text against derived vectors (the bias)", real),
            f"Tables of {real['rows']:,} rows: `real`, the local model's embeddings of "
            f"{real['texts']}; then vectors derived as bench/data.py derives the large "
            "tables' rows, from as few real parents as leaves each parent as many derived "
            "rows around it as in the 100k and the 1M tables ("
            + ", ".join(f"{kind}: {n} parents" for kind, n in real["parents"].items())
            + "). The migration's index (m 16, ef_construction 64) on each; the same 200 "
            "questions; ef_search below the service's least (50) so the difference in "
            "difficulty shows.",
            "",
            *markdown.table(
                "table | sim 1st | sim 10th | gap 1st-10th | gap 10th-100th",
                [
                    [
                        kind,
                        t["density"]["sim_1st"],
                        t["density"]["sim_10th"],
                        t["density"]["gap_1st_10th"],
                        t["density"]["gap_10th_100th"],
                    ]
                    for kind, t in real["tables"].items()
                ],
            ),
            "",
            *markdown.table(
                "table | " + CASE_HEADER,
                [
                    [kind, *row]
                    for kind, t in real["tables"].items()
                    for row in _case_rows(t["cases"])
                ],
                text_columns=2,
            ),
            "",
        ]
    http = results.get("http")
    if http:
        lines += [
            *_section_head(
                f"A tenant of {http['tenant_rows']:,} rows among {http['table_rows']:,}, over HTTP",
                http,
            ),
            "A real `memory-mesh serve` on the 1M database (Redis rate limiter, query cache "
            "off), one request at a time; each request a new question text, so the query "
            "embedding is always computed. The parts in the same rounds (cases rotated "
            f"round by round). Plans, warm-up included: {http['service_plans']}.",
            "",
            *markdown.table(
                "case | p50 ms | p95 ms | p50 per round | CPU ms per request",
                [
                    [
                        name,
                        f"{f['latency_ms']['p50']:.2f}",
                        f"{f['latency_ms']['p95']:.2f}",
                        " / ".join(f"{v:.1f}" for v in f["p50_ms_per_round"]),
                        f"{f['cpu_ms_per_request']:.1f}",
                    ]
                    for name, f in http["cases"].items()
                ],
            ),
            "",
            f"HTTP search p50 minus (floor + embedding) p50: {http['http_minus_parts_ms']} ms.",
            "",
        ]
        if "baseline_ratio" in http:
            lines += [
                f"Beside it, a second server runs the code at `{http['baseline_src']}` on the"
                " same database, its searches a case of the same rounds: this checkout / "
                f"baseline p50 **{http['baseline_ratio']}x**; the baseline's HTTP search p50"
                f" minus (floor + embedding): {http['baseline_minus_parts_ms']} ms.",
                "",
            ]
        timings = [
            (name, f["server_timing_p50_ms"])
            for name, f in http["cases"].items()
            if f.get("server_timing_p50_ms")
        ]
        if len(timings) > 1:
            lines += [
                "Each server's own account (Server-Timing p50, embedding / database ms): "
                + "; ".join(
                    f"{name}: {t['embedding']:.2f} / {t['database']:.2f}" for name, t in timings
                )
                + ".",
                "",
            ]
        own = http["cases"][next(iter(http["cases"]))].get("server_timing_p50_ms")
        if own:
            lines += [
                "The server's own account of those searches (its Server-Timing header,"
                f" p50): the query's embedding {own['embedding']:.2f} ms, the database"
                f" {own['database']:.2f} ms.",
                "",
            ]
        pg = http.get("postgres")
        if pg and pg.get("questions"):
            lines += [
                f"The service's search statement alone (EXPLAIN ANALYZE, {pg['questions']} "
                f"questions): execution p50 {pg['execution_ms_p50']} ms, planning p50 "
                f"{pg['planning_ms_p50']} ms; scans: {', '.join(pg['scans'])}.",
                "",
            ]
    modes = results.get("modes")
    if modes:
        lines += [
            *_section_head(
                f"Every mode over the whole tenant of {modes['tenant_rows']:,} rows", modes
            ),
            "The service's search of the whole tenant, vector, hybrid and keyword mode"
            f" interleaved question by question ({modes['questions']} questions); PostgreSQL's"
            " part from EXPLAIN ANALYZE of the first question. The table's texts are"
            " synthetic (`row N`): no question's word matches one, so the keyword part is"
            " the cost of looking before any match is scored. "
            + (
                "The keyword matches come from migration 0013's function through the GIN"
                " indexes, and BM25's statistics of the tenant, counted once a minute by the"
                f" service ({modes['statistics_ms']:.0f} ms to count), are given to the"
                " statement, EXPLAINed as the service runs it."
                if "statistics_ms" in modes
                else "Row-level security keeps the GIN indexes on the words unused (`@@` is"
                " not leakproof), so that part reads the tenant's every row."
            ),
            "",
            *markdown.table(
                "mode | p50 ms | p95 ms | plan | PostgreSQL execution ms | planning ms | scans",
                [
                    [
                        mode,
                        f"{c['latency_ms']['p50']:.1f}",
                        f"{c['latency_ms']['p95']:.1f}",
                        ", ".join(c["plans"]),
                        c["postgres"].get("execution_ms", "?"),
                        c["postgres"].get("planning_ms", "?"),
                        "; ".join(dict.fromkeys(c["postgres"].get("scans", []))),
                    ]
                    for mode, c in modes["cases"].items()
                ],
                trailing_text=1,
            ),
            "",
        ]
    notes = results.get("notes")
    if notes:
        lines += ["## Reading", "", *notes, ""]
    lines.append(
        f"Every figure, with per-round values: `{results.get('name', 'scale_study')}.json`."
    )
    return "\n".join(lines) + "\n"


# --- command line ---------------------------------------------------------------------


def _pair(text: str) -> tuple[int, int]:
    m, ef_construction = text.split(":")
    return int(m), int(ef_construction)


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def parse(argv: list[str]) -> tuple[Options, list[str], bool]:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_study", description=__doc__)
    cli.add_common_arguments(parser, RESULTS_DIR, "scale_study", redraw=True)
    parser.add_argument("--section", action="append", choices=SECTIONS, default=[])
    parser.add_argument("--size", type=int)
    parser.add_argument("--queries", type=int)
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--ef-values", type=_ints)
    parser.add_argument("--quantised-candidates", type=_ints)
    parser.add_argument("--variant", type=_pair, help="m:ef_construction")
    parser.add_argument("--http-requests", type=int)
    parser.add_argument("--http-rounds", type=int)
    parser.add_argument("--service-ef-values", type=_ints)
    parser.add_argument("--real-texts", choices=("turns", "all"))
    parser.add_argument(
        "--baseline-src", help="http: another checkout's layers/core, served beside this one"
    )
    args = parser.parse_args(argv)
    options = Options(
        config=cli.from_args(StudyConfig, args),
        **cli.options_fields(args, "bench.scale_study", argv),
    )
    if "variant" in args.section and options.config.variant is None:
        parser.error("--section variant needs --variant m:ef_construction")
    return options, args.section, args.redraw


def main(argv: list[str] | None = None) -> None:
    options, sections, redraw = cli.start(parse, argv)
    if redraw:
        results = json.loads((options.out / f"{options.name}.json").read_text("utf-8"))
        (options.out / f"{options.name}.md").write_text(render(results), "utf-8")
        return
    run(options, sections or ["index"])
    print(f"wrote {options.out / options.name}.json and .md")


if __name__ == "__main__":
    main()
