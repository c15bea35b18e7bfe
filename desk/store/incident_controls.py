"""SQL for incident noise control (incident_controls) and bulk replies to an incident's tickets (bulk_replies)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from desk.clock import from_iso, from_iso_not_null, to_iso
from desk.incident_noise import IncidentControl
from desk.store import tickets as ticket_sql
from desk.store.database import Cx
from desk.tickets import Ticket

# A bulk reply form can be sent for a day after it was opened. Each of its sends is made at most once through an
# idempotency key the desk keeps for two days (conversations.prune_inbound): a form sent later, after a failure half
# way, would tell again the customers it had told. Forms are sent within minutes; a day is ample.
BULK_FORM_LIFETIME = timedelta(days=1)


@dataclass(frozen=True)
class BulkReply:
    """One bulk reply form: its id is the idempotency key of every send it makes."""

    id: str
    incident_id: str
    created_by: str
    created_at: datetime
    text: str | None
    sent_at: datetime | None
    customers: int
    tickets: int
    skipped: int

    def expired(self, now: datetime) -> bool:
        """Whether the form is too old to send (BULK_FORM_LIFETIME)."""
        return now - self.created_at > BULK_FORM_LIFETIME


def controls(cx: Cx, incident_ids: list[str] | None = None) -> dict[str, IncidentControl]:
    """Controls of the given incidents (of every incident not resolved when None)."""
    if incident_ids is None:
        rows = cx.all("SELECT * FROM incident_controls WHERE resolved = 0")
    elif not incident_ids:
        return {}
    else:
        marks = ", ".join("?" for _ in incident_ids)
        rows = cx.all(f"SELECT * FROM incident_controls WHERE incident_id IN ({marks})", tuple(incident_ids))
    return {r["incident_id"]: _control(r) for r in rows}


def control(cx: Cx, incident_id: str) -> IncidentControl | None:
    """One incident's controls."""
    return controls(cx, [incident_id]).get(incident_id)


def record_card(
    cx: Cx,
    incident_id: str,
    card: dict[str, Any],
    customers: list[tuple[str, str]],
    resolved: bool,
    next_update: datetime | None,
    now: datetime,
) -> None:
    """The monitor posted or updated the card: remember its base, customers and time; a snooze that ran out is
    cleared (the card just posted no longer shows it)."""
    cx.execute(
        "INSERT INTO incident_controls (incident_id, card, customers, resolved, next_update_at, last_card_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (incident_id) DO UPDATE SET card = excluded.card,"
        " customers = excluded.customers, resolved = excluded.resolved, next_update_at = excluded.next_update_at,"
        " last_card_at = excluded.last_card_at",
        (
            incident_id,
            json.dumps(card),
            json.dumps([list(c) for c in customers]),
            1 if resolved else 0,
            to_iso(next_update),
            to_iso(now),
        ),
    )
    cx.execute(
        "UPDATE incident_controls SET snoozed_until = NULL, snoozed_by_name = NULL"
        " WHERE incident_id = ? AND snoozed_until <= ?",
        (incident_id, to_iso(now)),
    )


def acknowledge(cx: Cx, incident_id: str, aad_id: str, name: str, now: datetime) -> None:
    """Record who acknowledged the incident, and when."""
    cx.execute(
        "UPDATE incident_controls SET acked_by = ?, acked_by_name = ?, acked_at = ? WHERE incident_id = ?",
        (aad_id, name, to_iso(now), incident_id),
    )


def snooze(cx: Cx, incident_id: str, until: datetime, name: str) -> None:
    """Snooze the card's updates until `until`."""
    cx.execute(
        "UPDATE incident_controls SET snoozed_until = ?, snoozed_by_name = ? WHERE incident_id = ?",
        (to_iso(until), name, incident_id),
    )


def mute(cx: Cx, incident_id: str, muted: tuple[str, ...]) -> None:
    """Set the incident's muted customers (tenant ids)."""
    cx.execute("UPDATE incident_controls SET muted = ? WHERE incident_id = ?", (json.dumps(sorted(muted)), incident_id))


def linked_tickets(cx: Cx, incident_id: str) -> list[Ticket]:
    """Every ticket related to an incident, oldest first."""
    rows = cx.all("SELECT ticket_id FROM ticket_incidents WHERE incident_id = ? ORDER BY ticket_id", (incident_id,))
    found = [ticket_sql.get_ticket(cx, int(r["ticket_id"])) for r in rows]
    return [t for t in found if t is not None]


def new_bulk_reply(cx: Cx, bulk_id: str, incident_id: str, aad_id: str, now: datetime) -> None:
    """A bulk reply form was opened."""
    cx.execute(
        "INSERT INTO bulk_replies (id, incident_id, created_by, created_at) VALUES (?, ?, ?, ?)",
        (bulk_id, incident_id, aad_id, to_iso(now)),
    )


def bulk_reply(cx: Cx, bulk_id: str) -> BulkReply | None:
    """A bulk reply by id."""
    r = cx.one("SELECT * FROM bulk_replies WHERE id = ?", (bulk_id,))
    if r is None:
        return None
    return BulkReply(
        r["id"],
        r["incident_id"],
        r["created_by"],
        from_iso_not_null(r["created_at"]),
        r["text"],
        from_iso(r["sent_at"]),
        int(r["customers"] or 0),
        int(r["tickets"] or 0),
        int(r["skipped"] or 0),
    )


def finish_bulk_reply(
    cx: Cx, bulk_id: str, text: str, customers: int, tickets: int, skipped: int, now: datetime
) -> None:
    """Record that a bulk reply went out (the first record wins)."""
    cx.execute(
        "UPDATE bulk_replies SET text = ?, sent_at = ?, customers = ?, tickets = ?, skipped = ?"
        " WHERE id = ? AND sent_at IS NULL",
        (text, to_iso(now), customers, tickets, skipped, bulk_id),
    )


def _control(r: Any) -> IncidentControl:
    return IncidentControl(
        incident_id=r["incident_id"],
        card=r["card"],
        customers=tuple((str(c[0]), str(c[1])) for c in json.loads(r["customers"] or "[]")),
        resolved=bool(r["resolved"]),
        next_update_at=from_iso(r["next_update_at"]),
        last_card_at=from_iso(r["last_card_at"]),
        acked_by=r["acked_by"],
        acked_by_name=r["acked_by_name"],
        acked_at=from_iso(r["acked_at"]),
        snoozed_until=from_iso(r["snoozed_until"]),
        snoozed_by_name=r["snoozed_by_name"],
        muted=tuple(json.loads(r["muted"] or "[]")),
    )
