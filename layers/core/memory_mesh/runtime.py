"""The composition root: builds every long-lived part from :class:`Settings` once.

``Runtime.start`` is used by the local server, the CLI and each Lambda function alike;
nothing else constructs databases, embedders or services.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

import anyio

from memory_mesh.config import Settings
from memory_mesh.domain.importance import ImportanceWeights
from memory_mesh.domain.ranking import RankingWeights
from memory_mesh.domain.validation import Limits
from memory_mesh.embeddings import Embedder, build_embedder
from memory_mesh.observability.metrics import MetricsRecorder, NullMetrics, build_metrics
from memory_mesh.queue.base import JobQueue
from memory_mesh.queue.inprocess import InProcessQueue
from memory_mesh.ratelimit.limiter import RateLimiter
from memory_mesh.realtime.bus import EventBus, LocalBus, RedisBus
from memory_mesh.realtime.hub import Hub
from memory_mesh.realtime.publisher import EventPublisher
from memory_mesh.services.auth import AuthService
from memory_mesh.services.conversations import ConversationService
from memory_mesh.services.embedding import EmbeddingPipeline, EmbeddingPolicy, EmbeddingWorker
from memory_mesh.services.health import HealthService
from memory_mesh.services.idempotency import IdempotencyService
from memory_mesh.services.messages import MessageService
from memory_mesh.services.tokens import NoTokens, TokenIssuer
from memory_mesh.store.database import Credentials, Database
from memory_mesh.store.embedded import start_embedded_postgres
from memory_mesh.store.migrations import migrate

if TYPE_CHECKING:  # built on first use: a Lambda function builds only what its area uses
    from memory_mesh.services.analytics import AnalyticsService
    from memory_mesh.services.retention import RetentionScheduler, RetentionService
    from memory_mesh.services.search import SearchService  # and numpy with it
    from memory_mesh.services.transfer import TransferService

log = logging.getLogger(__name__)


def limits_from(settings: Settings) -> Limits:
    return Limits(
        max_content_chars=settings.max_content_chars,
        max_metadata_bytes=settings.max_metadata_bytes,
        max_batch_size=settings.max_batch_size,
        max_top_k=settings.max_top_k,
        max_page_size=settings.max_page_size,
    )


def database_url(settings: Settings) -> str:
    """The configured server, or the embedded one (started now if needed)."""
    return settings.database_url or start_embedded_postgres(settings.data_dir)


def build_queue(settings: Settings, worker: EmbeddingWorker) -> JobQueue:
    """Where new embedding jobs are announced: SQS when ``MEMORY_SQS_QUEUE_URL`` is set
    (the embedding function consumes it), else the in-process worker."""
    if settings.sqs_queue_url:
        from memory_mesh.queue.sqs import SqsQueue

        return SqsQueue.create(
            settings.sqs_queue_url,
            region=settings.aws_region,
            endpoint_url=settings.sqs_endpoint_url,
            ids_per_message=settings.sqs_ids_per_message,
        )
    return InProcessQueue(worker.notify)


def jwt_secret(settings: Settings) -> str:
    """The configured signing key, or (outside production) one generated once and kept in
    MEMORY_DATA_DIR, so every local process and restart shares it."""
    if settings.jwt_secret_key is not None:
        return settings.jwt_secret_key.get_secret_value()
    path = settings.data_dir / "jwt-secret"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # written whole under a name of its own, then linked into place: processes starting
        # together (two servers on one data directory) all read the one that got there
        # first, never a half-written file (one of them failed at start with "File exists")
        draft = path.with_name(f".jwt-secret-{os.getpid()}-{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
            os.link(draft, path)
        except FileExistsError:
            pass  # another process's secret is in place: it is the one
        finally:
            draft.unlink(missing_ok=True)
    return path.read_text().strip()


def build_event_bus(settings: Settings, hub: Hub) -> EventBus:
    """Where message events go: the live-events queue for the pusher function (AWS),
    Redis pub/sub shared by every server process, or this process only."""
    if settings.events_queue_url and settings.redis_url:
        from memory_mesh.realtime.queue_publisher import QueueEventBus

        return QueueEventBus.create(hub, settings)
    if settings.redis_url:
        return RedisBus(hub, settings.redis_url, timeout=settings.redis_timeout_seconds)
    return LocalBus(hub)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    embedder: Embedder
    pipeline: EmbeddingPipeline
    worker: EmbeddingWorker
    messages: MessageService
    conversations: ConversationService
    health: HealthService
    auth: AuthService
    limiter: RateLimiter
    hub: Hub
    bus: EventBus
    metrics: MetricsRecorder = field(default_factory=NullMetrics)
    retention_schedule: RetentionScheduler | None = None
    _retention: RetentionService | None = field(default=None, repr=False)
    _analytics: AnalyticsService | None = field(default=None, repr=False)
    _search: SearchService | None = field(default=None, repr=False)

    @classmethod
    async def start(
        cls,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        run_worker: bool = True,
        metrics: MetricsRecorder | None = None,
        wait_for_database: bool = True,
        credentials: Credentials | None = None,
    ) -> Runtime:
        """Connect (starting the embedded database if no URL is set), migrate, build.
        ``metrics``: a recorder to use instead of the one MEMORY_METRICS_BACKEND names.
        ``wait_for_database`` False (Lambda): start even while the database is unreachable;
        requests then answer 503 until it is back. ``credentials`` (Lambda): the pool
        asks them for each new connection instead of using the settings' URL."""
        url = await anyio.to_thread.run_sync(database_url, settings)
        if settings.auto_migrate:
            await anyio.to_thread.run_sync(
                lambda: migrate(url, dimensions=settings.embedding_dimensions)
            )
        db = Database(
            credentials if credentials is not None else url,
            min_size=settings.db_pool_min_size,
            max_size=settings.db_pool_max_size,
            statement_timeout_ms=settings.db_statement_timeout_ms,
            pool_timeout=settings.db_pool_timeout_seconds,
        )
        await db.open(wait=wait_for_database)
        if embedder is None:
            embedder = await anyio.to_thread.run_sync(build_embedder, settings)
        limits = limits_from(settings)
        recorder = metrics if metrics is not None else build_metrics(settings)
        hub = Hub(on_count=recorder.websocket_connections.set)  # this process's subscribers
        bus = build_event_bus(settings, hub)
        publisher = EventPublisher(bus, db)
        pipeline = EmbeddingPipeline(
            db,
            embedder,
            EmbeddingPolicy(
                batch_size=settings.embedding_batch_size,
                max_attempts=settings.embedding_max_attempts,
                retry_base_seconds=settings.embedding_retry_base_seconds,
                embed_context=settings.embedding_context,
            ),
            on_embedded=publisher.messages_embedded,
            metrics=recorder,
        )
        worker = EmbeddingWorker(pipeline, settings.embedding_worker_poll_seconds)
        limiter = RateLimiter(
            settings.redis_url,
            cluster=settings.redis_cluster,
            timeout=settings.redis_timeout_seconds,
        )
        access_ttl = timedelta(seconds=settings.jwt_access_ttl_seconds)
        issuer = (
            TokenIssuer(await anyio.to_thread.run_sync(jwt_secret, settings), access_ttl)
            if settings.tokens
            else NoTokens(access_ttl)  # functions that never see a token hold no key
        )
        runtime = cls(
            settings=settings,
            db=db,
            embedder=embedder,
            pipeline=pipeline,
            worker=worker,
            messages=MessageService(
                db,
                pipeline,
                limits=limits,
                importance=ImportanceWeights(
                    user=settings.importance_weight_user,
                    assistant=settings.importance_weight_assistant,
                    system=settings.importance_weight_system,
                    tool=settings.importance_weight_tool,
                    content=settings.importance_content_weight,
                ),
                inline=settings.embedding_mode == "inline",
                queue=build_queue(settings, worker),
                on_change=publisher.messages_changed,
                metrics=recorder,
                context_chars=settings.message_context_chars,
            ),
            conversations=ConversationService(db, limits),
            health=HealthService(
                db, embedder, limiter, redis_required=settings.readiness_redis_required, bus=bus
            ),
            auth=AuthService(
                db,
                issuer,
                limiter,
                password_min_length=settings.password_min_length,
                refresh_ttl=timedelta(days=settings.jwt_refresh_ttl_days),
                login_rule=settings.login_rate_limit,
                open_tenant_claim=settings.tenant_open_claim,
                metrics=recorder,
                principal_ttl_seconds=settings.auth_cache_seconds,
            ),
            limiter=limiter,
            hub=hub,
            bus=bus,
            metrics=recorder,
        )
        await bus.start()
        if run_worker:
            worker.start()
        if run_worker and settings.retention_schedule_seconds > 0:
            from memory_mesh.services.retention import RetentionScheduler

            runtime.retention_schedule = RetentionScheduler(
                runtime.retention, settings.retention_schedule_seconds
            )
            runtime.retention_schedule.start()
        return runtime

    @property
    def retention(self) -> RetentionService:
        """Retention rules and the default policy (built on first use)."""
        if self._retention is None:
            from memory_mesh.domain.retention import DefaultPolicy
            from memory_mesh.services.retention import RetentionService

            settings = self.settings
            self._retention = RetentionService(
                self.db,
                policy=DefaultPolicy(
                    max_age_days=settings.retention_max_age_days,
                    importance_threshold=settings.retention_importance_threshold,
                    delete_archived_after_days=settings.retention_delete_archived_after_days,
                ),
                batch_size=settings.retention_batch_size,
                limits=limits_from(settings),
                context_chars=settings.message_context_chars,
            )
        return self._retention

    @property
    def search(self) -> SearchService:
        """Semantic search (built on first use: only the functions that search load numpy)."""
        if self._search is None:
            from memory_mesh.services.search import SearchService
            from memory_mesh.store.search import SearchPlanConfig

            settings = self.settings
            self._search = SearchService(
                self.db,
                self.embedder,
                weights=RankingWeights(
                    relevance=settings.ranking_relevance_weight,
                    importance=settings.ranking_importance_weight,
                    recency=settings.ranking_recency_weight,
                    half_life_days=settings.ranking_recency_half_life_days,
                    hybrid_keyword_share=settings.ranking_hybrid_keyword_share,
                ),
                plan=SearchPlanConfig(
                    dimensions=settings.embedding_dimensions,
                    exact_max_rows=settings.search_exact_max_rows,
                    ef_search=settings.search_hnsw_ef_search,
                    candidate_multiplier=settings.search_candidate_multiplier,
                ),
                limits=limits_from(settings),
                metrics=self.metrics,
            )
        return self._search

    @property
    def analytics(self) -> AnalyticsService:
        """Usage and trends (built on first use)."""
        if self._analytics is None:
            from memory_mesh.services.analytics import AnalyticsService

            self._analytics = AnalyticsService(
                self.db, max_span_days=self.settings.analytics_max_span_days
            )
        return self._analytics

    @property
    def transfer(self) -> TransferService:
        """Export and import, over this runtime's message service (stateless)."""
        from memory_mesh.services.transfer import TransferService

        return TransferService(self.db, self.messages, limits_from(self.settings))

    @property
    def idempotency(self) -> IdempotencyService:
        """Idempotency keys over this runtime's database (stateless)."""
        return IdempotencyService(
            self.db,
            ttl_seconds=self.settings.idempotency_ttl_hours * 3600,
            lock_seconds=self.settings.idempotency_lock_seconds,
        )

    async def stop(self) -> None:
        """Stop every part in turn, each within ``STOP_PART_SECONDS``: shutdown ends even
        when a part hangs (see :func:`stop_parts`)."""
        parts: list[tuple[str, Callable[[], Awaitable[object]]]] = []
        if self.retention_schedule is not None:
            parts.append(("retention schedule", self.retention_schedule.stop))
        parts += [
            ("embedding worker", self.worker.stop),
            ("event bus", self.bus.stop),
            ("rate limiter", self.limiter.close),
            ("database", self.db.close),
        ]
        await stop_parts(parts, STOP_PART_SECONDS)


# how long one part may take to stop before shutdown moves on without it
STOP_PART_SECONDS = 15.0


async def stop_parts(
    parts: Sequence[tuple[str, Callable[[], Awaitable[object]]]], seconds: float
) -> list[str]:
    """Await each part's stop in turn, giving up on one after ``seconds`` (it is
    cancelled and logged, and the next part still stops): a part that hangs (a Redis or
    database that accepts connections and never answers) must not keep the process from
    ending. An error still propagates, after the remaining parts have stopped. Returns the
    parts given up on."""
    abandoned: list[str] = []
    error: BaseException | None = None
    for name, stop in parts:
        try:
            with anyio.move_on_after(seconds) as scope:
                await stop()
        except Exception as exc:
            error = error or exc
            continue
        if scope.cancelled_caught:
            log.warning("%s did not stop within %.0f s; shutdown goes on without it", name, seconds)
            abandoned.append(name)
    if error is not None:
        raise error
    return abandoned
