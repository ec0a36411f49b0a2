"""Rate limits on a real Redis: 429 with Retry-After at the limit, and the documented
fail-open when Redis goes away mid-run (in-memory counts until it is back)."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from limits import parse
from limits.aio.storage import RedisClusterStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

from memory_mesh.embeddings import Embedder
from memory_mesh.http.app import create_app
from memory_mesh.ratelimit.limiter import RateLimiter
from memory_mesh.runtime import Runtime
from tests.conftest import RedisServer, http_client, make_settings, make_tenant


async def _runtime(
    database_url: str, embedder: Embedder, redis_url: str, *, cluster: bool = False
) -> Runtime:
    settings = make_settings(
        database_url, redis_url=redis_url, redis_cluster=cluster, tenant_rate_limit="5/minute"
    )
    return await Runtime.start(settings, embedder=embedder, run_worker=False)


def _app(runtime: Runtime) -> FastAPI:
    app = create_app(runtime.settings)
    app.state.runtime = runtime
    return app


async def test_the_tenant_limit_answers_429_with_retry_after(
    database_url: str, local_embedder: Embedder, any_redis: tuple[RedisServer, bool]
) -> None:
    redis_server, cluster = any_redis  # plain, and cluster mode as on ElastiCache Serverless
    runtime = await _runtime(database_url, local_embedder, redis_server.url, cluster=cluster)
    try:
        _tenant, key = await make_tenant(runtime)
        async with http_client(_app(runtime), key) as http:
            answers = [await http.get("/v1/conversations") for _ in range(7)]
        assert [r.status_code for r in answers] == [200] * 5 + [429] * 2
        assert [r.headers["x-ratelimit-remaining"] for r in answers[:5]] == [
            "4",
            "3",
            "2",
            "1",
            "0",
        ]
        refused = answers[5]
        assert refused.json()["code"] == "rate_limited"
        assert 0 < int(refused.headers["retry-after"]) <= 60
        assert runtime.limiter.backend == "redis"
    finally:
        await runtime.stop()


async def test_losing_redis_mid_run_fails_open_to_in_memory_limits(
    database_url: str, local_embedder: Embedder
) -> None:
    redis = RedisServer()
    runtime = await _runtime(database_url, local_embedder, redis.url)
    try:
        _tenant, key = await make_tenant(runtime)
        async with http_client(_app(runtime), key) as http:
            assert (await http.get("/v1/conversations")).status_code == 200
            assert runtime.limiter.backend == "redis"
            redis.stop()
            # requests keep being served, counted in memory, and still limited
            answers = [await http.get("/v1/conversations") for _ in range(7)]
            assert runtime.limiter.backend == "memory-fallback"
            codes = [r.status_code for r in answers]
            assert codes[:5] == [200] * 5 and codes[-1] == 429
    finally:
        await runtime.stop()


async def test_redis_counts_are_the_limits_librarys_so_servers_of_either_kind_share_them(
    any_redis: tuple[RedisServer, bool],
) -> None:
    """One script call per hit now, where the ``limits`` library made two; the hits are
    kept as it kept them, so during a rolling deploy old and new servers count together."""
    server, cluster = any_redis
    url = server.url.replace("redis://", "async+redis+cluster://" if cluster else "async+redis://")
    storage_class = RedisClusterStorage if cluster else RedisStorage
    storage = storage_class(url, implementation="redispy")
    theirs = MovingWindowRateLimiter(storage)
    ours = RateLimiter(server.url, cluster=cluster)
    key = f"k-{uuid.uuid4().hex[:8]}"
    item = parse("4/minute")
    try:
        assert await theirs.hit(item, key)
        assert await theirs.hit(item, key)
        mine = await ours.hit("4/minute", key)
        assert (mine.allowed, mine.remaining) == (True, 1)
        assert 55 < mine.reset_after <= 60  # from the library's first hit
        assert await theirs.hit(item, key)
        refused = await ours.hit("4/minute", key)
        assert (refused.allowed, refused.remaining) == (False, 0)
        assert not await theirs.hit(item, key)
        stats = await theirs.get_window_stats(item, key)
        assert stats.remaining == 0
        assert not (await ours.test("4/minute", key)).allowed
        assert ours.backend == "redis"
    finally:
        await ours.clear("4/minute", key)
        await ours.close()
        await storage.bridge.storage.aclose()
