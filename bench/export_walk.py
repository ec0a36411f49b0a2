"""A tenant's export, page by page, walking indexes in order (the service as it is: each
page's transaction turns off sorts and bitmap scans: ``Database.tenant(in_order=True)``)
against the planner's own choice of plan, side by side.

    python -m bench.export_walk        # ~2 minutes

One database, one tenant: many short conversations (2 messages each, the LoCoMo turns'
real texts, read at run time, never stored) and one long conversation among them. The
whole tenant is exported through the service (``TransferService.export``, pages of
``EXPORT_PAGE_ROWS`` rows), and so is the long conversation alone, each in three states
of the tables' statistics:

- `never analyzed`: the tables hold no statistics yet (autovacuum is off for them while
  the tenant is written), as a new deployment's, or a large import's, before
  autovacuum's first ANALYZE: the planner then guesses a handful of rows per condition;
- `messages analyzed`: then ANALYZE of messages only, as autovacuum may take the two
  tables at different times (the test database's state in which a CI run's page read
  every conversation after the cursor, tests/integration/test_page_plans.py);
- `analyzed`: then ANALYZE of conversations too.

The cases' order alternates round by round; medians of the rounds, the ratio the median
of the rounds' ratios.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest.mock import patch
from uuid import UUID

import psycopg
from psycopg import sql

from bench import cli, report
from bench.export_walk_report import markdown
from bench.search_latency import database_url
from bench.stats import median
from bench.tables import create_database
from memory_mesh.config import Settings
from memory_mesh.runtime import Runtime
from memory_mesh.services.transfer import EXPORT_PAGE_ROWS
from memory_mesh.store import database
from memory_mesh.store.migrations import migrate

RESULTS_DIR = Path(__file__).resolve().parent / "results"
CASES = ("walk in order", "planner's choice")
STATES = ("never analyzed", "messages analyzed", "analyzed")
SCOPES = ("tenant", "long conversation")
T0 = datetime(2024, 1, 1, tzinfo=UTC)
TABLES = ("conversations", "messages")


@dataclass(frozen=True)
class ExportConfig:
    rounds: int = 3
    conversations: int = 6000
    long_messages: int = 6000
    progress: bool = True


# conversations ``first``..``last``, the n-th at T0 + n seconds, each with 2 messages
_SHORT = """
with c as (
    insert into conversations (id, tenant_id, title, created_at)
    select gen_random_uuid(), %(tenant)s, 'c' || g, %(t0)s + g * interval '1 second'
    from generate_series(%(first)s::int, %(last)s::int) g
    returning id, title, created_at)
insert into messages (id, tenant_id, conversation_id, role, content, importance,
    created_at, updated_at, embedding_status, embedding_next_attempt_at)
select gen_random_uuid(), %(tenant)s, c.id, 'user',
       (%(texts)s::text[])[1 + (substr(c.title, 2)::int * 2 + k) %% cardinality(%(texts)s::text[])],
       0.5, c.created_at + k * interval '1 millisecond', c.created_at, 'pending', 'infinity'
from c, generate_series(0, 1) k"""

# one conversation of %(n)s messages, half a second after the %(at)s-th short one
_LONG = """
with c as (
    insert into conversations (id, tenant_id, title, created_at)
    values (gen_random_uuid(), %(tenant)s, 'long',
            %(t0)s + %(at)s::int * interval '1 second' + interval '500 milliseconds')
    returning id, created_at)
insert into messages (id, tenant_id, conversation_id, role, content, importance,
    created_at, updated_at, embedding_status, embedding_next_attempt_at)
select gen_random_uuid(), %(tenant)s, c.id, 'user',
       (%(texts)s::text[])[1 + k %% cardinality(%(texts)s::text[])], 0.5,
       c.created_at + k * interval '1 millisecond', c.created_at, 'pending', 'infinity'
