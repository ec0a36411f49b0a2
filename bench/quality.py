"""Retrieval quality on LoCoMo, through the product code: recall@k of the evidence turns.

    python -m bench.quality                                   # all 10 conversations
    python -m bench.quality --locomo PATH --conversations 1 --questions 20

One conversation per tenant, one dialogue turn per message (``"speaker: text"``, created at
its session's date), stored with ``runtime.messages.create_batch`` (the real local
embedder, inline), then every question searched in its tenant with
``runtime.search.search`` at top_k 50 and the hits mapped back to LoCoMo ``dia_id``s.

Variants (through the product): the modes vector / keyword / hybrid with relevance-only
weights, and the final ranking (the service's default blend with importance and recency),
both on the file's dates and on the same conversation moved so it ends now.

Study (``--no-study`` skips it): keyword scorers (AND / OR tsquery, ``ts_rank_cd`` /
``ts_rank``, length normalisations), hybrid fusions (weighted share, reciprocal-rank
fusion), candidate counts and the final blend's importance weight, replayed from the
database's own figures; settings are chosen on conversations 0-4 and reported on 5-9.
The LoCoMo file is read where it lies; the results hold figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import numpy as np
import psycopg
from tqdm import tqdm

from bench import cli
from bench.data import DEFAULT_LOCOMO
from bench.machine import describe, load_average
from bench.quality_report import CATEGORIES, FINAL, KS, percent, write
from bench.search_latency import database_url
from bench.tables import create_database, drop_database, embedded_server
from memory_mesh.config import Settings
from memory_mesh.domain.models import Role, SearchMode
from memory_mesh.domain.ranking import RankingWeights
from memory_mesh.runtime import Runtime
from memory_mesh.services.messages import MessageInput

log = logging.getLogger(__name__)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TOP_K = 50
REFERENCES = {
    "BM25 (published, cat. 1-4)": {"5": 0.440, "10": 0.516},
    "DRAGON (LoCoMo paper)": {"5": 0.588, "10": 0.675},
}
_SESSION = re.compile(r"^session_(\d+)$")
_DATE = "%I:%M %p on %d %B, %Y"

HALF_LIFE_DAYS = Settings().ranking_recency_half_life_days
BENCH_PASSWORD = "a long enough benchmark passphrase"
# min_score thresholds whose effect is reported (README "How search ranks" documents 0.1)
MIN_SCORES = (0.05, 0.1, 0.15, 0.2, 0.3)


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


# --- variants measured through the product ---------------------------------------------


@dataclass(frozen=True)
class Variant:
    """One way of searching, run through ``runtime.search.search`` as an application would.

    ``weights``: "relevance" (importance and recency weights 0) or "default" (the service's
    blend). ``dates``: "as dated" (the file's 2022-23 session dates) or "recent" (the same
    conversation with every date moved so its last session ends when the run starts)."""

    name: str
    mode: SearchMode
    weights: str = "relevance"
    dates: str = "as dated"
    context: bool = True  # each turn stored with its previous turn as context (the default)

    def ranking(self) -> RankingWeights:
        base = Settings()  # the service defaults
        blend = self.weights == "default"
        return RankingWeights(
            relevance=base.ranking_relevance_weight,
            importance=base.ranking_importance_weight if blend else 0.0,
            recency=base.ranking_recency_weight if blend else 0.0,
            half_life_days=base.ranking_recency_half_life_days,
            hybrid_keyword_share=base.ranking_hybrid_keyword_share,
        )


VARIANTS = (
    Variant("vector", SearchMode.vector),
    Variant("keyword", SearchMode.keyword),
    Variant("keyword, without context", SearchMode.keyword, context=False),
    Variant("hybrid", SearchMode.hybrid),
    Variant("hybrid, without context", SearchMode.hybrid, context=False),
    Variant(FINAL, SearchMode.hybrid, "default"),
    Variant(FINAL + ", without context", SearchMode.hybrid, "default", context=False),
    Variant(FINAL + ", dates moved to now", SearchMode.hybrid, "default", "recent"),
    Variant("vector + importance + recency", SearchMode.vector, "default"),
)


# --- measurement -----------------------------------------------------------------------

DEV = range(0, 5)  # settings are chosen on conversations 0-4 and reported held out on 5-9


@dataclass
class QualityConfig:
    locomo: Path = DEFAULT_LOCOMO
    conversations: int | None = None
    questions: int | None = None  # per conversation
    out: Path = RESULTS_DIR
    work_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "mm-bench")
    variants: tuple[Variant, ...] = VARIANTS
    study: bool = True
    concurrency: int = 4
    progress: bool = True
    plots: bool = True
    command: str = "python -m bench.quality"


# a question's outcome: (conversation index, category, recall at each k of KS)
Row = tuple[int, int, list[float]]


def recall(found: Sequence[str], evidence: Sequence[str], k: int) -> float:
    wanted = set(evidence)
    return len(wanted & set(found[:k])) / len(wanted)


def _mean(selected: list[list[float]]) -> dict[str, float] | None:
    if not selected:
        return None
    values = np.asarray(selected).mean(axis=0)
    return {str(k): round(float(v), 4) for k, v in zip(KS, values, strict=True)}


def summarise(rows: list[Row]) -> dict[str, Any]:
    """Mean recall@k per category, over categories 1-4, over all (5 included), and the
    same for the dev (0-4) and held-out (5-9) conversations."""
    out: dict[str, Any] = {
        "cat1-4": _mean([r for _, c, r in rows if c in (1, 2, 3, 4)]),
        "all": _mean([r for _, _, r in rows]),
    }
    for category in CATEGORIES:
        out[f"cat{category}"] = _mean([r for _, c, r in rows if c == category])
    out["questions"] = {
        "cat1-4": sum(1 for _, c, _ in rows if c in (1, 2, 3, 4)),
        "all": len(rows),
        **{f"cat{c}": sum(1 for _, k, _ in rows if k == c) for c in CATEGORIES},
    }
    out["split"] = {}
    for name, keep in (("dev", True), ("held_out", False)):
        part = [(c, r) for conv, c, r in rows if (conv in DEV) == keep]
        out["split"][name] = {
            "cat1-4": _mean([r for c, r in part if c in (1, 2, 3, 4)]),
            "all": _mean([r for _, r in part]),
            "questions": len(part),
        }
    return out


def objective(summary: dict[str, Any], part: str = "dev") -> float:
    """What the study maximises: the mean of R@5 and R@10 over categories 1-4 (the two
    published reference points), on the dev conversations only."""
    figures = summary["split"][part]["cat1-4"] if part != "all" else summary["cat1-4"]
    return 0.0 if figures is None else (figures["5"] + figures["10"]) / 2


def tenant_of(index: int, dates: str, *, context: bool = True) -> str:
    name = f"locomo-{index}" if dates == "as dated" else f"locomo-recent-{index}"
    return name if context else f"{name}-plain"


def moved_to(dialogue: Dialogue, end: datetime) -> list[DialogueTurn]:
    """The turns with every date shifted by one offset so the last session is at ``end``:
    the gaps between sessions are kept; only "how long ago" changes."""
    last = max(turn.created_at for turn in dialogue.turns)
    shift = end - last
    return [DialogueTurn(t.dia_id, t.content, t.created_at + shift) for t in dialogue.turns]


async def _tenant_key(runtime: Runtime, tenant: str) -> str:
    """What sign-up does (a user administering a new tenant), then a read API key for it."""
    from memory_mesh.domain.identity import ROLE_SCOPES, MemberRole, Principal, Scope

    user_id, _ = await runtime.auth.register(
        email=f"{tenant}@bench.example.com", password=BENCH_PASSWORD, tenant_id=tenant
    )
    admin = Principal(
        kind="user", id=user_id, user_id=user_id, tenants={tenant: ROLE_SCOPES[MemberRole.admin]}
    )
    made = await runtime.auth.create_api_key(
        admin, tenant_id=tenant, name="bench", scopes=[Scope.read], expires_in_days=None
    )
    return made.key


async def _ingest(
    runtime: Runtime,
    dialogues: list[Dialogue],
    dates: str,
    now: datetime,
    keys: dict[str, str],
    *,
    context: bool = True,
) -> dict[UUID, str]:
    """Store every conversation in its tenant (embedded inline; each turn with its previous
    turn as context unless ``context`` is false); an API key of each tenant lands in ``keys``."""
    default_chars = runtime.messages.context_chars
    if not context:
        runtime.messages.context_chars = 0
    dia_of: dict[UUID, str] = {}
    try:
        for index, dialogue in enumerate(dialogues):
            tenant = tenant_of(index, dates, context=context)
            turns = dialogue.turns if dates == "as dated" else moved_to(dialogue, now)
            keys[tenant] = await _tenant_key(runtime, tenant)
            conversation, _ = await runtime.conversations.create(
                tenant, title=f"locomo {dialogue.sample_id}", metadata={}
            )
            items = [
                MessageInput(
                    conversation_id=conversation.id,
                    role=Role.user,  # both speakers are people; importance reads content only
                    content=turn.content,
                    created_at=turn.created_at,
                )
                for turn in turns
            ]
            for start in range(0, len(items), 200):
                results = await runtime.messages.create_batch(tenant, items[start : start + 200])
                for offset, result in enumerate(results):
                    if result.error is not None or result.id is None:
                        raise RuntimeError(f"turn not stored: {result.error}")
                    dia_of[result.id] = turns[start + offset].dia_id
    finally:
        runtime.messages.context_chars = default_chars
    return dia_of


class MemoEmbedder:
    """The runtime's embedder, remembering each text's vector: the same turn stored in
    another tenant set (other dates, no context) is embedded once. The product path runs
    unchanged; only repeated model calls for identical texts are saved."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.memo: dict[str, np.ndarray] = {}

    @property
    def info(self) -> Any:
        return self.inner.info

    def embed_query(self, text: str) -> Any:
        return self.inner.embed_query(text)

    def embed_documents(self, texts: Sequence[str]) -> Any:
        missing = list(dict.fromkeys(t for t in texts if t not in self.memo))
        if missing:
            for text, vector in zip(missing, self.inner.embed_documents(missing), strict=True):
                self.memo[text] = np.asarray(vector)
        return np.asarray([self.memo[t] for t in texts])


