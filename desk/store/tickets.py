"""SQL for tickets (their drafts and audit events are in drafts.py and events.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from desk.clock import from_iso, from_iso_not_null, to_iso
from desk.store.database import Cx, Row
from desk.tickets import Product, Requester, Severity, Status, Ticket, TicketFields, ticket_number

_COLUMNS_BY_CARD = {"triage": "triage_activity_id", "customer": "customer_card_activity_id"}
# What a Ticket is read from, named rather than `*`: PostgreSQL's search_vector (and whatever columns only queries
# use) stays in the database.
_COLUMNS = (
    "id, number, customer_tenant_id, customer_name, requester_aad_id, requester_name, requester_email, "
    "requester_conversation, product, service, severity, title, description, contact, status, created_at, "
    "updated_at, updated_by, assignee_aad_id, assignee_name, first_response_due, resolution_due, first_response_at,"
    " resolved_at, triage_activity_id, customer_card_activity_id, resolution, closed_at, rating, rating_comment, "
    "sr_id, sr_status, sr_vehicle, sr_escalated_by, sr_notes_seen, sla_paused_at, sla_paused_seconds, version,"
    " triage_channel"
)
_NAMES = _COLUMNS.split(", ")


def fields(alias: str = "") -> str:
    """The columns a Ticket is read from (by `ticket_of_row`), each prefixed with `alias.` when given."""
    return ", ".join(f"{alias}.{name}" if alias else name for name in _NAMES)


_FIELDS = fields()
_T_FIELDS = fields("t")


def insert_ticket(
    cx: Cx,
    idempotency_key: str,
    requester: Requester,
    fields: TicketFields,
    now: datetime,
    dues: tuple[datetime | None, datetime | None],
) -> int:
    """Insert a new ticket and give it its number; returns its id."""
    row = cx.one(
        "INSERT INTO tickets (number, idempotency_key, customer_tenant_id, customer_name, requester_aad_id,"
        " requester_name, requester_email, requester_conversation, product, service, severity, title, description,"
        " contact, status, created_at, updated_at, updated_by, first_response_due, resolution_due)"
        " VALUES ('', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            idempotency_key,
            requester.tenant_id,
            requester.customer_name,
            requester.aad_id,
            requester.name,
            requester.email,
            requester.conversation_key,
            fields.product.value,
            fields.service,
            fields.severity.value,
            fields.title,
            fields.description,
            fields.contact,
            Status.NEW.value,
            to_iso(now),
            to_iso(now),
            requester.name,
            to_iso(dues[0]),
            to_iso(dues[1]),
        ),
    )
    assert row is not None
    ticket_id = int(row["id"])
    cx.execute("UPDATE tickets SET number = ? WHERE id = ?", (ticket_number(ticket_id), ticket_id))
    return ticket_id


_UPDATABLE = frozenset(
    {
        "status",
        "severity",
        "assignee_aad_id",
        "assignee_name",
        "first_response_due",
        "resolution_due",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "resolution",
        "rating",
        "rating_comment",
        "last_customer_message_at",
        "sr_id",
        "sr_status",
        "sr_vehicle",
        "sr_escalated_by",
        "sr_notes_seen",
        "sla_paused_at",
        "sla_paused_seconds",
    }
)


def update_ticket(cx: Cx, ticket_id: int, version: int, columns: dict[str, Any], now: datetime, by: str) -> bool:
    """Write `columns` if the ticket is still at `version`; False when someone changed it meanwhile."""
    unknown = set(columns) - _UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    values = [to_iso(v) if isinstance(v, datetime) else v for v in columns.values()]
    assignments = "".join(f"{name} = ?, " for name in columns)
    changed = cx.execute(
        f"UPDATE tickets SET {assignments}updated_at = ?, updated_by = ?, version = version + 1"
        " WHERE id = ? AND version = ?",
        (*values, to_iso(now), by, ticket_id, version),
    )
    return changed == 1


def ticket_by_key(cx: Cx, idempotency_key: str) -> Ticket | None:
    """The ticket created under an idempotency key, if any."""
    row = cx.one(f"SELECT {_FIELDS} FROM tickets WHERE idempotency_key = ?", (idempotency_key,))
    return _ticket(row) if row else None


def get_ticket(cx: Cx, ticket_id: int) -> Ticket | None:
    """A ticket by id."""
    row = cx.one(f"SELECT {_FIELDS} FROM tickets WHERE id = ?", (ticket_id,))
    return _ticket(row) if row else None


def tickets_of_requester(cx: Cx, tenant_id: str, aad_id: str, limit: int = 20) -> list[Ticket]:
    """A customer's own tickets, newest first."""
    rows = cx.all(
        f"SELECT {_FIELDS} FROM tickets WHERE customer_tenant_id = ? AND requester_aad_id = ? ORDER BY id DESC LIMIT ?",
        (tenant_id, aad_id, limit),
    )
    return [_ticket(row) for row in rows]


