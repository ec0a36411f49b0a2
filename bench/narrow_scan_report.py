"""The report of the narrow-scan benchmark (``narrow_scan.json``): the exact scan over
``messages`` (wide) and ``message_vectors`` (narrow) side by side, the sizes, the
migration's cost, and the tenant-wide HNSW plan on either table. Pure rendering from the
figures."""

from __future__ import annotations

from typing import Any

from bench import markdown as md
from bench import report


def markdown(results: dict[str, Any]) -> str:
    body = results["narrow"]
    load_ = body["load"]
    sizes = load_["sizes_mb"]
    r = body["narrow_over_wide"]
    lines = report.header(results, "Memory Mesh: the exact scan, wide and narrow")
    lines += [
        f"One tenant, {len(load_['rows_per_conversation'])} conversations of "
        f"{', '.join(f'{n:,}' for n in load_['rows_per_conversation'])} LoCoMo turns (real text,"
        f" the local model's vectors) among {body['config']['other_rows']:,} rows of other"
        " tenants (texts reused, derived vectors), every row stored in a shuffled order as"
        " live traffic stores them."
        " Each question searched in one conversation, vector mode, top 10, through"
        " `store.search.run_search` (exact plan), `wide` (candidates from `messages`, as"
        " before migration 0009) and `narrow` (from `message_vectors`, the default now)"
        " alternating;"
        f" {body['config']['questions']} questions x {body['config']['rounds']} rounds."
        " Buffers, execution and planning time: `EXPLAIN (ANALYZE, BUFFERS)` of each question"
        " once, caches warm (median over the questions).",
        "",
        *md.table(
            "layout | p50 ms | p95 ms | buffers (median) | buffers p95 | execution ms"
            " | planning ms | scans",
            (_case_cells(kind, c) for kind, c in body["cases"].items()),
            trailing_text=1,
        ),
        "",
        f"narrow / wide: p50 {r['p50']:.2f} (median of the per-round ratios), buffers"
        f" {r['buffers']:.3f} ({1 / r['buffers']:.0f}x fewer), execution {r['execution']:.2f}."
        f" Top 10 in common: {body['top10_overlap_mean']:.1%}; questions answered in the same"
        f" order: {body['top10_same_order']:.1%} (the narrow candidates are re-ranked at full"
        " precision). An exact halfvec top 10 alone, without that"
        f" re-ranking, would have recall@10 {body['halfvec_recall_at_10']:.4f} against the"
        " float32 one (NumPy, same questions and conversations).",
        "",
        f"Sizes: messages {sizes['messages_total']} MB in all (heap {sizes['messages_heap']} MB);"
        f" message_vectors {sizes['message_vectors_total']} MB in all, of which the covering"
        f" index {sizes['covering_index']} MB. Migration 0009 on this table: backfill"
        f" {load_['migration_seconds']['backfill']} s (writers go on), then"
        f" {load_['migration_seconds']['writers_wait']} s during which writers of `messages`"
        " wait (trigger, foreign key, catch-up)."
        + "".join(
            f" Migration {name} on it: {seconds} s."
            for name, seconds in load_.get("later_migration_seconds", {}).items()
        ),
    ]
    if "write" in body:
        w = body["write"]
        lines += [
            "",
            "The worker's vector write (32 rows' vectors in one update, median of 40):"
            f" {w['with_trigger']:.2f} ms with the sync trigger, {w['without']:.2f} ms without"
            " (no HNSW index on `messages` during this measurement; its upkeep, when"
            " present, costs far more).",
        ]
    if "hnsw" in body:
        lines += ["", *_hnsw(body["hnsw"], sum(load_["rows_per_conversation"]))]
    return "\n".join(lines) + "\n"


def _case_cells(kind: str, c: dict[str, Any]) -> list[object]:
    lat = c["latency_ms"]
    return [
        kind,
        f"{lat['p50']:.2f}",
        f"{lat['p95']:.2f}",
        f"{c['buffers_median']:,}",
        f"{c['buffers_p95']:,}",
        f"{c['execution_ms_median']:.2f}",
        f"{c['planning_ms_median']:.2f}" if "planning_ms_median" in c else "not measured",
        "; ".join(c["scans"]),
    ]


def _hnsw(h: dict[str, Any], tenant_rows: int) -> list[str]:
    """The tenant-wide HNSW plan with its graph on ``messages`` or ``message_vectors``."""
    return [
        f"### The tenant-wide HNSW plan, graph on either table (ef_search {h['ef_search']})",
        "",
        f"The benchmark tenant searched whole ({tenant_rows:,} rows:"
        " above the exact limit, so HNSW with iterative scan and the tenant filter); recall"
        " @10 against the exact plan's answer. Builds (m 16, ef_construction 64): wide"
        f" {h['build_seconds']['wide']} s, narrow {h['build_seconds']['narrow']} s.",
        "",
        *md.table(
            "graph on | p50 ms | p95 ms | recall@10 | scans",
            (
                [
                    kind,
                    f"{c['latency_ms']['p50']:.2f}",
                    f"{c['latency_ms']['p95']:.2f}",
                    f"{c['recall_at_10']:.3f}",
                    "; ".join(c["scans"]),
                ]
                for kind, c in h["cases"].items()
            ),
            trailing_text=1,
        ),
        "",
        f"narrow / wide p50: {h['narrow_over_wide_p50']:.2f}.",
    ]
