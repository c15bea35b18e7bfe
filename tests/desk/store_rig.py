"""Random tickets written straight into the store, in any state, for the store's queue, SLA and search tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from desk.clock import to_iso
from desk.store import tickets as ticket_sql
from desk.store.database import Cx
from desk.tickets import Product, Requester, Severity, Status, TicketFields

# Monday 2026-01-12 10:00 UTC; due times fall on a coarse grid around it, so tickets share them (ties).
NOW = datetime(2026, 1, 12, 10, 0, tzinfo=UTC)
CUSTOMERS = ("Fabrikam, Inc.", "Northwind Traders", "Contoso Ltd", "Adventure Works", "Фабрикам Север")
ME, OTHER = "aad-me", "aad-other"


@dataclass(frozen=True)
class Shape:
    """One ticket's state: what the queue, the SLA check and search look at."""

    customer: str
    severity: Severity
    status: Status
    assignee: str | None
    response_due: datetime | None
    resolution_due: datetime | None
    responded: datetime | None
    paused: datetime | None
    title: str = "Mail is down"
    description: str = "Nobody can send mail."


instants = st.one_of(st.none(), st.integers(-12, 60).map(lambda quarter: NOW + timedelta(minutes=15 * quarter)))
shapes = st.builds(
    Shape,
    customer=st.sampled_from(CUSTOMERS),
    severity=st.sampled_from(list(Severity)),
    status=st.sampled_from(list(Status)),
    assignee=st.sampled_from([None, ME, OTHER]),
    response_due=instants,
    resolution_due=instants,
    responded=instants,
    paused=instants,
)


def write(cx: Cx, shaped: list[Shape]) -> list[int]:
    """Replace every ticket with these (ids in this order); returns their ids."""
    for table in ("sla_alerts", "ticket_events", "outbox", "tickets"):
        cx.execute(f"DELETE FROM {table}")
    cx.execute("DELETE FROM meta WHERE key LIKE 'sla_plan:%'")
    ids = []
    for index, shape in enumerate(shaped):
        requester = Requester(f"tenant-{shape.customer}", shape.customer, f"aad-{index}", "Megan", "m@x.example", "a:x")
        fields = TicketFields(Product.M365, "Exchange Online", shape.severity, shape.title, shape.description, "-")
        ticket_id = ticket_sql.insert_ticket(
            cx, f"key-{index}-{id(shaped)}", requester, fields, NOW, (shape.response_due, shape.resolution_due)
        )
        cx.execute(
            "UPDATE tickets SET status = ?, assignee_aad_id = ?, assignee_name = ?, first_response_at = ?,"
            " sla_paused_at = ? WHERE id = ?",
            (
                shape.status.value,
                shape.assignee,
                shape.assignee and "Tech",
                to_iso(shape.responded),
                to_iso(shape.paused),
                ticket_id,
            ),
        )
        ids.append(ticket_id)
    return ids