def _thresholds(
    scored: list[tuple[int, tuple[str, ...], list[tuple[str, float]]]],
    unrelated_top: list[float] | None,
) -> list[dict[str, Any]]:
    """For each ``min_score``: share of questions keeping at least one hit (categories 1-4,
    category 5, asked in an unrelated conversation) and R@10 of categories 1-4 after it."""
    out = []
    for threshold in MIN_SCORES:
        kept: dict[str, list[float]] = {"cat1-4": [], "cat5": []}
        recall10: list[float] = []
        for category, evidence, hits in scored:
            left = [d for d, score in hits if score >= threshold]
            group = "cat5" if category == 5 else "cat1-4"
            kept[group].append(1.0 if left else 0.0)
            if group == "cat1-4":
                recall10.append(recall(left, evidence, 10))
        row: dict[str, Any] = {
            "min_score": threshold,
            "answered_cat1-4": round(float(np.mean(kept["cat1-4"])), 4) if kept["cat1-4"] else None,
            "answered_cat5": round(float(np.mean(kept["cat5"])), 4) if kept["cat5"] else None,
            "r10_cat1-4": round(float(np.mean(recall10)), 4) if recall10 else None,
        }
        if unrelated_top is not None:
            row["answered_unrelated"] = round(
                float(np.mean([1.0 if t >= threshold else 0.0 for t in unrelated_top])), 4
            )
        out.append(row)
    return out


