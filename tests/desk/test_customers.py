"""CustomerDirectory: caching for ttl, refresh on a miss at most once per window, lookups by tenant and domain."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from desk.customers import Customer, CustomerDirectory

FABRIKAM = Customer(
    "9C4E2B7A-3D1F-4A8E-B6C5-2F0E1D3C4B01", "Fabrikam, Inc.", ("Fabrikam.onmicrosoft.com", "fabrikam.com")
)
NORTHWIND = Customer("2e8d4f6a-5b3c-4e1d-9f7a-6b5c4d3e2f01", "Northwind Traders", ("northwindtraders.onmicrosoft.com",))
TAILSPIN = Customer("6d3f5a7b-9c1e-4d3f-a5b7-8c9d0e1f2a01", "Tailspin Toys", ("tailspintoys.onmicrosoft.com",))


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Source:
    """A customer source that counts its calls and serves whatever list it currently holds."""

    def __init__(self, *customers: Customer) -> None:
        self.customers = list(customers)
        self.calls = 0

    async def __call__(self) -> Sequence[Customer]:
        self.calls += 1
        await asyncio.sleep(0)  # let concurrent lookups interleave
        return list(self.customers)


def directory(source: Source, clock: Clock, ttl: float = 900, miss_refresh: float = 60) -> CustomerDirectory:
    """A directory over `source` on `clock`."""
    return CustomerDirectory(source, ttl=ttl, miss_refresh=miss_refresh, monotonic=clock)


async def test_loads_once_and_serves_from_cache_within_ttl() -> None:
    source, clock = Source(FABRIKAM, NORTHWIND), Clock()
    customers = directory(source, clock)

    assert await customers.by_tenant(FABRIKAM.tenant_id) == FABRIKAM
    clock.now = 899
    assert await customers.by_tenant(NORTHWIND.tenant_id) == NORTHWIND
    assert await customers.by_email("someone@northwindtraders.onmicrosoft.com") == NORTHWIND
    assert [c.name for c in await customers.all()] == ["Fabrikam, Inc.", "Northwind Traders"]

    assert source.calls == 1


async def test_refreshes_after_ttl() -> None:
    source, clock = Source(FABRIKAM, NORTHWIND), Clock()
    customers = directory(source, clock)
    assert await customers.by_tenant(NORTHWIND.tenant_id) == NORTHWIND

    source.customers = [FABRIKAM]  # Northwind left the partner
    clock.now = 900
    assert await customers.by_tenant(FABRIKAM.tenant_id) == FABRIKAM  # a hit, but the cache is stale: reload

    assert source.calls == 2
    assert [c.name for c in await customers.all()] == ["Fabrikam, Inc."]


async def test_a_miss_refreshes_at_most_once_per_miss_refresh_window() -> None:
    source, clock = Source(FABRIKAM), Clock()
    customers = directory(source, clock, ttl=900, miss_refresh=60)

    assert await customers.by_tenant(TAILSPIN.tenant_id) is None  # first load; no second load for the miss
    assert source.calls == 1

    source.customers = [FABRIKAM, TAILSPIN]  # a new customer signs up
    clock.now = 30
    assert await customers.by_tenant(TAILSPIN.tenant_id) is None  # within the window: no reload
    assert await customers.by_email("pradeep@tailspintoys.onmicrosoft.com") is None
    assert source.calls == 1

    clock.now = 60
    assert await customers.by_tenant(TAILSPIN.tenant_id) == TAILSPIN  # window over: the miss reloads
    assert source.calls == 2

    clock.now = 100
    assert await customers.by_tenant("00000000-0000-0000-0000-000000000000") is None
    assert await customers.by_email("nobody@unknown.example") is None
    assert source.calls == 2  # the last reload was at 60

    clock.now = 120
    assert await customers.by_email("nobody@unknown.example") is None
    assert source.calls == 3


async def test_hits_never_refresh_before_ttl() -> None:
    source, clock = Source(FABRIKAM), Clock()
    customers = directory(source, clock, ttl=900, miss_refresh=60)
    for moment in (0, 61, 300, 899):
        clock.now = moment
        assert await customers.by_tenant(FABRIKAM.tenant_id) == FABRIKAM
    assert source.calls == 1


async def test_concurrent_first_lookups_load_once() -> None:
    source, clock = Source(FABRIKAM, NORTHWIND), Clock()
    customers = directory(source, clock)

    found = await asyncio.gather(*(customers.by_tenant(NORTHWIND.tenant_id) for _ in range(5)))

    assert found == [NORTHWIND] * 5
    assert source.calls == 1


async def test_lookup_by_tenant_is_case_insensitive() -> None:
    customers = directory(Source(FABRIKAM, NORTHWIND), Clock())

    assert await customers.by_tenant("9c4e2b7a-3d1f-4a8e-b6c5-2f0e1d3c4b01") == FABRIKAM
    assert await customers.by_tenant("9C4E2B7A-3D1F-4A8E-B6C5-2F0E1D3C4B01") == FABRIKAM
    assert await customers.by_tenant("2E8D4F6A-5B3C-4E1D-9F7A-6B5C4D3E2F01") == NORTHWIND


async def test_lookup_by_email_domain() -> None:
    customers = directory(Source(FABRIKAM, NORTHWIND), Clock())

    assert await customers.by_email("Megan.Bowen@FABRIKAM.onmicrosoft.com") == FABRIKAM
    assert await customers.by_email("adele@fabrikam.com") == FABRIKAM  # a second domain of the same customer
    assert await customers.by_email("nestor@northwindtraders.onmicrosoft.com") == NORTHWIND
    assert await customers.by_email("someone@sub.fabrikam.com") is None  # no sub-domain matching
    assert await customers.by_email("someone@woodgrovebank.onmicrosoft.com") is None


async def test_empty_email_is_no_customer_and_loads_nothing() -> None:
    source = Source(FABRIKAM)
    customers = directory(source, Clock())

    assert await customers.by_email("") is None
    assert await customers.by_email("megan@") is None
    assert source.calls == 0


class FailingSource(Source):
    """A source that fails while `down` is set."""

    def __init__(self, *customers: Customer) -> None:
        super().__init__(*customers)
        self.down = False

    async def __call__(self) -> Sequence[Customer]:
        if self.down:
            self.calls += 1
            raise RuntimeError("Partner Center unavailable")
        return await super().__call__()


async def test_keeps_serving_the_last_list_while_the_source_fails() -> None:
    source, clock = FailingSource(FABRIKAM), Clock()
    customers = directory(source, clock, ttl=900, miss_refresh=60)
    assert await customers.by_tenant(FABRIKAM.tenant_id) == FABRIKAM
    source.down = True
    clock.now = 1000  # past the ttl: a refresh is due and fails

    assert await customers.by_tenant(FABRIKAM.tenant_id) == FABRIKAM
    calls_after_failure = source.calls
    clock.now = 1030  # within the retry window: no new attempt
    assert await customers.by_tenant(FABRIKAM.tenant_id) == FABRIKAM
    assert source.calls == calls_after_failure
    source.down = False
    source.customers.append(NORTHWIND)
    clock.now = 1061  # the window passed: the next lookup refreshes
    assert await customers.by_tenant(NORTHWIND.tenant_id) == NORTHWIND


async def test_first_load_failure_is_raised() -> None:
    source = FailingSource(FABRIKAM)
    source.down = True
    customers = directory(source, Clock())
    try:
        await customers.by_tenant(FABRIKAM.tenant_id)
    except RuntimeError as error:
        assert "unavailable" in str(error)
    else:
        raise AssertionError("a first load that fails must raise")


async def test_a_failed_first_load_is_not_repeated_by_every_waiting_lookup() -> None:
    # Before any list is loaded, lookups waiting for a load that fails would each load again in turn: with Partner
    # Center down or hanging at start-up, the tenth customer to write would wait for ten failed loads.
    source, clock = FailingSource(FABRIKAM), Clock()
    source.down = True
    customers = directory(source, clock)

    failures = await asyncio.gather(
        *(customers.by_tenant(FABRIKAM.tenant_id) for _ in range(10)), return_exceptions=True
    )

    assert all(isinstance(failure, RuntimeError) for failure in failures)
    assert source.calls == 1
    clock.now = 5  # still within the pause after a failed first load: no new attempt
    with pytest.raises(RuntimeError):
        await customers.all()
    assert source.calls == 1
    source.down = False
    clock.now = 11  # the pause is over: the next lookup loads
    assert await customers.by_tenant(FABRIKAM.tenant_id) == FABRIKAM
