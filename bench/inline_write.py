"""An inline write's latency: a message embedded first and stored once with its vector
(the service now), against stored, then embedded and written again (as before), side by
side, with the model alone on the same texts.

    python -m bench.inline_write        # ~2 minutes

One database, one tenant, ``MessageService.create_batch`` in process (inline mode, the
local model, the service's defaults otherwise); the LoCoMo turns' real texts (read at
run time, never stored), each stored once. A round times one message alone and a batch
of ``batch`` messages in each case, and the model embedding one text; the cases' order
alternates round by round. `stored first` is the same service with the embed-first step
turned off, so the pipeline claims, embeds and writes the vectors after the INSERT;
`no order lock` is the service without its per-conversation write lock
(store/message_order_locks.py), which the lock's cost is measured against.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from unittest.mock import patch

import anyio

from bench import cli, report
from bench.inline_write_report import markdown
from bench.search_latency import database_url
from bench.stats import median
from bench.tables import create_database
from memory_mesh.config import Settings
from memory_mesh.domain.models import EmbeddingStatus, Role
from memory_mesh.runtime import Runtime
from memory_mesh.services.embedding import EmbeddingPipeline
from memory_mesh.services.messages import MessageInput
from memory_mesh.store import message_order_locks
from memory_mesh.store.migrations import migrate

RESULTS_DIR = Path(__file__).resolve().parent / "results"
CASES = ("embedded first", "stored first", "no order lock")
SIZES = ("one message", "batch")


@dataclass(frozen=True)
class WriteConfig:
    rounds: int = 40
    batch: int = 16
    progress: bool = True


async def _nothing_first(self: EmbeddingPipeline, texts: list[str]) -> None:
    return None


async def _no_lock(*args: Any, **kwargs: Any) -> None:
    return None


async def _write(runtime: Runtime, tenant: str, texts: list[str]) -> float:
    """Seconds per message to store ``texts`` in one conversation, each answered ready."""
    items = [MessageInput(conversation_id="bench", role=Role.user, content=t) for t in texts]
    start = time.perf_counter()
    results = await runtime.messages.create_batch(tenant, items)
    seconds = time.perf_counter() - start
    assert all(
        r.message is not None and r.message.embedding_status is EmbeddingStatus.ready
        for r in results
    ), "every message stored and embedded"
    return seconds / len(texts)


async def _measure(
    url: str, work_dir: Path, texts: list[str], config: WriteConfig
) -> dict[str, Any]:
    settings = Settings(
        database_url=url,
        data_dir=work_dir / "runtime",
        environment="test",
        auto_migrate=False,
        embedding_mode="inline",
        db_pool_min_size=1,
        db_pool_max_size=2,
    )
    runtime = await Runtime.start(settings, run_worker=False)
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    await runtime.auth.register(
        email=f"{tenant}@example.com", password="inline write bench", tenant_id=tenant
    )
    seconds: dict[str, list[float]] = {"model alone": []} | {
        f"{case}, {size}": [] for case in CASES for size in SIZES
    }
    feed = iter(texts * (1 + (config.rounds + 2) * (2 + 2 * config.batch) // len(texts)))
    try:
        for round_ in range(config.rounds + 1):  # the first round warms up, unrecorded
            text = next(feed)
            start = time.perf_counter()
            await anyio.to_thread.run_sync(runtime.embedder.embed_documents, [text])
            figures = {"model alone": time.perf_counter() - start}
            order = CASES if round_ % 2 == 0 else CASES[::-1]
            for case in order:
                with (
                    patch.object(
                        EmbeddingPipeline,
                        "embed_first",
                        _nothing_first if case == "stored first" else EmbeddingPipeline.embed_first,
                    ),
                    patch.object(
                        message_order_locks,
                        "lock_message_order",
                        _no_lock
                        if case == "no order lock"
                        else message_order_locks.lock_message_order,
                    ),
                ):
                    figures[f"{case}, one message"] = await _write(runtime, tenant, [next(feed)])
                    batch = [next(feed) for _ in range(config.batch)]
                    figures[f"{case}, batch"] = await _write(runtime, tenant, batch)
            if round_:
                for key, value in figures.items():
                    seconds[key].append(value)
    finally:
        await runtime.stop()
    medians = {key: round(median(v) * 1000, 3) for key, v in seconds.items()}

    def ratios(case: str, against: str) -> dict[str, float]:
        return {
            size: round(
                median(
                    [
                        a / b
                        for a, b in zip(
                            seconds[f"{case}, {size}"], seconds[f"{against}, {size}"], strict=True
                        )
                    ]
                ),
                3,
            )
            for size in SIZES
        }

    return {
        "per_message_ms": medians,
        "per_message_ms_rounds": {k: [round(x * 1000, 3) for x in v] for k, v in seconds.items()},
        "ratio_embedded_first": ratios("embedded first", "stored first"),
        "ratio_order_lock": ratios("embedded first", "no order lock"),
    }


def run_inline_write(
    corpus: Any, server: str, work_dir: Path, config: WriteConfig
) -> dict[str, Any]:
    texts = [t.text for t in corpus.turns]
    name = "mm_bench_inline_write"
    url = database_url(server, name)
    create_database(server, name)
    migrate(url, dimensions=384)
    measured = asyncio.run(_measure(url, work_dir, texts, config))
    return {"config": asdict(config) | {"progress": None}, "texts": len(texts), **measured}


@dataclass
class Options(cli.Options[WriteConfig]):
    name: str = "inline_write"
    command: str = "python -m bench.inline_write"


def run(options: Options) -> dict[str, Any]:
    return report.run_on_corpus(options, key="write", stage=run_inline_write, markdown=markdown)


def parse(argv: list[str]) -> Options:
    parser = cli.parser("bench.inline_write", __doc__)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--batch", type=int, default=16, help="messages per batch")
    return cli.parse_options(Options, WriteConfig, parser, argv, RESULTS_DIR)


def main(argv: list[str] | None = None) -> None:
    options = cli.start(parse, argv)
    results = run(options)
    print(markdown(results))


if __name__ == "__main__":
    main()
