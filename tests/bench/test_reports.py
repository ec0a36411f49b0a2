"""The benchmark reports are rendered by shared pieces (bench/markdown.py, bench/cli.py,
bench/report.py): every committed report is exactly what its renderer makes of its
committed JSON, ``--redraw`` rewrites it alike, and the pieces format as the reports need.
Pure rendering: no database, no timing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench import (
    cli,
    cold_start,
    concurrency,
    export_walk_report,
    footprint,
    http_overhead,
    http_overhead_report,
    inline_write_report,
    keyword_filters,
    keyword_scale_report,
    markdown,
    narrow_scan,
    narrow_scan_report,
    plan_memo,
    postings_cost_report,
    quality_report,
    report,
    retention_mend_report,
    scale_study,
    search_ab,
    side_by_side,
    unscoped_profile,
)

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results"

RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "cold_start": cold_start.render,
    "core": lambda r: report.markdown(r, "core"),
    "scale_1m": lambda r: report.markdown(r, "scale_1m"),
    "scale_study": scale_study.render,
    "scale_http_generic": scale_study.render,
    "scale_http_stats": scale_study.render,
    "concurrency": lambda r: report.concurrency_markdown(r, "concurrency"),
    "concurrency_batching": lambda r: report.concurrency_markdown(r, "concurrency_batching"),
    "concurrency_narrow": lambda r: report.concurrency_markdown(r, "concurrency_narrow"),
    "concurrency_generic": lambda r: report.concurrency_markdown(r, "concurrency_generic"),
    "concurrency_stats": lambda r: report.concurrency_markdown(r, "concurrency_stats"),
    "concurrency_throughput": lambda r: report.concurrency_markdown(r, "concurrency_throughput"),
    "footprint": footprint.markdown,
    "http_overhead": http_overhead_report.markdown,
    "http_overhead_async_deps": http_overhead_report.markdown,
    "http_overhead_keywords": http_overhead_report.markdown,
    "http_overhead_stats": http_overhead_report.markdown,
    "http_overhead_narrow": http_overhead_report.markdown,
    "http_overhead_generic": http_overhead_report.markdown,
    "http_overhead_throughput": http_overhead_report.markdown,
    "keyword_scale": keyword_scale_report.markdown,
    "inline_write": inline_write_report.markdown,
    "retention_mend": retention_mend_report.markdown,
    "export_walk": export_walk_report.markdown,
    "postings_cost": postings_cost_report.markdown,
    "narrow_scan": narrow_scan_report.markdown,
    "quality": quality_report.markdown,
    "search_ab": search_ab.markdown,
    "search_ab_narrow": search_ab.markdown,
    "search_ab_generic": search_ab.markdown,
    "search_ab_generic_keywords": search_ab.markdown,
    "search_ab_hybrid_candidates": search_ab.markdown,
    "search_ab_postings": search_ab.markdown,
    "search_ab_external_id": search_ab.markdown,
    "search_ab_conversation_ids": search_ab.markdown,
    "search_ab_scope_stats": search_ab.markdown,
    "search_ab_hybrid_reread": search_ab.markdown,
    "search_ab_postings_key": search_ab.markdown,
    "search_ab_postings_key_many": search_ab.markdown,
    "search_ab_hybrid_regression": search_ab.markdown,
    "keyword_filters": keyword_filters.markdown,
    "keyword_filters_tenant": keyword_filters.markdown,
    "plan_memo": plan_memo.markdown,
    "side_by_side": side_by_side.markdown,
    "unscoped_profile": unscoped_profile.render,
}


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_each_committed_report_is_its_renderer_output_for_its_committed_json(name: str) -> None:
    results = json.loads((RESULTS / f"{name}.json").read_text("utf-8"))
    assert RENDERERS[name](results) == (RESULTS / f"{name}.md").read_text("utf-8")


def test_every_committed_report_has_a_renderer_checked_here() -> None:
    # summary.md is gathered by bench.all; fanout and load write theirs inline in the run;
    # cold_start_notes.md is prose written by hand beside its report
    reports = {p.stem for p in RESULTS.glob("*.md")} - {"summary", "fanout", "load"}
    reports -= {"cold_start_notes"}
    assert reports <= set(RENDERERS)


@pytest.mark.parametrize("module", [footprint, side_by_side])
def test_redraw_rewrites_the_report_from_the_json_alone(module: Any, tmp_path: Path) -> None:
    name = module.__name__.rsplit(".", 1)[1]
    (tmp_path / f"{name}.json").write_bytes((RESULTS / f"{name}.json").read_bytes())
    module.main(["--redraw", "--out", str(tmp_path)])
    assert (tmp_path / f"{name}.md").read_text("utf-8") == (RESULTS / f"{name}.md").read_text(
        "utf-8"
    )


def test_side_by_side_redraw_draws_both_plots(tmp_path: Path) -> None:
    (tmp_path / "side_by_side.json").write_bytes((RESULTS / "side_by_side.json").read_bytes())
    report.redraw(tmp_path, "side_by_side", side_by_side.markdown, side_by_side.draw)
    for png in ("side_by_side.png", "side_by_side_ef.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_table_aligns_text_left_and_figures_right() -> None:
    assert markdown.table("system | path | p50 ms", [["chroma", "add", 1.5]], text_columns=2) == [
        "| system | path | p50 ms |",
        "|---|---|---:|",
        "| chroma | add | 1.5 |",
    ]
    assert markdown.table("a | b", [[1, 2]], text_columns=0)[1] == "|---:|---:|"
    assert markdown.table("a | b | c", [], trailing_text=1)[1] == "|---|---:|---|"


def test_an_empty_cell_stays_one_space_wide() -> None:
    assert markdown.row(["mem0", "", 0]) == "| mem0 | | 0 |"


def test_the_reproduce_line_names_command_machine_versions_and_load() -> None:
    results = {
        "command": "python -m bench.x --size 10",
        "machine": {
            "date": "2026-12-06",
            "cpu_model": "EPYC",
            "cpu_count": 2,
            "memory_gb": 8,
            "postgres": "18.1",
            "load_average_at_start": [1.5, 1.0, 0.5],
        },
        "load_average_at_end": None,
        "duration_seconds": 12.5,
    }
    assert markdown.reproduce(results, ("postgres",), " (shared machine)") == (
        "Reproduce: `python -m bench.x --size 10` (2026-12-06; EPYC, 2 CPUs, 8 GB; "
        "PostgreSQL 18.1). Load average (1/5/15 min) 1.5 / 1.0 / 0.5 at the start, ? at "
        "the end (shared machine). Whole run 12.5 s."
    )


def test_the_work_dir_option_replaces_the_default_only_when_given() -> None:
    default = side_by_side.parse(["--size", "10"])
    assert default.work_dir == side_by_side.SideConfig().work_dir
    given = side_by_side.parse(["--work-dir", "/tmp/w", "--no-progress"])
    assert given.work_dir == Path("/tmp/w") and given.progress is False
    assert given.command == "python -m bench.side_by_side --work-dir /tmp/w --no-progress"
    options = concurrency.parse(["--name", "conc2"])
    assert options.work_dir == cli.Options(config=None).work_dir
    assert (options.name, options.command) == ("conc2", "python -m bench.concurrency --name conc2")
    assert http_overhead.parse([]).name == "http_overhead"


def test_a_benchmark_parses_its_own_options_into_its_config_and_the_shared_ones_beside() -> None:
    options = narrow_scan.parse(["--rounds", "2", "--name", "n2", "--work-dir", "/tmp/w"])
    assert options.config.rounds == 2 and options.config.questions == 100
    assert (options.name, options.work_dir, options.out) == ("n2", Path("/tmp/w"), RESULTS)
    assert options.command == "python -m bench.narrow_scan --rounds 2 --name n2 --work-dir /tmp/w"
    defaults = http_overhead.parse(["--no-progress"])
    assert (defaults.name, defaults.config.progress) == ("http_overhead", False)
