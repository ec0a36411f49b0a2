"""Liveness and readiness: readiness checks each dependency and reports its latency.

Dependencies: the database and the embedder (always required), and Redis when
``MEMORY_REDIS_URL`` is set (required unless ``MEMORY_READINESS_REDIS_REQUIRED=false``;
without it the rate limits are in-memory and the check says so). With the Redis event
bus (the local server with Redis), ``realtime`` reports whether this process's listener
is subscribed, i.e. hears the events of the other processes (required like Redis).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import anyio

from memory_mesh.embeddings import Embedder, circuit_state
from memory_mesh.ratelimit.limiter import RateLimiter
from memory_mesh.realtime.bus import EventBus, RedisBus
from memory_mesh.store.database import Database


@dataclass
class Check:
    name: str
    ok: bool
    latency_ms: float
    detail: str | None = None
    required: bool = True  # a failed optional check is reported but keeps readiness


class HealthService:
    def __init__(
        self,
        db: Database,
        embedder: Embedder,
        limiter: RateLimiter | None = None,
        *,
        redis_required: bool = True,
        bus: EventBus | None = None,
    ) -> None:
        self.db = db
        self.embedder = embedder
        self.limiter = limiter
        self.redis_required = redis_required
        self.bus = bus

    async def readiness(self) -> tuple[bool, list[Check]]:
        checks = [await self._check_database(), await self._check_embedder()]
        if self.limiter is not None:
            checks.append(await self._check_redis(self.limiter))
        if isinstance(self.bus, RedisBus):
            checks.append(self._check_realtime(self.bus))
        return all(c.ok or not c.required for c in checks), checks

    def _check_realtime(self, bus: RedisBus) -> Check:
        required = self.redis_required
        if bus.subscribed:
            return Check("realtime", True, 0.0, "listener subscribed: events from every process")
        detail = "listener not subscribed: events reach this process's subscribers only"
        return Check(
            "realtime",
            False,
            0.0,
            detail if required else detail + " (optional)",
            required=required,
        )

    async def _check_redis(self, limiter: RateLimiter) -> Check:
        if limiter.backend == "memory":
            return Check("redis", True, 0.0, "not configured: in-memory rate limits (one process)")
        start = time.perf_counter()
        ok = False
        with anyio.move_on_after(3):
            ok = await limiter.ping()
        required = self.redis_required
        if ok:
            return Check("redis", True, _ms(start), "rate limits shared through Redis")
        detail = "unreachable: rate limits fall back to per-process counts"
        return Check(
            "redis",
            False,
            _ms(start),
            detail if required else detail + " (optional)",
            required=required,
        )

    async def _check_database(self) -> Check:
        start = time.perf_counter()
        try:
            with anyio.fail_after(3):
                await self.db.ping()
        except Exception as exc:
            return Check("database", False, _ms(start), f"{type(exc).__name__}: {exc}")
        return Check("database", True, _ms(start))

    async def _check_embedder(self) -> Check:
        start = time.perf_counter()
        info = self.embedder.info
        detail: dict[str, Any] = {"provider": info.provider, "model": info.model}
        state = circuit_state(self.embedder)
        if state is not None:
            # a remote provider: its circuit breaker knows, and a probe would cost a call
            ok = state != "open"
            return Check(
                "embedder", ok, _ms(start), f"{info.provider}/{info.model} circuit {state}"
            )
        try:
            with anyio.fail_after(10):
                # documents bypass the query cache, so the model really runs
                await anyio.to_thread.run_sync(self.embedder.embed_documents, ["readiness"])
        except Exception as exc:
            return Check("embedder", False, _ms(start), f"{type(exc).__name__}: {exc}")
        return Check("embedder", True, _ms(start), f"{detail['provider']}/{detail['model']}")


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
