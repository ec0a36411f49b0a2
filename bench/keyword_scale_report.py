"""The report of the keyword-at-scale benchmark (``keyword_scale.json``): large scopes'
keyword and hybrid search with their rows read whole, their matches found through the GIN
indexes (migrations 0013, 0014), or their terms read from the postings (migration 0015).
Pure rendering from the figures."""

from __future__ import annotations

from typing import Any

from bench import markdown as md
from bench import report


def markdown(results: dict[str, Any]) -> str:
    body = results["keyword"]
    config = body["config"]
    load_ = body["load"]
    scopes = body["scopes"]
    lines = report.header(results, "Memory Mesh: keyword and hybrid search of large scopes")
    lines += [
        f"Two tenants of {config['tenant_rows']:,} messages each: the LoCoMo turns' real texts"
        f" ({body['corpus_turns']:,} turns, each repeated) with vectors derived from the local"
        " model's; HNSW built"
        f" ({'reused from an earlier run' if load_.get('reused') else 'by this run'}). Two"
        " scopes of the first tenant searched, top 10, the local model's vector of each of"
        f" {config['questions']} real questions, through `store.search.run_search` in the"
        " service's tenant transaction; cases interleaved question by question,"
        f" {config['rounds']} rounds. Execution and buffers: `EXPLAIN (ANALYZE, BUFFERS)` of"
        " each question once (medians; a function's own reads count under its node).",
        "",
        *(_scope_line(name, s) for name, s in scopes.items()),
        "",
        "- `read`: the keyword matches found by reading every row of the scope under the"
        " row-level security policies, which keep the non-leakproof `@@` off the GIN indexes"
        " (before migration 0013; still a small scope's), BM25's statistics counted by the"
        " statement;",
        "- `gin`: the matches from migration 0013's function (the GIN indexes), the"
        " statistics counted by the statement;",
        "- `gin, statistics given`: as the service searched a large scope before migration"
        " 0015, the statistics counted once a minute;",
        "- `gin, statistics given, seq scans allowed`: the same with the function's setting"
        " of migration 0014 (`enable_seqscan = off`) cleared, as before it: the planner may"
        " then read the whole table for a question of common words;",
        "- `postings, statistics given`: as the service searches a large scope now: each"
        " query word's postings (its occurrences, the message's lengths and the filtered"
        " columns) read from migration 0015's `message_terms`, one range of its B-tree per"
        " word, instead of the matching messages' rows.",
        "",
        *md.table(
            "scope | mode | case | p50 ms | p95 ms | max ms | execution ms | buffers"
            " | same top 10 as read | scans",
            (_cells(c) for c in body["cases"]),
            text_columns=3,
            trailing_text=1,
        ),
        "",
        *(
            f"{name}: p50 of `postings, statistics given` over `read` (median of the"
            " per-round ratios) "
            + _ratios(s["service_over_read_p50"])
            + ", over `gin, statistics given` "
            + _ratios(s["service_over_gin_p50"])
            + f"; keyword hits per question (median) {s['keyword_hits_median']:.0f} of 10."
            for name, s in scopes.items()
        ),
    ]
    return "\n".join(lines) + "\n"


def _ratios(by_mode: dict[str, float]) -> str:
    return ", ".join(f"{mode} {ratio:.3f}" for mode, ratio in by_mode.items())


def _scope_line(name: str, s: dict[str, Any]) -> str:
    return (
        f"- `{name}`: {s['messages']:,.0f} messages, the {s['plan']} plan; BM25's statistics"
        f" (average length {s['avg_len']} terms) take {s['statistics_count_ms_median']:.1f} ms"
        " to count."
    )


def _cells(c: dict[str, Any]) -> list[object]:
    lat = c["latency_ms"]
    same = c["same_top10_as_read"]
    return [
        c["scope"],
        c["mode"],
        c["case"],
        f"{lat['p50']:.2f}",
        f"{lat['p95']:.2f}",
        f"{lat['max']:.2f}",
        "" if c["execution_ms_median"] is None else f"{c['execution_ms_median']:.2f}",
        "" if c["buffers_median"] is None else f"{c['buffers_median']:,}",
        "" if same is None else f"{same:.0%}",
        "; ".join(c["scans"]),
    ]
