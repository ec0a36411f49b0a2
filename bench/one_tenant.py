"""What the in-process search benchmarks of one tenant share (``bench.keyword_filters``,
``bench.plan_memo``): the tenant's conversations stored on an embedded database, the
runtime over it, and the command line that runs a measurement and writes its report.

The tenant holds ``conversations`` conversations of the same ``turns`` LoCoMo turns (the
first speaker's stored as ``user``, the other's as ``assistant``, a minute apart from
:data:`START`; the data is read at run time, never stored; generated sentences when it
is absent), embedded by the ``deterministic`` provider.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from bench import report
from bench.data import DEFAULT_LOCOMO, load_corpus, pick
from bench.machine import load_average
from bench.tables import embedded_server
from memory_mesh.config import Settings
from memory_mesh.domain.models import Role
from memory_mesh.runtime import Runtime
from memory_mesh.services.messages import MessageInput

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TENANT = "bench-tenant"
START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Config:
    conversations: int = 10
    turns: int = 1500
    questions: int = 30
    rounds: int = 4
    seed: int = 7


@dataclass(frozen=True)
class Tenant:
    """The stored tenant: the runtime over it, its first conversation, the questions."""

    runtime: Runtime
    conversation: UUID
    questions: list[str]


async def _store(runtime: Runtime, config: Config, locomo: Path | None) -> list[str]:
    """The conversations, stored in batches; their external ids, in order."""
    turns = load_corpus(locomo).turns[: config.turns]
    names = [f"conversation-{n}" for n in range(config.conversations)]
    for name in names:
        items = [
            MessageInput(
                conversation_id=name,
                role=Role.user if turn.first_speaker else Role.assistant,
                content=turn.text,
                created_at=START + timedelta(minutes=i),
            )
            for i, turn in enumerate(turns)
        ]
        for start in range(0, len(items), 250):
            await runtime.messages.create_batch(TENANT, items[start : start + 250])
    return names


@asynccontextmanager
async def one_tenant(
    config: Config, work: Path, locomo: Path | None, **settings: Any
) -> AsyncIterator[Tenant]:
    """The tenant stored on an embedded database under ``work``, with a runtime over it
    (``settings``: more of its Settings), stopped on exit."""
    with embedded_server(work / "db") as url:
        runtime = await Runtime.start(
            Settings(
                database_url=url,
                data_dir=work / "runtime",
                environment="test",
                embedding_provider="deterministic",
                **settings,
            ),
            run_worker=False,
        )
        try:
            await runtime.auth.register(
                email="one-tenant@example.com",
                password="a long enough benchmark passphrase",
                tenant_id=TENANT,
            )
            names = await _store(runtime, config, locomo)
            conversation = (await runtime.conversations.get(TENANT, names[0])).id
            questions = pick(load_corpus(locomo).questions, config.questions, config.seed)
            yield Tenant(runtime, conversation, questions)
        finally:
            await runtime.stop()


Measure = Callable[[Config, Path, Path | None], Awaitable[dict[str, Any]]]


def main(
    prog: str,
    doc: str | None,
    measure: Measure,
    markdown: Callable[[dict[str, Any]], str],
    argv: list[str] | None,
    *,
    questions: int = Config.questions,
) -> dict[str, Any]:
    """The benchmark ``prog`` (``python -m <prog>``): its options parsed, ``measure``
    run, ``<name>.json`` and ``<name>.md`` (``markdown``) written; the results."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {prog}",
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--conversations", type=int, default=Config.conversations)
    parser.add_argument("--turns", type=int, default=Config.turns)
    parser.add_argument("--questions", type=int, default=questions)
    parser.add_argument("--rounds", type=int, default=Config.rounds)
    parser.add_argument("--locomo", type=Path, default=DEFAULT_LOCOMO)
    parser.add_argument("--work-dir", type=Path, required=True, help="the database's directory")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument("--name", default=prog.rsplit(".", 1)[-1])
    args = parser.parse_args(argv)
    config = Config(args.conversations, args.turns, args.questions, args.rounds)
    locomo = args.locomo if args.locomo.is_file() else None
    measured = asyncio.run(measure(config, args.work_dir, locomo))
    result = {
        "command": shlex.join(["python", "-m", prog, *(sys.argv[1:] if argv is None else argv)]),
        "config": config.__dict__,
        "corpus": "LoCoMo turns" if locomo else "generated sentences",
        **measured,
        "load_average_at_end": load_average(),
    }
    report.write_json_and_markdown(result, args.out, args.name, markdown)
    print(markdown(result))
    return result
