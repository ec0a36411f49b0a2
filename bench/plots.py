"""PNG plots of the benchmark results (matplotlib, headless).

python -m bench.plots        # redraw from bench/results/{quality,core}.json
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
    for name, ref in quality["references"].items():
        ax.scatter([5, 10], [ref["5"], ref["10"]], marker="x", s=60, label=name)
    ax.set_xscale("log")
    ax.set_xticks(ks)
    ax.set_xticklabels([str(k) for k in ks])
    ax.set_xlabel("k")
    ax.set_ylabel(f"recall@k ({group})")
    ax.set_ylim(0, 1)
    ax.grid(True, alpha=0.3)
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


def main() -> None:
    quality = RESULTS_DIR / "quality.json"
    core = RESULTS_DIR / "core.json"
    if quality.is_file():
        print(recall_curves(json.loads(quality.read_text()), RESULTS_DIR / "quality_recall.png"))
    if core.is_file():
        print(ef_curve(json.loads(core.read_text()), RESULTS_DIR / "hnsw_ef.png"))


if __name__ == "__main__":
    main()
