"""Retrieval quality on LoCoMo, through the product code: recall@k of the evidence turns.

    python -m bench.quality                                   # all 10 conversations
    python -m bench.quality --locomo PATH --conversations 1 --questions 20

One conversation per tenant, one dialogue turn per message (``"speaker: text"``, created at
its session's date), stored with ``runtime.messages.create_batch`` (the real local
embedder, inline), then every question searched in its tenant with
``runtime.search.search`` at top_k 50 and the hits mapped back to LoCoMo ``dia_id``s.

Variants: the modes vector / keyword / hybrid with relevance-only weights, the service's
default blend (importance and recency on), and -- measured, not shipped -- the keyword
query as an OR of the question's terms instead of ``websearch_to_tsquery`` (which ANDs
every word). The LoCoMo file is read where it lies; the results hold figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import re
import shlex
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import numpy as np
import psycopg
from psycopg import sql
from tqdm import tqdm

from bench.data import DEFAULT_LOCOMO
from bench.machine import describe, load_average
from bench.search_latency import database_url
from bench.tables import create_database, drop_database, embedded_server
from memory_mesh.config import Settings
from memory_mesh.domain.models import Role, SearchMode, SearchQuery
from memory_mesh.domain.ranking import RankingWeights
from memory_mesh.runtime import Runtime
from memory_mesh.services.messages import MessageInput
from memory_mesh.store import identity as identity_store
from memory_mesh.store import search as search_store

log = logging.getLogger(__name__)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
KS = (1, 5, 10, 25, 50)
TOP_K = 50
CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
REFERENCES = {
    "BM25 (published, cat. 1-4)": {"5": 0.440, "10": 0.516},
    "DRAGON (LoCoMo paper)": {"5": 0.588, "10": 0.675},
}
_SESSION = re.compile(r"^session_(\d+)$")
_DATE = "%I:%M %p on %d %B, %Y"

# The keyword query as shipped, and the measured alternative: the question's lexemes ORed.
WEBSEARCH = "websearch_to_tsquery('english', %(qt)s)"
OR_QUERY = "replace(plainto_tsquery('english', %(qt)s)::text, ' & ', ' | ')::tsquery"


# --- data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DialogueTurn:
    dia_id: str
    content: str
    created_at: datetime


@dataclass(frozen=True)
class Question:
    text: str
    category: int
    evidence: tuple[str, ...]


@dataclass
class Dialogue:
    sample_id: str
    turns: list[DialogueTurn]
    questions: list[Question]


def parse_session_date(text: str) -> datetime:
    """``"1:56 pm on 8 May, 2023"`` -> an aware datetime (UTC: the file names no zone)."""
    return datetime.strptime(text.strip(), _DATE).replace(tzinfo=UTC)


def _evidence(raw: Sequence[str]) -> tuple[str, ...]:
    ids: list[str] = []
    for item in raw:  # a few entries hold several ids ("D8:6; D9:17")
        ids.extend(part.strip() for part in re.split(r"[;,]", str(item)) if part.strip())
    return tuple(dict.fromkeys(ids))


def load_dialogues(
    path: Path, *, conversations: int | None = None, questions: int | None = None
) -> list[Dialogue]:
    """The first ``conversations`` samples; at most ``questions`` QA items from each."""
    samples = json.loads(path.read_text("utf-8"))[:conversations]
    dialogues = []
    for sample in samples:
        conversation = sample["conversation"]
        sessions = sorted(
            (int(m[1]), value)
            for key, value in conversation.items()
            if (m := _SESSION.match(key)) and isinstance(value, list)
        )
        turns = []
        for number, session in sessions:
            when = parse_session_date(conversation[f"session_{number}_date_time"])
            for turn in session:
                text = str(turn.get("text", "")).strip()
                if text:
                    content = f"{turn['speaker']}: {text}"
                    turns.append(DialogueTurn(str(turn["dia_id"]), content, when))
        asked = [
            Question(str(qa["question"]), int(qa["category"]), _evidence(qa.get("evidence", [])))
            for qa in sample.get("qa", [])
            if qa.get("question")
        ][:questions]
        dialogues.append(Dialogue(str(sample.get("sample_id", len(dialogues))), turns, asked))
    return dialogues


# --- variants --------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    name: str
    mode: SearchMode
    weights: str  # "relevance" (importance and recency off) or "default" (service defaults)
    tsquery: str = "websearch"  # or "or" (measured alternative, not shipped)
    keyword_share: float | None = None  # hybrid keyword share; None: the service default

    def ranking(self) -> RankingWeights:
        base = Settings()  # the service defaults
        importance = base.ranking_importance_weight if self.weights == "default" else 0.0
        recency = base.ranking_recency_weight if self.weights == "default" else 0.0
        return RankingWeights(
            relevance=base.ranking_relevance_weight,
            importance=importance,
            recency=recency,
            half_life_days=base.ranking_recency_half_life_days,
            hybrid_keyword_share=(
                base.ranking_hybrid_keyword_share
                if self.keyword_share is None
                else self.keyword_share
            ),
        )


VARIANTS = (
    Variant("vector", SearchMode.vector, "relevance"),
    Variant("keyword", SearchMode.keyword, "relevance"),
    Variant("hybrid", SearchMode.hybrid, "relevance"),
    Variant("hybrid + importance + recency (default)", SearchMode.hybrid, "default"),
    Variant("vector + importance + recency", SearchMode.vector, "default"),
    Variant("keyword, OR-query", SearchMode.keyword, "relevance", "or"),
    Variant("hybrid, OR-query", SearchMode.hybrid, "relevance", "or"),
    Variant("hybrid, OR-query, share 0.5", SearchMode.hybrid, "relevance", "or", 0.5),
    Variant("hybrid, OR-query + importance + recency", SearchMode.hybrid, "default", "or"),
)


@contextlib.contextmanager
def keyword_query(kind: str) -> Iterator[None]:
    """Run the product's search SQL with its tsquery swapped (``"or"``), for measuring only:
    the statement is the package's own, with ``websearch_to_tsquery(...)`` replaced."""
    if kind == "websearch":
        yield
        return
    original = search_store._statement

    def patched(query: SearchQuery, plan: str, dims: int) -> sql.Composable:
        text = original(query, plan, dims).as_string(None)
        return sql.SQL(text.replace(WEBSEARCH, OR_QUERY))  # type: ignore[arg-type]

    search_store._statement = patched  # type: ignore[assignment]
    try:
        yield
    finally:
        search_store._statement = original


