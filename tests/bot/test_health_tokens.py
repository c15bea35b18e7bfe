"""`health all` over many customers asks Entra ID for one Graph token per customer: the sweep reads each tenant's
overviews and issues at once, and both first calls must share one token acquisition."""

from __future__ import annotations

from collections import Counter

from emulator import demo

MANY = tuple(
    demo.DemoTenant(f"00000000-0000-4000-8000-{n:012d}", f"Customer {n:03d}", f"customer{n}.onmicrosoft.com")
    for n in range(40)
)


async def test_health_all_fetches_one_token_per_tenant(desk, triage_channel, technician):
    state = desk.runtime.emulator.state
    state.customers = MANY

    await desk.send(triage_channel.message(technician, "health all"))
    await desk.runtime.services.spawner.drain()  # the sweep runs in the background

    posts = [seen for seen in state.requests("/login/", method="POST") if seen.path.endswith("/oauth2/v2.0/token")]
    per_tenant = Counter(seen.path.split("/")[2] for seen in posts)
    customers = {tenant.tenant_id for tenant in MANY}
    assert {tenant: per_tenant[tenant] for tenant in customers} == dict.fromkeys(customers, 1)
    assert per_tenant[demo.PARTNER.tenant_id] == 1, "one Partner Center token for the customer list"
    reads = state.requests("/graph/v1.0/admin/serviceAnnouncement/healthOverviews")
    assert {seen.tenant for seen in reads} == customers, "every customer was read"
