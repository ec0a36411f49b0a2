"""The pieces every benchmark report is written with: the reproduce line (command,
machine, versions, load) and tables. Pure text from figures; nothing here measures."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

VERSIONS = {
    "python": "Python",
    "postgres": "PostgreSQL",
    "pgvector": "pgvector",
    "chromadb": "chromadb",
    "mem0ai": "mem0ai",
}


def load(values: Sequence[float] | None) -> str:
    """A load average (1/5/15 min) as recorded, ``?`` when it was not."""
    return " / ".join(str(v) for v in values) if values else "?"


def reproduce(results: dict[str, Any], versions: Sequence[str], load_note: str) -> str:
    """``Reproduce: `command` (date; machine; versions). Load average ... Whole run ...``:
    ``versions`` are keys of ``results["machine"]`` (see ``VERSIONS``), ``load_note``
    follows the load figures (what the reader should make of a shared machine)."""
    m = results["machine"]
    named = ", ".join(f"{VERSIONS[key]} {m.get(key)}" for key in versions)
    return (
        f"Reproduce: `{results['command']}` ({m.get('date')}; {m.get('cpu_model')}, "
        f"{m.get('cpu_count')} CPUs, {m.get('memory_gb')} GB; {named}). Load average "
        f"(1/5/15 min) {load(m.get('load_average_at_start'))} at the start, "
        f"{load(results.get('load_average_at_end'))} at the end{load_note}. "
        f"Whole run {results['duration_seconds']} s."
    )


def row(cells: Iterable[object]) -> str:
    """One table row; an empty cell stays one space wide."""
    return "|" + "|".join(f" {cell} " if cell != "" else " " for cell in cells) + "|"


def table(
    header: str,
    rows: Iterable[Iterable[object]],
    *,
    text_columns: int = 1,
    trailing_text: int = 0,
) -> list[str]:
    """A Markdown table under ``header`` (column names separated by `` | ``): the first
    ``text_columns`` columns and the last ``trailing_text`` aligned left, the others
    (figures) right."""
    names = header.split(" | ")
    figures = len(names) - text_columns - trailing_text
    rule = ["---"] * text_columns + ["---:"] * figures + ["---"] * trailing_text
    return [row(names), "|" + "|".join(rule) + "|", *(row(cells) for cells in rows)]