def _jobs(dialogues: list[Dialogue]) -> list[tuple[int, Question]]:
    """Every question with at least one evidence turn that exists in its conversation."""
    jobs = []
    for index, dialogue in enumerate(dialogues):
        known = {turn.dia_id for turn in dialogue.turns}
        for question in dialogue.questions:
            evidence = tuple(e for e in question.evidence if e in known)
            if evidence:
                jobs.append((index, replace(question, evidence=evidence)))
    return jobs


async def _measure(
    runtime: Runtime,
    http: httpx.AsyncClient,
    keys: dict[str, str],
    jobs: list[tuple[int, Question]],
    dia_of: dict[UUID, str],
    variant: Variant,
    config: QualityConfig,
) -> dict[str, Any]:
    """Every question through ``GET /v1/memory/search`` (the FastAPI app, in process) with
    its tenant's API key; for the service default also asked in another conversation's
    tenant, where nothing is related, to show what ``min_score`` removes."""
    runtime.search.weights = variant.ranking()
    rows: list[Row] = []
    top_recency: list[float] = []
    seconds: list[float] = []
    # per question: (category, evidence, [(dia, score)]) for the min_score table
    scored: list[tuple[int, tuple[str, ...], list[tuple[str, float]]]] = []
    unrelated_top: list[float] = []
    probe = variant.name == FINAL and len({i for i, _ in jobs}) > 1
    conversations = sorted({i for i, _ in jobs})
    gate = asyncio.Semaphore(config.concurrency)

    async def search(tenant: str, text: str) -> list[dict[str, Any]]:
        response = await http.get(
            "/v1/memory/search",
            params={"query": text, "top_k": TOP_K, "mode": variant.mode.value},
            headers={"x-api-key": keys[tenant]},
        )
        if response.status_code != 200:
            raise RuntimeError(f"search failed: {response.status_code} {response.text}")
        return list(response.json()["results"])

    async def one(index: int, question: Question) -> None:
        tenant = tenant_of(index, variant.dates, context=variant.context)
        async with gate:
            started = time.perf_counter()
            hits = await search(tenant, question.text)
            seconds.append(time.perf_counter() - started)
            if probe:
                other = conversations[(conversations.index(index) + 1) % len(conversations)]
                elsewhere = await search(tenant_of(other, variant.dates), question.text)
                unrelated_top.append(elsewhere[0]["scores"]["score"] if elsewhere else 0.0)
        found = [dia_of[UUID(h["message"]["id"])] for h in hits]
        rows.append((index, question.category, [recall(found, question.evidence, k) for k in KS]))
        scored.append(
            (
                question.category,
                question.evidence,
                [(d, float(h["scores"]["score"])) for d, h in zip(found, hits, strict=True)],
            )
        )
        if hits:
            top_recency.append(float(hits[0]["scores"]["recency"]))

    bar = tqdm(total=len(jobs), desc=variant.name, unit="q", disable=not config.progress)
    for start in range(0, len(jobs), 64):
        chunk = jobs[start : start + 64]
        await asyncio.gather(*(one(i, q) for i, q in chunk))
        bar.update(len(chunk))
    bar.close()
    summary = summarise(rows)
    weights = variant.ranking()
    summary.update(
        variant=variant.name,
        mode=variant.mode.value,
        weights=variant.weights,
        dates=variant.dates,
        context=variant.context,
        ranking={
            "relevance": round(weights.relevance, 4),
            "importance": round(weights.importance, 4),
            "recency": round(weights.recency, 4),
            "half_life_days": weights.half_life_days,
            "hybrid_keyword_share": weights.hybrid_keyword_share,
        },
        median_search_ms=round(float(np.median(seconds)) * 1000, 2) if seconds else None,
        min_score=_thresholds(scored, unrelated_top if probe else None),
        median_top_hit_recency=float(np.median(top_recency)) if top_recency else None,
    )
    return summary


