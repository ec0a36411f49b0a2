"""Background tasks stop for good (memory_mesh.tasks.cancel_and_wait)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from memory_mesh.tasks import cancel_and_wait


async def _swallows_one_cancellation(entered: asyncio.Event, resumed: list[str]) -> None:
    """Loses the first cancellation, as a library retrying a 'timed out' connect does,
    and then waits again like a loop on its queue."""
    entered.set()
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        assert task is not None
        task.uncancel()  # what a timeout turned into an error and retried leaves behind
        resumed.append("resumed")
    await asyncio.Event().wait()


async def test_a_task_that_loses_its_cancellation_is_cancelled_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    entered = asyncio.Event()
    resumed: list[str] = []
    task = asyncio.create_task(_swallows_one_cancellation(entered, resumed), name="stubborn")
    await entered.wait()
    with caplog.at_level(logging.WARNING, logger="memory_mesh.tasks"):
        await asyncio.wait_for(cancel_and_wait([task], recancel_seconds=0.05), timeout=30)
    assert resumed == ["resumed"]  # the first cancellation was lost indeed
    assert task.cancelled()
    assert "stubborn ran on after being cancelled" in caplog.text


async def test_a_plain_cancel_would_have_waited_forever() -> None:
    """The control: without a second cancellation the same task does not end."""
    entered = asyncio.Event()
    task = asyncio.create_task(_swallows_one_cancellation(entered, []))
    await entered.wait()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=0.3)
    assert not done
    await cancel_and_wait([task])


async def test_ended_and_failed_tasks_are_waited_for_and_their_errors_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def fails() -> None:
        raise ValueError("boom")

    async def returns() -> None:
        return None

    failing = asyncio.create_task(fails(), name="failing")
    finished = asyncio.create_task(returns())
    await asyncio.sleep(0)  # both run to their end
    with caplog.at_level(logging.WARNING, logger="memory_mesh.tasks"):
        await cancel_and_wait([failing, finished, None])
    assert failing.done() and finished.done()
    assert "task failing had failed: ValueError('boom')" in caplog.text


async def test_cancelling_the_caller_cancels_the_wait() -> None:
    stubborn = True

    async def swallows_every_cancellation() -> None:
        while stubborn:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(3600)

    hopeless = asyncio.create_task(swallows_every_cancellation())
    waiter = asyncio.create_task(cancel_and_wait([hopeless], recancel_seconds=0.05))
    await asyncio.sleep(0.2)
    assert not waiter.done()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    stubborn = False  # let it go, so that the test leaves no task behind
    await cancel_and_wait([hopeless])
    assert hopeless.done()
