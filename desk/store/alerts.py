"""SQL for the SLA alerts sent (one reminder and one breach notice per ticket, clock and due time)."""

from __future__ import annotations

from datetime import datetime

from desk.clock import from_iso_not_null, to_iso
from desk.store.database import Cx


def record_sent(cx: Cx, ticket_id: int, kind: str, due: datetime, now: datetime) -> bool:
    """Record an alert as sent; False when it was sent before (nothing to do)."""
    changed = cx.execute(
        "INSERT INTO sla_alerts (ticket_id, kind, due, sent_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (ticket_id, kind, to_iso(due), to_iso(now)),
    )
    return changed == 1


def sent_of(cx: Cx, ticket_id: int) -> set[tuple[str, datetime]]:
    """The alerts sent for a ticket: (kind, due) pairs."""
    rows = cx.all("SELECT kind, due FROM sla_alerts WHERE ticket_id = ?", (ticket_id,))
    return {(row["kind"], from_iso_not_null(row["due"])) for row in rows}


def sent_between(cx: Cx, first_id: int, last_id: int) -> dict[int, set[tuple[str, datetime]]]:
    """The alerts sent for the tickets with ids from `first_id` to `last_id`, by ticket."""
    rows = cx.all("SELECT ticket_id, kind, due FROM sla_alerts WHERE ticket_id BETWEEN ? AND ?", (first_id, last_id))
    sent: dict[int, set[tuple[str, datetime]]] = {}
    for row in rows:
        sent.setdefault(row["ticket_id"], set()).add((row["kind"], from_iso_not_null(row["due"])))
    return sent