# --- measurement -----------------------------------------------------------------------


@dataclass
class QualityConfig:
    locomo: Path = DEFAULT_LOCOMO
    conversations: int | None = None
    questions: int | None = None  # per conversation
    out: Path = RESULTS_DIR
    work_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "mm-bench")
    variants: tuple[Variant, ...] = VARIANTS
    concurrency: int = 4
    progress: bool = True
    plots: bool = True
    command: str = "python -m bench.quality"


def recall(found: Sequence[str], evidence: Sequence[str], k: int) -> float:
    wanted = set(evidence)
    return len(wanted & set(found[:k])) / len(wanted)


def summarise(rows: list[tuple[int, list[float]]]) -> dict[str, Any]:
    """Mean recall@k per category, over categories 1-4, and over all (5 included)."""

    def mean(selected: list[list[float]]) -> dict[str, float] | None:
        if not selected:
            return None
        values = np.asarray(selected).mean(axis=0)
        return {str(k): round(float(v), 4) for k, v in zip(KS, values, strict=True)}

    out: dict[str, Any] = {
        "cat1-4": mean([r for c, r in rows if c in (1, 2, 3, 4)]),
        "all": mean([r for _, r in rows]),
    }
    for category in CATEGORIES:
        out[f"cat{category}"] = mean([r for c, r in rows if c == category])
    out["questions"] = {
        "cat1-4": sum(1 for c, _ in rows if c in (1, 2, 3, 4)),
        "all": len(rows),
        **{f"cat{c}": sum(1 for k, _ in rows if k == c) for c in CATEGORIES},
    }
    return out


