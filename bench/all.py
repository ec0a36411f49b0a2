"""Every benchmark, one command: each stage runs as its own process (its own progress
bars, its own JSON + Markdown under ``--out``), then ``summary.md`` gathers the headline
figures of every report there, with the command behind each.

    python -m bench.all                  # the full suite: about two hours on 2 cores
    python -m bench.all --quick          # every stage small, into $TMPDIR: about 20 minutes
    python -m bench.all --only quality,fanout
    python -m bench.all --summary-only   # rebuild summary.md from the JSON files
    python -m bench.all --only cold_start --sam-build .aws-sam/build   # measure that build

A stage that fails is reported and the others still run; the exit status is 1 if any
failed. Stages run one after another, never side by side, so they do not load each other.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bench.machine import load_average

RESULTS_DIR = Path(__file__).resolve().parent / "results"
QUICK_DIR = Path(tempfile.gettempdir()) / "mm-bench-quick-results"


@dataclass(frozen=True)
class Stage:
    name: str
    module: str
    full: tuple[str, ...]
    quick: tuple[str, ...]
    what: str


STAGES: tuple[Stage, ...] = (
    Stage(
        "core",
        "bench",
        (),
        ("--quick",),
        "ingestion end to end vs the model; search latency and recall at 10k / 100k",
    ),
    Stage(
        "scale_1m",
        "bench",
        (
            *("--name", "scale_1m", "--sizes", "1000000", "--skip-ingest"),
            *("--keep-databases", "--ef", "40,100,200,400,800"),
        ),
        ("--name", "scale_1m", "--sizes", "20000", "--skip-ingest", "--quick"),
        "search latency and recall at 1M rows (its own databases, kept for reruns)",
    ),
    Stage(
        "concurrency",
        "bench.concurrency",
        (),
        ("--rows", "20000", "--seconds", "3", "--rounds", "1"),  # it has no --quick
        "search throughput under concurrent clients",
    ),
    Stage(
        "side_by_side",
        "bench.side_by_side",
        ("--size", "100000"),
        ("--size", "10000", "--queries", "50"),
        "the same vectors and queries through NumPy, Chroma, mem0 and Memory Mesh",
    ),
    Stage(
        "quality",
        "bench.quality",
        (),
        ("--conversations", "2"),
        "LoCoMo recall@k of the evidence turns, per mode",
    ),
    Stage(
        "footprint",
        "bench.footprint",
        ("--messages", "100000"),
        ("--messages", "10000"),
        "memory of the server and its database at 0 and N messages",
    ),
    Stage(
        "fanout",
        "bench.fanout",
        ("--subscribers", "100", "--messages", "30"),
        ("--subscribers", "20", "--messages", "10"),
        "real-time delivery latency to WebSocket subscribers",
    ),
    Stage(
        "cold_start",
        "bench.cold_start",
        ("--runs", "5"),
        ("--runs", "1"),
        "import time of each Lambda function",
    ),
    Stage(
        "load",
        "bench.load.run",
        ("--users", "20", "--minutes", "2"),
        ("--users", "5", "--minutes", "0.5", "--limit", "300", "--limiter-seconds", "20"),
        "Locust mixed workload and the rate limiter's accuracy under it",
    ),
)


def command(
    stage: Stage, quick: bool, out: Path, given: dict[str, tuple[str, ...]] | None = None
) -> list[str]:
    """The stage's command line; ``given``: more arguments for some stages, by name."""
    return [
        sys.executable,
        "-m",
        stage.module,
        *(stage.quick if quick else stage.full),
        *(given or {}).get(stage.name, ()),
        "--out",
        str(out),
    ]


def run_stages(
    stages: list[Stage], quick: bool, out: Path, given: dict[str, tuple[str, ...]] | None = None
) -> dict[str, dict[str, Any]]:
    """Run each stage in its own process; return its exit status and duration."""
    outcome: dict[str, dict[str, Any]] = {}
    for stage in tqdm(stages, desc="benchmarks", unit="stage", position=0):
        argv = command(stage, quick, out, given)
        tqdm.write(f"== {stage.name}: {' '.join(argv[1:])}")
        started = time.perf_counter()
        status = subprocess.call(argv)
        outcome[stage.name] = {
            "exit_status": status,
            "seconds": round(time.perf_counter() - started, 1),
            "load_average_after": load_average(),
        }
        if status != 0:
            tqdm.write(f"!! {stage.name} failed with exit status {status}")
    return outcome


