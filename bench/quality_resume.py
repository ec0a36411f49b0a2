"""Finish a LoCoMo quality run on a database ``bench.quality`` already stored.

    python -m bench.quality_resume --server URL [--variants NAME ...]

For a slow or shared machine, where embedding the 5,882 turns is most of a run: the
scratch database of an interrupted ``python -m bench.quality`` (its embedded server still
running; ``URL`` is that server's, e.g. ``postgresql://postgres@/postgres?host=PGDATA``)
is measured as the benchmark would, with the turns mapped back to LoCoMo ids by their
arrival order. Questions go through ``runtime.search.search`` (the service the HTTP route
calls; recall does not depend on the transport) for the chosen variants, then the study
replays every setting. Results are written like ``bench.quality``'s, with this command.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import numpy as np

from bench import quality as q
from bench.machine import describe, load_average
from bench.quality_report import CATEGORIES, FINAL, KS, write
from bench.search_latency import database_url
from memory_mesh.config import Settings
from memory_mesh.domain.models import SearchQuery
from memory_mesh.runtime import Runtime


async def _dia_of(runtime: Runtime, dialogues: list[q.Dialogue], variants: Any) -> dict[UUID, str]:
    dia_of: dict[UUID, str] = {}
    sets = {("as dated", True)} | {(v.dates, v.context) for v in variants}
    for dates, context in sets:
        for index, dialogue in enumerate(dialogues):
            tenant = q.tenant_of(index, dates, context=context)
            async with runtime.db.tenant(tenant) as conn:
                cur = await conn.execute(
                    "select id from messages where tenant_id = %s order by seq", [tenant]
                )
                ids = [r["id"] for r in await cur.fetchall()]
            if len(ids) != len(dialogue.turns):
                raise RuntimeError(f"{tenant}: {len(ids)} rows for {len(dialogue.turns)} turns")
            dia_of.update({i: t.dia_id for i, t in zip(ids, dialogue.turns, strict=True)})
    return dia_of


async def _measure(
    runtime: Runtime,
    jobs: list[tuple[int, q.Question]],
    dia_of: dict[UUID, str],
    variant: q.Variant,
) -> dict[str, Any]:
    runtime.search.weights = variant.ranking()
    rows: list[q.Row] = []
    seconds: list[float] = []
    scored: list[tuple[int, tuple[str, ...], list[tuple[str, float]]]] = []
    unrelated: list[float] = []
    probe = variant.name == FINAL
    conversations = sorted({i for i, _ in jobs})
    gate = asyncio.Semaphore(4)

    async def one(index: int, question: q.Question) -> None:
        tenant = q.tenant_of(index, variant.dates, context=variant.context)
        async with gate:
            started = time.perf_counter()
            outcome = await runtime.search.search(
                SearchQuery(tenant_id=tenant, query=question.text, top_k=q.TOP_K, mode=variant.mode)
            )
            seconds.append(time.perf_counter() - started)
            if probe:
                other = conversations[(conversations.index(index) + 1) % len(conversations)]
                elsewhere = await runtime.search.search(
                    SearchQuery(
                        tenant_id=q.tenant_of(other, variant.dates),
                        query=question.text,
                        top_k=q.TOP_K,
                        mode=variant.mode,
                    )
                )
                unrelated.append(elsewhere.hits[0].scores.score if elsewhere.hits else 0.0)
        found = [dia_of[h.message.id] for h in outcome.hits]
        rows.append((index, question.category, [q.recall(found, question.evidence, k) for k in KS]))
        scored.append(
            (
                question.category,
                question.evidence,
                [(d, h.scores.score) for d, h in zip(found, outcome.hits, strict=True)],
            )
        )

    for start in range(0, len(jobs), 64):
        await asyncio.gather(*(one(i, question) for i, question in jobs[start : start + 64]))
    summary = q.summarise(rows)
    summary.update(
        variant=variant.name,
        mode=variant.mode.value,
        weights=variant.weights,
        dates=variant.dates,
        context=variant.context,
        median_search_ms=round(float(np.median(seconds)) * 1000, 2) if seconds else None,
        min_score=q._thresholds(scored, unrelated if probe else None),
        transport="service (runtime.search.search)",
    )
    return summary


async def resume(server: str, names: list[str], work: Path) -> dict[str, Any]:
    dialogues = q.load_dialogues(q.DEFAULT_LOCOMO)
    jobs = q._jobs(dialogues)
    chosen = [v for v in q.VARIANTS if v.name in names] if names else list(q.VARIANTS)
    settings = Settings(
        database_url=database_url(server, "mm_bench_quality"),
        data_dir=work,
        environment="test",
        embedding_mode="inline",
        retention_schedule_seconds=0,
        db_pool_min_size=1,
        db_pool_max_size=6,
    )
    runtime = await Runtime.start(settings, run_worker=False)
    try:
        dia_of = await _dia_of(runtime, dialogues, chosen)
        variants = [await _measure(runtime, jobs, dia_of, v) for v in chosen]
        config = q.QualityConfig(progress=False)
        tenants, questions = await q._collect(runtime, jobs, dia_of, config)
        studied = q.study(tenants, questions, False)
        shipped = q._shipped_setting()
        studied["replay_check"] = {
            "setting": shipped.name,
            "replayed": q._evaluate(shipped, tenants, questions)["cat1-4"],
            "product": next(
                (v["cat1-4"] for v in variants if v["variant"] == "hybrid"),
                None,
            ),
        }
    finally:
        await runtime.stop()
    return {
        "data": {
            "conversations": len(dialogues),
            "turns": sum(len(d.turns) for d in dialogues),
            "qa_items": sum(len(d.questions) for d in dialogues),
            "questions_with_evidence": len(jobs),
            "ingest_seconds": None,
            "top_k": q.TOP_K,
            "ks": list(KS),
            "categories": CATEGORIES,
            "dev_conversations": [i for i in q.DEV if i < len(dialogues)],
            "held_out_conversations": [i for i in range(len(dialogues)) if i not in q.DEV],
        },
        "model": {"provider": runtime.embedder.info.provider, "model": runtime.embedder.info.model},
        "references": q.REFERENCES,
        "variants": variants,
        "study": studied,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.quality_resume", description=__doc__)
    parser.add_argument("--server", required=True, help="the embedded server's URL")
    parser.add_argument("--variants", nargs="*", default=[], help="variant names (all)")
    parser.add_argument("--out", type=Path, default=q.RESULTS_DIR)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/mm-bench-resume"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    previous = args.out / "quality.json"
    before = json.loads(previous.read_text("utf-8")).get("before") if previous.is_file() else None
    args.work_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "command": shlex.join(["python", "-m", "bench.quality_resume", *sys.argv[1:]]),
        "machine": describe(args.server),
    }
    results["quality"] = asyncio.run(resume(args.server, args.variants, args.work_dir))
    results["machine"]["load_average_at_end"] = load_average()
    results["duration_seconds"] = round(time.perf_counter() - started, 1)
    if before is not None:
        results["before"] = before
    write(results, args.out)
    print(f"wrote {args.out / 'quality.md'}")


if __name__ == "__main__":
    main()
