"""Each open ticket's next SLA alert time (tickets.next_alert_at), kept right in the transaction that changes what
decides it, so the SLA check reads only the tickets whose time has come (desk.sla_watch.next_alert says when).

What decides it: the ticket's clocks (written by desk.ticket_service and desk.escalation_service, which plan in the
same transaction), the alerts already sent (the check plans the tickets it read, in the transaction recording what
it sent), and the SLA policy (business hours and targets, from the settings). The policy the stored times were
planned with is kept in meta; when this process's differs (another configuration, or rows from before migration
14), the check first plans every open ticket again, in batches.
"""

from __future__ import annotations

import hashlib

from desk.sla import SlaPolicy
from desk.sla_watch import REMINDER_FLOOR, REMINDER_SHARE, next_alert
from desk.store import alerts as alert_sql
from desk.store import conversations as meta_sql
from desk.store import tickets as ticket_sql
from desk.store.database import Cx
from desk.tickets import Ticket

PLANNED_WITH = "sla_plan:policy"  # meta key: the mark of the policy the stored times were planned with
BATCH = 500  # open tickets planned per transaction when the policy changed


def plan_alerts(cx: Cx, ticket: Ticket, sla: SlaPolicy) -> None:
    """Store the ticket's next alert time (`ticket` as it stands in this transaction)."""
    sent = alert_sql.sent_of(cx, ticket.id) if ticket.is_open else set()
    ticket_sql.set_next_alert(cx, ticket.id, next_alert(ticket, sent, sla))


def policy_mark(sla: SlaPolicy) -> str:
    """A short digest of everything in the policy that moves an alert time."""
    hours = sla.hours
    described = repr(
        (
            hours.timezone.key,
            hours.weekly,
            sorted(hours.holidays),
            sorted(sla.targets.first_response.items()),
            sorted(sla.targets.resolution.items()),
            REMINDER_SHARE,
            REMINDER_FLOOR,
        )
    )
    return hashlib.sha256(described.encode()).hexdigest()[:32]


def planned_with(cx: Cx) -> str | None:
    """The mark of the policy the stored alert times were planned with (None: never planned)."""
    return meta_sql.get_meta(cx, PLANNED_WITH)


def plan_batch(cx: Cx, sla: SlaPolicy, after_id: int) -> int | None:
    """Plan the next BATCH open tickets after `after_id`; the last id planned, or None once every one is (then the
    policy is recorded as the one planned with)."""
    tickets = ticket_sql.open_after(cx, after_id, BATCH)
    sent = alert_sql.sent_between(cx, tickets[0].id, tickets[-1].id) if tickets else {}
    for ticket in tickets:
        ticket_sql.set_next_alert(cx, ticket.id, next_alert(ticket, sent.get(ticket.id, set()), sla))
    if len(tickets) < BATCH:
        meta_sql.set_meta(cx, PLANNED_WITH, policy_mark(sla))
        return None
    return tickets[-1].id
