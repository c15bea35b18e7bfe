"""The emulator's injected faults answer in the wire format of the API they hit, and its Graph routes throttle
per app per tenant as Graph does; the real clients read both."""

from __future__ import annotations

import pytest

from emulator import demo
from emulator.state import EmulatorState, Fault
from msapi.errors import GraphError, PartnerCenterError
from msapi.graph import GraphClient
from msapi.retry import RetryPolicy
from tests.msapi.graph_rig import ANNOUNCEMENTS, GRAPH_SCOPE, GraphRig
from tests.msapi.sr_rig import SrRig
from tests.support.timing import Monotonic

FABRIKAM, NORTHWIND = demo.FABRIKAM.tenant_id, demo.NORTHWIND.tenant_id
CUSTOMERS_PATH = "/partnercenter/v1/customers"


def clocked_client(rig: GraphRig, clock: Monotonic, waits: list[float]) -> GraphClient:
    """A Graph client whose sleeps move the emulator's throttling clock instead of waiting."""
    rig.state.monotonic = clock

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.now += seconds

    return GraphClient(rig.http, rig.tokens(), rig.base, GRAPH_SCOPE, sleep=sleep)


def test_a_fault_for_zero_requests_is_refused() -> None:
    with pytest.raises(ValueError, match="times"):
        Fault(path="/graph", times=0)


async def test_injected_graph_429_is_graphs_throttling_answer(graph_rig: GraphRig) -> None:
    graph_rig.state.inject(Fault(path=ANNOUNCEMENTS + "/issues", status=429, times=-1))
    token = await graph_rig.tokens().token(FABRIKAM, GRAPH_SCOPE)

    raw = await graph_rig.http.get(
        f"{graph_rig.base}/v1.0/admin/serviceAnnouncement/issues", headers={"Authorization": f"Bearer {token}"}
    )
    assert raw.status_code == 429 and raw.headers["Retry-After"] == "5"
    error = raw.json()["error"]
    assert (error["code"], error["innerError"]["request-id"]) == ("TooManyRequests", raw.headers["request-id"])

    with pytest.raises(GraphError) as caught:
        await graph_rig.client().issues(FABRIKAM)
    assert (caught.value.status, caught.value.code) == (429, "TooManyRequests")
    assert graph_rig.sleeps.waits == [5.0, 5.0, 5.0]  # Retry-After honoured, attempts bounded


async def test_injected_graph_503_has_graphs_error_body(graph_rig: GraphRig) -> None:
    graph_rig.state.inject(Fault(path=ANNOUNCEMENTS + "/issues", status=503, times=-1))

    with pytest.raises(GraphError) as caught:
        await graph_rig.client().issues(FABRIKAM)

    assert (caught.value.status, caught.value.code) == (503, "ServiceUnavailable")
    assert caught.value.request_id


async def test_injected_partner_center_429_is_its_throttling_answer(sr_rig: SrRig) -> None:
    sr_rig.state.inject(Fault(path=CUSTOMERS_PATH, status=429, retry_after="7", times=-1))

    with pytest.raises(PartnerCenterError) as caught:
        await sr_rig.client().customers()

    assert caught.value.status == 429
    assert caught.value.args[0] == "Rate limit is exceeded. Try again in 7 seconds."
    assert sr_rig.sleeps.waits == [7.0, 7.0, 7.0]


async def test_graph_throttles_a_tenant_past_its_limit_then_serves_after_retry_after(graph_rig: GraphRig) -> None:
    graph_rig.state.graph_limits = ((2, 60.0),)
    waits: list[float] = []
    client = clocked_client(graph_rig, Monotonic(), waits)

    for _ in range(3):
        assert len(await client.health_overviews(FABRIKAM)) == 8
    assert len(await client.health_overviews(NORTHWIND)) == 8  # another tenant has its own budget

    fabrikam = [c.status for c in graph_rig.graph_calls("/healthOverviews") if c.tenant == FABRIKAM]
    assert fabrikam == [200, 200, 429, 200]
    assert waits == [60.0]


async def test_graph_throttling_longer_than_the_policy_waits_is_a_graph_error(graph_rig: GraphRig) -> None:
    graph_rig.state.graph_limits = ((1, 3600.0),)
    waits: list[float] = []
    client = clocked_client(graph_rig, Monotonic(), waits)
    await client.health_overviews(FABRIKAM)

    with pytest.raises(GraphError) as caught:
        await client.health_overviews(FABRIKAM)

    assert (caught.value.status, caught.value.code) == (429, "TooManyRequests")
    assert waits == [] and RetryPolicy().max_retry_after < 3600


def test_graph_throttling_counts_every_window_and_throttled_requests() -> None:
    clock = Monotonic(0.0)
    state = EmulatorState(demo_health=False, graph_limits=((2, 60.0), (3, 3600.0)), monotonic=clock)

    assert [state.graph_throttle("app", "t") for _ in range(2)] == [None, None]
    assert state.graph_throttle("app", "t") == 3600  # the throttled request counts too: the hour holds three
    assert state.graph_throttle("other-app", "t") is None
    clock.now = 3600.0
    assert state.graph_throttle("app", "t") is None


async def test_a_raw_fault_answers_a_body_that_is_not_json_and_counts_arrivals(graph_rig: GraphRig) -> None:
    fault = Fault(path=ANNOUNCEMENTS + "/issues", status=0, raw='{"value": [{"id": "cut off', times=-1)
    graph_rig.state.inject(fault)
    token = await graph_rig.tokens().token(FABRIKAM, GRAPH_SCOPE)

    for _ in range(2):
        raw = await graph_rig.http.get(
            f"{graph_rig.base}/v1.0/admin/serviceAnnouncement/issues", headers={"Authorization": f"Bearer {token}"}
        )
        assert raw.status_code == 200 and raw.text == '{"value": [{"id": "cut off'
    assert fault.hits == 2