# headline figures, read back from each stage's JSON (absent reports are skipped)
Headline = Callable[[dict[str, Any]], list[tuple[str, str]]]
HEADLINES: dict[str, Headline] = {}


def headline(name: str) -> Callable[[Headline], Headline]:
    def register(function: Headline) -> Headline:
        HEADLINES[name] = function
        return function

    return register


@headline("scale_1m")
def _scale(data: dict[str, Any]) -> list[tuple[str, str]]:
    return _search_headlines(data)


@headline("core")
def _core(data: dict[str, Any]) -> list[tuple[str, str]]:
    figures = []
    ingest = data.get("ingest")
    if ingest:
        figures.append(
            (
                "ingest, stored + embedded over HTTP (inline / async) vs the model alone",
                f"{ingest['inline']['msgs_per_s']:.1f} / {ingest['async']['msgs_per_s']:.1f} vs "
                f"{ingest['embedder']['msgs_per_s']:.1f} msg/s",
            )
        )
    return figures + _search_headlines(data)


def _search_headlines(data: dict[str, Any]) -> list[tuple[str, str]]:
    figures = []
    for block in data.get("search", {}).get("results", []):
        case = block["cases"][0]  # the service default
        latency = case["latency_ms"]
        figures.append(
            (
                f"search {block['size']:,} rows, {block['regime']} ({case['plan']})",
                f"p50 {latency['p50']:.1f} ms, p99 {latency['p99']:.1f} ms, "
                f"recall@10 {case['recall_at_10']:.3f}",
            )
        )
    return figures


@headline("concurrency")
def _concurrency(data: dict[str, Any]) -> list[tuple[str, str]]:
    rows = data["concurrency"]["config"]["rows"]
    by_key: dict[tuple[str, str], list[str]] = {}
    for level in data["concurrency"]["levels"]:
        key = (level["workload"], level["transport"])
        by_key.setdefault(key, []).append(f"{level['clients']}: {level['qps']:.0f}")
    return [
        (f"searches/s by clients, {rows:,} rows, {workload}, {transport}", ", ".join(values))
        for (workload, transport), values in by_key.items()
    ]


@headline("quality")
def _quality(data: dict[str, Any]) -> list[tuple[str, str]]:
    figures = []
    for variant in data["quality"]["variants"]:
        recall = variant["cat1-4"]
        # the report's own name for the variant (context, dates and weights told apart)
        name = f"LoCoMo R@5 / R@10, categories 1-4: {variant.get('variant', variant['mode'])}"
        value = f"{recall['5'] * 100:.1f} / {recall['10'] * 100:.1f}"
        held_out = variant.get("split", {}).get("held_out", {}).get("cat1-4")
        if held_out:
            value += f" (held out {held_out['5'] * 100:.1f} / {held_out['10'] * 100:.1f})"
        figures.append((name, value))
    return figures


@headline("side_by_side")
def _side_by_side(data: dict[str, Any]) -> list[tuple[str, str]]:
    block = data["side_by_side"]
    figures = []
    for regime in block["regimes"]:
        systems = regime["systems"]
        parts = [
            f"{name} {s['latency_ms']['p50']:.1f} ms (x{s['p50_ratio_to_numpy']:g}, "
            f"recall {s['recall_at_10']:.3f})"
            for name, s in systems.items()
        ]
        figures.append(
            (
                f"p50 at {block['size']:,} rows, {regime['regime']} (x = ratio to NumPy)",
                "; ".join(parts),
            )
        )
    return figures


@headline("footprint")
def _footprint(data: dict[str, Any]) -> list[tuple[str, str]]:
    block = data["footprint"]
    figures = []
    for stage in block["stages"]:
        if "idle" in stage["stage"] or "after" in stage["stage"]:
            figures.append(
                (
                    f"memory, {stage['stage']} ({stage['disk']['messages']:,} messages)",
                    f"server USS {stage['server_mb']['uss']:.0f} MB, PostgreSQL PSS "
                    f"{stage['postgres_mb']['pss']:.0f} MB, database "
                    f"{stage['disk']['database_mb']:.0f} MB on disk",
                )
            )
    return figures


@headline("fanout")
def _fanout(data: dict[str, Any]) -> list[tuple[str, str]]:
    latency = data["publish_to_deliver_ms"]
    return [
        (
            f"publish → delivered, {data['subscribers']} WebSocket subscribers",
            f"p50 {latency['p50']:.1f} ms, p99 {latency['p99']:.1f} ms "
            f"({data['delivered']}/{data['expected_deliveries']} frames)",
        )
    ]


