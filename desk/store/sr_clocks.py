"""SQL for Microsoft's response clocks: one row per filed service request (plan, severity, filing time), when the
desk last read it, when Microsoft responded, and when the desk said Microsoft was late (at most once)."""

from __future__ import annotations

from datetime import datetime

from desk.clock import from_iso, from_iso_not_null, to_iso
from desk.ms_response import SrClock
from desk.store.database import Cx, Row


def start(cx: Cx, ticket_id: int, sr_id: str, plan: str, severity: str, filed_at: datetime) -> None:
    """Start the clock of a filed request (a repeated record of the same filing keeps the first)."""
    cx.execute(
        "INSERT INTO sr_clocks (ticket_id, sr_id, plan, severity, filed_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (ticket_id, sr_id) DO NOTHING",
        (ticket_id, sr_id, plan, severity, to_iso(filed_at)),
    )


def get(cx: Cx, ticket_id: int, sr_id: str) -> SrClock | None:
    """The clock of one request of one ticket."""
    row = cx.one("SELECT * FROM sr_clocks WHERE ticket_id = ? AND sr_id = ?", (ticket_id, sr_id))
    return _clock(row) if row else None


def checked(cx: Cx, ticket_id: int, sr_id: str, now: datetime, responded_at: datetime | None) -> None:
    """The request was read now; `responded_at` is recorded when it is the first response seen."""
    cx.execute(
        "UPDATE sr_clocks SET checked_at = ?, responded_at = COALESCE(responded_at, ?)"
        " WHERE ticket_id = ? AND sr_id = ?",
        (to_iso(now), to_iso(responded_at), ticket_id, sr_id),
    )


def waiting(cx: Cx) -> list[SrClock]:
    """Clocks with no response and no late note yet, of requests still open on their tickets."""
    rows = cx.all(
        "SELECT c.* FROM sr_clocks c JOIN tickets t ON t.id = c.ticket_id AND t.sr_id = c.sr_id"
        " WHERE c.responded_at IS NULL AND c.late_noted_at IS NULL AND c.checked_at IS NOT NULL"
        " AND (t.sr_status IS NULL OR t.sr_status != 'closed') ORDER BY c.filed_at"
    )
    return [_clock(row) for row in rows]


def mark_late(cx: Cx, ticket_id: int, sr_id: str, now: datetime) -> bool:
    """Record the late note; False when it was recorded before or Microsoft has responded meanwhile."""
    changed = cx.execute(
        "UPDATE sr_clocks SET late_noted_at = ? WHERE ticket_id = ? AND sr_id = ?"
        " AND late_noted_at IS NULL AND responded_at IS NULL",
        (to_iso(now), ticket_id, sr_id),
    )
    return changed == 1


def _clock(row: Row) -> SrClock:
    return SrClock(
        ticket_id=row["ticket_id"],
        sr_id=row["sr_id"],
        plan=row["plan"],
        severity=row["severity"],
        filed_at=from_iso_not_null(row["filed_at"]),
        checked_at=from_iso(row["checked_at"]),
        responded_at=from_iso(row["responded_at"]),
        late_noted_at=from_iso(row["late_noted_at"]),
    )
