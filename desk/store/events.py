"""SQL for a ticket's audit log: who changed what, from what to what, when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from desk.clock import from_iso_not_null, to_iso
from desk.store import webhooks as webhook_sql
from desk.store.database import Cx


@dataclass(frozen=True)
class Event:
    """One audit record: who changed what, from what to what, when."""

    ticket_id: int
    at: datetime
    actor_aad_id: str
    actor_name: str
    kind: str
    field: str | None = None
    old_value: str | None = None
    new_value: str | None = None
    text: str | None = None


def add_event(cx: Cx, event: Event) -> int:
    """Append to a ticket's audit log; returns the record's id. The PSA bridge's deliveries of the event, when it is
    one a PSA is told about, are queued here in the same transaction (desk/store/webhooks.py)."""
    row = cx.one(
        "INSERT INTO ticket_events (ticket_id, at, actor_aad_id, actor_name, kind, field, old_value, new_value, text)"
        # Whether the PSA bridge has URLs comes back with the id: with the bridge off, the event costs no statement
        # more than its insert (every ticket change records events on the turn's path).
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id, EXISTS (SELECT 1 FROM psa_targets) AS psa",
        (
            event.ticket_id,
            to_iso(event.at),
            event.actor_aad_id,
            event.actor_name,
            event.kind,
            event.field,
            event.old_value,
            event.new_value,
            event.text,
        ),
    )
    assert row is not None
    event_id = int(row["id"])
    actor = (event.actor_aad_id, event.actor_name)
    values = (event.old_value, event.new_value, event.text)
    if row["psa"]:
        webhook_sql.queue_event(cx, event_id, event.ticket_id, event.kind, event.at, actor, values)
    return event_id


def events(cx: Cx, ticket_id: int) -> list[Event]:
    """A ticket's audit log, oldest first."""
    rows = cx.all("SELECT * FROM ticket_events WHERE ticket_id = ? ORDER BY id", (ticket_id,))
    return [
        Event(
            ticket_id=row["ticket_id"],
            at=from_iso_not_null(row["at"]),
            actor_aad_id=row["actor_aad_id"],
            actor_name=row["actor_name"],
            kind=row["kind"],
            field=row["field"],
            old_value=row["old_value"],
            new_value=row["new_value"],
            text=row["text"],
        )
        for row in rows
    ]
