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
    or a claim whose turn died: see `inspect`); RUNNING: another copy is being processed; DONE: its turn completed,
    with the answer kept for it."""
    found = inspect(cx, key, holder, mine_running, now)
    if found is not None:
        return found
    cx.execute(
        "INSERT INTO inbound_activities (key, received_at, holder, running_until) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, running_until = excluded.running_until",
        (key, to_iso(now), holder, to_iso(until)),
    )
    return Claim(ClaimState.NEW)


def inspect(cx: Cx, key: str, holder: str, mine_running: bool, now: datetime) -> Claim | None:
    """What a copy of the activity finds, changing nothing: DONE, RUNNING (`here` when in this process), or None when
    its turn is free to take: never claimed, given up, or its claim died — its holder's lease ran out, its holder is
    another process whose heartbeat has lapsed or is gone (killed, or it stopped), or it is this process's and not
    running here any more."""
    row = cx.one(
        "SELECT a.response, a.holder, a.running_until, i.alive_until FROM inbound_activities a"
        " LEFT JOIN instances i ON i.holder = a.holder WHERE a.key = ?",
        (key,),
    )
    if row is None:
        return None
    if row["running_until"] is None:
        return Claim(ClaimState.DONE, row["response"])
    at = to_iso(now) or ""
    if row["running_until"] <= at:
        return None
    if row["holder"] == holder:
        return Claim(ClaimState.RUNNING, here=True) if mine_running else None
    if row["alive_until"] is None or row["alive_until"] <= at:
        return None
    return Claim(ClaimState.RUNNING)


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
