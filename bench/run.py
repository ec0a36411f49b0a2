"""The core benchmark: ingestion throughput and search latency/recall, one command.

    python -m bench                      # full: 2,000 messages x 3, search at 10k and 100k
    python -m bench --quick              # a couple of minutes, smaller figures
    python -m bench --sizes 10000 --locomo ../shared/bench-data/locomo/locomo10.json
    python -m bench --name scale_1m --sizes 1000000 --skip-ingest --keep-databases \
        --work-dir /tmp/mm-bench-scale --ef 40,100,200,400,800   # the 1M scale report

Writes ``<out>/<name>.json`` and ``<out>/<name>.md`` (name ``core`` by default).
Databases, server data directories and cached corpus vectors live in ``--work-dir``
(default: the system temp dir), never here.
"""

from __future__ import annotations

import argparse
import json
import shlex
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import cli, report
from bench.data import DEFAULT_LOCOMO, load_corpus
from bench.ingest import IngestConfig, local_embedder, run_ingest
from bench.machine import load_average, run_record
from bench.search_latency import SearchConfig, run_search_latency
from bench.tables import embedded_server

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class BenchConfig:
    locomo: Path | None = DEFAULT_LOCOMO
    out: Path = RESULTS_DIR
    work_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "mm-bench")
    ingest: IngestConfig | None = field(default_factory=IngestConfig)
    search: SearchConfig | None = field(default_factory=SearchConfig)
    command: str = "python -m bench"
    name: str = "core"
    plot: bool = True
    merge: bool = False  # keep the sections of an existing report that this run skips


def run(config: BenchConfig) -> dict[str, Any]:
    """Run the configured benchmarks; write and return the results."""
    started = time.perf_counter()
    config.work_dir.mkdir(parents=True, exist_ok=True)
    corpus = load_corpus(config.locomo)
    with embedded_server(config.work_dir / "search-db") as server:
        embedder = local_embedder(32)
        results: dict[str, Any] = {
            "title": "Memory Mesh core benchmark"
            if config.name == "core"
            else f"Memory Mesh search at scale ({config.name})",
            **run_record(config.command, server, corpus, embedder.info),
        }
        if config.ingest is not None:
            results["ingest"] = run_ingest(corpus, config.work_dir, config.ingest)
        if config.search is not None:
            results["search"] = run_search_latency(
                corpus, server, config.work_dir, embedder, config.search
            )
    results["machine"]["load_average_at_end"] = load_average()
    results["duration_seconds"] = round(time.perf_counter() - started, 1)
    if config.search is not None and config.search.prepare_only:
        return results  # nothing measured: no report
    if config.merge:
        results = _merged(results, config)
    report.write(results, config.out, config.name)
    if config.plot and config.search is not None:
        from bench.plots import ef_curve, scale_curve

        if config.name == "core":
            ef_curve(results, config.out / "hnsw_ef.png")
        else:
            scale_curve(results, config.out / f"{config.name}.png")
    return results


def _merged(results: dict[str, Any], config: BenchConfig) -> dict[str, Any]:
    """This run's sections over the existing report's: a section re-measured alone (for
    example ingestion on a quieter machine) keeps its own command and machine."""
    path = config.out / f"{config.name}.json"
    if not path.is_file():
        return results
    previous = json.loads(path.read_text("utf-8"))
    merged = dict(previous)
    for section in ("ingest", "search"):
        if section in results:
            merged[section] = results[section] | {
                "command": results["command"],
                "machine": results["machine"],
            }
    return merged


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())


def _pairs(text: str) -> tuple[tuple[int, int], ...]:
    pairs = []
    for part in text.split(","):
        if part.strip():
            m, ef_construction = part.split(":")
            pairs.append((int(m), int(ef_construction)))
    return tuple(pairs)


