"""Moving-window rate limits (rules as the ``limits`` library parses them, counted by
``windows.py``), shared through Redis.

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
from functools import lru_cache

from limits import RateLimitItem, parse

from memory_mesh.observability.xray import subsegment
from memory_mesh.ratelimit.windows import MemoryWindows, RedisWindows, WindowAnswer
from memory_mesh.redis_clients import async_client

log = logging.getLogger(__name__)

#: "120/minute" -> its item, parsed once (every request names its rules again)
_rule = lru_cache(maxsize=64)(parse)


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
        self._memory = MemoryWindows()
        self._redis: RedisWindows | None = None
        self._redis_down_until = 0.0
        self._fell_back = False  # Redis failed; logged once, and again when it is back
        self.retry_seconds = retry_seconds
        if redis_url:
            # a pooled connection left from before a Redis restart fails once on use:
            # reconnect and retry at once rather than fall back for retry_seconds
            client = async_client(redis_url, cluster=cluster, timeout=timeout, retry_once=True)
            self._redis = RedisWindows(client)
        else:
            log.warning("MEMORY_REDIS_URL is not set: rate limits are counted in this process only")

    @property
    def backend(self) -> str:
        if self._redis is None:
            return "memory"
        return "memory-fallback" if time.monotonic() < self._redis_down_until else "redis"

    async def hit(self, rule: str, key: str, cost: int = 1) -> Decision:
        """Count one request of ``key`` against ``rule`` (e.g. "120/minute")."""
        item = _rule(rule)
        answer = await self._count(item, key, cost, "hit")
        return _decision(item, answer, answer.allowed)

    async def test(self, rule: str, key: str) -> Decision:
        """Whether ``key`` is still under ``rule``, without counting a hit."""
        item = _rule(rule)
        answer = await self._count(item, key, 0, "test")
        return _decision(item, answer, answer.hits < item.amount)

    async def clear(self, rule: str, key: str) -> None:
        item = _rule(rule)
        self._memory.clear(item, key)
        if self._redis is not None:
            try:
                await self._redis.clear(item, key)
            except Exception:  # best effort: a failed clear only keeps an old count
                log.debug("could not clear rate limit %s for %s", rule, key)

    async def ping(self) -> bool:
        if self._redis is None:
            return True
        try:
            return await self._redis.ping()
        except Exception:
            return False

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.close()

    async def _count(self, item: RateLimitItem, key: str, cost: int, what: str) -> WindowAnswer:
        """The window's answer from Redis, or from memory while Redis is away."""
        if self._redis is None or time.monotonic() < self._redis_down_until:
            return self._memory.hit(item, key, cost)
        try:
            with _traced(True, what):
                answer = await self._redis.hit(item, key, cost)
        except Exception as exc:
            self._redis_failed(exc)
            return self._memory.hit(item, key, cost)
        self._redis_answered()
        return answer

    def _redis_failed(self, exc: Exception) -> None:
        self._redis_down_until = time.monotonic() + self.retry_seconds
        if not self._fell_back:
            log.warning("Redis rate-limit store unavailable, using in-memory counts: %s", exc)
            self._fell_back = True

    def _redis_answered(self) -> None:
        if self._fell_back:
            log.warning("Redis rate-limit store is back: limits are shared again")
            self._fell_back = False


def _decision(item: RateLimitItem, answer: WindowAnswer, allowed: bool) -> Decision:
    return Decision(
        allowed=allowed,
        limit=item.amount,
        remaining=max(0, item.amount - answer.hits),
        reset_after=max(0.0, answer.oldest + item.get_expiry() - time.time()),
    )
