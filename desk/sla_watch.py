"""Which SLA reminders and breach alerts are due: each is sent once per ticket, target and deadline."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from desk.sla import SlaPolicy
from desk.tickets import Ticket

# A reminder goes out when this share of the target's business time is left (at least REMINDER_FLOOR).
REMINDER_SHARE = 0.2
REMINDER_FLOOR = timedelta(minutes=15)


@dataclass(frozen=True)
class Alert:
    """A reminder (`breach` False) or breach alert for one target of one ticket."""

    ticket: Ticket
    target: str  # "response" or "resolution"
    due: datetime
    breach: bool

    @property
    def kind(self) -> str:
        """The key under which it is recorded as sent."""
        return f"{self.target}_{'breach' if self.breach else 'reminder'}"


# What has gone out for a ticket: (kind, due) pairs as desk.store.alerts records them.
Sent = Collection[tuple[str, datetime]]


def due_alerts(tickets: list[Ticket], now: datetime, sla: SlaPolicy) -> list[Alert]:
    """The alerts that should have gone out by `now` (sent ones are filtered by desk.store.alerts.record_sent)."""
    alerts: list[Alert] = []
    for ticket in tickets:
        for name, due, lead in _targets(ticket, sla):
            if now >= due:
                alerts.append(Alert(ticket, name, due, breach=True))
            elif sla.hours.elapsed(now, due) <= lead:
                alerts.append(Alert(ticket, name, due, breach=False))
    return alerts


def next_alert(ticket: Ticket, sent: Sent, sla: SlaPolicy) -> datetime | None:
    """From when `due_alerts` gives an alert for `ticket` that is not in `sent`; None when it never will (closed,
    paused, answered, or everything sent). Stored with the ticket (next_alert_at) so the SLA check reads only the
    tickets whose time has come instead of every open one. An open ticket is only in the check while it is open."""
    if not ticket.is_open:
        return None
    times = []
    for name, due, lead in _targets(ticket, sla):
        if (f"{name}_breach", due) in sent:
            continue
        times.append(due if (f"{name}_reminder", due) in sent else sla.hours.before(due, lead))
    return min(times, default=None)


def _targets(ticket: Ticket, sla: SlaPolicy) -> list[tuple[str, datetime, timedelta]]:
    """The ticket's running clocks: target name, due time, how long before it the reminder goes out."""
    targets = []
    if ticket.first_response_at is None and ticket.first_response_due:
        targets.append(("response", ticket.first_response_due, sla.targets.first_response))
    if ticket.resolution_due and ticket.sla_paused_at is None:  # a paused clock cannot run out
        targets.append(("resolution", ticket.resolution_due, sla.targets.resolution))
    severity = ticket.fields.severity.value
    return [(name, due, max(table[severity] * REMINDER_SHARE, REMINDER_FLOOR)) for name, due, table in targets]
