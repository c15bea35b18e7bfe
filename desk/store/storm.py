"""SQL for storm mode (desk/storm.py): each triage channel's storm, and the tickets whose cards it keeps back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from desk.clock import from_iso, from_iso_not_null, to_iso
from desk.store.database import Cx


@dataclass(frozen=True)
class Storm:
    """A triage channel's storm, as stored: `seq` counts the channel's storms (each has its own summary card)."""

    conversation_key: str
    seq: int
    active: bool
    started_at: datetime
    summary_at: datetime | None
    summary_digest: str | None


@dataclass(frozen=True)
class StormTicket:
    """A ticket of a storm, as its summary lists it."""

    ticket_id: int
    number: str
    customer: str
    severity: str
    title: str
    posted: bool  # its own card is in the channel
    released: bool  # its own card left storm mode (queued or posted)
    incidents: tuple[str, ...]


def storm(cx: Cx, conversation_key: str) -> Storm | None:
    """The channel's storm (the last one, active or not)."""
    row = cx.one("SELECT * FROM storms WHERE conversation_key = ?", (conversation_key,))
    if row is None:
        return None
    return Storm(
        row["conversation_key"],
        row["seq"],
        bool(row["active"]),
        from_iso_not_null(row["started_at"]),
        from_iso(row["summary_at"]),
        row["summary_digest"],
    )


def active_channels(cx: Cx) -> list[str]:
    """The channels in storm."""
    return [row["conversation_key"] for row in cx.all("SELECT conversation_key FROM storms WHERE active = 1")]


def begin(cx: Cx, conversation_key: str, now: datetime) -> int:
    """Put the channel in storm (a new one unless it is in one); returns the storm's seq."""
    current = storm(cx, conversation_key)
    if current is not None and current.active:
        return current.seq
    seq = current.seq + 1 if current is not None else 1
    cx.execute(
        "INSERT INTO storms (conversation_key, seq, active, started_at) VALUES (?, ?, 1, ?)"
        " ON CONFLICT (conversation_key) DO UPDATE SET seq = excluded.seq, active = 1,"
        " started_at = excluded.started_at, ended_at = NULL, summary_at = NULL, summary_digest = NULL",
        (conversation_key, seq, to_iso(now)),
    )
    return seq


def end(cx: Cx, conversation_key: str, now: datetime) -> None:
    """The channel's storm is over."""
    cx.execute("UPDATE storms SET active = 0, ended_at = ? WHERE conversation_key = ?", (to_iso(now), conversation_key))


def summarised(cx: Cx, conversation_key: str, now: datetime, digest: str) -> None:
    """Record that the summary was queued now, showing what `digest` sums up."""
    cx.execute(
        "UPDATE storms SET summary_at = ?, summary_digest = ? WHERE conversation_key = ?",
        (to_iso(now), digest, conversation_key),
    )


def keep_back(cx: Cx, conversation_key: str, ticket_id: int, seq: int, now: datetime) -> None:
    """Keep a ticket's card back in the channel's storm `seq` (`critical` records its severity then; the release
    order reads the ticket's severity as it is when released: next_waiting)."""
    cx.execute(
        "INSERT INTO storm_tickets (conversation_key, ticket_id, seq, critical, deferred_at)"
        " SELECT ?, id, ?, CASE WHEN severity = 'critical' THEN 1 ELSE 0 END, ? FROM tickets WHERE id = ?"
        " ON CONFLICT (conversation_key, ticket_id) DO UPDATE SET seq = excluded.seq, critical = excluded.critical,"
        " deferred_at = excluded.deferred_at, released_at = NULL",
        (conversation_key, seq, to_iso(now), ticket_id),
    )


def waiting(cx: Cx, conversation_key: str) -> int:
    """How many tickets' cards the channel keeps back."""
    row = cx.one(
        "SELECT COUNT(*) AS n FROM storm_tickets WHERE conversation_key = ? AND released_at IS NULL",
        (conversation_key,),
    )
    return int(row["n"]) if row else 0


def next_waiting(cx: Cx, conversation_key: str, limit: int) -> list[int]:
    """The tickets whose cards go next: critical first (as the ticket is now: a technician may have changed its
    severity from the summary's Open), then oldest first."""
    rows = cx.all(
        "SELECT s.ticket_id FROM storm_tickets s JOIN tickets t ON t.id = s.ticket_id"
        " WHERE s.conversation_key = ? AND s.released_at IS NULL"
        " ORDER BY CASE WHEN t.severity = 'critical' THEN 1 ELSE 0 END DESC, s.deferred_at, s.ticket_id LIMIT ?",
        (conversation_key, limit),
    )
    return [row["ticket_id"] for row in rows]


def released(cx: Cx, conversation_key: str, ticket_id: int, now: datetime) -> None:
    """A ticket's card left storm mode (queued in the same transaction)."""
    cx.execute(
        "UPDATE storm_tickets SET released_at = ? WHERE conversation_key = ? AND ticket_id = ?",
        (to_iso(now), conversation_key, ticket_id),
    )


def posts_under_way(cx: Cx, conversation_key: str, seq: int) -> int:
    """How many released cards of the storm still wait in the outbox."""
    row = cx.one(
        "SELECT COUNT(*) AS n FROM storm_tickets s WHERE s.conversation_key = ? AND s.seq = ?"
        " AND s.released_at IS NOT NULL AND EXISTS (SELECT 1 FROM outbox o WHERE o.status = 'pending'"
        " AND o.conversation_key = s.conversation_key AND o.ticket_id = s.ticket_id AND o.operation = 'post'"
        " AND o.card = 'triage')",
        (conversation_key, seq),
    )
    return int(row["n"]) if row else 0


def storm_tickets(cx: Cx, conversation_key: str, seq: int) -> list[StormTicket]:
    """Every ticket of the storm, oldest first, with its linked incidents (two queries)."""
    rows = cx.all(
        "SELECT t.id, t.number, t.customer_name, t.severity, t.title, t.triage_activity_id, s.released_at"
        " FROM storm_tickets s JOIN tickets t ON t.id = s.ticket_id WHERE s.conversation_key = ? AND s.seq = ?"
        " ORDER BY s.deferred_at, t.id",
        (conversation_key, seq),
    )
    links: dict[int, list[str]] = {}
    for link in cx.all(
        "SELECT i.ticket_id, i.incident_id FROM ticket_incidents i JOIN storm_tickets s ON s.ticket_id = i.ticket_id"
        " WHERE s.conversation_key = ? AND s.seq = ? ORDER BY i.linked_at, i.incident_id",
        (conversation_key, seq),
    ):
        links.setdefault(link["ticket_id"], []).append(link["incident_id"])
    return [
        StormTicket(
            row["id"],
            row["number"],
            row["customer_name"],
            row["severity"],
            row["title"],
            row["triage_activity_id"] is not None,
            row["released_at"] is not None,
            tuple(links.get(row["id"], ())),
        )
        for row in rows
    ]
