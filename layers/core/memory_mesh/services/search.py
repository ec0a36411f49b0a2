"""Search by meaning, keywords or both, ranked by relevance, importance and recency.

The query is embedded (cached), the plan chosen from the scope's size, and candidates
found and ranked in one SQL statement (store/search.py), sent with its transaction in one
round trip. A scope's plan is remembered (:data:`LARGE_SCOPE_SECONDS` for the HNSW plan,
:data:`SMALL_SCOPE_SECONDS` for the exact one), so searches do not count its rows every
time; so are a scope's BM25 statistics (a large scope's counted on their own, which costs
more than the search itself; a smaller one's as its last search's statement counted them,
from :data:`REMEMBERED_STATS_MIN_DOCS` messages), and a conversation's UUID by its
external id (no lookup before the statement). In hybrid
mode an unavailable embedder degrades the search to keywords (reported as ``degraded``)
instead of failing.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from psycopg import AsyncCursor

from memory_mesh.domain.conversation_ref import parse_conversation_ref
from memory_mesh.domain.models import SearchHit, SearchMode, SearchQuery
from memory_mesh.domain.ranking import RankingWeights
from memory_mesh.domain.validation import (
    Limits,
    check_metadata,
    check_min_score,
    check_query,
    check_time_range,
    check_top_k,
    check_utc_offset,
)
from memory_mesh.embeddings import Embedder, EmbeddingError, QueryVector
from memory_mesh.embeddings.aio import embed_query_async
from memory_mesh.errors import ServiceUnavailable
from memory_mesh.observability.metrics import NULL_METRICS, MetricsRecorder
from memory_mesh.observability.xray import subsegment
from memory_mesh.services.conversation_refs import resolve_many
from memory_mesh.services.principal_cache import TtlCache
from memory_mesh.store import search as store
from memory_mesh.store.database import Conn, Database
from memory_mesh.store.search import SearchPlanConfig

log = logging.getLogger(__name__)

# how long a scope counted above its exact limit is taken as still above it: a scope is
# counted up to ~exact_max_rows index entries, which costs as much as the HNSW walk it
# leads to; the bound on how long a large scope emptied (by deletion) keeps that plan
LARGE_SCOPE_SECONDS = 60.0
# how long a scope counted within its exact limit is searched exactly without counting:
# the exact plan is complete at any size, so a scope grown meanwhile (at most this long)
# costs a slower scan, never a hit. A minute, as a large scope's: a chatbot searches a
# conversation once a user turn, seconds to minutes apart, and a search whose plan is not
# remembered pays the count, a statement read mid-pipeline (1.2-1.6 ms of its database
# part over a 1,500-turn conversation: bench/results/plan_memo.md); it was 5 s
SMALL_SCOPE_SECONDS = 60.0
# how long a conversation's UUID is remembered by its external id, so a search naming it
# so reads no lookup first (a round trip of its own): an external id never changes, and a
# conversation deleted and created again under it has a new UUID, under which the
# remembered one finds nothing; a search that finds nothing under a remembered UUID asks
# again (:meth:`SearchService.search`)
CONVERSATION_ID_SECONDS = 300.0
# the smallest scope whose BM25 statistics (its messages, their average length), counted
# by a keyword or hybrid statement, are remembered for SMALL_SCOPE_SECONDS and given to
# its next searches instead of counted again: counting 1,500 rows took 0.9 ms of a
# keyword search's 3.1 (1.1 of hybrid's 5.7; in process). From this size a minute's
# writes to a conversation move the statistics by about 1%, and they only weigh words
# against each other; a smaller scope costs little to count and is counted every time
REMEMBERED_STATS_MIN_DOCS = 1000


@dataclass(frozen=True)
class ScopePlan:
    """How a scope is searched: its vector candidates' ``plan`` (``exact`` or ``hnsw``),
    and whether it is ``large`` (more than ``exact_max_rows`` rows: its keyword matches
    are then found through the GIN indexes, its BM25 statistics counted once a while)."""

    plan: str
    large: bool


@dataclass(frozen=True)
class _Sent:
    """A search sent in a pipeline: its plan, the cursor its results are read from once
    the pipeline is synced (None: nothing to search), and the key under which the BM25
    statistics its statement counts are to be remembered (None: given, or not kept)."""

    plan: str
    pending: AsyncCursor[dict[str, Any]] | None
    stats_key: tuple[Any, ...] | None = None


@dataclass
class SearchOutcome:
    hits: list[SearchHit]
    plan: str
    mode: SearchMode
    degraded: bool = False
    # where the search's time went, in milliseconds: ``embedding`` (the query's vector,
    # from the cache or the model; absent in keyword mode) and ``database`` (checkout,
    # plan choice and statement, hits read); the HTTP answer's Server-Timing header
    timings: dict[str, float] = field(default_factory=dict)


class SearchService:
    def __init__(
        self,
        db: Database,
        embedder: Embedder,
        *,
        weights: RankingWeights,
        plan: SearchPlanConfig,
        limits: Limits,
        metrics: MetricsRecorder = NULL_METRICS,
        large_scope_seconds: float = LARGE_SCOPE_SECONDS,
        small_scope_seconds: float = SMALL_SCOPE_SECONDS,
        conversation_id_seconds: float = CONVERSATION_ID_SECONDS,
        remembered_stats_min_docs: int = REMEMBERED_STATS_MIN_DOCS,
    ) -> None:
        self.db = db
        self.embedder = embedder
        self.weights = weights
        self.plan = plan
        self.limits = limits
        self.metrics = metrics
        # (tenant, conversation or None) -> the plan its size called for when counted
        self._scope_plans: TtlCache[ScopePlan] = TtlCache(large_scope_seconds)
        self._small_scope_seconds = small_scope_seconds
        # a scope's filters -> its BM25 statistics when counted (:meth:`_scope_stats`): a
        # large scope's by a statement of their own, a smaller one's by its last search
        self._scope_statistics: TtlCache[store.ScopeStats] = TtlCache(large_scope_seconds)
        self._remembered_stats_min_docs = remembered_stats_min_docs
        # (tenant, external id) -> the UUID of the tenant's conversation of that id
        self._conversation_ids: TtlCache[UUID] = TtlCache(conversation_id_seconds)

    async def search(self, query: SearchQuery) -> SearchOutcome:
        self._validate(query)
        started = time.perf_counter()
        mode = query.mode
        vector: QueryVector | None = None
        degraded = False
        timings: dict[str, float] = {}
        if mode is not SearchMode.keyword:
            try:
                with subsegment("embedding", provider=self.embedder.info.provider, texts=1):
                    vector = await self._embed_query(query.query)
                timings["embedding"] = _ms_since(started)
            except EmbeddingError as exc:
                if mode is SearchMode.vector:
                    raise ServiceUnavailable(
                        f"the embedding provider is unavailable: {exc}", code=exc.code
                    ) from exc
                log.warning("hybrid search degraded to keyword: %s", exc)
                mode, degraded = SearchMode.keyword, True
        database_started = time.perf_counter()
        effective = replace(query, mode=mode)
        # one round trip when the scope's plan is remembered: BEGIN, the tenant, the plan's
        # settings, the statement and COMMIT sent together, the hits read after
        async with self.db.tenant_pipeline(query.tenant_id) as conn:
            conversation, remembered = await self._conversation(conn, effective)
            sent = await self._send(conn, effective, conversation, vector)
        hits = await self._read(sent)
        if remembered and not hits:
            # the conversation remembered by its external id may be gone, and another
            # created under that id since: asked for again, searched if it is another
            async with self.db.tenant_pipeline(query.tenant_id) as conn:
                current, _ = await self._conversation(conn, effective, remembered=False)
                if current is not None and current != conversation:
                    sent = await self._send(conn, effective, current, vector)
                else:
                    sent = _Sent(sent.plan, None)
            hits = await self._read(sent)
        timings["database"] = _ms_since(database_started)
        seconds = time.perf_counter() - started
        self.metrics.search(mode=mode.value, plan=sent.plan, seconds=seconds, degraded=degraded)
        return SearchOutcome(
            hits=hits, plan=sent.plan, mode=mode, degraded=degraded, timings=timings
        )

    async def _send(
        self,
        conn: Conn,
        query: SearchQuery,
        conversation_id: UUID | None,
        vector: QueryVector | None,
    ) -> _Sent:
        """Send the search's statements in ``conn``'s pipeline, scoped to the UUID of its
        conversation filter (:meth:`_conversation`)."""
        if query.conversation_id is not None and conversation_id is None:
            return _Sent("exact", None)  # no conversation of that id: nothing stored (yet)
        scoped = replace(query, conversation_id=conversation_id)
        scope = await self._choose_plan(conn, scoped)
        indexed = store.indexed_keywords_apply(scope.plan, large_scope=scope.large)
        postings = store.postings_apply(scoped)
        key = None if scoped.mode is SearchMode.vector else _stats_key(scoped)
        stats = await self._scope_stats(conn, scoped, key, large=indexed)
        pending = await store.start_search(
            conn,
            query=scoped,
            query_vector=vector,
            model=self.embedder.info.model,
            weights=self.weights,
            config=self.plan,
            plan=scope.plan,
            indexed_keywords=indexed,
            postings=postings,
            scope_stats=stats,
        )
        return _Sent(scope.plan, pending, key if stats is None else None)

    async def _read(self, sent: _Sent) -> list[SearchHit]:
        """The hits of a search :meth:`_send` sent; the BM25 statistics its statement
        counted remembered for :data:`SMALL_SCOPE_SECONDS` when the scope holds at least
        :data:`REMEMBERED_STATS_MIN_DOCS` messages (never refreshed by the searches they
        are given to: they are counted again once that time is up)."""
        if sent.pending is None:
            return []
        hits, stats = await store.read_results(sent.pending)
        if (
            sent.stats_key is not None
            and stats is not None
            and stats.docs >= self._remembered_stats_min_docs
        ):
            self._scope_statistics.put(
                sent.stats_key, stats, at_most_seconds=self._small_scope_seconds
            )
        return hits

    async def _embed_query(self, text: str) -> QueryVector:
        """The query's vector: a cache hit answered on the event loop (a worker thread's
        hand-off costs more than the lookup); a miss runs the model in a thread, once per
        batch of concurrent queries (embeddings/aio.py, the query cache's async path)."""
        return await embed_query_async(self.embedder, text)

    async def _conversation(
        self, conn: Conn, query: SearchQuery, *, remembered: bool = True
    ) -> tuple[UUID | None, bool]:
        """The UUID of the conversation filter (None when there is no filter or the
        tenant has no conversation of that external id), and whether it was
        ``remembered`` from an earlier search rather than read. A UUID is taken as it is,
        unread: the statement's tenant filter finds nothing for another tenant's or a
        missing one."""
        if query.conversation_id is None:
            return None, False
        ref = parse_conversation_ref(query.conversation_id)
        if isinstance(ref, UUID):
            return ref, False
        key = (query.tenant_id, ref)
        if remembered and (known := self._conversation_ids.get(key)) is not None:
            return known, True
        found = (await resolve_many(conn, query.tenant_id, [ref], create=False)).get(ref)
        if found is None:
            self._conversation_ids.forget(key)  # none yet: its first message creates it
        else:
            self._conversation_ids.put(key, found)
        return found, False

    async def _choose_plan(self, conn: Conn, query: SearchQuery) -> ScopePlan:
        """``exact`` for a scope within :func:`~memory_mesh.store.search.exact_limit`,
        else ``hnsw``, and whether the scope holds more than ``exact_max_rows`` rows
        (``large``: a conversation may, and still be searched exactly); counted cheaply
        first, further only for a large narrowed scope, and not at all while the scope's
        plan is remembered."""
        key = (query.tenant_id, query.conversation_id)
        remembered = self._scope_plans.get(key)
        if remembered is not None:
            return remembered
        narrowed = query.conversation_id is not None
        first_cap = self.plan.exact_max_rows + 1
        size = await store.scope_size(conn, query, first_cap)
        large = size.rows >= first_cap
        limit = store.exact_limit(self.plan.exact_max_rows, size.table_rows, narrowed=narrowed)
        if large and limit > self.plan.exact_max_rows:
            size = await store.scope_size(conn, query, limit + 1)
        if size.rows <= limit:
            scope = ScopePlan("exact", large)
            self._scope_plans.put(key, scope, at_most_seconds=self._small_scope_seconds)
            return scope
        scope = ScopePlan("hnsw", large=True)
        self._scope_plans.put(key, scope)
        return scope

    async def _scope_stats(
        self, conn: Conn, query: SearchQuery, key: tuple[Any, ...] | None, *, large: bool
    ) -> store.ScopeStats | None:
        """BM25's statistics of a scope searched by keywords: a ``large`` scope's counted
        once per :data:`LARGE_SCOPE_SECONDS` (a million rows take ~0.17 s to count, the
        search itself a few ms); a smaller one's as its last search's statement counted
        them, if remembered (:meth:`_read`); None where the statement counts them itself,
        or needs none (vector mode). The statistics only weigh words against each other:
        a scope grown meanwhile ranks as it did. ``key``: the scope's (:func:`_stats_key`),
        None in vector mode."""
        if key is None:
            return None
        stats = self._scope_statistics.get(key)
        if stats is None and large:
            stats = await store.scope_statistics(conn, query, self.weights.context_weight)
            self._scope_statistics.put(key, stats)
        return stats

    def _validate(self, query: SearchQuery) -> None:
        check_query(query.query, self.limits)
        check_top_k(query.top_k, self.limits)
        if query.conversation_id is not None:
            parse_conversation_ref(query.conversation_id)
        check_utc_offset(query.created_after, "created_after")
        check_utc_offset(query.created_before, "created_before")
        check_metadata(query.metadata, self.limits, field="metadata")
        check_min_score(query.min_score)
        check_time_range(query.created_after, query.created_before)


def _stats_key(query: SearchQuery) -> tuple[Any, ...]:
    """The filters that make a search's scope, by which its BM25 statistics are kept."""
    return (
        query.tenant_id,
        query.conversation_id,
        query.role,
        query.created_after,
        query.created_before,
        json.dumps(query.metadata, sort_keys=True),
        query.include_archived,
    )


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
