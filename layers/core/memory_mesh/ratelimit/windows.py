"""Moving-window counts, one hit answered in one step: in this process's memory, or in
Redis by one Lua script call.

A rule ("120/minute") allows ``limit`` hits within any ``expiry`` seconds: a hit is
allowed while fewer than ``limit`` hits of its key fall in the last ``expiry`` seconds.
The answer carries what the response headers need: hits left, and when the oldest hit
in the window leaves it.

Redis holds a key's hits as the ``limits`` library's moving window does (a list of hit
times, newest first, capped at ``limit``, under ``LIMITS:<item key>``), so servers of an
earlier release sharing the Redis count the same hits. Counting there cost two round
trips a rule (the hit, then the window's statistics): one script does both. In memory,
the ``limits`` store moved each key's expiry into a worker thread on every request,
which cost a search more than its statement (bench/results/concurrency_throughput.md).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem

#: The ``limits`` library's Redis key prefix (shared counts with servers that used it).
REDIS_PREFIX = "LIMITS"

# KEYS[1]: the window's list, newest first. ARGV: now, limit, expiry, cost (0: only look).
# Returns {allowed (0/1), hits in the window, oldest hit in the window (or now)}.
HIT_SCRIPT = """
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local expiry = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local allowed = 0
if cost <= limit then
    local blocking = redis.call('lindex', KEYS[1], limit - cost)
    if cost == 0 or not (blocking and tonumber(blocking) >= now - expiry) then
        allowed = 1
        if cost > 0 then
            for _ = 1, cost do
                redis.call('lpush', KEYS[1], ARGV[1])
            end
            redis.call('ltrim', KEYS[1], 0, limit - 1)
            redis.call('expire', KEYS[1], expiry)
        end
    end
end
local low, high, found = 0, redis.call('llen', KEYS[1]) - 1, -1
while low <= high do
    local mid = math.floor((low + high) / 2)
    if tonumber(redis.call('lindex', KEYS[1], mid)) >= now - expiry then
        found = mid
        low = mid + 1
    else
        high = mid - 1
    end
end
if found < 0 then
    return {allowed, 0, ARGV[1]}
end
return {allowed, found + 1, redis.call('lindex', KEYS[1], found)}
"""


@dataclass(frozen=True)
class WindowAnswer:
    allowed: bool
    hits: int  # in the window, this hit included when allowed
    oldest: float  # time of the oldest hit in the window (now, when there is none)


class MemoryWindows:
    """Each key's hit times in a deque (oldest first); keys idle longer than their
    window are dropped once a minute. Runs on the event loop: no locks, no threads."""

    SWEEP_SECONDS = 60.0

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._windows: dict[str, tuple[int, deque[float]]] = {}
        self._sweep_at = clock() + self.SWEEP_SECONDS

    def hit(self, item: RateLimitItem, key: str, cost: int) -> WindowAnswer:
        now = self._clock()
        if now >= self._sweep_at:
            self._sweep(now)
        expiry = item.get_expiry()
        name = item.key_for(key)
        found = self._windows.get(name)
        if found is None:
            if cost == 0:
                return WindowAnswer(True, 0, now)
            found = self._windows[name] = (expiry, deque())
        hits = found[1]
        while hits and hits[0] < now - expiry:
            hits.popleft()
        allowed = cost <= item.amount and len(hits) + cost <= item.amount
        if allowed:
            hits.extend([now] * cost)
        return WindowAnswer(allowed, len(hits), hits[0] if hits else now)

    def clear(self, item: RateLimitItem, key: str) -> None:
        self._windows.pop(item.key_for(key), None)

    def __len__(self) -> int:
        """Keys with a window kept."""
        return len(self._windows)

    def _sweep(self, now: float) -> None:
        self._sweep_at = now + self.SWEEP_SECONDS
        idle = [
            name
            for name, (expiry, hits) in self._windows.items()
            if not hits or hits[-1] < now - expiry
        ]
        for name in idle:
            del self._windows[name]


class RedisWindows:
    """The same counts in Redis, one script call per hit (``client``: a ``redis.asyncio``
    client or cluster client; a window is one key, so any cluster slot serves it)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._script = client.register_script(HIT_SCRIPT)

    async def hit(self, item: RateLimitItem, key: str, cost: int) -> WindowAnswer:
        now = time.time()
        name = f"{REDIS_PREFIX}:{item.key_for(key)}"
        allowed, hits, oldest = await self._script(
            keys=[name], args=[now, item.amount, item.get_expiry(), cost]
        )
        return WindowAnswer(bool(allowed), int(hits), float(oldest))

    async def clear(self, item: RateLimitItem, key: str) -> None:
        await self.client.delete(f"{REDIS_PREFIX}:{item.key_for(key)}")

    async def ping(self) -> bool:
        return bool(await self.client.ping())

    async def close(self) -> None:
        await self.client.aclose()