def parse(argv: list[str]) -> BenchConfig:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=_ints, help="search table sizes (default 10000,100000)")
    parser.add_argument("--quick", action="store_true", help="small run: minutes, not tens")
    parser.add_argument("--locomo", type=Path, default=DEFAULT_LOCOMO, help="locomo10.json")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results directory")
    parser.add_argument("--work-dir", type=Path, help="databases and caches (default: temp)")
    parser.add_argument("--messages", type=int, help="messages ingested per run (2000)")
    parser.add_argument("--batch-size", type=int, help="messages per HTTP batch (100)")
    parser.add_argument("--repetitions", type=int, help="ingestion runs (3)")
    parser.add_argument("--queries", type=int, help="search questions (200)")
    parser.add_argument("--ef", type=_ints, help="hnsw.ef_search values (40,100,200)")
    parser.add_argument("--rounds", type=int, help="interleaved passes per search case (3)")
    parser.add_argument(
        "--keep-databases",
        action="store_true",
        help="keep loaded search databases in the work dir; reuse them when the data matches",
    )
    parser.add_argument(
        "--prepare-only", action="store_true", help="load (or find) the databases, no timing"
    )
    parser.add_argument(
        "--hnsw-variants",
        type=_pairs,
        help="m:ef_construction pairs rebuilt and swept at --variants-size, e.g. 8:32,16:64",
    )
    parser.add_argument("--variants-size", type=int, help="rows for --hnsw-variants (100000)")
    parser.add_argument("--name", default="core", help="results file name (core)")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument(
        "--merge", action="store_true", help="keep the skipped sections of the existing report"
    )
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--no-plot", action="store_true", help="no PNG plots")
    args = parser.parse_args(argv)

    progress = not args.no_progress
    ingest = IngestConfig(
        messages=args.messages or (500 if args.quick else 2000),
        batch_size=args.batch_size or 100,
        repetitions=args.repetitions or (1 if args.quick else 3),
        progress=progress,
    )
    search = SearchConfig(
        sizes=args.sizes or ((10_000,) if args.quick else (10_000, 100_000)),
        queries=args.queries or (50 if args.quick else 200),
        ef_values=args.ef or (40, 100, 200),
        rounds=args.rounds or (1 if args.quick else 3),
        keep_databases=args.keep_databases or args.prepare_only,
        prepare_only=args.prepare_only,
        hnsw_variants=args.hnsw_variants or (),
        variants_size=args.variants_size or 100_000,
        progress=progress,
    )
    config = BenchConfig(
        locomo=args.locomo,
        out=args.out,
        ingest=None if args.skip_ingest else ingest,
        search=None if args.skip_search else search,
        command=shlex.join(["python", "-m", "bench", *argv]),
        name=args.name,
        plot=not args.no_plot,
        merge=args.merge,
    )
    if args.work_dir is not None:
        config.work_dir = args.work_dir
    return config


def main(argv: list[str] | None = None) -> None:
    config = cli.start(parse, argv)
    results = run(config)
    if config.search is not None and config.search.prepare_only:
        for block in results.get("search", {}).get("results", []):
            print(f"prepared {block['size']:,} {block['regime']}: {block['data']}")
        return
    print(f"wrote {config.out / (config.name + '.json')} and {config.out / (config.name + '.md')}")
    ingest = results.get("ingest")
    if ingest:
        print(
            f"ingest msgs/s: model {ingest['embedder']['msgs_per_s']}, "
            f"inline {ingest['inline']['msgs_per_s']}, async {ingest['async']['msgs_per_s']}"
        )
    for block in results.get("search", {}).get("results", []):
        for case in block["cases"]:
            latency = case["latency_ms"]
            print(
                f"{block['size']:>7} {block['regime']:<8} {case['label']:<18} {case['plan']:<5} "
                f"p50 {latency['p50']:7.2f} ms  p95 {latency['p95']:7.2f} ms  "
                f"recall@10 {case['recall_at_10']:.3f}"
            )


if __name__ == "__main__":
    main()
