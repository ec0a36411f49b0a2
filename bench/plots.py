"""PNG plots of the benchmark results (matplotlib, headless).

python -m bench.plots        # redraw from bench/results/{quality,core,scale_*,concurrency}.json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def recall_axes(ax: Any, ks: list[int], references: dict[str, Any] | None) -> None:
    """A recall@k plot's axes: k on a log scale (ticks at ``ks``), recall 0-1, a light
    grid, and the published reference points at k 5 and 10 (when given)."""
    for name, ref in (references or {}).items():
        ax.scatter([5, 10], [ref["5"], ref["10"]], marker="x", s=60, label=name)
    ax.set_xscale("log")
    ax.set_xticks(ks)
    ax.set_xticklabels([str(k) for k in ks])
    ax.set_xlabel("k")
    ax.set_ylim(0, 1)
    ax.grid(True, alpha=0.3)


def recall_curves(results: dict[str, Any], path: Path, group: str = "cat1-4") -> Path:
    """Recall@k against k, one line per variant (LoCoMo, categories 1-4 by default)."""
    plt = _pyplot()
    quality = results["quality"]
    ks = quality["data"]["ks"]
    fig, ax = plt.subplots(figsize=(8, 5))
    for variant in quality["variants"]:
        values = variant.get(group)
        if not values:
            continue
        style = "--" if variant["tsquery"] == "or" else "-"
        ax.plot(ks, [values[str(k)] for k in ks], style, marker="o", label=variant["variant"])
    recall_axes(ax, ks, quality["references"])
    ax.set_ylabel(f"recall@k ({group})")
    ax.set_title("LoCoMo evidence recall by search variant")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def ef_curve(core: dict[str, Any], path: Path) -> Path | None:
    """Latency p50 against recall@10 for the unscoped HNSW cases of ``core.json``."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    drawn = False
    for block in core.get("search", {}).get("results", []):
        if block["regime"] != "unscoped":
            continue
        points = []
        for case in block["cases"]:
            ef = case.get("settings", {}).get("search_hnsw_ef_search")
            if case["plan"] == "hnsw" and case["label"].startswith("hnsw ef_search") and ef:
                points.append((case["recall_at_10"], case["latency_ms"]["p50"], ef))
        if not points:
            continue
        points.sort(key=lambda p: p[2])
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=block["size"])
        for recall, latency, ef in points:
            ax.annotate(
                f"ef {ef}", (recall, latency), fontsize=7, xytext=(3, 3), textcoords="offset points"
            )
        drawn = True
    if not drawn:
        plt.close(fig)
        return None
    ax.set_xlabel("recall@10")
    ax.set_ylabel("p50 latency (ms)")
    ax.set_title("HNSW ef_search: latency against recall (unscoped, from core.json)")
    ax.grid(True, alpha=0.3)
    ax.legend(title="rows", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def throughput_curve(results: dict[str, Any], path: Path) -> Path | None:
    """Queries/s (left) and p99 latency (right) against concurrent clients, one line per
    workload and transport, from ``concurrency.json``."""
    levels = results.get("concurrency", {}).get("levels", [])
    if not levels:
        return None
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    series: dict[str, list[dict[str, Any]]] = {}
    for level in levels:
        series.setdefault(f"{level['workload']} / {level['transport']}", []).append(level)
    for label, points in series.items():
        points.sort(key=lambda lv: lv["clients"])
        clients = [lv["clients"] for lv in points]
        style = "-" if "http" in label else "--"
        left.plot(clients, [lv["qps"] for lv in points], style, marker="o", label=label)
        p99 = [(lv["latency_ms"] or {}).get("p99", float("nan")) for lv in points]
        right.plot(clients, p99, style, marker="o", label=label)
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted({lv["clients"] for lv in levels}))
        ax.set_xticklabels([str(c) for c in sorted({lv["clients"] for lv in levels})])
        ax.set_xlabel("concurrent clients")
        ax.grid(True, alpha=0.3)
    left.set_ylabel("queries/s")
    left.set_ylim(bottom=0)
    left.set_title("Search throughput")
    right.set_ylabel("p99 latency (ms)")
    right.set_yscale("log")
    right.set_title("Search p99 latency")
    left.legend(fontsize=8)
    cores = results.get("machine", {}).get("cpu_count")
    fig.suptitle(f"Concurrent clients ({cores} cores, shared machine; medians of rounds)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def scale_curve(results: dict[str, Any], path: Path) -> Path | None:
    """p50 latency against recall@10 for every HNSW case of a results file (ef_search
    sweeps, the forced-plan cases and the index variants), one line per size and regime,
    with the exact plan as a reference point."""
    search = results.get("search", {})
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    drawn = False
    for block in search.get("results", []):
        points = []
        for case in block["cases"]:
            ef = case.get("settings", {}).get("effective_ef_search")
            if case["plan"] == "hnsw" and ef:
                points.append((case["recall_at_10"], case["latency_ms"]["p50"], ef))
            elif case["plan"] == "exact" and block["regime"] != "scoped":
                ax.scatter(
                    [case["recall_at_10"]], [case["latency_ms"]["p50"]], marker="s", s=30,
                    color="black",
                )  # fmt: skip
                ax.annotate(
                    f"exact {block['size']:,} {block['regime']}",
                    (case["recall_at_10"], case["latency_ms"]["p50"]),
                    fontsize=6, xytext=(-4, 4), textcoords="offset points", ha="right",
                )  # fmt: skip
        if len(points) < 2:
            continue
        points.sort(key=lambda p: p[2])
        label = f"{block['size']:,} {block['regime']}"
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
        for recall, latency, ef in points:
            ax.annotate(
                f"{ef}", (recall, latency), fontsize=6, xytext=(3, 3), textcoords="offset points"
            )
        drawn = True
    for variant in search.get("hnsw_variants", []):
        points = sorted(
            (c["recall_at_10"], c["latency_ms"]["p50"], c["settings"]["effective_ef_search"])
            for c in variant["cases"]
        )
        if points:
            label = f"m {variant['m']}, ef_c {variant['ef_construction']} (variant)"
            ax.plot([p[0] for p in points], [p[1] for p in points], ":", marker="x", label=label)
            drawn = True
    if not drawn:
        plt.close(fig)
        return None
    ax.set_yscale("log")
    ax.set_xlabel("recall@10")
    ax.set_ylabel("p50 latency (ms, log)")
    ax.set_title("HNSW: latency against recall by effective ef_search (labels)")
    ax.grid(True, alpha=0.3, which="both")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main() -> None:
    quality = RESULTS_DIR / "quality.json"
    core = RESULTS_DIR / "core.json"
    if quality.is_file():
        print(recall_curves(json.loads(quality.read_text()), RESULTS_DIR / "quality_recall.png"))
    if core.is_file():
        print(ef_curve(json.loads(core.read_text()), RESULTS_DIR / "hnsw_ef.png"))
    for scale in sorted(RESULTS_DIR.glob("scale_*.json")):
        print(scale_curve(json.loads(scale.read_text()), scale.with_suffix(".png")))
    concurrency = RESULTS_DIR / "concurrency.json"
    if concurrency.is_file():
        print(
            throughput_curve(json.loads(concurrency.read_text()), RESULTS_DIR / "concurrency.png")
        )


if __name__ == "__main__":
    main()
