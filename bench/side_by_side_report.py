"""The report of the side-by-side benchmark (``side_by_side.json``): the Markdown tables
and findings, and the plots (``side_by_side.png``, ``side_by_side_ef.png``). Pure
rendering from the figures; ``python -m bench.side_by_side --redraw`` rewrites them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from bench import markdown as md
from bench.plots import _pyplot

NUMPY = "numpy exact"
CHROMA = "chroma"
MEM0 = "mem0"
MEMORY_MESH = "memory mesh"
COLOURS = {NUMPY: "tab:gray", CHROMA: "tab:blue", MEM0: "tab:green", MEMORY_MESH: "tab:orange"}


def equal_recall(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each Chroma point: Memory Mesh's fastest point with at least its recall."""
    chroma = [p for p in points if p["system"] == CHROMA]
    ours = [p for p in points if p["system"] == MEMORY_MESH]
    out = []
    for theirs in chroma:
        good = [p for p in ours if p["recall_at_10"] >= theirs["recall_at_10"]]
        best = min(good, key=lambda p: p["p50_ms"]) if good else None
        out.append(
            {
                "chroma_ef": theirs["ef_search"],
                "chroma_recall": theirs["recall_at_10"],
                "chroma_p50_ms": theirs["p50_ms"],
                "memory_mesh_ef": best["effective_ef"] if best else None,
                "memory_mesh_recall": best["recall_at_10"] if best else None,
                "memory_mesh_p50_ms": best["p50_ms"] if best else None,
                "p50_ratio": round(best["p50_ms"] / theirs["p50_ms"], 2) if best else None,
            }
        )
    return out


