"""SQL for each customer's stored readiness: the last state any check found (what `customers` shows), and the state
the weekly check last compared against, with its ISO week (so a worsening is posted once)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from desk.clock import to_iso
from desk.store.database import Cx


def save_state(cx: Cx, tenant_id: str, state: str, now: datetime) -> None:
    """Record the state a check just found (the weekly baseline is left alone)."""
    cx.execute(
        "INSERT INTO readiness (tenant_id, state, checked_at) VALUES (?, ?, ?)"
        " ON CONFLICT (tenant_id) DO UPDATE SET state = excluded.state, checked_at = excluded.checked_at",
        (tenant_id, state, to_iso(now)),
    )


def states(cx: Cx) -> dict[str, str]:
    """tenant id -> the last state found."""
    return {row["tenant_id"]: row["state"] for row in cx.all("SELECT tenant_id, state FROM readiness")}


def checked_weeks(cx: Cx) -> dict[str, str]:
    """tenant id -> the ISO week the weekly check last did it."""
    rows = cx.all("SELECT tenant_id, reported_week FROM readiness WHERE reported_week IS NOT NULL")
    return {row["tenant_id"]: row["reported_week"] for row in rows}


def record_weekly(
    cx: Cx, tenant_id: str, state: str, reported: Callable[[str | None], str], week: str, now: datetime
) -> str | bool | None:
    """Record the weekly check's `state` (what `customers` shows) and what the next week compares with (`reported`,
    given the previous one) for `week`. Returns False when `week` was recorded already (by another round, instance
    or a run before a restart: nothing to do), else the state compared against before (None: none)."""
    row = cx.one("SELECT state, reported_state, reported_week FROM readiness WHERE tenant_id = ?", (tenant_id,))
    before = str(row["reported_state"] or row["state"]) if row is not None else None
    if row is None:
        inserted = cx.execute(
            "INSERT INTO readiness (tenant_id, state, checked_at, reported_state, reported_week)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id) DO NOTHING",
            (tenant_id, state, to_iso(now), reported(None), week),
        )
        return None if inserted == 1 else False
    # Conditional: of two writers only one changes the row (the other re-reads the week and matches nothing).
    changed = cx.execute(
        "UPDATE readiness SET state = ?, checked_at = ?, reported_state = ?, reported_week = ?"
        " WHERE tenant_id = ? AND (reported_week IS NULL OR reported_week <> ?)",
        (state, to_iso(now), reported(before), week, tenant_id, week),
    )
    if changed != 1:
        return False
    return before


def people_talked(cx: Cx, tenant_id: str) -> int:
    """How many people of the tenant have a personal chat with the bot."""
    row = cx.one(
        "SELECT COUNT(DISTINCT user_aad_id) AS n FROM conversations"
        " WHERE lower(tenant_id) = ? AND kind = 'personal' AND user_aad_id IS NOT NULL",
        (tenant_id.lower(),),
    )
    return int(row["n"]) if row is not None else 0