def open_without_triage_card(cx: Cx) -> list[Ticket]:
    """Open tickets with no triage card, no triage post still waiting in the outbox, and none kept back by storm
    mode (desk/storm.py posts those)."""
    rows = cx.all(
        f"SELECT {_T_FIELDS} FROM tickets t WHERE t.triage_activity_id IS NULL"
        " AND t.status NOT IN ('resolved', 'closed') AND NOT EXISTS (SELECT 1 FROM outbox o"
        " WHERE o.ticket_id = t.id AND o.card = 'triage'"
        " AND o.operation = 'post' AND o.status = 'pending') AND NOT EXISTS (SELECT 1 FROM storm_tickets s"
        " WHERE s.ticket_id = t.id AND s.released_at IS NULL) ORDER BY t.id"
    )
    return [_ticket(row) for row in rows]


def set_next_alert(cx: Cx, ticket_id: int, at: datetime | None) -> None:
    """Store when the SLA check next has something to send for a ticket (desk/sla_plan.py decides). Written only
    when it changes: on PostgreSQL every UPDATE leaves a dead row version behind, which the queue's counts then
    step over until vacuum."""
    if at is None:
        cx.execute("UPDATE tickets SET next_alert_at = NULL WHERE id = ? AND next_alert_at IS NOT NULL", (ticket_id,))
    else:
        stamp = to_iso(at)
        cx.execute(
            "UPDATE tickets SET next_alert_at = ? WHERE id = ? AND (next_alert_at IS NULL OR next_alert_at <> ?)",
            (stamp, ticket_id, stamp),
        )


def alerts_due(cx: Cx, now: datetime) -> list[Ticket]:
    """Open tickets whose next SLA alert time has come (index tickets_next_alert), earliest first."""
    rows = cx.all(
        f"SELECT {_FIELDS} FROM tickets WHERE next_alert_at <= ? AND status NOT IN ('resolved', 'closed')"
        " ORDER BY next_alert_at, id",
        (to_iso(now),),
    )
    return [_ticket(row) for row in rows]


def open_after(cx: Cx, after_id: int, limit: int) -> list[Ticket]:
    """Open tickets by id, after `after_id`: a batch to plan SLA alerts for."""
    rows = cx.all(
        f"SELECT {_FIELDS} FROM tickets WHERE id > ? AND status NOT IN ('resolved', 'closed') ORDER BY id LIMIT ?",
        (after_id, limit),
    )
    return [_ticket(row) for row in rows]


def ticket_by_card(cx: Cx, card: str, activity_id: str) -> Ticket | None:
    """The ticket whose triage (or customer) card is this activity."""
    column = _COLUMNS_BY_CARD[card]
    row = cx.one(f"SELECT {_FIELDS} FROM tickets WHERE {column} = ?", (activity_id,))
    return _ticket(row) if row else None


