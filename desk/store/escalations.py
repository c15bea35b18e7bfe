"""SQL for escalation forms: what was typed, and the filing of their Microsoft service request (the attempt's
MS-RequestId, whether an attempt is running or its outcome is still unknown, the request once filed)."""

from __future__ import annotations

import json
from datetime import datetime

from desk.clock import from_iso, from_iso_not_null, to_iso
from desk.escalation import EscalationDraft
from desk.store.database import Cx, Row


def save_draft(cx: Cx, draft: EscalationDraft) -> None:
    """Insert a draft, or update its fields (and its SR id once filed; a filed one is never unset). The fields of a
    form whose filing began stay as they were sent: a retry repeats that request under the same MS-RequestId."""
    cx.execute(
        "INSERT INTO escalations (id, ticket_id, technician_aad_id, fields, sr_id, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
        " fields = CASE WHEN escalations.sr_id IS NULL AND escalations.filing_at IS NULL"
        " THEN excluded.fields ELSE escalations.fields END,"
        " sr_id = COALESCE(escalations.sr_id, excluded.sr_id)",
        (
            draft.id,
            draft.ticket_id,
            draft.technician_aad_id,
            json.dumps(draft.fields),
            draft.sr_id,
            to_iso(draft.created_at),
        ),
    )


def get_draft(cx: Cx, draft_id: str) -> EscalationDraft | None:
    """A draft by id."""
    row = cx.one("SELECT * FROM escalations WHERE id = ?", (draft_id,))
    return _draft(row) if row else None


def open_draft_for(cx: Cx, ticket_id: int, aad_id: str) -> EscalationDraft | None:
    """The technician's draft for this ticket with no service request yet, to continue where they left off (one
    whose filing is unconfirmed included: submitting it again finishes that filing)."""
    row = cx.one(
        "SELECT * FROM escalations WHERE ticket_id = ? AND technician_aad_id = ? AND sr_id IS NULL"
        " ORDER BY created_at DESC LIMIT 1",
        (ticket_id, aad_id),
    )
    return _draft(row) if row else None


def unfinished_filing(cx: Cx, ticket_id: int, other_than: str) -> EscalationDraft | None:
    """Another form of this ticket whose filing is running or unconfirmed (Partner Center may have it)."""
    row = cx.one(
        "SELECT * FROM escalations WHERE ticket_id = ? AND id != ? AND sr_id IS NULL AND filing_at IS NOT NULL"
        " ORDER BY filing_at LIMIT 1",
        (ticket_id, other_than),
    )
    return _draft(row) if row else None


def start_attempt(cx: Cx, draft_id: str, now: datetime, until: datetime) -> None:
    """An attempt is being sent: its outcome is open from now on (from the first attempt of a retried filing)
    and it runs until `until` at the latest."""
    cx.execute(
        "UPDATE escalations SET filing_at = COALESCE(filing_at, ?), filing_until = ? WHERE id = ?",
        (to_iso(now), to_iso(until), draft_id),
    )


def attempt_unconfirmed(cx: Cx, draft_id: str) -> None:
    """The attempt ended without an answer: it no longer runs, its outcome stays open (the next repeats it)."""
    cx.execute("UPDATE escalations SET filing_until = NULL WHERE id = ?", (draft_id,))


def attempt_refused(cx: Cx, draft_id: str) -> None:
    """Partner Center answered no: nothing is open, and the next attempt is a new request (a new MS-RequestId)."""
    cx.execute(
        "UPDATE escalations SET filing_at = NULL, filing_until = NULL, attempt = attempt + 1 WHERE id = ?",
        (draft_id,),
    )


def filed(cx: Cx, draft_id: str, sr_id: str) -> None:
    """The service request exists: the form keeps its id, and its filing is over."""
    cx.execute(
        "UPDATE escalations SET sr_id = COALESCE(sr_id, ?), filing_at = NULL, filing_until = NULL WHERE id = ?",
        (sr_id, draft_id),
    )


def _draft(row: Row) -> EscalationDraft:
    return EscalationDraft(
        row["id"],
        row["ticket_id"],
        row["technician_aad_id"],
        json.loads(row["fields"]),
        row["sr_id"],
        from_iso_not_null(row["created_at"]),
        attempt=row["attempt"],
        filing_at=from_iso(row["filing_at"]),
        filing_until=from_iso(row["filing_until"]),
    )