# --- study: which keyword scoring and fusion rank best -----------------------------------
#
# Every candidate setting is scored from the database's own figures (cosine similarity of
# the stored vectors, ts_rank / ts_rank_cd computed by PostgreSQL for each tsquery form) and
# the statement's logic (candidates from each list, union, blend, order) replayed in NumPy,
# so a grid of settings costs seconds instead of a full run each. The replay of the
# shipped setting is checked against the product run (``study.replay_check``).

TSQUERY_FORMS = {
    "and": "websearch_to_tsquery('english', %(qt)s)",
    "or": "replace(plainto_tsquery('english', %(qt)s)::text, ' & ', ' | ')::tsquery",
}
RANK_FUNCTIONS = ("ts_rank_cd", "ts_rank")
NORMALISATIONS = (0, 1, 2)  # none, 1 + log(length), length; "| 32" (x / (x + 1)) on top
SHARES = tuple(round(0.1 * i, 1) for i in range(11))
RRF_K = (5, 10, 30, 60)
RRF_SHARES = (0.3, 0.4, 0.5, 0.6, 0.7)  # the keyword list's weight
SIM_FLOORS = (0.0, 0.1, 0.2)  # evidence: similarity that counts as none ...
SIM_FULLS = (0.4, 0.5, 0.6)  # ... and as full
KEYWORD_FULLS = (0.25, 0.5, 1.0)  # keyword score (bm25 / best possible) that counts as full
CANDIDATES = (10, 20, 50, 100, 200)
IMPORTANCE_WEIGHTS = (0.0, 0.05, 0.10, 0.15, 0.25)
BLENDS = ("gated", "additive")  # importance and recency scale relevance, or are added to it


@dataclass(frozen=True)
class Scorer:
    form: str  # "and" | "or"
    function: str  # "ts_rank_cd" | "ts_rank" | "bm25" (what store/search.py ships)
    norm: int = 0
    k1: float = 1.2  # bm25 only
    b: float = 0.75

    @property
    def name(self) -> str:
        if self.function == "bm25":
            return f"BM25(k1 {self.k1}, b {self.b})"
        return f"{self.function}(..., {self.form.upper()}-query, {self.norm}|32)"


BM25_GRID = ((1.2, 0.75), (0.9, 0.4), (1.5, 0.75), (1.2, 0.5), (2.0, 0.75))
SCORERS = tuple(
    Scorer(form, function, norm)
    for form in TSQUERY_FORMS
    for function in RANK_FUNCTIONS
    for norm in NORMALISATIONS
) + tuple(Scorer("or", "bm25", 0, k1, b) for k1, b in BM25_GRID)


@dataclass(frozen=True)
class Setting:
    mode: str  # "vector" | "keyword" | "hybrid" | "bm25" (reference, not in the product)
    scorer: Scorer | None = None
    fusion: str = "weighted"  # or "rrf"
    share: float = 0.3  # weighted: keyword share h; rrf: weight of the keyword list
    rrf_k: int = 60
    importance: float = 0.0
    recency: float = 0.0
    dates: str = "as dated"
    # relevance scaled by the hit's evidence: (similarity floor, similarity full, keyword full)
    evidence: tuple[float, float, float] | None = None
    context_weight: float = 0.5  # of the previous message's words in BM25 (0: content only)
    # "additive": importance and recency added to relevance; "gated": they scale it
    blend: str = "gated"

    @property
    def name(self) -> str:
        text = self._base_name()
        if self.evidence is not None:
            floor, full, kw_full = self.evidence
            text += f" x evidence(sim {floor}..{full}, kw /{kw_full})"
        if self.scorer is not None and self.scorer.function == "bm25" and self.mode != "vector":
            text += f", context weight {self.context_weight}"
        if self.importance or self.recency:  # as the service's weights (relevance 0.75)
            w_imp, w_rec = round(self.importance * 0.75, 3), round(self.recency * 0.75, 3)
            text += f"; importance {w_imp}, recency {w_rec} ({self.dates})"
            text += ", scaling relevance" if self.blend == "gated" else ", added to relevance"
        return text

    def _base_name(self) -> str:
        if self.mode == "vector":
            text = "vector"
        elif self.mode == "bm25":
            text = "BM25 (k1 1.2, b 0.75) on the same lexemes"
        elif self.mode == "keyword":
            text = f"keyword {self.scorer.name if self.scorer else ''}"
        elif self.fusion == "rrf":
            scorer = self.scorer.name if self.scorer else ""
            text = f"hybrid RRF k {self.rrf_k}, keyword weight {self.share}, {scorer}"
        else:
            text = f"hybrid weighted h {self.share}, {self.scorer.name if self.scorer else ''}"
        return text


