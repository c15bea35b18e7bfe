"""The technicians' queue and search results: one row per ticket, most urgent first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cards.actions import execute
from cards.format import Translate, card_time, clip
from cards.render import render
from desk.tickets import Ticket


def next_due(ticket: Ticket) -> datetime | None:
    """The SLA deadline that matters now: first response until answered, then resolution (none while its clock
    is paused, waiting on the customer)."""
    if ticket.first_response_at is None and ticket.first_response_due is not None:
        return ticket.first_response_due
    return ticket.resolution_due if ticket.sla_paused_at is None else None


def queue_card(t: Translate, heading: str, tickets: list[Ticket], now: datetime) -> dict[str, Any]:
    """Rows with number, title, customer, severity, status, assignee and due time; a row opens the ticket."""
    rows = []
    for ticket in tickets:
        due = next_due(ticket)
        parts = [
            ticket.requester.customer_name,
            t(f"severity.{ticket.fields.severity.value}"),
            t(f"status.{ticket.status.value}"),
            ticket.assignee_name or t("triage.unassigned"),
        ]
        if due is not None and ticket.is_open:
            parts.append(t("queue.overdue" if due <= now else "queue.due", when=card_time(due)))
        if ticket.triage_activity_id is None:
            parts.append(t("queue.not_posted"))
        rows.append(
            {
                "number": ticket.number,
                "title": clip(ticket.fields.title, 60),
                "detail": " · ".join(parts),
                "open": execute(t("action.open"), "ticket.show", ticket.number),
            }
        )
    return render("queue", heading=heading, rows=rows, empty=t("queue.empty"))
