"""The command-line options every benchmark shares (inputs, outputs, work directory,
progress bars), the command line recorded in each report, and the opening of every
benchmark's ``main``."""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Generic, TypeVar

from bench.data import DEFAULT_LOCOMO

RESULTS_DIR = Path(__file__).resolve().parent / "results"

C = TypeVar("C")
T = TypeVar("T")
OptionsT = TypeVar("OptionsT", bound="Options[Any]")


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
    """The shared options as config fields: locomo, out, progress, command, and work_dir
    when ``--work-dir`` was given (else the config's default temp directory stays)."""
    fields: dict[str, Any] = {
        "locomo": args.locomo,
        "out": args.out,
        "progress": not args.no_progress,
        "command": command(module, argv),
    }
    if args.work_dir is not None:
        fields["work_dir"] = args.work_dir
    return fields


def from_args(cls: Callable[..., T], args: argparse.Namespace, **given: Any) -> T:
    """``cls`` (a dataclass of settings) from the parsed options named as its fields, an
    option left unset (None) keeping the field's default; ``progress`` from
    ``--no-progress``; ``given`` last (the shared fields, what no option names)."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    values = {k: v for k, v in vars(args).items() if k in names and v is not None}
    if "progress" in names:
        values["progress"] = not args.no_progress
    return cls(**(values | given))


@dataclass
class Options(Generic[C]):
    """A benchmark's own settings (``config``) and where it reads, writes and works; a
    benchmark subclasses it to set its ``name`` and ``command``."""

    config: C
    locomo: Path | None = DEFAULT_LOCOMO
    out: Path = RESULTS_DIR
    work_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "mm-bench")
    name: str = ""
    command: str = ""


def options_fields(args: argparse.Namespace, module: str, argv: list[str]) -> dict[str, Any]:
    """The shared options as ``Options`` fields: locomo, out, name, command, and work_dir
    when ``--work-dir`` was given (else the default temp directory stays)."""
    fields: dict[str, Any] = {
        "locomo": args.locomo,
        "out": args.out,
        "name": args.name,
        "command": command(module, argv),
    }
    if args.work_dir is not None:
        fields["work_dir"] = args.work_dir
    return fields


def start(parse: Callable[[list[str]], T], argv: list[str] | None) -> T:
    """A benchmark's ``main`` opening: warnings logged with their source, then the
    options parsed from ``argv`` (the process's arguments when None)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return parse(sys.argv[1:] if argv is None else argv)


def parser(module: str, doc: str | None) -> argparse.ArgumentParser:
    """A benchmark's parser: ``python -m <module>``, described by its docstring's first line."""
    return argparse.ArgumentParser(
        prog=f"python -m {module}", description=(doc or "").split("\n")[0]
    )


def parse_options(
    options: type[OptionsT],
    config: Callable[..., Any],
    parser: argparse.ArgumentParser,
    argv: list[str],
    results_dir: Path,
) -> OptionsT:
    """``options`` (an ``Options`` subclass) from ``argv``: the benchmark's own arguments,
    already on ``parser``, become its ``config`` (``from_args``); the shared ones (added
    here, ``--name`` defaulting to the benchmark's own) its other fields."""
    name = next(f.default for f in fields(options) if f.name == "name")
    assert isinstance(name, str)
    add_common_arguments(parser, results_dir, name)
    args = parser.parse_args(argv)
    module = parser.prog.removeprefix("python -m ")
    return options(config=from_args(config, args), **options_fields(args, module, argv))
