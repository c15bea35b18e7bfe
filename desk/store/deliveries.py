"""SQL for inbound de-duplication: activities whose turn completed (with a card action's answer), and the ticket
changes turns applied (recorded in the change's own transaction). Housekeeping prunes both (conversations.py)."""

from __future__ import annotations

from datetime import datetime

from desk.clock import to_iso
from desk.store.database import Cx


def delivered(cx: Cx, key: str) -> tuple[bool, str | None]:
    """Whether the turn of an inbound activity completed, and the answer kept with it."""
    row = cx.one("SELECT response FROM inbound_activities WHERE key = ?", (key,))
    return (row is not None, row["response"] if row else None)


def complete(cx: Cx, key: str, response: str | None, now: datetime) -> None:
    """Record that the turn of an inbound activity completed (the first record wins when two copies ran)."""
    cx.execute(
        "INSERT INTO inbound_activities (key, received_at, response) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING",
        (key, to_iso(now), response),
    )


def claim_change(cx: Cx, key: str, now: datetime) -> bool:
    """Record a change under `key` inside its transaction; False when a delivery already applied it."""
    changed = cx.execute(
        "INSERT INTO inbound_changes (key, applied_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (key, to_iso(now))
    )
    return changed == 1