def plot_ef_sweep(results: dict[str, Any], path: Path) -> Path | None:
    """The recall / latency curve of each system over the ef_search sweep, one plot."""
    points = results["side_by_side"]["regimes"][0].get("ef_sweep")
    if not points:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for system in dict.fromkeys(p["system"] for p in points):
        mine = sorted((p for p in points if p["system"] == system), key=lambda p: p["ef_search"])
        ax.plot(
            [p["recall_at_10"] for p in mine],
            [p["p50_ms"] for p in mine],
            marker="o",
            label=system,
            color=COLOURS.get(system),
        )
        for p in mine:
            ax.annotate(
                str(p["effective_ef"]),
                (p["recall_at_10"], p["p50_ms"]),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
    swept = {p["system"] for p in points}
    block = results["side_by_side"]["regimes"][0]
    for system, s in block["systems"].items():
        if system not in swept:  # not swept (mem0, NumPy): its one point, from the table above
            ax.scatter(
                [s["recall_at_10"]],
                [s["latency_ms"]["p50"]],
                marker="s",
                label=f"{system} (one point: not swept)",
                color=COLOURS.get(system),
            )
    ax.set_xlabel("recall@10 (against exact top 10)")
    ax.set_ylabel("search p50 ms")
    ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    ax.legend()
    size = results["side_by_side"]["size"]
    ax.set_title(f"One tenant of {size:,} rows, no filter: ef_search sweep (labels: ef)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _sweep_markdown(block: dict[str, Any]) -> list[str]:
    points = block.get("ef_sweep")
    if not points:
        return []
    lines = [
        "",
        "## ef_search sweep, no filter (`side_by_side_ef.png`)",
        "",
        "Chroma and Memory Mesh at each `ef_search`, interleaved query by query, median of "
        "the passes' p50. Memory Mesh walks at least its 50 candidates whatever ef_search "
        "says (`effective ef`).",
        "",
        *md.table(
            "system | ef_search | effective ef | p50 ms | recall@10",
            (
                [
                    p["system"],
                    p["ef_search"],
                    p["effective_ef"],
                    f"{p['p50_ms']:.2f}",
                    f"{p['recall_at_10']:.3f}",
                ]
                for p in points
            ),
        ),
        "",
        "At equal recall: for each Chroma point, Memory Mesh's fastest point with at least "
        "its recall@10 (ratio < 1: Memory Mesh faster).",
        "",
        *md.table(
            "Chroma ef | Chroma recall | Chroma p50 ms | Memory Mesh ef | recall | p50 ms | ratio",
            (_equal_recall_cells(row) for row in equal_recall(points)),
            text_columns=0,
        ),
    ]
    return lines


def _equal_recall_cells(row: dict[str, Any]) -> list[object]:
    chroma = [row["chroma_ef"], f"{row['chroma_recall']:.3f}", f"{row['chroma_p50_ms']:.2f}"]
    if row["memory_mesh_ef"] is None:
        return [*chroma, "none reaches it", "", "", ""]
    return [
        *chroma,
        row["memory_mesh_ef"],
        f"{row['memory_mesh_recall']:.3f}",
        f"{row['memory_mesh_p50_ms']:.2f}",
        f"{row['p50_ratio']:.2f}",
    ]


def markdown(results: dict[str, Any]) -> str:
    side = results["side_by_side"]
    builds = side["builds"]
    lines = [
        "# Side by side: exact NumPy, Chroma embedded, mem0, Memory Mesh",
        "",
        md.reproduce(
            results,
            ("postgres", "pgvector", "chromadb", "mem0ai"),
            ": the 2 cores are shared, so compare the ratios",
        ),
        "",
        f"{side['size']:,} rows of 384-d vectors (real LoCoMo MiniLM embeddings, then "
        f"derived: {results['corpus']['source']}, {results['corpus']['real_vectors']:,} real), "
        f"{side['queries']} real question embeddings, top {side['top_k']}, recall@10 "
        "against the exact top 10 of the scope. One client; every query asked of every "
        f"system in turn (order rotated), {side['passes']} passes; latencies pooled over "
        "the passes, ratios = median over passes of the per-pass p50 ratio.",
        "",
        "## Search",
        "",
        *md.table(
            "regime | system | p50 ms | p95 ms | p99 ms | recall@10 | results | p50 / NumPy"
            " | p50 / Memory Mesh",
            (
                _search_cells(block, name, s)
                for block in side["regimes"]
                for name, s in block["systems"].items()
            ),
            text_columns=2,
        ),
    ]
    lines += ["", *findings(results), "", "Plans:", ""]
    for block in side["regimes"]:
        mm_plans = block["systems"][MEMORY_MESH].get("plans", {})
        text = f"- {block['regime']}: Memory Mesh {mm_plans}"
        if MEM0 in block["systems"]:
            text += f"; mem0's semantic query: {', '.join(block['systems'][MEM0]['plan_scans'])}"
        lines.append(text)
    lines += [
        "",
        "## Loading",
        "",
        *md.table("system | path | rows | seconds | rows/s", _loading_rows(builds), text_columns=2),
        "",
        *_time_to_searchable(builds),
        "",
        "Memory Mesh's own write path (HTTP batch, embedding included) is measured in "
        "core.md (~60-70 messages/s, bound by the model); here every system gets the same "
        "precomputed vectors.",
        "",
        f"Network: {len(side['network']['attempts'])} attempts refused "
        f"({side['network']['guard']}). mem0's LLM: "
        f"{builds.get(MEM0, {}).get('llm_calls', 'not counted in this run')} calls (a "
        "stand-in that counts and refuses any call replaces it).",
        "",
        side["notes"],
        "",
    ]
    lines += _sweep_markdown(side["regimes"][0])
    return "\n".join(lines) + "\n"


def _loading_rows(builds: dict[str, Any]) -> list[list[object]]:
    """Each system's load path: rows, seconds, rows/s."""
    rows: list[list[object]] = []
    if CHROMA in builds:
        c = builds[CHROMA]
        rows.append(["chroma", c["path"], f"{c['rows']:,}", c["seconds"], f"{c['rows_per_s']:,}"])
    if MEM0 in builds:
        b = builds[MEM0]
        rate = b["memory_add_msgs_per_s"]
        rows.append(
            [
                "mem0",
                "`Memory.add(infer=False)`, one message a call",
                f"{b['memory_add_messages']:,}",
                b["memory_add_seconds"],
                rate,
            ]
        )
        if b["bulk_insert_rows"]:
            rows.append(
                [
                    "mem0",
                    "`PGVector.insert`, batches of 1,000, HNSW dropped",
                    f"{b['bulk_insert_rows']:,}",
                    b["bulk_insert_seconds"],
                    f"{b['bulk_insert_rows'] / max(b['bulk_insert_seconds'], 1e-9):,.0f}",
                ]
            )
        rows.append(
            [
                "mem0",
                f"HNSW build (its definition), {b['hnsw_index_mb']} MB",
                f"{b['rows']:,}",
                b["hnsw_build_seconds"],
                "",
            ]
        )
        if rate:
            rows.append(
                [
                    "mem0",
                    "all rows through `Memory.add` (extrapolated)",
                    f"{b['rows']:,}",
                    f"{b['rows'] / rate:,.0f}",
                    rate,
                ]
            )
    mm = builds[MEMORY_MESH]
    rows.append(
        [
            "memory mesh",
            "binary COPY",
            f"{mm['rows']:,}",
            mm["copy_seconds"],
            f"{mm['rows'] / max(mm['copy_seconds'], 1e-9):,.0f}",
        ]
    )
    rows.append(
        [
            "memory mesh",
            f"HNSW build, {mm['hnsw_index_mb']} MB",
            f"{mm['rows']:,}",
            mm["hnsw_build_seconds"],
            "",
        ]
    )
    return rows


def _search_cells(block: dict[str, Any], name: str, s: dict[str, Any]) -> list[object]:
    tenants = block["tenants"]
    lat = s["latency_ms"]
    return [
        f"{block['regime']} ({tenants:,} tenant{'s' if tenants != 1 else ''}, "
        f"{block['rows_in_scope']:,} rows in scope)",
        name,
        *(f"{lat[p]:.2f}" for p in ("p50", "p95", "p99")),
        f"{s['recall_at_10']:.3f}",
        f"{s['mean_results']:g}",
        f"{s['p50_ratio_to_numpy']:g}",
        f"{s['p50_ratio_to_memory_mesh']:g}",
    ]


def _time_to_searchable(builds: dict[str, Any]) -> list[str]:
    """Seconds from vectors in hand to searchable, each against Memory Mesh's."""
    mm = builds[MEMORY_MESH]["copy_seconds"] + builds[MEMORY_MESH]["hnsw_build_seconds"]
    parts = [f"Memory Mesh {mm:,.0f} s (COPY + HNSW build: the benchmark's loader, not its API)"]
    if CHROMA in builds:
        c = builds[CHROMA]["seconds"]
        parts.append(f"Chroma {c:,.0f} s (its public `add`, {c / mm:.1f}x)")
    tail = ""
    if MEM0 in builds:
        b = builds[MEM0]
        bulk = b["bulk_insert_seconds"] + b["hnsw_build_seconds"]
        if b["bulk_insert_rows"]:
            parts.append(
                f"mem0 {bulk:,.0f} s (its vector store's insert + build, {bulk / mm:.1f}x)"
            )
        if b["memory_add_msgs_per_s"]:
            every = b["rows"] / b["memory_add_msgs_per_s"]
            tail = (
                f" mem0's public write API (`Memory.add`, one message a call) would take "
                f"{every:,.0f} s for every row (extrapolated); Memory Mesh's (HTTP batches, "
                "the model embedding) is measured in core.md."
            )
    return ["Time to searchable from vectors in hand: " + "; ".join(parts) + "." + tail]


def findings(results: dict[str, Any]) -> list[str]:
    """What the table says that is not a number in it, derived from the figures."""
    side = results["side_by_side"]
    k = side["top_k"]
    blocks = {b["regime"]: b for b in side["regimes"]}
    out = ["What the figures say:", ""]
    for regime, block in blocks.items():
        mem0 = block["systems"].get(MEM0)
        if mem0 and mem0["mean_results"] < 0.9 * k:
            hnsw = any("hnsw" in scan for scan in mem0.get("plan_scans", []))
            out.append(
                f"- {regime}: mem0 returned {mem0['mean_results']:g} of {k} results on "
                f"average (recall@10 {mem0['recall_at_10']:.3f})."
                + (
                    " Its pgvector query filters with `payload->>'user_id' = ...` above an "
                    "HNSW index scan (the plan below): pgvector hands over at most "
                    "`hnsw.ef_search` (40) nearest rows of the whole table, and the filter "
                    f"keeps the tenant's, {block['rows_in_scope']:,} in "
                    f"{side['size']:,} here. mem0 turns on neither pgvector 0.8's iterative "
                    "scans nor an exact path for small scopes; Memory Mesh scans a small "
                    "scope exactly (its plan below)."
                    if hnsw
                    else ""
                )
            )
    chroma = [blocks[r]["systems"].get(CHROMA) for r in ("no filter", "tenant filter")]
    if all(chroma) and len(blocks) == 2:
        free, filtered = (c["latency_ms"]["p50"] for c in chroma if c)
        out.append(
            f"- Chroma: a query with a `where` filter on the tenant took {filtered:.1f} ms "
            f"(p50) against {free:.1f} ms without, over the same collection "
            f"({blocks['tenant filter']['tenants']:,} tenant values in the metadata): "
            f"{filtered / free:.1f} times as long."
        )
    for regime, block in blocks.items():
        systems = block["systems"]
        if NUMPY in systems and MEMORY_MESH in systems:
            out.append(
                f"- {regime}: Memory Mesh's p50 is {systems[MEMORY_MESH]['p50_ratio_to_numpy']:g} "
                "times exact NumPy's (in-process matrix product, no storage, no SQL), with "
                f"recall@10 {systems[MEMORY_MESH]['recall_at_10']:.3f}."
            )
    out.append(
        "- Absolute latencies depend on the machine's load (load average in the header; "
        "the 2 cores were shared with other benchmarks): the ratios, measured interleaved "
        "query by query, are the figures to compare."
    )
    return out


def plot(results: dict[str, Any], path: Path) -> Path:
    """p50 latency per system and regime (log scale, p95 whisker), recall@10 on the bars."""
    plt = _pyplot()
    side = results["side_by_side"]
    blocks = side["regimes"]
    fig, axes = plt.subplots(1, len(blocks), figsize=(5.5 * len(blocks), 4.5), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, block in zip(axes, blocks, strict=True):
        names = list(block["systems"])
        p50 = [block["systems"][n]["latency_ms"]["p50"] for n in names]
        p95 = [block["systems"][n]["latency_ms"]["p95"] for n in names]
        errors = [[0] * len(names), [b - a for a, b in zip(p50, p95, strict=True)]]
        bars = ax.bar(names, p50, yerr=errors, capsize=4, color="#4c72b0")
        for bar, n, top in zip(bars, names, p95, strict=True):
            recall = block["systems"][n]["recall_at_10"]
            if recall < 0.5:
                bar.set_color("#c44e52")
            ax.annotate(
                f"recall {recall:.2f}",
                (bar.get_x() + bar.get_width() / 2, top),
                ha="center",
                va="bottom",
                fontsize=8,
                xytext=(0, 2),
                textcoords="offset points",
            )
        ax.set_yscale("log")
        ax.set_title(f"{block['regime']} ({block['rows_in_scope']:,} rows in scope)")
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(True, axis="y", alpha=0.3)
    axes[0].set_ylabel("search latency p50 ms (whisker: p95)")
    load = results["machine"].get("load_average_at_start")
    fig.suptitle(
        f"Top 10 of {side['size']:,} vectors, same run, interleaved "
        f"(load average at start {md.load(load)}, 2 cores shared)",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def draw(results: dict[str, Any], out: Path) -> None:
    """The report's plots: ``side_by_side.png`` and ``side_by_side_ef.png``."""
    plot(results, out / "side_by_side.png")
    plot_ef_sweep(results, out / "side_by_side_ef.png")
