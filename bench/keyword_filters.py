"""A small scope's keyword terms under a role or time filter: its rows read, or its postings
(migration 0015, keyed by conversation since 0020), side by side.

    python -m bench.keyword_filters --work-dir DIR     # ~1 minute here

One tenant holds ``conversations`` conversations of the same ``turns`` LoCoMo turns (the
first speaker's stored as ``user``, the other's as ``assistant``, a minute apart; the data
is read at run time, never stored; generated sentences when it is absent), embedded by the
``deterministic`` provider: what differs between the two paths is where the keyword terms
come from, not the vectors. The first conversation is searched exactly, top 10, with each
question (and the whole tenant too when it is within the service's exact limit, as with
``--conversations 3``: there a time range keeps a few rows, where the postings still hold
the tenant's of each word), through ``store.search.run_search`` in the service's tenant
transaction (the postings' statement with its generic plan, as the service runs it; the
rows' planned per search, as the service would if it read them), under each filter: none,
``role = user``, created after the conversation's median time, created after its 99th
percentile.
Rows and postings are interleaved question by question over ``rounds`` rounds (the first
a warm-up); each round's p50 per path and their ratio are taken, the median of the rounds
reported, and every search's top 10 (ids and scores) compared between the paths.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import one_tenant
from bench.one_tenant import START, TENANT, Config
from memory_mesh.domain.models import Role, SearchHit, SearchMode, SearchQuery
from memory_mesh.runtime import Runtime
from memory_mesh.store import search as store_search

PATHS = ("rows", "postings")
MODES = (SearchMode.keyword, SearchMode.hybrid)


def _filters(turns: int) -> dict[str, dict[str, Any]]:
    """Each filter's SearchQuery fields; times as stored (turn i at START + i minutes)."""
    return {
        "none": {},
        "role user": {"role": Role.user},
        "after the median": {"created_after": START + timedelta(minutes=turns // 2)},
        "after the 99th percentile": {
            "created_after": START + timedelta(minutes=turns - max(turns // 100, 1))
        },
    }


def _ranking(hits: list[SearchHit]) -> list[tuple[str, float]]:
    return [(str(h.message.id), round(h.scores.score, 9)) for h in hits]


async def _search(runtime: Runtime, query: SearchQuery, postings: bool) -> tuple[float, Any]:
    service = runtime.search
    vector = None
    if query.mode is not SearchMode.keyword:
        vector = service.embedder.embed_query(query.query)
    async with runtime.db.tenant(TENANT) as conn:
        started = time.perf_counter()
        hits = await store_search.run_search(
            conn,
            query=query,
            query_vector=vector,
            model=service.embedder.info.model,
            weights=service.weights,
            config=service.plan,
            plan="exact",
            indexed_keywords=False,
            postings=postings,
        )
        elapsed = (time.perf_counter() - started) * 1000
    return elapsed, _ranking(hits)


async def measure(config: Config, work: Path, locomo: Path | None) -> dict[str, Any]:
    # one connection: each statement prepared once, kept
    async with one_tenant.one_tenant(
        config, work, locomo, db_pool_min_size=1, db_pool_max_size=1
    ) as stored:
        scopes: dict[str, dict[str, Any]] = {
            "conversation": {"conversation_id": stored.conversation}
        }
        if config.conversations * config.turns <= stored.runtime.search.plan.exact_max_rows:
            scopes["tenant"] = {}  # searched exactly by the service too
        cases = []
        for scope, scoped in scopes.items():
            for label, fields in _filters(config.turns).items():
                for mode in MODES:
                    base = SearchQuery(
                        tenant_id=TENANT, query="", mode=mode, top_k=10, **scoped, **fields
                    )
                    case = await _case(stored.runtime, label, base, stored.questions, config.rounds)
                    cases.append({"scope": scope, **case})
    # the rows path's plan: generic until the service stopped running it (a narrow scope
    # reads its postings) and gave it a plan per search (store.search.generic_plan_applies)
    return {"cases": cases, "rows_plan": "per search"}


async def _case(
    runtime: Runtime, label: str, base: SearchQuery, questions: list[str], rounds: int
) -> dict[str, Any]:
    per_round: dict[str, list[float]] = {path: [] for path in PATHS}
    same = searched = 0
    for number in range(rounds):
        times: dict[str, list[float]] = {path: [] for path in PATHS}
        for i, question in enumerate(questions):
            query = replace(base, query=question)
            order = PATHS if (i + number) % 2 == 0 else tuple(reversed(PATHS))
            answers = {}
            for path in order:
                elapsed, answers[path] = await _search(runtime, query, path == "postings")
                times[path].append(elapsed)
            same += answers["rows"] == answers["postings"]
            searched += 1
        if number:  # the first round warms both paths up (statements prepared)
            for path in PATHS:
                per_round[path].append(statistics.median(times[path]))
    ratios = [p / r for r, p in zip(per_round["rows"], per_round["postings"], strict=True)]
    return {
        "filter": label,
        "mode": base.mode.value,
        "p50_ms": {path: round(statistics.median(v), 3) for path, v in per_round.items()},
        "ratio_median": round(statistics.median(ratios), 3),
        "ratio_per_round": [round(r, 3) for r in ratios],
        "same_top10": same,
        "searches": searched,
    }


def _plans(result: dict[str, Any]) -> str:
    """How the two statements were planned (a result before ``rows_plan``: both generic)."""
    if result.get("rows_plan", "generic") == "generic":
        return "and its generic plan"
    return "(the postings' with its generic plan, the rows' planned per search)"


def markdown(result: dict[str, Any]) -> str:
    config = result["config"]
    # a column of the scope searched (a result from before the tenant's scope: none)
    scoped = any("scope" in case for case in result["cases"])
    scope_head, scope_rule = ("| scope ", "|---") if scoped else ("", "")
    lines = [
        "# Keyword terms of a small scope under a filter: its rows or its postings",
        "",
        f"Reproduce: `{result['command']}`. One tenant of {config['conversations']} "
        f"conversations of {config['turns']} turns ({result['corpus']}), the first"
        f"{' (and the whole tenant)' if scoped else ''} searched exactly, top 10, "
        f"{config['questions']} questions, {config['rounds']} rounds (the "
        "first a warm-up), the two paths interleaved question by question, each through the "
        f"service's statement {_plans(result)}. Load average at the end "
        f"{result['load_average_at_end']} (shared machine: compare the ratio).",
        "",
        f"{scope_head}| filter | mode | rows p50 ms | postings p50 ms | ratio (median of rounds) "
        "| ratio per round | same top 10 |",
        f"{scope_rule}|---|---|---|---|---|---|---|",
    ]
    for case in result["cases"]:
        scope = f"| {case['scope']} " if scoped else ""
        lines.append(
            f"{scope}| {case['filter']} | {case['mode']} | {case['p50_ms']['rows']} "
            f"| {case['p50_ms']['postings']} | {case['ratio_median']} "
            f"| {case['ratio_per_round']} | {case['same_top10']} of {case['searches']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return one_tenant.main("bench.keyword_filters", __doc__, measure, markdown, argv)


if __name__ == "__main__":
    main()
