"""What the keyword postings (migration 0015's ``message_terms``) cost the writes: messages
stored, archived and deleted through the service with the postings' triggers on, and off
(as before the migration), and with each message's context written after its INSERT (as
before it moved into the INSERT), side by side.

    python -m bench.postings_cost        # ~1 minute

One database, one tenant; the LoCoMo turns' real texts (read at run time, never stored).
Each round stores ``batch`` messages with ``MessageService.create_batch`` (one
conversation; each message's context, the previous one's end, written as the API writes
it), archives them with ``update_batch``, then deletes them with ``delete_batch``, once
per case, the cases' order alternating round by round. Embedding is asynchronous and no
worker runs, so the model is not timed: only the database's share of a write, where the
postings' triggers act. A whole write through the API (the model embedding each message)
is measured in core.md.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from unittest.mock import patch

import psycopg

from bench import cli, report
from bench.postings_cost_report import markdown
from bench.search_latency import database_url
from bench.stats import median
from bench.tables import create_database
from memory_mesh.config import Settings
from memory_mesh.domain.models import MessagePatch, Role
from memory_mesh.runtime import Runtime
from memory_mesh.services.messages import MessageInput
from memory_mesh.store import messages as message_store
from memory_mesh.store.migrations import migrate

RESULTS_DIR = Path(__file__).resolve().parent / "results"
# "context after": the postings on, each message's context written as before it moved
# into the INSERT (stored without it, then an UPDATE in the same transaction)
CASES = ("postings", "no postings", "context after")
OPERATIONS = ("store", "archive", "delete")
_insert_many = message_store.insert_many  # the service calls it through the module
TRIGGERS = ("messages_terms_insert", "messages_terms_update", "messages_terms_delete")


@dataclass(frozen=True)
class CostConfig:
    batch: int = 500
    rounds: int = 8
    progress: bool = True


def _set_triggers(admin: psycopg.Connection[Any], on: bool) -> None:
    verb = "enable" if on else "disable"
    for trigger in TRIGGERS:
        admin.execute(f"alter table messages {verb} trigger {trigger}")


async def _insert_then_set_context(
    conn: Any,
    messages: list[Any],
    *,
    lease_seconds: float,
    context_chars: int = 0,
    embedded: message_store.Embedded | None = None,
) -> tuple[list[Any], set[uuid.UUID]]:
    """``insert_many`` as it was: the rows stored without their context, then given it."""
    inserted, existing = await _insert_many(
        conn, messages, lease_seconds=lease_seconds, context_chars=0, embedded=embedded
    )
    if inserted and context_chars > 0:
        await message_store.set_context(conn, ids=[m.id for m in inserted], chars=context_chars)
    return inserted, existing


def _conversation(texts: list[str]) -> list[MessageInput]:
    """``texts`` as user messages of one new conversation (named by its external id)."""
    conversation = f"c-{uuid.uuid4().hex[:8]}"
    return [MessageInput(conversation_id=conversation, role=Role.user, content=t) for t in texts]


async def _round(runtime: Runtime, tenant: str, texts: list[str]) -> dict[str, float]:
    """One store / archive / delete of ``texts``: seconds per message of each."""
    items = _conversation(texts)
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    stored = await runtime.messages.create_batch(tenant, items)
    seconds["store"] = time.perf_counter() - start
    ids = [r.message.id for r in stored if r.message is not None]
    assert len(ids) == len(texts), "every message stored"
    start = time.perf_counter()
    await runtime.messages.update_batch(tenant, [MessagePatch(id=i, archived=True) for i in ids])
    seconds["archive"] = time.perf_counter() - start
    start = time.perf_counter()
    await runtime.messages.delete_batch(tenant, ids)
    seconds["delete"] = time.perf_counter() - start
    return {op: s / len(texts) for op, s in seconds.items()}


async def _space(
    runtime: Runtime, admin: psycopg.Connection[Any], tenant: str, texts: list[str], batch: int
) -> dict[str, float]:
    """What the postings take per message, the corpus stored once in the fresh database
    (before any round's deletes leave dead rows behind), then deleted again."""
    items = _conversation(texts)
    ids = []
    for start in range(0, len(items), batch):
        stored = await runtime.messages.create_batch(tenant, items[start : start + batch])
        ids += [r.message.id for r in stored if r.message is not None]
    sizes = (
        "select (select count(*) from message_terms), pg_total_relation_size('message_terms'),"
        " (select count(*) from messages), pg_total_relation_size('messages')"
    )
    figures: dict[str, float] = {}
    # as written (after a plain VACUUM: space freed by dead rows still counted), then
    # compacted (the live rows only)
    for state, vacuum in (("written", "vacuum"), ("compacted", "vacuum full")):
        admin.execute(f"{vacuum} message_terms")
        admin.execute(f"{vacuum} messages")
        row = admin.execute(sizes).fetchone()
        assert row is not None
        postings, terms_bytes, messages, messages_bytes = (float(v) for v in row)
        figures |= {
            "messages": messages,
            "postings_per_message": round(postings / messages, 2),
            f"postings_bytes_per_message_{state}": round(terms_bytes / messages),
            f"messages_bytes_per_message_{state}": round(messages_bytes / messages),
        }
    for start in range(0, len(ids), batch):
        await runtime.messages.delete_batch(tenant, ids[start : start + batch])
    return figures


async def _measure(
    url: str, work_dir: Path, texts: list[str], config: CostConfig
) -> dict[str, Any]:
    settings = Settings(
        database_url=url,
        data_dir=work_dir / "runtime",
        environment="test",
        auto_migrate=False,
        embedding_mode="async",
        db_pool_min_size=1,
        db_pool_max_size=2,
    )
    runtime = await Runtime.start(settings, run_worker=False)
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    await runtime.auth.register(
        email=f"{tenant}@example.com", password="postings cost bench", tenant_id=tenant
    )
    per_message: dict[str, dict[str, list[float]]] = {
        case: {op: [] for op in OPERATIONS} for case in CASES
    }
    admin = psycopg.connect(url, autocommit=True)
    try:
        sizes = await _space(runtime, admin, tenant, texts, config.batch)
        for round_ in range(config.rounds + 1):  # the first round warms up, unrecorded
            shift = round_ % len(CASES)
            for case in CASES[shift:] + CASES[:shift]:
                _set_triggers(admin, case != "no postings")
                start = (round_ * config.batch) % max(len(texts) - config.batch, 1)
                batch = texts[start : start + config.batch]
                insert = _insert_then_set_context if case == "context after" else _insert_many
                with patch.object(message_store, "insert_many", insert):
                    figures = await _round(runtime, tenant, batch)
                if round_:
                    for op, value in figures.items():
                        per_message[case][op].append(value)
    finally:
        _set_triggers(admin, True)
        admin.close()
        await runtime.stop()
    medians = {
        case: {op: round(median(v) * 1000, 4) for op, v in ops.items()}
        for case, ops in per_message.items()
    }
    return {
        "per_message_ms": medians,
        "per_message_ms_rounds": {
            case: {op: [round(x * 1000, 4) for x in v] for op, v in ops.items()}
            for case, ops in per_message.items()
        },
        "ratio": {
            op: round(medians["postings"][op] / medians["no postings"][op], 3) for op in OPERATIONS
        },
        "ratio_context_in_insert": {
            op: round(medians["postings"][op] / medians["context after"][op], 3)
            for op in OPERATIONS
        },
        "sizes": sizes,
    }


def run_postings_cost(
    corpus: Any, server: str, work_dir: Path, config: CostConfig
) -> dict[str, Any]:
    texts = [t.text for t in corpus.turns]
    name = "mm_bench_postings_cost"
    url = database_url(server, name)
    create_database(server, name)
    migrate(url, dimensions=384)
    measured = asyncio.run(_measure(url, work_dir, texts, config))
    return {"config": asdict(config) | {"progress": None}, "texts": len(texts), **measured}


@dataclass
class Options(cli.Options[CostConfig]):
    name: str = "postings_cost"
    command: str = "python -m bench.postings_cost"


def run(options: Options) -> dict[str, Any]:
    return report.run_on_corpus(options, key="cost", stage=run_postings_cost, markdown=markdown)


def parse(argv: list[str]) -> Options:
    parser = cli.parser("bench.postings_cost", __doc__)
    parser.add_argument("--batch", type=int, default=500, help="messages per batch")
    parser.add_argument("--rounds", type=int, default=8)
    return cli.parse_options(Options, CostConfig, parser, argv, RESULTS_DIR)


def main(argv: list[str] | None = None) -> None:
    options = cli.start(parse, argv)
    results = run(options)
    print(markdown(results))


if __name__ == "__main__":
    main()
