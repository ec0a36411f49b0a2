"""Write the results: ``core.json`` (every figure) and ``core.md`` (the readable tables)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write(results: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "core.json"
    md_path = out_dir / "core.md"
    json_path.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    md_path.write_text(markdown(results), "utf-8")
    return json_path, md_path


def _n(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}" if value < 10 else f"{value:.1f}"


def _load(values: list[float] | None) -> str:
    return " / ".join(f"{v:.1f}" for v in values) if values else "unknown"


def _header(results: dict[str, Any]) -> list[str]:
    m = results["machine"]
    corpus = results["corpus"]
    return [
        "# Memory Mesh core benchmark",
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
        "measures the three rows one after the other (order rotated between runs), so the "
        "ratios are taken under the same machine load (ratio = median of the per-run ratios).",
        "",
        "| path | messages/s | vs the model alone |",
        "|---|---:|---:|",
        f"| model alone: `embed_documents`, batches of {c['embed_batch_size']} (the limit) "
        f"| {_n(e)} | 1.00 |",
        f"| HTTP, inline mode (stored + embedded when the response returns) | "
        f"{_n(ingest['inline']['msgs_per_s'])} | {ingest['inline']['ratio_to_embedder']:.2f} |",
        f"| HTTP, async mode (until every message's vector is written) | "
        f"{_n(ingest['async']['msgs_per_s'])} | {ingest['async']['ratio_to_embedder']:.2f} |",
        "",
        f"Async mode answers the writes themselves at {_n(ingest['async']['accepted_msgs_per_s'])}"
        " messages/s (responses only, before embedding). Inline: "
        f"{ingest['inline']['ready_at_response']:.0%} of messages were `ready` in the response.",
        "",
        "| run | model msg/s | inline msg/s | async msg/s | inline ratio | async ratio |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in ingest["runs"]:
        lines.append(
            f"| {r['repetition']} | {_n(r['embedder_msgs_per_s'])} | {_n(r['inline_msgs_per_s'])}"
            f" | {_n(r['async_msgs_per_s'])} | {r['inline_ratio']:.2f} | {r['async_ratio']:.2f} |"
        )
    return [*lines, ""]


def _search(search: dict[str, Any]) -> list[str]:
    c = search["config"]
    lines = [
        f"## Search: vector mode, top {c['top_k']}, {c['queries']} questions",
        "",
        "Through the service's own code (`Runtime.search.search`), the query embedding "
        "replaced by the question's precomputed vector, so the latency is service + "
        "database time. Ranking weights relevance 1 / importance 0 / recency 0; recall@10 "
        "against exact cosine top 10 over the same scope (NumPy). `scoped`: "
        f"{c['rows_per_tenant']} rows per tenant, each query in one tenant; `unscoped`: "
        "one tenant holds every row. `service default` is the plan the service chose by "
        "scope size; the other rows force a plan (`MEMORY_SEARCH_EXACT_MAX_ROWS`, "
        "`MEMORY_SEARCH_HNSW_EF_SEARCH`). `plan` is the service's choice "
        "(`SearchOutcome.plan`); the last column is what PostgreSQL did with it (EXPLAIN "
        "ANALYZE of the service's statement for the first question). The cases of one "
        "database are measured interleaved (each question asked of every case in turn).",
        "",
        "| rows | regime | case | plan | ef_search | p50 ms | p95 ms | p99 ms | recall@10 "
        "| scans in the plan |",
        "|---:|---|---|---|---:|---:|---:|---:|---:|---|",
    ]
    builds = []
    build_settings = search["results"][0]["data"]["build_settings"] if search["results"] else {}
    for block in search["results"]:
        data = block["data"]
        builds.append(
            f"| {block['size']:,} | {block['regime']} | {data['tenants']:,} | "
            f"{data['load_seconds']:.1f} | {data['hnsw_build_seconds']:.1f} | "
            f"{data['hnsw_index_mb']:.0f} |"
        )
        for case in block["cases"]:
            latency = case["latency_ms"]
            scans = ", ".join(dict.fromkeys(case["explain"].get("scans", [])))
            ef = case["settings"]["search_hnsw_ef_search"] if case["plan"] == "hnsw" else ""
            lines.append(
                f"| {block['size']:,} | {block['regime']} | {case['label']} | {case['plan']} | "
                f"{ef} | {latency['p50']:.2f} | {latency['p95']:.2f} | {latency['p99']:.2f} | "
                f"{case['recall_at_10']:.3f} | {scans} |"
            )
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
        + "), then VACUUM ANALYZE.",
        "",
        "| rows | regime | tenants | COPY s | HNSW build s | HNSW index MB |",
        "|---:|---|---:|---:|---:|---:|",
        *builds,
        "",
        f"Vectors: {search['vectors']['real']:,} real embeddings of the corpus turns; "
        f"{search['vectors']['derivation']}.",
        "",
    ]
    return lines


def markdown(results: dict[str, Any]) -> str:
    lines = _header(results)
    if results.get("ingest"):
        lines += _ingest(results["ingest"])
    if results.get("search"):
        lines += _search(results["search"])
    lines += ["Every figure, with per-run values and settings: `core.json`.", ""]
    return "\n".join(lines)
