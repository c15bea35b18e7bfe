"""SingleFlight: one run of the work per key in flight, its result or failure for every waiter, nothing kept."""

from __future__ import annotations

import asyncio

import pytest

from msapi.singleflight import SingleFlight


class Work:
    """Work that waits to be released, counting its runs."""

    def __init__(self) -> None:
        self.runs = 0
        self.release = asyncio.Event()
        self.fail: Exception | None = None

    async def __call__(self) -> int:
        self.runs += 1
        await self.release.wait()
        if self.fail is not None:
            raise self.fail
        return self.runs


async def test_waiters_for_one_key_share_one_run() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    work = Work()

    waiters = [asyncio.create_task(flights.run("a", work)) for _ in range(3)]
    await asyncio.sleep(0)
    work.release.set()

    assert await asyncio.gather(*waiters) == [1, 1, 1]
    assert work.runs == 1


async def test_a_failure_reaches_every_waiter_and_the_next_call_runs_again() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    work = Work()
    work.fail = RuntimeError("no")

    waiters = [asyncio.create_task(flights.run("a", work)) for _ in range(2)]
    await asyncio.sleep(0)
    work.release.set()
    outcomes = await asyncio.gather(*waiters, return_exceptions=True)

    assert outcomes[0] is outcomes[1] is work.fail
    work.fail = None
    assert await flights.run("a", work) == 2, "the failure was not kept"


async def test_other_keys_do_not_wait() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    stuck, free = Work(), Work()
    free.release.set()

    held = asyncio.create_task(flights.run("a", stuck))
    await asyncio.sleep(0)

    assert await flights.run("b", free) == 1
    assert not held.done()
    stuck.release.set()
    assert await held == 1


async def test_a_cancelled_waiter_leaves_the_run_to_the_others() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    work = Work()

    leaving = asyncio.create_task(flights.run("a", work))
    staying = asyncio.create_task(flights.run("a", work))
    await asyncio.sleep(0)
    leaving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leaving
    work.release.set()

    assert await staying == 1
    assert work.runs == 1
