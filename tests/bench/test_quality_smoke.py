"""The LoCoMo retrieval-quality benchmark on a tiny slice (1 conversation, 20 questions,
three variants): it runs through the product code and its results hold sane figures.
No timing assertions; skipped where the LoCoMo file is absent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.data import DEFAULT_LOCOMO
from bench.quality import KS, VARIANTS, QualityConfig, load_dialogues, parse_session_date, run

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not DEFAULT_LOCOMO.is_file(), reason="LoCoMo file not present"),
]


def test_session_dates_parse() -> None:
    when = parse_session_date("1:56 pm on 8 May, 2023")
    assert (when.year, when.month, when.day, when.hour, when.minute) == (2023, 5, 8, 13, 56)


def test_quality_tiny_slice(tmp_path: Path) -> None:
    (dialogue,) = load_dialogues(DEFAULT_LOCOMO, conversations=1, questions=20)
    assert len(dialogue.questions) == 20
    names = {"vector", "keyword, OR-query", "hybrid + importance + recency (default)"}
    picked = tuple(v for v in VARIANTS if v.name in names)
    config = QualityConfig(
        conversations=1,
        questions=20,
        out=tmp_path / "out",
        work_dir=tmp_path / "work",
        variants=picked,
        progress=False,
        plots=False,
    )
    results = run(config)
    saved = json.loads((tmp_path / "out" / "quality.json").read_text())
    assert saved["quality"]["data"]["turns"] == len(dialogue.turns)
    assert (tmp_path / "out" / "quality.md").read_text().startswith("# Retrieval quality")
    for variant in results["quality"]["variants"]:
        figures = variant["all"]
        values = [figures[str(k)] for k in KS]
        assert all(0 <= v <= 1 for v in values)
        assert values == sorted(values)  # recall@k never falls as k grows
    vector = results["quality"]["variants"][0]
    assert vector["all"]["50"] > 0.3  # the real model finds evidence
