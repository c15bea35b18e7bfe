"""An incident storm for tests and local mode: one Exchange Online incident (STORM_ID) affecting every customer the
partner's app can read, optionally with many extra customer tenants (`storm_customers`). It is served like any
other issue (emulator/graph_wire.py: Graph's serviceHealthIssue, one id shared by every tenant), so the desk reads
it through the real Graph paths, with the same permission (ServiceHealth.Read.All, app-only or delegated) and the
same refusals (a tenant without consent answers 401). Resource and its posts (HTML descriptions):
https://learn.microsoft.com/en-us/graph/api/resources/servicehealthissue
https://learn.microsoft.com/en-us/graph/api/resources/servicehealthissuepost

Start it in a test with `EmulatorState.start_storm()`, or over HTTP (tests and local mode alike):
`POST https://127.0.0.1:<emulator port>/_emulator/graph/storm` with an empty body or
{"id": "EX123456", "tenants": [...]} (both optional); its next post with .../graph/issues/<id>/posts."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from emulator.demo import DemoIssue, DemoTenant, _user

STORM_ID = "EX123456"
STORM_TITLE = "Users can't access email in Exchange Online"
# Extra customer tenants' ids are derived from this namespace and their number: the same on every start.
_NAMESPACE = uuid.UUID("2f6c8a9e-1b3d-4e5f-8a7b-9c0d1e2f3a4b")


def storm_customers(count: int) -> tuple[DemoTenant, ...]:
    """`count` extra customer tenants (one user each), named "Storm Customer 001"… with stable ids."""
    tenants = []
    for number in range(1, count + 1):
        tenant_id = str(uuid.uuid5(_NAMESPACE, f"tenant-{number}"))
        domain = f"stormcustomer{number:03d}.onmicrosoft.com"
        person = _user(str(uuid.uuid5(_NAMESPACE, f"user-{number}")), "Sam", f"User{number:03d}", domain)
        tenants.append(DemoTenant(tenant_id, f"Storm Customer {number:03d}", domain, (person,)))
    return tuple(tenants)


def storm_issue(now: datetime, tenants: tuple[str, ...], issue_id: str = STORM_ID) -> DemoIssue:
    """The storm's incident, started 20 minutes before `now`, with Microsoft's first post announcing its next
    update an hour after `now` (in the words Microsoft's posts use)."""
    start = now - timedelta(minutes=20)
    next_update = now + timedelta(hours=1)
    post = (
        f"Title: {STORM_TITLE}<br><br>"
        "User impact: Users may be unable to access their mailboxes through any connection method.<br><br>"
        "Current status: We're investigating a networking issue affecting a portion of Exchange Online "
        "infrastructure.<br><br>"
        "Next update by: " + next_update.strftime("%A, %B %d, %Y, at %H:%M UTC")
    )
    return DemoIssue(
        id=issue_id,
        title=STORM_TITLE,
        service="Exchange Online",
        feature="E-Mail and calendar access",
        feature_group="E-Mail and calendar access",
        classification="Incident",
        status="ServiceDegradation",
        impact="Users may be unable to access their mailboxes through any connection method.",
        start=start,
        tenants=tenants,
        posts=((now - timedelta(minutes=10), post),),
    )