def ticket_by_message(cx: Cx, conversation_key: str, activity_id: str) -> Ticket | None:
    """The ticket a message the desk sent (its card or any notice) belongs to."""
    row = cx.one(
        f"SELECT {_T_FIELDS} FROM tickets t JOIN outbox o ON o.ticket_id = t.id"
        " WHERE o.conversation_key = ? AND o.activity_id = ? LIMIT 1",
        (conversation_key, activity_id),
    )
    if row is None:
        row = cx.one(
            f"SELECT {_FIELDS} FROM tickets WHERE requester_conversation = ? AND customer_card_activity_id = ?",
            (conversation_key, activity_id),
        )
    return _ticket(row) if row else None


def active_tickets_of_requester(cx: Cx, tenant_id: str, aad_id: str) -> list[Ticket]:
    """A requester's tickets that are open or awaiting their confirmation, most recently changed first."""
    rows = cx.all(
        f"SELECT {_FIELDS} FROM tickets WHERE customer_tenant_id = ? AND requester_aad_id = ? AND status != 'closed'"
        " ORDER BY updated_at DESC, id DESC",
        (tenant_id, aad_id),
    )
    return [_ticket(row) for row in rows]


def record_card(cx: Cx, ticket_id: int, card: str, activity_id: str) -> None:
    """Remember the activity id of a ticket's card."""
    column = _COLUMNS_BY_CARD[card]
    cx.execute(f"UPDATE tickets SET {column} = ? WHERE id = ?", (activity_id, ticket_id))


def card_activity(cx: Cx, ticket_id: int, card: str) -> str | None:
    """The recorded activity id of a ticket's card."""
    column = _COLUMNS_BY_CARD[card]
    row = cx.one(f"SELECT {column} AS activity_id FROM tickets WHERE id = ?", (ticket_id,))
    return row["activity_id"] if row else None


def _ticket(row: Row) -> Ticket:
    """A Ticket from a row of `fields()`."""

    def when(name: str) -> datetime | None:
        return from_iso(row[name])

    return Ticket(
        id=row["id"],
        number=row["number"],
        requester=Requester(
            tenant_id=row["customer_tenant_id"],
            customer_name=row["customer_name"],
            aad_id=row["requester_aad_id"],
            name=row["requester_name"],
            email=row["requester_email"],
            conversation_key=row["requester_conversation"],
        ),
        fields=TicketFields(
            product=Product(row["product"]),
            service=row["service"],
            severity=Severity(row["severity"]),
            title=row["title"],
            description=row["description"],
            contact=row["contact"],
        ),
        status=Status(row["status"]),
        created_at=from_iso_not_null(row["created_at"]),
        updated_at=from_iso_not_null(row["updated_at"]),
        updated_by=row["updated_by"],
        assignee_id=row["assignee_aad_id"],
        assignee_name=row["assignee_name"],
        first_response_due=when("first_response_due"),
        resolution_due=when("resolution_due"),
        first_response_at=when("first_response_at"),
        resolved_at=when("resolved_at"),
        triage_activity_id=row["triage_activity_id"],
        customer_card_activity_id=row["customer_card_activity_id"],
        resolution=row["resolution"],
        closed_at=when("closed_at"),
        rating=row["rating"],
        rating_comment=row["rating_comment"],
        sr_id=row["sr_id"],
        sr_status=row["sr_status"],
        sr_vehicle=row["sr_vehicle"],
        sr_escalated_by=row["sr_escalated_by"],
        sr_notes_seen=row["sr_notes_seen"],
        sla_paused_at=when("sla_paused_at"),
        sla_paused_seconds=row["sla_paused_seconds"],
        version=row["version"],
        triage_channel=row["triage_channel"],
    )


def tickets_with_open_sr(cx: Cx) -> list[Ticket]:
    """Tickets escalated to Microsoft whose service request is not closed yet."""
    rows = cx.all(
        f"SELECT {_FIELDS} FROM tickets WHERE sr_id IS NOT NULL AND COALESCE(sr_status, '') != 'closed' ORDER BY id"
    )
    return [_ticket(row) for row in rows]


ticket_of_row = _ticket
