"""A retention delete run with and without the mend after each batch: once a delete batch
has committed, the messages after its deleted rows take their context again under their
conversations' locks (store/messages.py ``mend_after_removal``), for writes that ran
beside the batch. What that second short transaction costs, side by side.

    python -m bench.retention_mend        # ~2 minutes

One database; each round writes two fresh tenants the same conversations (the LoCoMo
turns' real texts, read at run time, never stored; every other message a tool call, in
the past), with a rule deleting tool calls, then runs retention for each: `mend after
commit` is the service as it is, `no mend` the same with that step off. The cases' order
alternates round by round; the mend's own time is taken apart. Nothing writes beside the
runs, so the mend changes nothing: this is its cost when there is nothing to mend.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

from bench import cli, report
from bench.retention_mend_report import markdown
from bench.search_latency import database_url
from bench.stats import median
from bench.tables import create_database
from memory_mesh.config import Settings
from memory_mesh.domain.models import Role
from memory_mesh.domain.retention import Conditions, RuleAction, RuleSpec
from memory_mesh.runtime import Runtime
from memory_mesh.services.messages import MessageInput
from memory_mesh.store import messages as message_store
from memory_mesh.store.migrations import migrate

RESULTS_DIR = Path(__file__).resolve().parent / "results"
CASES = ("mend after commit", "no mend")
T0 = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class MendConfig:
    rounds: int = 5
    conversations: int = 50
    per_conversation: int = 100
    progress: bool = True


async def _no_mend(*args: Any, **kwargs: Any) -> int:
    return 0


async def _tenant(runtime: Runtime, texts: list[str], config: MendConfig) -> str:
    """A fresh tenant with the conversations written and the rule in place."""
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    await runtime.auth.register(
        email=f"{tenant}@example.com", password="retention mend bench", tenant_id=tenant
    )
    n = 0
    for c in range(config.conversations):
        items = []
        for i in range(config.per_conversation):
            items.append(
                MessageInput(
                    conversation_id=f"c{c}",
                    role=Role.tool if i % 2 else Role.user,
                    content=texts[n % len(texts)],
                    created_at=T0 + timedelta(minutes=i),
                )
            )
            n += 1
        await runtime.messages.create_batch(tenant, items)
    await runtime.retention.create_rule(
        tenant,
        RuleSpec(
            name="tool calls",
            action=RuleAction.delete,
            skip_archive=True,
            conditions=Conditions(roles=(Role.tool,)),
        ),
    )
    return tenant


async def _measure(
    url: str, work_dir: Path, texts: list[str], config: MendConfig
) -> dict[str, Any]:
    settings = Settings(
        database_url=url,
        data_dir=work_dir / "runtime",
        environment="test",
        auto_migrate=False,
        embedding_mode="async",  # no model: the writes are the setup, not the measure
        db_pool_min_size=1,
        db_pool_max_size=2,
    )
    runtime = await Runtime.start(settings, run_worker=False)
    seconds: dict[str, list[float]] = {case: [] for case in CASES}
    mend_seconds: list[float] = []
    deleted: list[int] = []
    mend = message_store.mend_after_removal

    async def timed_mend(*args: Any, **kwargs: Any) -> int:
        start = time.perf_counter()
        try:
            return await mend(*args, **kwargs)
        finally:
            mend_seconds.append(time.perf_counter() - start)

    try:
        for round_ in range(config.rounds):
            tenants = {case: await _tenant(runtime, texts, config) for case in CASES}
            for case in CASES if round_ % 2 == 0 else CASES[::-1]:
                step = timed_mend if case == "mend after commit" else _no_mend
                with patch.object(message_store, "mend_after_removal", step):
                    start = time.perf_counter()
                    run = await runtime.retention.run(tenants[case])
                    seconds[case].append(time.perf_counter() - start)
                deleted.append(run.deleted)
            if config.progress:
                print(f"round {round_ + 1}: {[round(v[-1], 2) for v in seconds.values()]} s")
    finally:
        await runtime.stop()
    per_run = config.conversations * config.per_conversation // 2
    if set(deleted) != {per_run}:
        raise RuntimeError(f"runs deleted {sorted(set(deleted))} rows, not {per_run}")
    return {
        "deleted_per_run": per_run,
        "run_ms": {case: round(median(v) * 1000, 1) for case, v in seconds.items()},
        "run_ms_rounds": {case: [round(x * 1000, 1) for x in v] for case, v in seconds.items()},
        "mend_ms_total_per_run": round(sum(mend_seconds) * 1000 / config.rounds, 1),
        "mends_per_run": len(mend_seconds) // config.rounds,
        "ratio_mend": round(
            median(
                [
                    a / b
                    for a, b in zip(seconds["mend after commit"], seconds["no mend"], strict=True)
                ]
            ),
            3,
        ),
    }


def run_retention_mend(
    corpus: Any, server: str, work_dir: Path, config: MendConfig
) -> dict[str, Any]:
    texts = [t.text for t in corpus.turns]
    name = "mm_bench_retention_mend"
    url = database_url(server, name)
    create_database(server, name)
    migrate(url, dimensions=384)
    measured = asyncio.run(_measure(url, work_dir, texts, config))
    return {"config": asdict(config) | {"progress": None}, "texts": len(texts), **measured}


@dataclass
class Options(cli.Options[MendConfig]):
    name: str = "retention_mend"
    command: str = "python -m bench.retention_mend"


def run(options: Options) -> dict[str, Any]:
    return report.run_on_corpus(
        options, key="retention", stage=run_retention_mend, markdown=markdown
    )


def parse(argv: list[str]) -> Options:
    parser = cli.parser("bench.retention_mend", __doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--per-conversation", type=int, default=100)
    return cli.parse_options(Options, MendConfig, parser, argv, RESULTS_DIR)


def main(argv: list[str] | None = None) -> None:
    options = cli.start(parse, argv)
    results = run(options)
    print(markdown(results))


if __name__ == "__main__":
    main()
