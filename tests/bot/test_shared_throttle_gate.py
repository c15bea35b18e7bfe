"""The running desk's clients of the partner's app share one throttling gate: a 429 holds that API for that
tenant (Partner Center: for that customer when the call named one) across every client, and nothing else. Waits
beyond the policy's ceiling, so no test here sleeps."""

from __future__ import annotations

import pytest

from emulator import demo
from emulator.state import Fault
from msapi.errors import GraphError, PartnerCenterError
from msapi.throttle import Throttled

FABRIKAM, NORTHWIND = demo.FABRIKAM.tenant_id, demo.NORTHWIND.tenant_id
ANNOUNCEMENTS = "/graph/v1.0/admin/serviceAnnouncement"


def fabrikam_subscriptions(desk) -> list[int]:
    path = f"/partnercenter/v1/customers/{FABRIKAM}/subscriptions"
    return [seen.status for seen in desk.runtime.emulator.state.requests(path)]


async def test_partner_center_429_for_one_customer_holds_that_customer_only(desk):
    state = desk.runtime.emulator.state
    partner_center, graph = desk.runtime.partner_center, desk.runtime.services.graph
    state.inject(Fault(f"/partnercenter/v1/customers/{FABRIKAM}/subscriptions", status=429, retry_after="3600"))

    with pytest.raises(PartnerCenterError) as caught:
        await partner_center.subscriptions(FABRIKAM)
    assert isinstance(caught.value, Throttled) and caught.value.retry_after == 3600
    assert caught.value.args[0] == "Rate limit is exceeded. Try again in 3600 seconds."
    with pytest.raises(Throttled):
        await partner_center.subscriptions(FABRIKAM)  # the same partner and customer: held, no request made
    assert fabrikam_subscriptions(desk) == [429]

    assert await partner_center.subscriptions(NORTHWIND), "another customer carries on"
    assert await partner_center.customers(), "partner-level calls carry on"
    assert await graph.health_overviews(FABRIKAM), "another API carries on"


async def test_graph_429_holds_that_tenant_for_every_client_of_the_app(desk):
    state = desk.runtime.emulator.state
    graph = desk.runtime.services.graph
    state.inject(Fault(f"{ANNOUNCEMENTS}/issues", status=429, retry_after="3600", tenant=NORTHWIND))

    with pytest.raises(GraphError) as caught:
        await graph.issues(NORTHWIND)
    assert isinstance(caught.value, Throttled) and caught.value.code == "TooManyRequests"

    with pytest.raises(Throttled) as later:
        await graph.health_overviews(NORTHWIND)
    assert later.value.status == 429 and later.value.retry_after > 3500
    assert [seen.status for seen in state.requests(ANNOUNCEMENTS) if seen.tenant == NORTHWIND] == [429]
    assert await graph.health_overviews(FABRIKAM), "another tenant carries on"
    assert await desk.runtime.partner_center.subscriptions(NORTHWIND), "Partner Center carries on"
    assert desk.runtime.partner_center.gate is graph.gate, "one gate for the app"