@headline("cold_start")
def _cold_start(data: dict[str, Any]) -> list[tuple[str, str]]:
    medians = sorted(f["median_ms"] for f in data["functions"])
    ratios = sorted(f["ratio"] for f in data["functions"])
    return [
        (
            f"Lambda import time, {len(medians)} functions (median of {data['runs']} runs each)",
            f"{medians[0]:.0f} to {medians[-1]:.0f} ms",
        ),
        ("Lambda import time / dependency floor", f"{ratios[0]:.2f} to {ratios[-1]:.2f}x"),
    ]


@headline("load")
def _load(data: dict[str, Any]) -> list[tuple[str, str]]:
    total = next(r for r in data["requests"] if r["name"] == "Aggregated")
    limiter = data["limiter"]
    return [
        (
            f"Locust mixed workload, {data['users']} users, {data['seconds']} s",
            f"{total['requests_per_s']:.1f} req/s, errors {total['error_rate']:.2%}, "
            f"p50 {total['p50_ms']:.0f} ms, p99 {total['p99_ms']:.0f} ms",
        ),
        (
            "rate limiter under load: allowed of the limit",
            f"{limiter['allowed']} of {limiter['limit_per_minute']}",
        ),
    ]


def summary(out: Path, outcome: dict[str, dict[str, Any]] | None = None) -> str:
    lines = [
        "# Memory Mesh benchmarks: summary",
        "",
        "Headline figures of every report in this directory, read from their JSON files. "
        "Each report says how it was measured, on what machine, and the command that "
        "reproduces it; `python -m bench.all` runs them all.",
        "",
        "| benchmark | figure | value | report |",
        "|---|---|---|---|",
    ]
    for stage in STAGES:
        path = out / f"{stage.name}.json"
        if not path.is_file() or stage.name not in HEADLINES:
            continue
        data = json.loads(path.read_text("utf-8"))
        try:
            figures = HEADLINES[stage.name](data)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            figures = [("(unreadable)", f"{type(exc).__name__}: {exc}")]
        for i, (figure, value) in enumerate(figures):
            name = stage.name if i == 0 else ""
            link = f"[{stage.name}.md]({stage.name}.md)" if i == 0 else ""
            lines.append(f"| {name} | {figure} | {value} | {link} |")
    if outcome:
        lines += ["", "## This run", "", "| stage | exit status | minutes |", "|---|---:|---:|"]
        for name, result in outcome.items():
            minutes = result["seconds"] / 60
            lines.append(f"| {name} | {result['exit_status']} | {minutes:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.all", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="every stage at a small size")
    stage_names = ",".join(s.name for s in STAGES)
    parser.add_argument("--only", help=f"comma-separated stages: {stage_names}")
    parser.add_argument("--skip", help="comma-separated stages to leave out")
    parser.add_argument(
        "--out",
        type=Path,
        help="results directory (default bench/results; with --quick a temporary one, so "
        "the committed full results are not overwritten by small ones)",
    )
    parser.add_argument("--summary-only", action="store_true", help="only rebuild summary.md")
    parser.add_argument(
        "--sam-build",
        type=Path,
        help="cold_start: measure this `sam build` output (else it builds)",
    )
    parser.add_argument(
        "--boto3-dir", type=Path, help="cold_start: boto3 installed for python3.12 (else installs)"
    )
    args = parser.parse_args(argv)
    names = {s.name for s in STAGES}
    only = set(args.only.split(",")) if args.only else names
    skip = set(args.skip.split(",")) if args.skip else set()
    unknown = (only | skip) - names
    if unknown:
        parser.error(f"unknown stage(s): {', '.join(sorted(unknown))}")
    stages = [s for s in STAGES if s.name in only and s.name not in skip]
    if args.out is None:
        args.out = QUICK_DIR if args.quick else RESULTS_DIR
    args.out.mkdir(parents=True, exist_ok=True)
    cold_start = [
        *(("--build-dir", str(args.sam_build)) if args.sam_build else ()),
        *(("--boto3-dir", str(args.boto3_dir)) if args.boto3_dir else ()),
    ]
    given = {"cold_start": tuple(cold_start)}
    outcome = None if args.summary_only else run_stages(stages, args.quick, args.out, given)
    (args.out / "summary.md").write_text(summary(args.out, outcome), "utf-8")
    print(f"wrote {args.out / 'summary.md'}")
    failed = [name for name, result in (outcome or {}).items() if result["exit_status"] != 0]
    if failed:
        print(f"failed stages: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