# what store/search.py computes now: its keyword scorer and hybrid fusion
SHIPPED_FUSION = "weighted"


def _shipped_setting() -> Setting:
    settings = Settings()
    weights = RankingWeights()
    return Setting(
        "hybrid",
        Scorer("or", "bm25", 0, weights.bm25_k1, weights.bm25_b),
        SHIPPED_FUSION,
        settings.ranking_hybrid_keyword_share,
    )


@dataclass
class StudyTenant:
    index: int
    dia: list[str]
    vectors: np.ndarray  # as the product embeds them (after the previous message)
    importance: np.ndarray
    age_days_now: np.ndarray  # age when the study runs (as dated: 2022-23, so ~700 days)
    age_days_recent: np.ndarray  # age at the end of the conversation's last session
    lexemes: list[dict[str, int]]  # lexeme -> term frequency (for the BM25 reference)
    context_lexemes: list[dict[str, int]]  # the same for the stored context


@dataclass
class StudyQuestion:
    conversation: int
    category: int
    evidence: tuple[str, ...]
    similarity: np.ndarray
    keyword: dict[Scorer, np.ndarray]  # raw rank (before | 32), NaN where no match
    lexemes: list[str]


def _counts(items: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        word, _, tf = item.rpartition(":")
        counts[word] = int(tf)
    return counts


async def _collect(
    runtime: Runtime,
    jobs: list[tuple[int, Question]],
    dia_of: dict[UUID, str],
    config: QualityConfig,
) -> tuple[dict[int, StudyTenant], list[StudyQuestion]]:
    tenants: dict[int, StudyTenant] = {}
    for index in sorted({i for i, _ in jobs}):
        tenant = tenant_of(index, "as dated")
        async with runtime.db.tenant(tenant) as conn:
            cur = await conn.execute(
                "select id, embedding, importance, created_at,"
                " array(select lexeme || ':' || coalesce(array_length(positions, 1), 1)"
                " from unnest(content_tsv)) as lexemes,"
                " array(select lexeme || ':' || coalesce(array_length(positions, 1), 1)"
                " from unnest(context_tsv)) as context_lexemes"
                " from messages where tenant_id = %s order by id",
                [tenant],
            )
            rows = await cur.fetchall()
        vectors = np.asarray(
            [np.asarray(r["embedding"].to_numpy(), dtype=np.float64) for r in rows]
        )
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        created = [r["created_at"] for r in rows]
        last, now = max(created), datetime.now(UTC)
        lexemes = [_counts(r["lexemes"]) for r in rows]
        context_lexemes = [_counts(r["context_lexemes"]) for r in rows]
        tenants[index] = StudyTenant(
            index=index,
            dia=[dia_of[r["id"]] for r in rows],
            vectors=vectors,
            importance=np.asarray([float(r["importance"]) for r in rows]),
            age_days_now=np.asarray([(now - c).total_seconds() / 86400 for c in created]),
            age_days_recent=np.asarray([(last - c).total_seconds() / 86400 for c in created]),
            lexemes=lexemes,
            context_lexemes=context_lexemes,
        )
    columns = ", ".join(
        f"{function}(m.content_tsv, x.q, {norm}) as {function}_{norm}"
        for function in RANK_FUNCTIONS
        for norm in NORMALISATIONS
    )
    questions: list[StudyQuestion] = []
    bar = tqdm(total=len(jobs), desc="study: scores", unit="q", disable=not config.progress)
    for index, question in jobs:
        tenant = tenants[index]
        position = {dia: i for i, dia in enumerate(tenant.dia)}
        vector = np.asarray(runtime.embedder.embed_query(question.text), dtype=np.float64)
        vector /= np.linalg.norm(vector)
        keyword: dict[Scorer, np.ndarray] = {}
        async with runtime.db.tenant(tenant_of(index, "as dated")) as conn:
            for form, expression in TSQUERY_FORMS.items():
                cur = await conn.execute(
                    f"select m.id, {columns} from messages m, (select {expression} as q) x"
                    " where m.tenant_id = %(tenant)s and m.content_tsv @@ x.q",
                    {"tenant": tenant_of(index, "as dated"), "qt": question.text},
                )
                found = await cur.fetchall()
                for function in RANK_FUNCTIONS:
                    for norm in NORMALISATIONS:
                        values = np.full(len(tenant.dia), np.nan)
                        for r in found:
                            values[position[dia_of[r["id"]]]] = float(r[f"{function}_{norm}"])
                        keyword[Scorer(form, function, norm)] = values
            cur = await conn.execute(
                "select array(select lexeme from unnest(to_tsvector('english', %s))) as l",
                [question.text],
            )
            lexeme_row = await cur.fetchone()
        questions.append(
            StudyQuestion(
                conversation=index,
                category=question.category,
                evidence=question.evidence,
                similarity=np.maximum(tenant.vectors @ vector, 0.0),
                keyword=keyword,
                lexemes=list(lexeme_row["l"]) if lexeme_row else [],
            )
        )
        bar.update(1)
    bar.close()
    return tenants, questions


def _top(values: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` largest non-NaN values, largest first (ties: lower index)."""
    candidates = np.flatnonzero(~np.isnan(values))
    order = np.argsort(-values[candidates], kind="stable")
    return np.asarray(candidates[order][:count])


_BM25_CACHE: dict[tuple[int, int, float, float, float], tuple[np.ndarray, float]] = {}


def _bm25(
    tenant: StudyTenant,
    lexemes: list[str],
    k1: float = 1.2,
    b: float = 0.75,
    context_weight: float = 0.0,
) -> tuple[np.ndarray, float]:
    """BM25 of every message of the tenant (0 where no term matches) and the query's best
    possible score (sum of idf * (k1 + 1)): what store/search.py computes in SQL, the
    stored context's words counting ``context_weight`` of a content word (BM25F)."""
    key = (id(tenant), id(lexemes), k1, b, context_weight)
    if key in _BM25_CACHE:
        return _BM25_CACHE[key]
    n = len(tenant.lexemes)
    docs = tenant.lexemes
    contexts = tenant.context_lexemes
    lengths = np.asarray(
        [
            sum(d.values()) + context_weight * sum(c.values())
            for d, c in zip(docs, contexts, strict=True)
        ],
        dtype=np.float64,
    )
    average = max(lengths.mean(), 1.0) if n else 1.0
    scores = np.zeros(n)
    best = 0.0
    for word in set(lexemes):
        tf = np.asarray(
            [
                d.get(word, 0) + context_weight * c.get(word, 0)
                for d, c in zip(docs, contexts, strict=True)
            ],
            dtype=np.float64,
        )
        df = int((tf > 0).sum())
        if df == 0:
            continue
        idf = float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
        best += idf * (k1 + 1)
        scores += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths / average))
    _BM25_CACHE[key] = (scores, best)
    return scores, best


def _keyword_scores(
    setting: Setting, tenant: StudyTenant, question: StudyQuestion, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """(raw score, NaN where the message matches no query word; score in [0, 1])."""
    scorer = setting.scorer
    if scorer is None:
        return np.full(size, np.nan), np.zeros(size)
    if scorer.function == "bm25":
        scores, best = _bm25(tenant, question.lexemes, scorer.k1, scorer.b, setting.context_weight)
        raw = np.where(scores > 0, scores, np.nan)
        return raw, (scores / best if best else np.zeros(size))
    raw = question.keyword[scorer]
    return raw, np.nan_to_num(raw / (raw + 1), nan=0.0)  # normalisation | 32


def replay(
    setting: Setting, tenant: StudyTenant, question: StudyQuestion, top_k: int, candidates: int
) -> list[str]:
    """The search statement's ordering for one question, from the collected figures."""
    similarity = question.similarity
    if setting.mode == "bm25":
        scores, _ = _bm25(tenant, question.lexemes)  # textbook: content only, 1.2 / 0.75
        return [tenant.dia[i] for i in _top(np.where(scores > 0, scores, np.nan), top_k)]
    raw, keyword = _keyword_scores(setting, tenant, question, len(similarity))
    lists = []
    keyword_order = _top(np.where(np.isnan(raw), np.nan, keyword), len(keyword))
    if setting.mode in ("vector", "hybrid"):
        lists.append(_top(similarity, candidates))
    if setting.mode in ("keyword", "hybrid"):
        lists.append(keyword_order[:candidates])
    pool = np.unique(np.concatenate(lists)) if lists else np.zeros(0, dtype=int)
    if setting.mode == "vector":
        relevance = similarity[pool]
    elif setting.mode == "keyword":
        relevance = keyword[pool]
    elif setting.fusion == "rrf":
        # the vector list is cut at ``candidates``; a keyword rank is the message's place
        # among every match (the statement ranks them all)
        vec_rank = {int(i): r for r, i in enumerate(lists[0], start=1)}
        kw_rank = {int(i): r for r, i in enumerate(keyword_order, start=1)}
        k, h = setting.rrf_k, setting.share
        relevance = np.asarray(
            [
                (1 - h) * ((k + 1) / (k + vec_rank[i]) if i in vec_rank else 0.0)
                + h * ((k + 1) / (k + kw_rank[i]) if i in kw_rank else 0.0)
                for i in pool.tolist()
            ]
        )
    else:
        relevance = (1 - setting.share) * similarity[pool] + setting.share * keyword[pool]
    if setting.evidence is not None:
        floor, full, kw_full = setting.evidence
        evidence = np.maximum((similarity[pool] - floor) / (full - floor), keyword[pool] / kw_full)
        relevance = relevance * np.clip(evidence, 0.0, 1.0)
    total = 1.0 + setting.importance + setting.recency  # relevance weight 1, then normalised
    boost = setting.importance / total * tenant.importance[pool]
    if setting.recency:
        ages = tenant.age_days_recent if setting.dates == "recent" else tenant.age_days_now
        boost = boost + setting.recency / total * 0.5 ** (ages[pool] / HALF_LIFE_DAYS)
    if setting.blend == "gated":  # relevance x (w_rel + w_imp * importance + w_rec * recency)
        score = relevance * (1.0 / total + boost)
    else:
        score = relevance / total + boost
    order = pool[np.lexsort((pool, -boost, -score))]  # ties: importance and recency, then id
    return [tenant.dia[i] for i in order[:top_k]]


def _evaluate(
    setting: Setting,
    tenants: dict[int, StudyTenant],
    questions: list[StudyQuestion],
    top_k: int = TOP_K,
    candidates: int | None = None,
) -> dict[str, Any]:
    count = candidates if candidates is not None else max(top_k * 4, 50)
    rows: list[Row] = []
    for q in questions:
        found = replay(setting, tenants[q.conversation], q, top_k, count)
        rows.append((q.conversation, q.category, [recall(found, q.evidence, k) for k in KS]))
    summary = summarise(rows)
    return {
        "setting": setting.name,
        "objective": {
            part: round(objective(summary, part), 4) for part in ("dev", "held_out", "all")
        },
        "cat1-4": summary["cat1-4"],
        "all": summary["all"],
        "split": summary["split"],
        **({"top_k": top_k, "candidates": count} if candidates is not None else {}),
    }


def study(
    tenants: dict[int, StudyTenant], questions: list[StudyQuestion], progress: bool
) -> dict[str, Any]:
    """Choose, on the dev conversations only, (1) the keyword scorer by keyword-mode recall,
    (2) the hybrid fusion given that scorer, (3) the evidence scaling of relevance given that
    fusion; then report all of them everywhere, with the rankings shipped before, the
    vectors embedded without context, the candidate count and the final blend's weights."""
    grids: dict[str, list[dict[str, Any]]] = {}
    bar = tqdm(total=6, desc="study: grids", unit="grid", disable=not progress)

    def evaluate_all(settings: list[Setting], **kwargs: Any) -> list[dict[str, Any]]:
        out = [_evaluate(s, tenants, questions, **kwargs) for s in settings]
        bar.update(1)
        return out

    def best(settings: list[Setting], rows: list[dict[str, Any]]) -> Setting:
        return max(zip(settings, rows, strict=True), key=lambda p: p[1]["objective"]["dev"])[0]

    settings_keyword = [Setting("keyword", s) for s in SCORERS] + [
        Setting("keyword", s, context_weight=w)
        for s in SCORERS
        if s.function == "bm25"
        for w in (0.0, 1.0)
    ]
    grids["keyword"] = evaluate_all(settings_keyword)
    best_scorer = best(settings_keyword, grids["keyword"]).scorer
    fusions = [Setting("hybrid", best_scorer, "weighted", h) for h in SHARES] + [
        Setting("hybrid", best_scorer, "rrf", h, k) for k in RRF_K for h in RRF_SHARES
    ]
    grids["hybrid"] = evaluate_all(fusions)
    best_fusion = best(fusions, grids["hybrid"])
    evidences = [best_fusion] + [
        replace(best_fusion, evidence=e)
        for e in itertools.product(SIM_FLOORS, SIM_FULLS, KEYWORD_FULLS)
    ]
    grids["evidence"] = evaluate_all(evidences)
    best_evidence = best(evidences, grids["evidence"])
    shipped_before = Setting("hybrid", Scorer("or", "ts_rank", 0), "rrf", 0.5, 10)
    before = Setting("hybrid", Scorer("and", "ts_rank_cd", 0), "weighted", 0.3, blend="additive")
    grids["reference"] = evaluate_all(
        [
            Setting("vector"),
            Setting("bm25"),
            replace(best_evidence, context_weight=0.0),
            replace(best_fusion, context_weight=0.0),
            shipped_before,
            before,
            replace(before, importance=0.15 / 0.75, recency=0.10 / 0.75),
        ]
    )
    grids["candidates"] = [
        _evaluate(best_evidence, tenants, questions, top_k=10, candidates=c) for c in CANDIDATES
    ]
    bar.update(1)
    grids["final_blend"] = evaluate_all(
        [
            replace(best_evidence, importance=w / 0.75, recency=r / 0.75, dates=d, blend=blend)
            for blend in BLENDS
            for w in IMPORTANCE_WEIGHTS
            for r, d in ((0.10, "as dated"), (0.10, "recent"))
        ]
        + [
            replace(best_evidence, importance=0.15 / 0.75, recency=r / 0.75, dates="recent")
            for r in (0.05, 0.20)
        ]
    )
    bar.close()
    return {
        "criterion": "mean of R@5 and R@10, categories 1-4, dev conversations 0-4",
        "dev_conversations": list(DEV),
        "chosen": {
            "keyword": best_scorer.name if best_scorer else None,
            "hybrid": best_fusion.name,
            "evidence": best_evidence.name,
        },
        "grids": grids,
    }


async def measure(config: QualityConfig, server: str) -> dict[str, Any]:
    dialogues = load_dialogues(
        config.locomo, conversations=config.conversations, questions=config.questions
    )
    jobs = _jobs(dialogues)
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
        tenant_rate_limit="1000000/minute",
        global_rate_limit="1000000/minute",
    )
    runtime = await Runtime.start(settings, run_worker=False)
    runtime.pipeline.embedder = MemoEmbedder(runtime.pipeline.embedder)
    now = datetime.now(UTC)
    from memory_mesh.http.app import create_app

    app = create_app(settings)
    app.state.runtime = runtime
    transport = httpx.ASGITransport(app=app)
    http = httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=120)
    keys: dict[str, str] = {}
    try:
        started = time.perf_counter()
        dia_of: dict[UUID, str] = {}
        tenant_sets = {("as dated", True)} | {(v.dates, v.context) for v in config.variants}
        ingest_seconds: dict[str, float] = {}
        for dates, context in sorted(tenant_sets):
            began = time.perf_counter()
            dia_of.update(await _ingest(runtime, dialogues, dates, now, keys, context=context))
            ingest_seconds[f"{dates}, {'with' if context else 'without'} context"] = round(
                time.perf_counter() - began, 1
            )
        total_ingest = time.perf_counter() - started
        variants = [
            await _measure(runtime, http, keys, jobs, dia_of, v, config) for v in config.variants
        ]
        studied = None
        if config.study:
            tenants, questions = await _collect(runtime, jobs, dia_of, config)
            studied = study(tenants, questions, config.progress)
            shipped = _shipped_setting()
            studied["replay_check"] = {
                "setting": shipped.name,
                "replayed": _evaluate(shipped, tenants, questions)["cat1-4"],
                "product": next(
                    (
                        v["cat1-4"]
                        for v in variants
                        if v["mode"] == "hybrid" and v["weights"] == "relevance" and v["context"]
                    ),
                    None,
                ),
            }
    finally:
        await http.aclose()
        await runtime.stop()
        try:
            drop_database(server, name)
        except psycopg.OperationalError as exc:  # a scratch database: never fail the run
            log.warning("could not drop %s: %s", name, exc)
    return {
        "data": {
            "conversations": len(dialogues),
            "turns": sum(len(d.turns) for d in dialogues),
            "qa_items": sum(len(d.questions) for d in dialogues),
            "questions_with_evidence": len(jobs),
            "ingest_seconds": round(total_ingest, 1),
            "ingest_seconds_by_set": ingest_seconds,
            "top_k": TOP_K,
            "ks": list(KS),
            "categories": CATEGORIES,
            "dev_conversations": [i for i in DEV if i < len(dialogues)],
            "held_out_conversations": [i for i in range(len(dialogues)) if i not in DEV],
        },
        "model": {"provider": runtime.embedder.info.provider, "model": runtime.embedder.info.model},
        "references": REFERENCES,
        "variants": variants,
        "study": studied,
    }


def run(config: QualityConfig) -> dict[str, Any]:
    started = time.perf_counter()
    config.work_dir.mkdir(parents=True, exist_ok=True)
    previous = config.out / "quality.json"
    before = None
    if previous.is_file():  # figures of the shipped-before ranking travel from run to run
        before = json.loads(previous.read_text("utf-8")).get("before")
    with embedded_server(config.work_dir / "search-db") as server:
        results: dict[str, Any] = {"command": config.command, "machine": describe(server)}
        results["quality"] = asyncio.run(measure(config, server))
    results["machine"]["load_average_at_end"] = load_average()
    results["duration_seconds"] = round(time.perf_counter() - started, 1)
    if before is not None:
        results["before"] = before
    write(results, config.out, plots=config.plots)
    return results


def parse(argv: list[str]) -> QualityConfig:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__)
    parser.add_argument("--conversations", type=int, help="first N conversations (all)")
    parser.add_argument("--questions", type=int, help="first N questions of each (all)")
    parser.add_argument(
        "--no-study", dest="study", action="store_false", help="product variants only"
    )
    parser.add_argument("--no-plots", dest="plots", action="store_false")
    cli.add_common_arguments(parser, RESULTS_DIR)
    args = parser.parse_args(argv)
    return cli.from_args(QualityConfig, args, **cli.common_fields(args, "bench.quality", argv))


def main(argv: list[str] | None = None) -> None:
    config = cli.start(parse, argv)
    results = run(config)
    print(f"wrote {config.out / 'quality.json'} and {config.out / 'quality.md'}")
    for v in results["quality"]["variants"]:
        r = v["cat1-4"] or {}
        print(f"{v['variant']:<60} cat1-4 R@5 {percent(r.get('5'))}  R@10 {percent(r.get('10'))}")
    studied = results["quality"].get("study")
    if studied:
        print("chosen:", studied["chosen"])


if __name__ == "__main__":
    main()
