"""Tickets: what a customer raises, what technicians work on. Pure data and rules, no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Severity(StrEnum):
    """Partner Center's service-request severities."""

    CRITICAL = "critical"
    MODERATE = "moderate"
    MINIMAL = "minimal"


class Product(StrEnum):
    """The product family a ticket is about."""

    M365 = "microsoft365"
    AZURE = "azure"
    DYNAMICS = "dynamics365"
    OTHER = "other"


class Status(StrEnum):
    """A ticket's place in its life."""

    NEW = "new"
    TRIAGED = "triaged"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting_on_customer"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = frozenset(Status) - {Status.RESOLVED, Status.CLOSED}
# Longest text accepted per field, in characters.
LIMITS = {"service": 100, "title": 120, "description": 4000, "contact": 200}
MESSAGE_LIMIT = 4000  # replies, notes, customer messages, resolution summaries
FIELDS = ("product", "service", "severity", "title", "description", "contact")
NUMBER_OFFSET = 1000


@dataclass(frozen=True)
class TicketFields:
    """What the customer typed into the new-ticket form, validated."""

    product: Product
    service: str
    severity: Severity
    title: str
    description: str
    contact: str


def validate_fields(raw: Mapping[str, object]) -> tuple[TicketFields | None, dict[str, str]]:
    """Validate form input; returns the fields, or None and a map of field -> problem code.

    Problem codes are `required`, `too_long` and `invalid_choice` (the caller localises them).
    """
    values = {name: _text(raw.get(name)) for name in FIELDS}
    errors: dict[str, str] = {}
    for name in FIELDS:
        if not values[name]:
            errors[name] = "required"
        elif name in LIMITS and len(values[name]) > LIMITS[name]:
            errors[name] = "too_long"
    if values["product"] and values["product"] not in set(Product):
        errors["product"] = "invalid_choice"
    if values["severity"] and values["severity"] not in set(Severity):
        errors["severity"] = "invalid_choice"
    if errors:
        return None, errors
    return (
        TicketFields(
            product=Product(values["product"]),
            service=values["service"],
            severity=Severity(values["severity"]),
            title=values["title"],
            description=values["description"],
            contact=values["contact"],
        ),
        {},
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    return str(value).replace("\r\n", "\n").strip()


@dataclass(frozen=True)
class Requester:
    """The customer user who raised a ticket, and where to reach them."""

    tenant_id: str
    customer_name: str
    aad_id: str
    name: str
    email: str
    conversation_key: str


@dataclass(frozen=True)
class Ticket:
    """A ticket as stored."""

    id: int
    number: str
    requester: Requester
    fields: TicketFields
    status: Status
    created_at: datetime
    updated_at: datetime
    updated_by: str
    assignee_id: str | None = None
    assignee_name: str | None = None
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    triage_activity_id: str | None = None
    customer_card_activity_id: str | None = None
    resolution: str | None = None
    closed_at: datetime | None = None
    rating: int | None = None
    rating_comment: str | None = None
    sr_id: str | None = None
    sr_status: str | None = None
    sr_vehicle: str | None = None
    sr_escalated_by: str | None = None
    sr_notes_seen: int = 0
    sla_paused_at: datetime | None = None  # since when the resolution clock stands (waiting on the customer)
    sla_paused_seconds: int = 0  # business seconds it stood before, added to the resolution target
    version: int = 1
    triage_channel: str | None = None  # the conversation key of the channel its triage card lives in (or will)

    @property
    def has_open_sr(self) -> bool:
        """Whether a Microsoft service request for this ticket is still open."""
        return bool(self.sr_id) and self.sr_status != "closed"

    @property
    def is_open(self) -> bool:
        """Whether technicians still have work to do on it."""
        return self.status in OPEN_STATUSES

    @property
    def next_due(self) -> datetime | None:
        """The SLA deadline that matters now: first response until answered, then resolution (none while its clock
        is paused, waiting on the customer). The store keeps it in next_due_at (migration 14), for the queue's order."""
        if self.first_response_at is None and self.first_response_due is not None:
            return self.first_response_due
        return self.resolution_due if self.sla_paused_at is None else None


def ticket_number(ticket_id: int) -> str:
    """The short readable number shown to people, e.g. T-1001."""
    return f"T-{NUMBER_OFFSET + ticket_id}"


def parse_ticket_number(text: str) -> int | None:
    """The ticket id behind 'T-1001' (any case, with or without the dash), or None."""
    cleaned = text.strip().upper().replace(" ", "")
    if cleaned.startswith("T-"):
        cleaned = cleaned[2:]
    elif cleaned.startswith("T"):
        cleaned = cleaned[1:]
    # ASCII digits only, and few enough for SQLite's integers ('²' is a digit to str.isdigit, int() refuses it).
    if not re.fullmatch(r"[0-9]{1,12}", cleaned) or int(cleaned) <= NUMBER_OFFSET:
        return None
    return int(cleaned) - NUMBER_OFFSET
