"""Which SLA reminders and breach alerts are due: each is sent once per ticket, target and deadline."""

from __future__ import annotations

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


def due_alerts(tickets: list[Ticket], now: datetime, sla: SlaPolicy) -> list[Alert]:
    """The alerts that should have gone out by `now` (sent ones are filtered by desk.store.alerts.record_sent)."""
    alerts: list[Alert] = []
    for ticket in tickets:
        targets = []
        if ticket.first_response_at is None and ticket.first_response_due:
            targets.append(("response", ticket.first_response_due, sla.targets.first_response))
        if ticket.resolution_due and ticket.sla_paused_at is None:  # a paused clock cannot run out
            targets.append(("resolution", ticket.resolution_due, sla.targets.resolution))
        for name, due, table in targets:
            if now >= due:
                alerts.append(Alert(ticket, name, due, breach=True))
                continue
            lead = max(table[ticket.fields.severity.value] * REMINDER_SHARE, REMINDER_FLOOR)
            if sla.hours.elapsed(now, due) <= lead:
                alerts.append(Alert(ticket, name, due, breach=False))
    return alerts
