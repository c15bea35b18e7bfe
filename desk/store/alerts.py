"""SQL for the SLA alerts sent (one reminder and one breach notice per ticket, clock and due time)."""

from __future__ import annotations

from datetime import datetime

from desk.clock import to_iso
from desk.store.database import Cx


def record_sent(cx: Cx, ticket_id: int, kind: str, due: datetime, now: datetime) -> bool:
    """Record an alert as sent; False when it was sent before (nothing to do)."""
    changed = cx.execute(
        "INSERT INTO sla_alerts (ticket_id, kind, due, sent_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (ticket_id, kind, to_iso(due), to_iso(now)),
    )
    return changed == 1
