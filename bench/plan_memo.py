"""What a search pays when its scope's plan is not remembered: the scope counted first (a
statement read mid-pipeline, then the search), against the plan remembered, side by side.

    python -m bench.plan_memo --work-dir DIR       # ~1 minute here

A chatbot searches a conversation's memory once a user turn: seconds to minutes apart,
so whether the plan of a small scope is still remembered at the next search depends on
how long it is kept (``SMALL_SCOPE_SECONDS``). The database of ``bench.keyword_filters``
(one tenant of ``conversations`` conversations of ``turns`` LoCoMo turns, ``deterministic``
embeddings); two search services over one runtime, one remembering plans, one keeping
them 0 seconds, search the first conversation in vector and hybrid mode, interleaved
question by question over ``rounds`` rounds (the first a warm-up); the database part of
each search (its ``Server-Timing``) is compared, p50 and the difference.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from bench import one_tenant
from bench.one_tenant import TENANT, Config
from memory_mesh.domain.models import SearchMode, SearchQuery
from memory_mesh.services.search import SearchService

SERVICES = ("remembered", "counted")


async def measure(config: Config, work: Path, locomo: Path | None) -> dict[str, Any]:
    async with one_tenant.one_tenant(config, work, locomo) as stored:
        base = stored.runtime.search
        services = {
            name: SearchService(
                stored.runtime.db,
                stored.runtime.embedder,
                weights=base.weights,
                plan=base.plan,
                limits=base.limits,
                small_scope_seconds=3600.0 if name == "remembered" else 0.0,
            )
            for name in SERVICES
        }
        cases = [
            await _case(services, stored, mode, config.rounds)
            for mode in (SearchMode.vector, SearchMode.hybrid)
        ]
    return {"cases": cases}


async def _case(
    services: dict[str, SearchService], stored: one_tenant.Tenant, mode: SearchMode, rounds: int
) -> dict[str, Any]:
    per_round: dict[str, list[float]] = {name: [] for name in SERVICES}
    for number in range(rounds):
        times: dict[str, list[float]] = {name: [] for name in SERVICES}
        for i, question in enumerate(stored.questions):
            query = SearchQuery(
                tenant_id=TENANT, query=question, mode=mode, top_k=10,
                conversation_id=stored.conversation,
            )  # fmt: skip
            for name in SERVICES if (i + number) % 2 == 0 else SERVICES[::-1]:
                times[name].append((await services[name].search(query)).timings["database"])
        if number:  # the first round warms both up
            for name in SERVICES:
                per_round[name].append(statistics.median(times[name]))
    p50 = {name: statistics.median(v) for name, v in per_round.items()}
    return {
        "mode": mode.value,
        "database_p50_ms": {k: round(v, 3) for k, v in p50.items()},
        "difference_ms": round(p50["counted"] - p50["remembered"], 3),
        "per_round_ms": {k: [round(x, 3) for x in v] for k, v in per_round.items()},
    }


def markdown(result: dict[str, Any]) -> str:
    config = result["config"]
    lines = [
        "# A search whose scope's plan is not remembered: the count it pays",
        "",
        f"Reproduce: `{result['command']}`. One tenant of {config['conversations']} "
        f"conversations of {config['turns']} turns ({result['corpus']}), the first searched, "
        f"top 10, {config['questions']} questions, {config['rounds']} rounds (the first a "
        "warm-up), two services interleaved question by question in one process: the "
        "database part of each search (checkout, plan choice, statement, hits read). Load "
        f"average at the end {result['load_average_at_end']} (shared machine).",
        "",
        "| mode | plan remembered p50 ms | scope counted first p50 ms | difference ms |",
        "|---|---|---|---|",
    ]
    for case in result["cases"]:
        figures = case["database_p50_ms"]
        lines.append(
            f"| {case['mode']} | {figures['remembered']} | {figures['counted']} "
            f"| {case['difference_ms']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return one_tenant.main("bench.plan_memo", __doc__, measure, markdown, argv, questions=60)


if __name__ == "__main__":
    main()