async def _ingest(runtime: Runtime, dialogues: list[Dialogue]) -> dict[UUID, str]:
    dia_of: dict[UUID, str] = {}
    for index, dialogue in enumerate(dialogues):
        tenant = f"locomo-{index}"
        async with runtime.db.system() as conn:  # what sign-up does: the tenant row first
            await identity_store.insert_tenant(conn, tenant_id=tenant, name=tenant)
        conversation, _ = await runtime.conversations.create(
            tenant, title=f"locomo {dialogue.sample_id}", metadata={}
        )
        items = [
            MessageInput(
                conversation_id=conversation.id,
                role=Role.user,  # both speakers are people; importance then reads content only
                content=turn.content,
                created_at=turn.created_at,
            )
            for turn in dialogue.turns
        ]
        for start in range(0, len(items), 200):
            results = await runtime.messages.create_batch(tenant, items[start : start + 200])
            for offset, result in enumerate(results):
                if result.error is not None or result.id is None:
                    raise RuntimeError(f"turn not stored: {result.error}")
                dia_of[result.id] = dialogue.turns[start + offset].dia_id
    return dia_of


async def _measure(
    runtime: Runtime,
    dialogues: list[Dialogue],
    dia_of: dict[UUID, str],
    variant: Variant,
    config: QualityConfig,
) -> dict[str, Any]:
    runtime.search.weights = variant.ranking()
    jobs = [
        (f"locomo-{i}", q)
        for i, dialogue in enumerate(dialogues)
        for q in dialogue.questions
        if q.evidence
    ]
    known = {dia for dia in dia_of.values()}
    rows: list[tuple[int, list[float]]] = []
    top_recency: list[float] = []
    seconds: list[float] = []
    gate = asyncio.Semaphore(config.concurrency)

    async def one(tenant: str, question: Question) -> None:
        evidence = [e for e in question.evidence if e in known]
        if not evidence:
            return
        async with gate:
            started = time.perf_counter()
            outcome = await runtime.search.search(
                SearchQuery(tenant_id=tenant, query=question.text, top_k=TOP_K, mode=variant.mode)
            )
            seconds.append(time.perf_counter() - started)
        found = [dia_of[h.message.id] for h in outcome.hits]
        rows.append((question.category, [recall(found, evidence, k) for k in KS]))
        if outcome.hits:
            top_recency.append(outcome.hits[0].scores.recency)

    with keyword_query(variant.tsquery):
        bar = tqdm(total=len(jobs), desc=variant.name, unit="q", disable=not config.progress)
        for start in range(0, len(jobs), 64):
            chunk = jobs[start : start + 64]
            await asyncio.gather(*(one(t, q) for t, q in chunk))
            bar.update(len(chunk))
        bar.close()
    summary = summarise(rows)
    summary.update(
        variant=variant.name,
        mode=variant.mode.value,
        weights=variant.weights,
        tsquery=variant.tsquery,
        keyword_share=variant.ranking().hybrid_keyword_share,
        median_search_ms=round(float(np.median(seconds)) * 1000, 2) if seconds else None,
        median_top_hit_recency=float(np.median(top_recency)) if top_recency else None,
    )
    return summary


