"""What the PSA bridge tells a PSA about a ticket: which audit events leave the desk, under which public name, and
the JSON payload of each (docs/psa/ticket-event.v1.schema.json is its contract). Pure: no I/O.

Private notes (kind 'note') do not leave: they are the technicians' scratch space and often hold what must stay in
the desk (pasted credentials, a customer's admin details), and a PSA mapping that shows "replied" on a customer
portal would publish them. Severity changes, moves between triage channels and the desk's own bookkeeping (SLA,
incidents, undelivered messages) are not among the seven public events either."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from desk.tickets import Ticket

SCHEMA_VERSION = "1"
PSA_ACTOR_ID = "psa"  # the actor id the PSA's own changes are recorded under (its name is PSA_ACTOR_NAME)
# Audit event kind -> public event type. A resolution writes 'status' (to resolved) and 'resolved' (the summary):
# both go, as status_changed and resolved; a customer's message in their chat is "replied" by the customer.
PUBLIC_TYPES: dict[str, str] = {
    "created": "created",
    "assigned": "assigned",
    "status": "status_changed",
    "reply": "replied",
    "customer_message": "replied",
    "escalated": "escalated",
    "resolved": "resolved",
    "rated": "rated",
}


def public_id(event_id: int) -> str:
    """The event's id as the PSA sees it: stable (the audit record's own id) and never reused."""
    return f"evt_{event_id}"


def iso(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC, as the schema's date-time format."""
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def actor_type(ticket: Ticket, actor_id: str) -> str:
    """Who acted, as a PSA needs to tell them apart (a PSA ignores its own changes coming back)."""
    if actor_id == PSA_ACTOR_ID:
        return "psa"
    if actor_id == "system":
        return "system"
    return "customer" if actor_id == ticket.requester.aad_id else "technician"


def payload(
    event_id: int,
    kind: str,
    at: datetime,
    actor: tuple[str, str],
    values: tuple[str | None, str | None, str | None],
    ticket: Ticket,
    assignee_email: str | None,
) -> dict[str, Any]:
    """The JSON document for one audit event of a mapped kind: `actor` is (id, name), `values` the event's (old
    value, new value, text), `ticket` the ticket as the event's transaction left it."""
    actor_id, actor_name = actor
    old, new, text = values
    return {
        "schemaVersion": SCHEMA_VERSION,
        "id": public_id(event_id),
        "type": PUBLIC_TYPES[kind],
        "occurredAt": iso(at),
        "ticket": ticket_document(ticket, assignee_email),
        "actor": {"type": actor_type(ticket, actor_id), "name": actor_name},
        "change": _change(kind, old, new, text, ticket, actor_id),
    }


def ticket_document(ticket: Ticket, assignee_email: str | None) -> dict[str, Any]:
    """The ticket's state: what a PSA keeps on its own ticket. No Teams ids, no conversation keys, no tokens."""
    assignee = {"name": ticket.assignee_name or "", "email": assignee_email} if ticket.assignee_id is not None else None
    return {
        "number": ticket.number,
        "title": ticket.fields.title,
        "product": ticket.fields.product.value,
        "service": ticket.fields.service,
        "severity": ticket.fields.severity.value,
        "status": ticket.status.value,
        "customer": {"tenantId": ticket.requester.tenant_id, "name": ticket.requester.customer_name},
        "requester": {"name": ticket.requester.name, "email": ticket.requester.email or None},
        "assignee": assignee,
        "createdAt": iso(ticket.created_at),
        "firstResponseDue": iso(ticket.first_response_due),
        "resolutionDue": iso(ticket.resolution_due),
        "serviceRequestId": ticket.sr_id,
    }


def _change(
    kind: str, old: str | None, new: str | None, text: str | None, ticket: Ticket, actor: str
) -> dict[str, Any]:
    if kind == "created":
        return {"description": ticket.fields.description, "contact": ticket.fields.contact}
    if kind == "assigned":
        return {"from": old, "to": new or ""}
    if kind == "status":
        return {"from": old or "", "to": new or ""}
    if kind in ("reply", "customer_message"):
        return {"by": "customer" if kind == "customer_message" else actor_type(ticket, actor), "text": text or ""}
    if kind == "escalated":
        return {"serviceRequestId": new or "", "vehicle": text}
    if kind == "resolved":
        return {"summary": text or ""}
    if kind == "rated":
        return {"score": int(new or 0), "comment": text}
    raise ValueError(f"no public event for {kind!r}")
