"""After Graph or Partner Center answers 429 for one tenant, no request goes to that tenant until the wait it
named is over, while other tenants carry on; a wait longer than the policy allows fails at once. The real clients
over HTTPS against the emulator, on a clock the test moves."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from emulator import demo
from emulator.state import Fault
from msapi.errors import GraphError, PartnerCenterError
from msapi.graph import GraphClient
from msapi.partner_center import PartnerCenterClient
from msapi.retry import RetryPolicy
from msapi.throttle import ThrottleGate
from tests.msapi.graph_rig import ANNOUNCEMENTS, GRAPH_SCOPE, GraphRig
from tests.msapi.sr_rig import SCOPE as PC_SCOPE
from tests.msapi.sr_rig import SrRig

FABRIKAM, NORTHWIND = demo.FABRIKAM.tenant_id, demo.NORTHWIND.tenant_id
ISSUES = ANNOUNCEMENTS + "/issues"
CUSTOMERS_PATH = "/partnercenter/v1/customers"


class ParkedSleep:
    """A sleep that returns only when the test lets time pass (`advance`), so a test can look at what other calls
    do while one is waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []
        self._parked: list[tuple[float, asyncio.Future[None]]] = []

    def clock(self) -> float:
        return self.now

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        wake = asyncio.get_running_loop().create_future()
        self._parked.append((self.now + seconds, wake))
        await wake

    @property
    def parked(self) -> int:
        """Sleeps not yet over."""
        return sum(1 for _, wake in self._parked if not wake.done())

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass: sleeps due by then return."""
        self.now += seconds
        for due, wake in self._parked:
            if due <= self.now + 1e-6 and not wake.done():
                wake.set_result(None)


async def until(condition: Callable[[], bool], what: str) -> None:
    """Let real I/O (the emulator's answers) run until `condition` holds; at most ten seconds."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never: {what}")


def statuses(rig: GraphRig | SrRig, path: str, tenant: str | None = None) -> list[int]:
    """Statuses of the requests the emulator answered under `path` (for `tenant`)."""
    return [seen.status for seen in rig.state.requests(path) if tenant is None or seen.tenant == tenant]


async def test_graph_429_holds_the_tenants_other_calls_until_retry_after_and_not_other_tenants(
    graph_rig: GraphRig,
) -> None:
    graph_rig.state.inject(Fault(path=ISSUES, status=429, retry_after="5", tenant=FABRIKAM))
    time = ParkedSleep()
    gate = ThrottleGate(clock=time.clock, sleep=time)
    client = GraphClient(graph_rig.http, graph_rig.tokens(), graph_rig.base, GRAPH_SCOPE, sleep=time, gate=gate)
    await client.health_overviews(FABRIKAM)  # tokens first: what follows is about the throttled call only

    first = asyncio.create_task(client.issues(FABRIKAM))
    await until(lambda: time.parked == 1, "the throttled call waits its Retry-After")
    second = asyncio.create_task(client.issues(FABRIKAM))
    await until(lambda: time.parked == 2 or second.done(), "the second call waits or finishes")

    assert not second.done(), "a call to the throttled tenant went out before Retry-After was over"
    assert statuses(graph_rig, ISSUES, FABRIKAM) == [429]
    assert len(await client.issues(NORTHWIND)) == 2, "another tenant carries on"

    time.advance(5)
    assert [i.id for i in await first] == [i.id for i in await second] == ["EX987654"]
    assert statuses(graph_rig, ISSUES, FABRIKAM) == [429, 200, 200]
    assert time.waits == [5.0, 5.0], "the throttled call waited its Retry-After, the other the rest of it"


async def test_graph_retry_after_beyond_the_ceiling_fails_this_and_later_calls_at_once(graph_rig: GraphRig) -> None:
    graph_rig.state.inject(Fault(path=ISSUES, status=429, retry_after="3600", tenant=FABRIKAM))
    client = graph_rig.client()
    assert RetryPolicy().max_retry_after < 3600

    with pytest.raises(GraphError) as caught:
        await client.issues(FABRIKAM)
    assert caught.value.status == 429
    with pytest.raises(GraphError) as later:
        await client.issues(FABRIKAM)

    assert later.value.status == 429
    assert statuses(graph_rig, ISSUES, FABRIKAM) == [429], "the later call never reached Graph"
    assert graph_rig.sleeps.waits == [], "nobody was parked for an hour"
    assert len(await client.issues(NORTHWIND)) == 2


async def test_partner_center_429_holds_the_partners_other_calls(sr_rig: SrRig) -> None:
    sr_rig.state.inject(Fault(path=CUSTOMERS_PATH, status=429, retry_after="7"))
    time = ParkedSleep()
    client = PartnerCenterClient(
        sr_rig.http,
        sr_rig.tokens(),
        f"{sr_rig.server.base_url}/partnercenter",
        PC_SCOPE,
        partner_tenant_id=demo.PARTNER.tenant_id,
        sleep=time,
        gate=ThrottleGate(clock=time.clock, sleep=time),
    )
    await client.support_topics()  # the token first

    first = asyncio.create_task(client.customers())
    await until(lambda: time.parked == 1, "the throttled call waits its Retry-After")
    second = asyncio.create_task(client.subscriptions(FABRIKAM))
    await until(lambda: time.parked == 2 or second.done(), "the second call waits or finishes")

    assert not second.done(), "a Partner Center call went out before Retry-After was over"
    time.advance(7)
    assert len(await first) == len(demo.CUSTOMERS)
    assert await second
    assert statuses(sr_rig, CUSTOMERS_PATH) == [429, 200, 200]


async def test_partner_center_retry_after_beyond_the_ceiling_fails_later_calls_at_once(sr_rig: SrRig) -> None:
    sr_rig.state.inject(Fault(path=CUSTOMERS_PATH, status=429, retry_after="3600"))
    client = sr_rig.client()

    with pytest.raises(PartnerCenterError):
        await client.customers()
    with pytest.raises(PartnerCenterError) as later:
        await client.customers()

    assert later.value.status == 429
    assert statuses(sr_rig, CUSTOMERS_PATH) == [429]
    assert sr_rig.sleeps.waits == []