from c, generate_series(1, %(n)s::int) k
returning conversation_id"""


async def _seed(
    runtime: Runtime, url: str, texts: list[str], config: ExportConfig
) -> tuple[str, UUID]:
    """The tenant, written with autovacuum off for the tables (so never analyzed)."""
    _autovacuum(url, on=False)
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    await runtime.auth.register(
        email=f"{tenant}@example.com", password="export walk bench", tenant_id=tenant
    )
    params = {"tenant": tenant, "t0": T0, "texts": texts}
    async with runtime.db.tenant(tenant) as conn:
        await conn.execute(_SHORT, params | {"first": 1, "last": config.conversations})
        cur = await conn.execute(
            _LONG, params | {"at": config.conversations // 4, "n": config.long_messages}
        )
        row = await cur.fetchone()
    assert row is not None
    return tenant, UUID(str(row["conversation_id"]))


def _autovacuum(url: str, *, on: bool) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for table in TABLES:
            conn.execute(
                sql.SQL("alter table {} set (autovacuum_enabled = {})").format(
                    sql.Identifier(table), sql.Literal(on)
                )
            )


def _analyze(url: str, table: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("analyze {}").format(sql.Identifier(table)))


async def _export(
    runtime: Runtime, tenant: str, conversation: UUID | None
) -> tuple[float, int, int]:
    """Seconds to read the whole export, its lines and a digest of them (the header's
    time left out)."""
    digest = hashlib.sha256()
    lines = 0
    start = time.perf_counter()
    first = True
    async for chunk in runtime.transfer.export(tenant, conversation_id=conversation):
        if first:
            first = False
            lines += 1
            continue
        digest.update(chunk)
        lines += chunk.count(b"\n")
    seconds = time.perf_counter() - start
    return seconds, lines, int(digest.hexdigest()[:12], 16)


async def _measure(
    url: str, work_dir: Path, texts: list[str], config: ExportConfig
) -> dict[str, Any]:
    settings = Settings(
        database_url=url,
        data_dir=work_dir / "runtime",
        environment="test",
        auto_migrate=False,
        embedding_mode="async",  # no model: nothing here is embedded
        db_pool_min_size=1,
        db_pool_max_size=2,
    )
    runtime = await Runtime.start(settings, run_worker=False)
    seconds: dict[str, dict[str, dict[str, list[float]]]] = {
        state: {scope: {case: [] for case in CASES} for scope in SCOPES} for state in STATES
    }
    lines: dict[str, int] = {}
    try:
        tenant, long_id = await _seed(runtime, url, texts, config)
        for state in STATES:
            if state == "messages analyzed":
                _analyze(url, "messages")
            elif state == "analyzed":
                _analyze(url, "conversations")
                _autovacuum(url, on=True)
            for round_ in range(config.rounds):
                for scope in SCOPES:
                    conversation = long_id if scope == "long conversation" else None
                    digests = set()
                    for case in CASES if round_ % 2 == 0 else CASES[::-1]:
                        walk = database._IN_ORDER if case == CASES[0] else ""
                        with patch.object(database, "_IN_ORDER", walk):
                            took, count, digest = await _export(runtime, tenant, conversation)
                        seconds[state][scope][case].append(took)
                        lines[scope] = count
                        digests.add(digest)
                    if len(digests) != 1:
                        raise RuntimeError(f"the two cases exported different lines ({scope})")
                if config.progress:
                    print(
                        f"{state} round {round_ + 1}:",
                        {
                            s: [round(v[-1], 2) for v in c.values()]
                            for s, c in seconds[state].items()
                        },
                    )
    finally:
        await runtime.stop()
    return {
        "lines": lines,
        "page_rows": EXPORT_PAGE_ROWS,
        "ms": {
            state: {
                scope: {case: round(median(v) * 1000, 1) for case, v in by_case.items()}
                for scope, by_case in by_scope.items()
            }
            for state, by_scope in seconds.items()
        },
        "ms_rounds": {
            state: {
                scope: {case: [round(x * 1000, 1) for x in v] for case, v in by_case.items()}
                for scope, by_case in by_scope.items()
            }
            for state, by_scope in seconds.items()
        },
        "ratio": {
            state: {
                scope: round(median([a / b for a, b in zip(*by_case.values(), strict=True)]), 3)
                for scope, by_case in by_scope.items()
            }
            for state, by_scope in seconds.items()
        },
    }


def run_export_walk(
    corpus: Any, server: str, work_dir: Path, config: ExportConfig
) -> dict[str, Any]:
    texts = [t.text for t in corpus.turns]
    name = "mm_bench_export_walk"
    url = database_url(server, name)
    create_database(server, name)
    migrate(url, dimensions=384)
    measured = asyncio.run(_measure(url, work_dir, texts, config))
    return {"config": asdict(config) | {"progress": None}, "texts": len(texts), **measured}


@dataclass
class Options(cli.Options[ExportConfig]):
    name: str = "export_walk"
    command: str = "python -m bench.export_walk"


def run(options: Options) -> dict[str, Any]:
    return report.run_on_corpus(options, key="export", stage=run_export_walk, markdown=markdown)


def parse(argv: list[str]) -> Options:
    parser = cli.parser("bench.export_walk", __doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--conversations", type=int, default=6000)
    parser.add_argument("--long-messages", type=int, default=6000)
    return cli.parse_options(Options, ExportConfig, parser, argv, RESULTS_DIR)


def main(argv: list[str] | None = None) -> None:
    options = cli.start(parse, argv)
    results = run(options)
    print(markdown(results))


if __name__ == "__main__":
    main()
