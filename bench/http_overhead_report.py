"""The report of the HTTP overhead benchmark (``http_overhead*.json``): what HTTP adds to
a search, case by case, the CPU ratios against the in-process call, and where the
server's time went (py-spy). Pure rendering from the figures."""

from __future__ import annotations

from typing import Any

from bench import markdown as md
from bench import report


def markdown(results: dict[str, Any]) -> str:
    body = results["overhead"]
    c = body["config"]
    lines = report.header(results, "Memory Mesh: what HTTP adds to a search")
    lines += [
        f"One tenant of {c['rows']:,} rows in conversations of {c['rows_per_conversation']:,};"
        " each search is scoped to one conversation (exact plan), vector mode unless the case"
        " says hybrid, top 10. One"
        f" request at a time, {c['requests']} per case and round, {c['rounds']} rounds with the"
        " cases rotated; latency percentiles over all rounds, CPU the median of the rounds."
        " CPU per request: the server process + every PostgreSQL backend (HTTP), or this"
        " process + PostgreSQL (in process); the load generator is left out."
        f" Rate limiter: {'Redis' if c['redis'] else 'in memory'}."
        + (
            f" `baseline`: the server from `{c['baseline_src']}` (before), `branch`: this"
            " checkout (after), same database, same rounds."
            if c.get("baseline_src")
            else ""
        ),
        "",
        *md.table(
            "case | p50 ms | p95 ms | p99 ms | CPU ms / request",
            (_case_cells(name, f) for name, f in body["cases"].items()),
        ),
        "",
        *md.table(
            "server | CPU http / service, warm | cold | API key, warm"
            " | p50 cold - (model + floor) ms | p50 cold - (its embedding + floor) ms"
            " | p50 warm - floor ms",
            (
                _ratio_cells(label, r)
                for label, r in body["ratios"].items()
                if label != "branch_over_baseline"
            ),
        ),
    ]
    if "branch_over_baseline" in body["ratios"]:
        r = body["ratios"]["branch_over_baseline"]
        lines += [
            "",
            f"CPU per HTTP search, branch / baseline: warm {r['warm']:.2f}, cold {r['cold']:.2f}.",
        ]
    if "planning" in body:
        p = body["planning"]
        lines += [
            "",
            "The search statement in PostgreSQL: EXPLAIN ANALYZE of the exact plan's statement"
            f" in each mode, {p['questions']} questions, each checkout's statement text in turn"
            " (same settings and parameters); medians.",
            "",
            *md.table(
                "mode | planning ms | baseline | ratio | execution ms | baseline | ratio",
                (_planning_cells(mode, f) for mode, f in p["modes"].items()),
            ),
        ]
    for label, kinds in body["profiles"].items():
        for kind, p in kinds.items():
            lines += [
                "",
                f"### Where the server's time goes: {label}, {kind} searches (py-spy, "
                f"{p['samples']:,} samples over {p['requests']} requests"
                + (f" from {p['clients']} clients" if p.get("clients", 1) > 1 else "")
                + ")",
                "",
                "Busy samples only (threads waiting left out); each counted in the bucket"
                " of the innermost frame that names one.",
                "",
                *md.table("bucket | share", ((b, f"{s:.1%}") for b, s in p["buckets"].items())),
                "",
                "Top of the stack: "
                + "; ".join(f"`{n}` {s:.1%}" for n, s in p["top_functions"][:8]),
            ]
    return "\n".join(lines) + "\n"


def _planning_cells(mode: str, f: dict[str, dict[str, float]]) -> list[object]:
    branch, baseline = f["branch"], f["baseline"]
    cells: list[object] = [mode]
    for key in ("planning_ms", "execution_ms"):
        cells += [
            f"{branch[key]:.3f}",
            f"{baseline[key]:.3f}",
            f"{branch[key] / baseline[key]:.2f}",
        ]
    return cells


def _case_cells(name: str, f: dict[str, Any]) -> list[object]:
    lat = f["latency_ms"]
    return [
        name,
        f"{lat['p50']:.2f}",
        f"{lat['p95']:.2f}",
        f"{lat['p99']:.2f}",
        f"{f['cpu_ms_per_request']:.2f}",
    ]


def _ratio_cells(label: str, r: dict[str, Any]) -> list[object]:
    figures = [
        r["cpu_http_over_service_warm"],
        r["cpu_http_over_service_cold"],
        r["cpu_api_key_over_service_warm"],
        r["p50_cold_minus_model_and_floor_ms"],
        r.get("p50_cold_minus_own_embedding_and_floor_ms"),
        r["p50_warm_minus_floor_ms"],
    ]
    return [label, *("not reported" if v is None else f"{v:.2f}" for v in figures)]
