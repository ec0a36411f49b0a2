"""The command-line options every benchmark shares (inputs, outputs, work directory,
progress bars), and the command line recorded in each report."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

from bench.data import DEFAULT_LOCOMO


def add_common_arguments(
    parser: argparse.ArgumentParser,
    results_dir: Path,
    name: str | None = None,
    *,
    redraw: bool = False,
) -> None:
    """``--locomo``, ``--out``, ``--work-dir``, ``--no-progress``; ``--name`` (the results
    file name) when ``name`` is given, ``--redraw`` when the report can be redrawn."""
    parser.add_argument("--locomo", type=Path, default=DEFAULT_LOCOMO, help="locomo10.json")
    parser.add_argument("--out", type=Path, default=results_dir, help="results directory")
    parser.add_argument("--work-dir", type=Path, help="databases and caches (default: temp)")
    parser.add_argument("--no-progress", action="store_true")
    if name is not None:
        parser.add_argument("--name", default=name, help=f"results file name ({name})")
    if redraw:
        parser.add_argument(
            "--redraw", action="store_true", help="rewrite the report from the .json in --out"
        )


def command(module: str, argv: list[str]) -> str:
    """The command line that reproduces this run, as the report records it."""
    return shlex.join(["python", "-m", module, *argv])


def common_fields(args: argparse.Namespace, module: str, argv: list[str]) -> dict[str, Any]:
    """The shared options as config fields: locomo, out, progress, command."""
    return {
        "locomo": args.locomo,
        "out": args.out,
        "progress": not args.no_progress,
        "command": command(module, argv),
    }


def apply_work_dir(config: Any, args: argparse.Namespace) -> None:
    """``--work-dir``, when given, replaces the config's default (a temp directory)."""
    if args.work_dir is not None:
        config.work_dir = args.work_dir
