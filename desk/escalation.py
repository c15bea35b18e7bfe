"""Escalating a ticket to Microsoft: which support vehicle applies, which support topics fit the ticket, what
the service request says, and the escalation form's draft (so nothing typed is lost while signing in)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from desk.clock import from_iso, to_iso
from desk.store.database import Cx
from desk.tickets import Product, Ticket

PLAN_NAMES = {
    "premier": "Premier Support for Partners",
    "advanced": "Advanced Support for Partners",
    "signature": "Signature Cloud Support",
}
COMMERCIAL_WORDS = ("billing", "invoice", "subscription", "licens", "purchase", "commerce", "payment", "refund")
PRODUCT_WORDS = {
    Product.M365: (
        "exchange",
        "teams",
        "sharepoint",
        "onedrive",
        "office",
        "microsoft 365",
        "entra",
        "intune",
        "outlook",
    ),
    Product.AZURE: ("azure", "entra"),
    Product.DYNAMICS: ("dynamics",),
    Product.OTHER: (),
}
FIELDS = ("topic", "severity", "title", "description", "contact")
LIMITS = {"title": 200, "description": 10_000, "contact": 200}


@dataclass(frozen=True)
class Vehicle:
    """How Microsoft will handle the request: commercial support, or technical support under the partner's plan."""

    kind: str  # commercial | technical | none
    plan: str | None  # the plan's name for technical support


def vehicle_for(topic_name: str, plan: str) -> Vehicle:
    """Billing and subscription topics go to commercial support (every CSP partner has it); the rest need the
    partner's technical support plan."""
    if any(word in topic_name.casefold() for word in COMMERCIAL_WORDS):
        return Vehicle("commercial", None)
    name = PLAN_NAMES.get(plan)
    return Vehicle("technical", name) if name else Vehicle("none", None)


def fitting_topics(topics: Sequence[Any], ticket: Ticket) -> list[Any]:
    """Support topics for the ticket's product first (matched by name, and its service), then billing topics,
    then the rest; never empty when topics exist."""
    words = PRODUCT_WORDS[ticket.fields.product]
    service = ticket.fields.service.casefold()

    def rank(topic: Any) -> tuple[int, str]:
        name = topic.name.casefold()
        if any(part in name for part in service.split() if len(part) > 3) or (name and name in service):
            return (0, name)
        if any(word in name for word in words):
            return (1, name)
        if any(word in name for word in COMMERCIAL_WORDS):
            return (2, name)
        return (3, name)

    return sorted(topics, key=rank)


def request_id(escalation_id: str) -> str:
    """The MS-RequestId for an escalation: stable, so a repeated submit cannot create a second request."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"partner-desk/escalation/{escalation_id}"))


@dataclass(frozen=True)
class EscalationDraft:
    """The escalation form as last typed; `sr_id` once the service request exists."""

    id: str
    ticket_id: int
    technician_aad_id: str
    fields: dict[str, str]
    sr_id: str | None
    created_at: datetime


def save_draft(cx: Cx, draft: EscalationDraft) -> None:
    """Insert or update a draft's fields (and SR id)."""
    cx.execute(
        "INSERT INTO escalations (id, ticket_id, technician_aad_id, fields, sr_id, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET fields = excluded.fields,"
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
    if row is None:
        return None
    return EscalationDraft(
        row["id"],
        row["ticket_id"],
        row["technician_aad_id"],
        json.loads(row["fields"]),
        row["sr_id"],
        from_iso(row["created_at"]),  # type: ignore[arg-type]
    )


def open_draft_for(cx: Cx, ticket_id: int, aad_id: str) -> EscalationDraft | None:
    """The technician's unsubmitted draft for this ticket, to continue where they left off."""
    row = cx.one(
        "SELECT id FROM escalations WHERE ticket_id = ? AND technician_aad_id = ? AND sr_id IS NULL"
        " ORDER BY created_at DESC LIMIT 1",
        (ticket_id, aad_id),
    )
    return get_draft(cx, row["id"]) if row else None


def validate(fields: dict[str, str], topic_ids: set[str]) -> dict[str, str]:
    """Problems per field (codes as for the ticket form); empty when the escalation can be sent."""
    errors: dict[str, str] = {}
    for name in FIELDS:
        value = fields.get(name, "").strip()
        if not value:
            errors[name] = "required"
        elif name in LIMITS and len(value) > LIMITS[name]:
            errors[name] = "too_long"
    if fields.get("topic") and fields["topic"] not in topic_ids:
        errors["topic"] = "invalid_choice"
    if fields.get("severity") and fields["severity"] not in ("critical", "moderate", "minimal"):
        errors["severity"] = "invalid_choice"
    return errors
