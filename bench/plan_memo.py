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

import argparse
import asyncio
import shlex
import statistics
import sys
from pathlib import Path
from typing import Any

from bench import report
from bench.data import DEFAULT_LOCOMO, load_corpus, pick
from bench.keyword_filters import TENANT, Config, store_conversations
from bench.machine import load_average
from bench.tables import embedded_server
from memory_mesh.config import Settings
from memory_mesh.domain.models import SearchMode, SearchQuery
from memory_mesh.runtime import Runtime
from memory_mesh.services.search import SearchService

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SERVICES = ("remembered", "counted")


async def measure(config: Config, work: Path, locomo: Path | None) -> dict[str, Any]:
    with embedded_server(work / "db") as url:
        settings = Settings(
            database_url=url,
            data_dir=work / "runtime",
            environment="test",
            embedding_provider="deterministic",
        )
        runtime = await Runtime.start(settings, run_worker=False)
        try:
            await runtime.auth.register(
                email="memo@bench.example.com",
                password="a long enough benchmark passphrase",
                tenant_id=TENANT,
            )
            names = await store_conversations(runtime, config, locomo)
            conversation = (await runtime.conversations.get(TENANT, names[0])).id
            questions = pick(load_corpus(locomo).questions, config.questions, config.seed)
            base = runtime.search
            services = {
                name: SearchService(
                    runtime.db,
                    runtime.embedder,
                    weights=base.weights,
                    plan=base.plan,
                    limits=base.limits,
                    small_scope_seconds=3600.0 if name == "remembered" else 0.0,
                )
                for name in SERVICES
            }
            cases = []
            for mode in (SearchMode.vector, SearchMode.hybrid):
                per_round: dict[str, list[float]] = {name: [] for name in SERVICES}
                for number in range(config.rounds):
                    times: dict[str, list[float]] = {name: [] for name in SERVICES}
                    for i, question in enumerate(questions):
                        query = SearchQuery(
                            tenant_id=TENANT, query=question, mode=mode, top_k=10,
                            conversation_id=conversation,
                        )  # fmt: skip
                        order = SERVICES if (i + number) % 2 == 0 else SERVICES[::-1]
                        for name in order:
                            outcome = await services[name].search(query)
                            times[name].append(outcome.timings["database"])
                    if number:
                        for name in SERVICES:
                            per_round[name].append(statistics.median(times[name]))
                p50 = {name: statistics.median(v) for name, v in per_round.items()}
                cases.append(
                    {
                        "mode": mode.value,
                        "database_p50_ms": {k: round(v, 3) for k, v in p50.items()},
                        "difference_ms": round(p50["counted"] - p50["remembered"], 3),
                        "per_round_ms": {k: [round(x, 3) for x in v] for k, v in per_round.items()},
                    }
                )
        finally:
            await runtime.stop()
    return {"cases": cases}


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
    parser = argparse.ArgumentParser(
        prog="python -m bench.plan_memo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--conversations", type=int, default=Config.conversations)
    parser.add_argument("--turns", type=int, default=Config.turns)
    parser.add_argument("--questions", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=Config.rounds)
    parser.add_argument("--locomo", type=Path, default=DEFAULT_LOCOMO)
    parser.add_argument("--work-dir", type=Path, required=True, help="the database's directory")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument("--name", default="plan_memo")
    args = parser.parse_args(argv)
    config = Config(args.conversations, args.turns, args.questions, args.rounds)
    locomo = args.locomo if args.locomo.is_file() else None
    measured = asyncio.run(measure(config, args.work_dir, locomo))
    result = {
        "command": shlex.join(["python", "-m", "bench.plan_memo", *(argv or sys.argv[1:])]),
        "config": config.__dict__,
        "corpus": "LoCoMo turns" if locomo else "generated sentences",
        **measured,
        "load_average_at_end": load_average(),
    }
    report.write_json_and_markdown(result, args.out, args.name, markdown)
    print(markdown(result))
    return result


if __name__ == "__main__":
    main()