async def measure(config: QualityConfig, server: str) -> dict[str, Any]:
    dialogues = load_dialogues(
        config.locomo, conversations=config.conversations, questions=config.questions
    )
    name = "mm_bench_quality"
    create_database(server, name)
    settings = Settings(
        database_url=database_url(server, name),
        data_dir=config.work_dir / "runtime",
        environment="test",
        embedding_mode="inline",
        retention_schedule_seconds=0,
        db_pool_min_size=1,
        db_pool_max_size=config.concurrency + 1,
    )
    runtime = await Runtime.start(settings, run_worker=False)
    try:
        started = time.perf_counter()
        dia_of = await _ingest(runtime, dialogues)
        ingest_seconds = time.perf_counter() - started
        variants = [await _measure(runtime, dialogues, dia_of, v, config) for v in config.variants]
    finally:
        await runtime.stop()
        try:
            drop_database(server, name)
        except psycopg.OperationalError as exc:  # a scratch database: never fail the run
            log.warning("could not drop %s: %s", name, exc)
    return {
        "data": {
            "conversations": len(dialogues),
            "turns": len(dia_of),
            "qa_items": sum(len(d.questions) for d in dialogues),
            "ingest_seconds": round(ingest_seconds, 1),
            "top_k": TOP_K,
            "ks": list(KS),
            "categories": CATEGORIES,
        },
        "model": {"provider": runtime.embedder.info.provider, "model": runtime.embedder.info.model},
        "references": REFERENCES,
        "tsquery": {"websearch": WEBSEARCH, "or": OR_QUERY},
        "variants": variants,
    }


def run(config: QualityConfig) -> dict[str, Any]:
    started = time.perf_counter()
    config.work_dir.mkdir(parents=True, exist_ok=True)
    with embedded_server(config.work_dir / "search-db") as server:
        results: dict[str, Any] = {"command": config.command, "machine": describe(server)}
        results["quality"] = asyncio.run(measure(config, server))
    results["machine"]["load_average_at_end"] = load_average()
    results["duration_seconds"] = round(time.perf_counter() - started, 1)
    write(results, config.out, plots=config.plots)
    return results


# --- report ----------------------------------------------------------------------------


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}"


