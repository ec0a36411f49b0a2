"""Write the results: ``core.json`` (every figure) and ``core.md`` (the readable tables)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the writers stay stdlib-only (cold_start imports them)
    from bench.cli import Options


def write(results: dict[str, Any], out_dir: Path, name: str = "core") -> tuple[Path, Path]:
    """``<name>.json`` and ``<name>.md`` of ``python -m bench``."""
    return write_json_and_markdown(results, out_dir, name, lambda r: markdown(r, name))


def write_json_and_markdown(
    results: dict[str, Any],
    out_dir: Path,
    name: str,
    render: Callable[[dict[str, Any]], str],
) -> tuple[Path, Path]:
    """``name.json`` (every figure) and ``name.md`` (``render(results)``) in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{name}.json"
    md_path = out_dir / f"{name}.md"
    json_path.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    md_path.write_text(render(results), "utf-8")
    return json_path, md_path


def redraw(
    out_dir: Path,
    name: str,
    render: Callable[[dict[str, Any]], str],
    draw: Callable[[dict[str, Any], Path], object] | None = None,
) -> dict[str, Any]:
    """Rewrite ``name.md`` (and the plots, ``draw(results, out_dir)``) from ``name.json``
    in ``out_dir``, as the run that wrote it would have; return the results."""
    results: dict[str, Any] = json.loads((out_dir / f"{name}.json").read_text("utf-8"))
    (out_dir / f"{name}.md").write_text(render(results), "utf-8")
    if draw is not None:
        draw(results, out_dir)
    return results


def header(results: dict[str, Any], title: str) -> list[str]:
    """A report's opening: title, machine, load, texts and the command that made it."""
    return _header(results | {"title": title})


def _n(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}" if value < 10 else f"{value:.1f}"


def _load(values: list[float] | None) -> str:
    return " / ".join(f"{v:.1f}" for v in values) if values else "unknown"


def _header(results: dict[str, Any]) -> list[str]:
    m = results["machine"]
    corpus = results["corpus"]
    title = results.get("title", "Memory Mesh core benchmark")
    return [
        f"# {title}",
        "",
        f"Measured {m['date']} on {m['cpu_model']} ({m['cpu_count']} cores, "
        f"{m['memory_gb']} GB RAM), Python {m['python']}, PostgreSQL {m['postgres']} + "
        f"pgvector {m['pgvector']} (embedded), model `{results['model']['model']}` "
        f"({results['model']['dimensions']} d). Whole run: {results['duration_seconds'] / 60:.1f}"
        f" min; load average (1/5/15 min) {_load(m.get('load_average_at_start'))} at the start,"
        f" {_load(m.get('load_average_at_end'))} at the end (the machine is shared).",
        "",
        f"Texts: {corpus['source']} ({corpus['turns']} dialogue turns, {corpus['questions']} "
        "questions); only figures are kept here.",
        "",
        "Reproduce (from the repository root):",
        "",
        "```",
        results["command"],
        "```",
        "",
    ]


