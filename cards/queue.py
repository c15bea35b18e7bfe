"""The technicians' queue and search results: one row per ticket, most urgent first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cards.actions import execute
from cards.format import Translate, card_time, clip
from cards.render import render
from desk.tickets import Ticket

MORE_VERB = "queue.more"


def queue_card(
    t: Translate, heading: str, tickets: list[Ticket], now: datetime, more: str | None = None
) -> dict[str, Any]:
    """Rows with number, title, customer, severity, status, assignee and due time; a row opens the ticket. With
    `more` (desk.queue.next_token), a button shows the next page."""
    rows = []
    for ticket in tickets:
        due = ticket.next_due
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
    more_action = execute(t("queue.more"), MORE_VERB, more, with_inputs=False) if more else None
    return render("queue", heading=heading, rows=rows, empty=t("queue.empty"), more=more_action)
