"""TenantRateLimiter: Graph's service communications budget (240 a minute, 800 an hour, per tenant), on an
injected clock whose sleep moves time forward."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import pytest

from msapi.ratelimit import TenantRateLimiter

TENANT_A = "9c4e2b7a-3d1f-4a8e-b6c5-2f0e1d3c4b01"
TENANT_B = "2e8d4f6a-5b3c-4e1d-9f7a-6b5c4d3e2f01"


@dataclass
class FakeTime:
    """A clock that only moves when told to or when someone sleeps."""

    now: float = 0.0
    waits: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def limiter_on(fake: FakeTime) -> TenantRateLimiter:
    """The default limits on the fake clock."""
    return TenantRateLimiter(clock=fake.clock, sleep=fake.sleep)


async def test_240_calls_in_a_minute_go_at_once_and_the_241st_waits_for_the_oldest_to_leave() -> None:
    fake = FakeTime()
    limiter = limiter_on(fake)
    for _ in range(240):
        await limiter.acquire(TENANT_A)
        fake.now += 0.1  # 240 calls within 24 seconds

    assert fake.waits == []
    await limiter.acquire(TENANT_A)  # at t=24.0; the first (t=0) leaves the window at t=60

    assert fake.waits == [pytest.approx(36.0)]
    assert fake.now == pytest.approx(60.0)


async def test_801st_call_within_an_hour_waits_although_no_minute_was_full() -> None:
    fake = FakeTime()
    limiter = limiter_on(fake)
    for _ in range(800):
        await limiter.acquire(TENANT_A)
        fake.now += 4.0  # 15 a minute, 800 within 3,200 seconds

    assert fake.waits == []
    await limiter.acquire(TENANT_A)  # at t=3200; the first (t=0) leaves the hour at t=3600

    assert fake.waits == [pytest.approx(400.0)]


async def test_tenants_have_their_own_windows() -> None:
    fake = FakeTime()
    limiter = limiter_on(fake)
    for _ in range(240):
        await limiter.acquire(TENANT_A)

    await limiter.acquire(TENANT_B)
    assert fake.waits == []
    assert limiter.pending(TENANT_A) == pytest.approx(60.0)
    assert limiter.pending(TENANT_B) == 0.0

    await limiter.acquire(TENANT_A)
    assert fake.waits == [pytest.approx(60.0)]


async def test_tenant_ids_are_compared_case_insensitively() -> None:
    fake = FakeTime()
    limiter = TenantRateLimiter(limits=((1, 10.0),), clock=fake.clock, sleep=fake.sleep)

    await limiter.acquire(TENANT_A.upper())
    await limiter.acquire(TENANT_A)

    assert fake.waits == [pytest.approx(10.0)]


async def test_concurrent_callers_never_overbook_a_window() -> None:
    limiter = TenantRateLimiter(limits=((3, 0.3),))
    granted: list[float] = []

    async def one() -> None:
        await limiter.acquire(TENANT_A)
        granted.append(time.monotonic())

    await asyncio.gather(*(one() for _ in range(7)))

    granted.sort()
    # Any four consecutive grants span at least the window (a little slack for timer granularity).
    assert all(granted[i + 3] - granted[i] >= 0.29 for i in range(len(granted) - 3))


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError):
        TenantRateLimiter(limits=((0, 60.0),))
    with pytest.raises(ValueError):
        TenantRateLimiter(limits=())