def _ingest(ingest: dict[str, Any]) -> list[str]:
    c = ingest["config"]
    e = ingest["embedder"]["msgs_per_s"]
    lines = [
        f"## Ingestion: {ingest['messages']:,} messages, median of {c['repetitions']} runs",
        "",
        f"`POST /v1/messages/batch` with {c['batch_size']} messages a request, one client, "
        "against a real `memory-mesh serve` process (own embedded PostgreSQL). Each run "
        "measures the rows one after the other (order rotated between runs), so the "
        "ratios are taken under the same machine load (ratio = median of the per-run ratios).",
        *_separate_run(ingest),
        "",
        "| path | messages/s | vs the model alone |",
        "|---|---:|---:|",
        f"| model alone: `embed_documents`, batches of {c['embed_batch_size']} (the limit) "
        f"| {_n(e)} | 1.00 |",
        *_database_row(ingest),
        f"| HTTP, inline mode (stored + embedded when the response returns) | "
        f"{_n(ingest['inline']['msgs_per_s'])} | {ingest['inline']['ratio_to_embedder']:.2f} |",
        f"| HTTP, async mode (until every message's vector is written) | "
        f"{_n(ingest['async']['msgs_per_s'])} | {ingest['async']['ratio_to_embedder']:.2f} |",
        "",
        f"Async mode answers the writes themselves at {_n(ingest['async']['accepted_msgs_per_s'])}"
        " messages/s (responses only, before embedding). Inline: "
        f"{ingest['inline']['ready_at_response']:.0%} of messages were `ready` in the response.",
        "",
        "| run | model msg/s | database msg/s | inline msg/s | async msg/s | inline ratio "
        "| async ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in ingest["runs"]:
        lines.append(
            f"| {r['repetition']} | {_n(r['embedder_msgs_per_s'])} "
            f"| {_n(r['database_msgs_per_s']) if 'database_msgs_per_s' in r else '-'} "
            f"| {_n(r['inline_msgs_per_s'])} | {_n(r['async_msgs_per_s'])} "
            f"| {r['inline_ratio']:.2f} | {r['async_ratio']:.2f} |"
        )
    return [*lines, ""]


def _separate_run(section: dict[str, Any]) -> list[str]:
    """A section measured by a run of its own (``--merge``) names that run."""
    if "command" not in section:
        return []
    machine = section["machine"]
    return [
        f"Measured in a run of its own: `{section['command']}` ({machine['date']}; load "
        f"average {_load(machine.get('load_average_at_start'))} at the start, "
        f"{_load(machine.get('load_average_at_end'))} at the end)."
    ]


def _database_row(ingest: dict[str, Any]) -> list[str]:
    """The storage ceiling: the service's own statements with precomputed vectors."""
    database = ingest.get("database")
    if not database:
        return []
    # runs before the inline write stored each row once had no "path": insert, then claim,
    # then write the vectors
    path = database.get("path", "the service's insert, claim and vector-write statements per batch")
    return [
        f"| database alone: {path}, vectors precomputed (no HTTP, no model) "
        f"| {_n(database['msgs_per_s'])} | {database['ratio_to_embedder']:.2f} |"
    ]


_REGIMES = {
    "scoped": "each query in one tenant of {rows_per_tenant} rows among many",
    "unscoped": "one tenant holds every row, no other filter",
    "conversation": "one tenant holds every row; each query filtered to one conversation "
    "of {rows_per_conversation} rows",
    "large conversation": "one tenant holds every row; each query filtered to one of "
    "{large_conversations} conversations holding {share} of the rows each",
}


def _ef(case: dict[str, Any]) -> str:
    if case["plan"] != "hnsw":
        return ""
    settings = case["settings"]
    ef, effective = settings["search_hnsw_ef_search"], settings.get("effective_ef_search")
    return f"{ef} ({effective})" if effective and effective != ef else str(ef)


def _case_row(block: dict[str, Any], case: dict[str, Any]) -> str:
    latency = case["latency_ms"]
    scans = ", ".join(dict.fromkeys(case["explain"].get("scans", [])))
    ratio = case.get("p50_vs_first")
    return (
        f"| {block['size']:,} | {block['regime']} | {block.get('scope_rows', 0):,} | "
        f"{case['label']} | {case['plan']} | {_ef(case)} | {latency['p50']:.2f} | "
        f"{latency['p95']:.2f} | {latency['p99']:.2f} | "
        f"{'' if ratio is None else f'{ratio:.2f}'} | {case['recall_at_10']:.3f} | "
        f"{case['recall_at_10_min']:.2f} | {scans} |"
    )


_CASE_HEADER = [
    "| rows | regime | scope rows | case | plan | ef_search | p50 ms | p95 ms | p99 ms "
    "| p50 vs default | recall@10 | min recall | scans in the plan |",
    "|---:|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
]


def _search(search: dict[str, Any]) -> list[str]:
    c = search["config"]
    rounds = c.get("rounds", 1)
    share = f"{c.get('large_conversation_share', 0):.0%}"
    regimes = sorted({b["regime"] for b in search["results"]}, key=list(_REGIMES).index)
    lines = [
        f"## Search: vector mode, top {c['top_k']}, {c['queries']} questions",
        "",
        "Through the service's own code (`Runtime.search.search`), the query embedding "
        "replaced by the question's precomputed vector, so the latency is service + "
        "database time. Ranking weights relevance 1 / importance 0 / recency 0; recall@10 "
        "against exact cosine top 10 over the same scope (NumPy). Regimes:",
        "",
        *[
            f"- `{r}`: "
            + _REGIMES[r].format(
                rows_per_tenant=c["rows_per_tenant"],
                rows_per_conversation=c["rows_per_conversation"],
                large_conversations=c.get("large_conversations", 0),
                share=share,
            )
            + "."
            for r in regimes
        ],
        "",
        "`service default` is the plan the service chose by scope size; the other rows force "
        "a plan (`MEMORY_SEARCH_EXACT_MAX_ROWS`, `MEMORY_SEARCH_HNSW_EF_SEARCH`). `plan` is the "
        "service's choice (`SearchOutcome.plan`); the last column is what PostgreSQL did with "
        "it (EXPLAIN ANALYZE of the service's statement for the first question). `ef_search`: "
        "as set, and in brackets the walk the service really asks for when larger (at least "
        "as far as the candidates it fetches: top_k x multiplier, at least 50). The cases of "
        "one regime are measured interleaved (each question asked of every case in turn), "
        f"{rounds} round(s); each percentile is the median of the rounds' percentiles, and "
        "`p50 vs default` the median of the per-round ratios to the first case of the "
        "regime (measured in the same pass, so machine load cancels out). `min recall`: the "
        "worst single question.",
        "",
        *_CASE_HEADER,
    ]
    builds = []
    build_settings = search["results"][0]["data"]["build_settings"] if search["results"] else {}
    for block in search["results"]:
        data = block["data"]
        if block["regime"] in ("scoped", "unscoped"):
            reused = (
                f" (loaded {data.get('loaded_at', '?')[:16]}, reused)" if data.get("reused") else ""
            )
            load = data.get("load_average_after_build")
            builds.append(
                f"| {block['size']:,} | {block['regime']}{reused} | {data['tenants']:,} | "
                f"{data['load_seconds']:.1f} | {data['hnsw_build_seconds']:.1f} | "
                f"{data['hnsw_index_mb']:.0f} | {data.get('table_total_mb', 0):,.0f} | "
                f"{_load(load)} |"
            )
        for case in block["cases"]:
            lines.append(_case_row(block, case))
    q = search["query_embedding_ms"]
    lines += [
        "",
        f"Embedding one question with the local model (not included above): p50 "
        f"{q['p50']:.1f} ms, p95 {q['p95']:.1f} ms.",
        "",
        "### Loading and HNSW build",
        "",
        "Rows loaded by binary COPY with the HNSW index dropped, then the migration's own "
        "index definition rebuilt (timed; "
        + ", ".join(f"{k} {v}" for k, v in build_settings.items())
        + "), then VACUUM ANALYZE. `table MB`: the table with all its indexes. The load "
        "average after the build says how busy the shared machine was meanwhile.",
        "",
        "| rows | database | tenants | COPY s | HNSW build s | HNSW index MB | table MB "
        "| load avg after build |",
        "|---:|---|---:|---:|---:|---:|---:|---|",
        *builds,
        "",
        f"Vectors: {search['vectors']['real']:,} real embeddings of the corpus turns; "
        f"{search['vectors']['derivation']}.",
        "",
    ]
    lines += _variants(search.get("hnsw_variants") or [], c)
    return lines


def _variants(variants: list[dict[str, Any]], c: dict[str, Any]) -> list[str]:
    if not variants:
        return []
    lines = [
        f"### HNSW build parameters at {c.get('variants_size', 0):,} rows (unscoped)",
        "",
        "The one-tenant database's index rebuilt with each `m` / `ef_construction` (same "
        "definition otherwise), then the ef_search sweep measured on it (the ef cases "
        "interleaved). Variants are measured one after the other (one index at a time: the "
        "planner would choose among several), so compare their recall; compare latencies "
        "with care (`p50 vs default` is relative to the variant's own first ef case). The "
        "migration's index (m 16, ef_construction 64) is restored afterwards in a kept database.",
        "",
        "| m | ef_construction | build s | index MB | ef_search | p50 ms | p95 ms | p99 ms "
        "| recall@10 | load avg after build |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for variant in variants:
        for case in variant["cases"]:
            latency = case["latency_ms"]
            lines.append(
                f"| {variant['m']} | {variant['ef_construction']} | "
                f"{variant['build_seconds']:.1f} | {variant['index_mb']:.0f} | {_ef(case)} | "
                f"{latency['p50']:.2f} | {latency['p95']:.2f} | {latency['p99']:.2f} | "
                f"{case['recall_at_10']:.3f} | {_load(variant.get('load_average_after_build'))} |"
            )
    return [*lines, ""]


def markdown(results: dict[str, Any], name: str = "core") -> str:
    lines = _header(results)
    if results.get("ingest"):
        lines += _ingest(results["ingest"])
    if results.get("search"):
        lines += _search(results["search"])
    lines += [f"Every figure, with per-run values and settings: `{name}.json`.", ""]
    return "\n".join(lines)


def write_concurrency(
    results: dict[str, Any], out_dir: Path, name: str = "concurrency"
) -> tuple[Path, Path]:
    """``<name>.json`` and ``<name>.md`` of ``python -m bench.concurrency``."""
    return write_json_and_markdown(results, out_dir, name, lambda r: concurrency_markdown(r, name))


def _pct(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else ""


def concurrency_markdown(results: dict[str, Any], name: str = "concurrency") -> str:
    lines = _header(results)
    lines[0] = "# Memory Mesh search throughput under concurrent clients"
    conc = results["concurrency"]
    c = conc["config"]
    lines += [
        f"## Vector search, top {c['top_k']}: {c['rows']:,} rows, closed-loop clients",
        "",
        f"Each client sends its next search as soon as the last is answered. Every level runs "
        f"{c['seconds']:g} s per round, {c['rounds']} rounds, the levels of all workloads and "
        "transports in a rotated order within each round (so load from other processes falls "
        "on all of them); figures are medians of the rounds, `x vs 1` the median of the "
        "per-round ratios to one client of the same row. `stack cores`: CPU the benchmark's "
        "own processes used during the level (load generator, `memory-mesh serve`, every "
        "PostgreSQL process; from /proc), in cores, and `CPU ms/query` the same per query: "
        "what a search costs, whatever else runs. `CPU busy` is the share of all the "
        "machine's CPUs in use (`/proc/stat`, whoever used them); `client CPU` is the load "
        "generator's own share of one CPU.",
        "",
        "- `http`: `GET /v1/memory/search` (mode vector) against a real `memory-mesh serve` "
        "process with its shipped settings (one uvicorn process, database pool of "
        f"{conc['server_settings']['db_pool_max_size']}), except the query-embedding cache, "
        "switched off so each request runs the local model (distinct questions would): HTTP, "
        "authentication (a bearer token), the model, the plan choice and the SQL all count.",
        "- `service`: `Runtime.search.search` in the benchmark process, the question's vector "
        "precomputed, a pool of as many connections as the most clients: service + database.",
        f"- `scoped`: each search in one tenant of {c['rows_per_tenant']} rows among "
        f"{c['rows'] // c['rows_per_tenant']:,} (exact plan); `unscoped`: one tenant holding "
        "every row (HNSW plan, the service's default ef_search).",
        "",
        "| workload | transport | clients | queries/s | x vs 1 | p50 ms | p95 ms | p99 ms "
        "| stack cores | CPU ms/query | CPU busy | client CPU | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in conc["levels"]:
        latency = level["latency_ms"] or {"p50": 0, "p95": 0, "p99": 0}
        speedup = level["speedup_vs_1"]
        cores, per_query = level.get("stack_cpu_cores"), level.get("stack_cpu_ms_per_query")
        lines.append(
            f"| {level['workload']} | {level['transport']} | {level['clients']} | "
            f"{level['qps']:,.1f} | {'' if speedup is None else f'{speedup:.2f}'} | "
            f"{latency['p50']:.1f} | {latency['p95']:.1f} | {latency['p99']:.1f} | "
            f"{'' if cores is None else f'{cores:.2f}'} | "
            f"{'' if per_query is None else f'{per_query:.1f}'} | "
            f"{_pct(level['machine_cpu_busy'])} | {_pct(level['client_cpu_share'])} | "
            f"{level['errors']} |"
        )
    lines += ["", *_plateau(conc), "", f"Every figure, per round: `{name}.json`.", ""]
    return "\n".join(lines)


def _plateau(conc: dict[str, Any]) -> list[str]:
    """Where each series stops gaining, from the figures themselves."""
    out = ["### Where throughput stops growing", ""]
    series: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for level in conc["levels"]:
        series.setdefault((level["workload"], level["transport"]), []).append(level)
    for (workload, transport), levels in series.items():
        best = max(levels, key=lambda lv: lv["qps"])
        # the first level within 10% of the best: the knee
        knee = next(lv for lv in levels if lv["qps"] >= 0.9 * best["qps"])
        first, last = levels[0], levels[-1]
        p50 = {lv["clients"]: (lv["latency_ms"] or {}).get("p50", 0.0) for lv in levels}
        out.append(
            f"- {workload} / {transport}: {first['qps']:,.0f} q/s with {first['clients']} "
            f"client(s), {best['qps']:,.0f} at best ({best['clients']} clients); within 10% "
            f"of that from {knee['clients']} clients, where the machine's CPUs were "
            f"{_pct(knee['machine_cpu_busy'])} busy"
            + (
                f" and the stack itself used {knee['stack_cpu_cores']:.2f} cores, "
                f"{knee['stack_cpu_ms_per_query']:.1f} CPU ms a query "
                f"({first['stack_cpu_ms_per_query']:.1f} with {first['clients']} client)"
                if knee.get("stack_cpu_cores")
                and knee.get("stack_cpu_ms_per_query")
                and first.get("stack_cpu_ms_per_query")
                else ""
            )
            + ". "
            + (
                f"From there to {last['clients']} clients p50 goes from "
                f"{p50[knee['clients']]:.1f} to {p50[last['clients']]:.1f} ms: the extra "
                "clients wait in queues instead of adding throughput."
                if knee is not last
                else "It was still growing at the most clients measured."
            )
        )
    return out


def run_on_corpus(
    options: Options[Any],
    *,
    key: str,
    stage: Callable[[Any, Any, Path, Any], dict[str, Any]],
    markdown: Callable[[dict[str, Any]], str],
) -> dict[str, Any]:
    """The common run of a benchmark on the LoCoMo corpus: an embedded PostgreSQL in the
    options' work dir, the run record, ``stage(corpus, server, work_dir, config)`` under
    ``results[key]``, the load at the end and the duration, then ``name``.json and .md
    written to ``out``."""
    from bench.data import load_corpus
    from bench.ingest import local_embedder
    from bench.machine import load_average, run_record
    from bench.tables import embedded_server

    started = time.perf_counter()
    options.work_dir.mkdir(parents=True, exist_ok=True)
    corpus = load_corpus(options.locomo)
    with embedded_server(options.work_dir / "search-db") as server:
        results = run_record(options.command, server, corpus, local_embedder(32).info)
        results[key] = stage(corpus, server, options.work_dir, options.config)
    results["machine"]["load_average_at_end"] = load_average()
    results["duration_seconds"] = round(time.perf_counter() - started, 1)
    write_json_and_markdown(results, options.out, options.name, markdown)
    return results