def markdown(results: dict[str, Any]) -> str:
    quality = results["quality"]
    machine = results["machine"]
    data = quality["data"]
    lines = [
        "# Retrieval quality on LoCoMo",
        "",
        f"Reproduce: `{results['command']}` (run {machine.get('date')}, "
        f"{results['duration_seconds']} s).",
        "",
        f"Machine: {machine.get('cpu_model')}, {machine.get('cpu_count')} CPUs, "
        f"{machine.get('memory_gb')} GB; Python {machine.get('python')}, "
        f"PostgreSQL {machine.get('postgres')}, pgvector {machine.get('pgvector')}. "
        f"Model: {quality['model']['model']} (local ONNX).",
        "",
        f"Data: {data['conversations']} conversations (one tenant each), {data['turns']} turns "
        f"stored through `messages.create_batch` ({data['ingest_seconds']} s, embedded inline), "
        f"{data['qa_items']} QA items. Each question searched in its tenant through "
        f"`search.search` at top_k {data['top_k']}; recall@k = share of the question's evidence "
        "turns among the first k hits, averaged per question (in %). Categories as in the file: "
        + ", ".join(f"{k} {v}" for k, v in data["categories"].items())
        + '. "1-4" excludes the adversarial category 5; "all" includes it where it has evidence.',
        "",
        "## Recall@k, categories 1-4",
        "",
        "| variant | R@1 | R@5 | R@10 | R@25 | R@50 | questions | search p50 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for v in quality["variants"]:
        r = v["cat1-4"] or {}
        lines.append(
            f"| {v['variant']} | "
            + " | ".join(_f(r.get(str(k))) for k in KS)
            + f" | {v['questions']['cat1-4']} | {v['median_search_ms']} |"
        )
    for name, ref in quality["references"].items():
        lines.append(f"| *{name}* | - | {_f(ref['5'])} | {_f(ref['10'])} | - | - | - | - |")
    lines += [
        "",
        "## Recall@k, all questions with evidence (category 5 included)",
        "",
        "| variant | R@1 | R@5 | R@10 | R@25 | R@50 | questions |",
        "|---|---|---|---|---|---|---|",
    ]
    for v in quality["variants"]:
        r = v["all"] or {}
        lines.append(
            f"| {v['variant']} | "
            + " | ".join(_f(r.get(str(k))) for k in KS)
            + f" | {v['questions']['all']} |"
        )
    lines += [
        "",
        "## R@10 per category",
        "",
        "| variant | " + " | ".join(f"{c} {n}" for c, n in CATEGORIES.items()) + " |",
        "|---|" + "---|" * len(CATEGORIES),
    ]
    for v in quality["variants"]:
        cells = [_f((v[f"cat{c}"] or {}).get("10")) for c in CATEGORIES]
        lines.append(f"| {v['variant']} | " + " | ".join(cells) + " |")
    recency = [
        v["median_top_hit_recency"] for v in quality["variants"] if v["weights"] == "default"
    ]
    lines += [
        "",
        "## Notes",
        "",
        "- **Recency is measured from now.** LoCoMo sessions are dated 2022-2023, so every "
        "turn is hundreds of days old; with the 30-day half-life the recency part is "
        f"0.5^(age/30) (median on the top hit: {recency[0] if recency else '-'}) -- "
        "effectively 0 for every turn. It cannot reorder the conversation by time; it only "
        "removes its share of the score for everyone. What changes the order in the default "
        "blend is **importance** (role and content heuristics, not question-aware), which "
        "lifts some turns above more relevant ones. For a real application (fresh messages) "
        "recency does act; this benchmark cannot show whether that helps.",
        "- **Keyword query.** `websearch_to_tsquery` ANDs every word of the question, so a "
        "long natural-language question rarely matches any single turn: keyword mode returns "
        "few or no hits. The OR-query variants use the same statement with "
        f"`{OR_QUERY}` in place of `{WEBSEARCH}` (stop words dropped and stemmed by "
        "`plainto_tsquery`, then terms ORed; `ts_rank_cd` still rewards turns matching more "
        "terms). Measured here only; the package is unchanged.",
        "- Reference points are from other systems and set-ups (BM25 and DRAGON as reported "
        "for LoCoMo); they are context, not a same-run comparison.",
        "",
    ]
    if (Path(__file__).parent / "results" / "quality_recall.png").exists():
        lines += ["![recall@k per variant](quality_recall.png)", ""]
    return "\n".join(lines)


def write(results: dict[str, Any], out: Path, *, plots: bool = True) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "quality.json"
    json_path.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    if plots:
        from bench.plots import recall_curves

        recall_curves(results, out / "quality_recall.png")
    md_path = out / "quality.md"
    md_path.write_text(markdown(results), "utf-8")
    return json_path, md_path


def parse(argv: list[str]) -> QualityConfig:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__)
    parser.add_argument("--locomo", type=Path, default=DEFAULT_LOCOMO, help="locomo10.json")
    parser.add_argument("--conversations", type=int, help="first N conversations (all)")
    parser.add_argument("--questions", type=int, help="first N questions of each (all)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument("--work-dir", type=Path)
    parser.add_argument("--no-plots", action="store_true")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    config = QualityConfig(
        locomo=args.locomo,
        conversations=args.conversations,
        questions=args.questions,
        out=args.out,
        progress=not args.no_progress,
        plots=not args.no_plots,
        command=shlex.join(["python", "-m", "bench.quality", *argv]),
    )
    if args.work_dir is not None:
        config.work_dir = args.work_dir
    return config


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    config = parse(sys.argv[1:] if argv is None else argv)
    results = run(config)
    print(f"wrote {config.out / 'quality.json'} and {config.out / 'quality.md'}")
    for v in results["quality"]["variants"]:
        r = v["cat1-4"] or {}
        print(f"{v['variant']:<45} cat1-4 R@5 {_f(r.get('5'))}  R@10 {_f(r.get('10'))}")


if __name__ == "__main__":
    main()
