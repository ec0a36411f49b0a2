"""Shutdown ends even when a part hangs (memory_mesh.runtime.stop_parts)."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from memory_mesh.runtime import stop_parts


async def test_a_hanging_part_is_given_up_and_the_rest_still_stop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stopped: list[str] = []

    async def hangs() -> None:
        await asyncio.Event().wait()  # never set

    async def stops(name: str) -> None:
        stopped.append(name)

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="memory_mesh.runtime"):
        abandoned = await stop_parts(
            [("bus", hangs), ("limiter", lambda: stops("limiter")), ("db", lambda: stops("db"))],
            0.2,
        )
    assert abandoned == ["bus"]
    assert stopped == ["limiter", "db"]
    assert time.monotonic() - started < 10  # bounded, not a timing claim
    assert "bus did not stop within" in caplog.text


async def test_an_error_propagates_after_every_other_part_stopped() -> None:
    stopped: list[str] = []

    async def fails() -> None:
        raise RuntimeError("close failed")

    async def stops() -> None:
        stopped.append("db")

    with pytest.raises(RuntimeError, match="close failed"):
        await stop_parts([("bus", fails), ("db", stops)], 5)
    assert stopped == ["db"]


async def test_parts_that_stop_are_not_reported() -> None:
    async def stops() -> None:
        await asyncio.sleep(0)

    assert await stop_parts([("a", stops), ("b", stops)], 5) == []
