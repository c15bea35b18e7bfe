"""SQL for inbound de-duplication: activities whose turn is running (claimed by a process until a time) or completed
(with a card action's answer), and the ticket changes turns applied (recorded in the change's own transaction).
Housekeeping prunes both (conversations.py)."""

from __future__ import annotations

from datetime import datetime

from desk.clock import to_iso
from desk.deliveries import Claim, ClaimState
from desk.store.database import Cx


def claim(cx: Cx, key: str, holder: str, mine_running: bool, now: datetime, until: datetime) -> Claim:
    """Claim an inbound activity's turn for `holder` (this process) until `until`. NEW: process it (first delivery,
    or a claim whose turn died: its holder's lease ran out, or it is this process's and not running here any more);
    RUNNING: another copy is being processed; DONE: its turn completed, with the answer kept for it."""
    row = cx.one("SELECT response, holder, running_until FROM inbound_activities WHERE key = ?", (key,))
    if row is None:
        cx.execute(
            "INSERT INTO inbound_activities (key, received_at, holder, running_until) VALUES (?, ?, ?, ?)",
            (key, to_iso(now), holder, to_iso(until)),
        )
        return Claim(ClaimState.NEW)
    if row["running_until"] is None:
        return Claim(ClaimState.DONE, row["response"])
    died = (row["holder"] == holder and not mine_running) or row["running_until"] <= to_iso(now)
    if not died:
        return Claim(ClaimState.RUNNING)
    cx.execute(
        "UPDATE inbound_activities SET holder = ?, running_until = ? WHERE key = ?", (holder, to_iso(until), key)
    )
    return Claim(ClaimState.NEW)


def completed(cx: Cx, key: str) -> Claim | None:
    """DONE with its answer when the activity's turn completed, else None."""
    row = cx.one("SELECT response FROM inbound_activities WHERE key = ? AND running_until IS NULL", (key,))
    return Claim(ClaimState.DONE, row["response"]) if row else None


def complete(cx: Cx, key: str, response: str | None, now: datetime) -> None:
    """Record that the turn of an inbound activity completed (the first record wins when two copies ran)."""
    cx.execute(
        "INSERT INTO inbound_activities (key, received_at, response) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE"
        " SET response = excluded.response, holder = NULL, running_until = NULL"
        " WHERE inbound_activities.running_until IS NOT NULL",
        (key, to_iso(now), response),
    )


def abandon(cx: Cx, key: str, holder: str) -> None:
    """Drop this holder's claim of a turn that failed, so Teams' redelivery is processed."""
    cx.execute(
        "DELETE FROM inbound_activities WHERE key = ? AND holder = ? AND running_until IS NOT NULL", (key, holder)
    )


def claim_change(cx: Cx, key: str, now: datetime) -> bool:
    """Record a change under `key` inside its transaction; False when a delivery already applied it."""
    changed = cx.execute(
        "INSERT INTO inbound_changes (key, applied_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (key, to_iso(now))
    )
    return changed == 1
