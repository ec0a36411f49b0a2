"""Moving-window rate limits (the ``limits`` library), shared through Redis.

With ``MEMORY_REDIS_URL`` unset the counts live in this process's memory (a warning at
start: several processes would each allow the full rate). When Redis goes away mid-run
the limiter FAILS OPEN to its in-memory counts — requests keep being served and limited
per process (each process allows the full rate, counted from zero) — logs a warning, and
tries Redis again on the first request after ``retry_seconds`` (5 s); once Redis answers,
counts are shared again (from what Redis holds) and that is logged too. A memory service
that stops answering because its rate-limit store blinked would be worse than one that
limits a little less exactly for a while.
"""

from __future__ import annotations

import logging
import math
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisClusterStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from memory_mesh.observability.xray import subsegment
from memory_mesh.redis_clients import limits_storage

log = logging.getLogger(__name__)


def _traced(redis: bool, operation: str) -> AbstractContextManager[None]:
    """An X-Ray subsegment (Lambda only) around a call that goes to Redis."""
    return subsegment("redis", operation=f"ratelimit.{operation}") if redis else nullcontext()


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_after: float  # seconds until the window frees a slot

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_after))


class RateLimiter:
    def __init__(
        self,
        redis_url: str | None,
        *,
        retry_seconds: float = 5.0,
        cluster: bool = False,
        timeout: float = 0.5,
    ) -> None:
        """``cluster``: ``redis_url`` is a cluster-mode Redis (MEMORY_REDIS_CLUSTER);
        ``timeout``: bound on connecting and on each reply, so a hung Redis fails open
        like a refusing one."""
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._redis: MovingWindowRateLimiter | None = None
        self._redis_storage: Storage | None = None
        self._redis_down_until = 0.0
        self._fell_back = False  # Redis failed; logged once, and again when it is back
        self.retry_seconds = retry_seconds
        if redis_url:
            uri, options = limits_storage(redis_url, cluster=cluster, timeout=timeout)
            if cluster:
                self._redis_storage = RedisClusterStorage(
                    uri, implementation="redispy", wrap_exceptions=True, **options
                )
            else:
                # a pooled connection left from before a Redis restart fails once on use:
                # reconnect and retry at once rather than fall back for retry_seconds
                options["retry"] = Retry(NoBackoff(), retries=1)
                self._redis_storage = RedisStorage(
                    uri, implementation="redispy", wrap_exceptions=True, **options
                )
            self._redis = MovingWindowRateLimiter(self._redis_storage)
        else:
            log.warning("MEMORY_REDIS_URL is not set: rate limits are counted in this process only")

    @property
    def backend(self) -> str:
        if self._redis is None:
            return "memory"
        return "memory-fallback" if time.monotonic() < self._redis_down_until else "redis"

    async def hit(self, rule: str, key: str, cost: int = 1) -> Decision:
        """Count one request of ``key`` against ``rule`` (e.g. "120/minute")."""
        item = parse(rule)
        limiter = self._pick()
        try:
            with _traced(limiter is not self._memory, "hit"):
                decision = await self._hit(limiter, item, key, cost)
        except Exception as exc:
            if limiter is self._memory:
                raise
            self._redis_failed(exc)
            return await self._hit(self._memory, item, key, cost)
        if limiter is not self._memory:
            self._redis_answered()
        return decision

    async def test(self, rule: str, key: str) -> Decision:
        """Whether ``key`` is still under ``rule``, without counting a hit."""
        item = parse(rule)
        limiter = self._pick()
        try:
            with _traced(limiter is not self._memory, "test"):
                allowed = await limiter.test(item, key)
                stats = await limiter.get_window_stats(item, key)
        except Exception as exc:
            if limiter is self._memory:
                raise
            self._redis_failed(exc)
            limiter = self._memory
            allowed = await limiter.test(item, key)
            stats = await limiter.get_window_stats(item, key)
        else:
            if limiter is not self._memory:
                self._redis_answered()
        return Decision(
            allowed, item.amount, stats.remaining, max(0.0, stats.reset_time - time.time())
        )

    async def clear(self, rule: str, key: str) -> None:
        item = parse(rule)
        for limiter in (self._redis, self._memory):
            if limiter is None:
                continue
            try:
                await limiter.clear(item, key)
            except Exception:  # best effort: a failed clear only keeps an old count
                log.debug("could not clear rate limit %s for %s", rule, key)

    async def ping(self) -> bool:
        if self._redis_storage is None:
            return True
        try:
            return bool(await self._redis_storage.check())
        except Exception:
            return False

    async def close(self) -> None:
        client = getattr(getattr(self._redis_storage, "bridge", None), "storage", None)
        if client is not None:
            await client.aclose()

    def _redis_failed(self, exc: Exception) -> None:
        self._redis_down_until = time.monotonic() + self.retry_seconds
        if not self._fell_back:
            log.warning("Redis rate-limit store unavailable, using in-memory counts: %s", exc)
            self._fell_back = True

    def _redis_answered(self) -> None:
        if self._fell_back:
            log.warning("Redis rate-limit store is back: limits are shared again")
            self._fell_back = False

    def _pick(self) -> MovingWindowRateLimiter:
        if self._redis is not None and time.monotonic() >= self._redis_down_until:
            return self._redis
        return self._memory

    @staticmethod
    async def _hit(
        limiter: MovingWindowRateLimiter, item: RateLimitItem, key: str, cost: int
    ) -> Decision:
        allowed = await limiter.hit(item, key, cost=cost)
        stats = await limiter.get_window_stats(item, key)
        return Decision(
            allowed=allowed,
            limit=item.amount,
            remaining=max(0, stats.remaining),
            reset_after=max(0.0, stats.reset_time - time.time()),
        )
