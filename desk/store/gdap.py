"""SQL for the GDAP expiry warnings sent (one per relationship, threshold and end date)."""

from __future__ import annotations

from datetime import datetime

from desk.clock import to_iso
from desk.store.database import Cx


def record_warning(
    cx: Cx, relationship_id: str, threshold: str, end_key: str, customer_tenant_id: str, now: datetime
) -> bool:
    """Record a warning as sent; False when it was sent before (by this or another instance): nothing to do."""
    changed = cx.execute(
        "INSERT INTO gdap_warnings (relationship_id, threshold, end_key, customer_tenant_id, sent_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (relationship_id, threshold, end_key, customer_tenant_id, to_iso(now)),
    )
    return changed == 1


def warnings_sent(cx: Cx) -> list[tuple[str, str, str]]:
    """Every warning sent: (relationship id, threshold, end key)."""
    rows = cx.all("SELECT relationship_id, threshold, end_key FROM gdap_warnings ORDER BY sent_at, relationship_id")
    return [(row["relationship_id"], row["threshold"], row["end_key"]) for row in rows]
