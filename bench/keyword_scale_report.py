"""The report of the keyword-at-scale benchmark (``keyword_scale.json``): a large tenant's
keyword and hybrid search with its rows read whole or its matches found through the GIN
indexes (migration 0013). Pure rendering from the figures."""

from __future__ import annotations

from typing import Any

from bench import markdown as md
from bench import report


def markdown(results: dict[str, Any]) -> str:
    body = results["keyword"]
    config = body["config"]
    stats = body["scope_statistics"]
    load_ = body["load"]
    lines = report.header(results, "Memory Mesh: keyword and hybrid search of a large tenant")
    lines += [
        f"Two tenants of {config['tenant_rows']:,} messages each: the LoCoMo turns' real texts"
        f" ({body['corpus_turns']:,} turns, each repeated) with vectors derived from the local"
        " model's; HNSW built"
        f" ({'reused from an earlier run' if load_.get('reused') else 'by this run'}). The"
        " first tenant searched whole (the HNSW plan), top 10, the local model's vector of"
        f" each of {config['questions']} real questions, through `store.search.run_search` in"
        " the service's tenant transaction; cases interleaved question by question,"
        f" {config['rounds']} rounds. Execution and buffers: `EXPLAIN (ANALYZE, BUFFERS)` of"
        " each question once (medians; a function's own reads count under its node).",
        "",
        "- `read`: the keyword matches found by reading every row of the scope under the"
        " row-level security policies, which keep the non-leakproof `@@` off the GIN indexes"
        " (before migration 0013; still the exact plan's), BM25's statistics counted by the"
        " statement;",
        "- `gin`: the matches from migration 0013's function (the GIN indexes), the"
        " statistics counted by the statement;",
        "- `gin, statistics given`: as the service searches a large scope, the statistics"
        f" counted once a minute: {stats['count_ms_median']:.1f} ms to count"
        f" ({stats['docs']:,.0f} messages, average length {stats['avg_len']} terms).",
        "",
        *md.table(
            "mode | case | p50 ms | p95 ms | execution ms | buffers | same top 10 as read | scans",
            (_cells(c) for c in body["cases"]),
            text_columns=2,
            trailing_text=1,
        ),
        "",
        "p50 of `gin, statistics given` over `read` (median of the per-round ratios): "
        + ", ".join(f"{mode} {ratio:.3f}" for mode, ratio in body["given_over_read_p50"].items())
        + f". Keyword hits per question (median): {body['keyword_hits_median']:.0f} of 10.",
    ]
    return "\n".join(lines) + "\n"


def _cells(c: dict[str, Any]) -> list[object]:
    lat = c["latency_ms"]
    same = c["same_top10_as_read"]
    return [
        c["mode"],
        c["case"],
        f"{lat['p50']:.2f}",
        f"{lat['p95']:.2f}",
        "" if c["execution_ms_median"] is None else f"{c['execution_ms_median']:.2f}",
        "" if c["buffers_median"] is None else f"{c['buffers_median']:,}",
        "" if same is None else f"{same:.0%}",
        "; ".join(c["scans"]),
    ]
