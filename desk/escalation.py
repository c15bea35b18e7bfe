"""Escalating a ticket to Microsoft: which support vehicle applies, which support topics fit the ticket, what
the service request says, and the escalation form's draft (so nothing typed is lost while signing in)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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


def request_id(escalation_id: str, attempt: int = 0) -> str:
    """The MS-RequestId of a form's filing: stable, so a repeated submit cannot create a second request. Partner
    Center: the retry after a timeout "should include the same value"; "upon receiving a response (success or
    business failure), the value should be reset for the next call"
    (https://learn.microsoft.com/en-us/partner-center/developer/headers), so each refusal moves to a new attempt.
    """
    name = f"partner-desk/escalation/{escalation_id}" + (f"/{attempt}" if attempt else "")
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


@dataclass(frozen=True)
class EscalationDraft:
    """The escalation form as last typed; `sr_id` once the service request exists.

    `filing_at` is set while a filing's outcome is open: an attempt is running (until `filing_until`), or one
    ended without an answer, so Partner Center may have filed it. `attempt` counts Partner Center's refusals.
    """

    id: str
    ticket_id: int
    technician_aad_id: str
    fields: dict[str, str]
    sr_id: str | None
    created_at: datetime
    attempt: int = 0
    filing_at: datetime | None = None
    filing_until: datetime | None = None

    @property
    def request_id(self) -> str:
        """The MS-RequestId of this form's current attempt."""
        return request_id(self.id, self.attempt)

    def running(self, now: datetime) -> bool:
        """Whether an attempt of this form is being sent right now (by this or another instance)."""
        return self.filing_until is not None and self.filing_until > now


@dataclass(frozen=True)
class Send:
    """File now, with this MS-RequestId (the same as before when an earlier attempt's outcome is unknown)."""

    draft: EscalationDraft
    ticket: Ticket


@dataclass(frozen=True)
class AlreadyFiled:
    """This form's service request exists."""

    draft: EscalationDraft
    ticket: Ticket


@dataclass(frozen=True)
class Running:
    """An attempt of this form is being sent right now."""

    draft: EscalationDraft
    ticket: Ticket


@dataclass(frozen=True)
class OtherFiling:
    """Another form of the ticket is being filed, or its filing is unconfirmed: Partner Center may have it."""

    other: EscalationDraft
    ticket: Ticket
    running: bool


@dataclass(frozen=True)
class Blocked:
    """The ticket cannot be escalated now (not open, or its service request is open)."""

    ticket: Ticket


Filing = Send | AlreadyFiled | Running | OtherFiling | Blocked


def decide(draft: EscalationDraft, ticket: Ticket, other: EscalationDraft | None, now: datetime) -> Filing:
    """Whether a submit of `draft` may file now. A form whose earlier attempt is unconfirmed is sent again
    whatever became of the ticket: Partner Center may hold that request, and only repeating it tells."""
    if draft.sr_id:
        return AlreadyFiled(draft, ticket)
    if draft.running(now):
        return Running(draft, ticket)
    if draft.filing_at is not None:
        return Send(draft, ticket)
    if other is not None:
        return OtherFiling(other, ticket, other.running(now))
    if ticket.has_open_sr or not ticket.is_open:
        return Blocked(ticket)
    return Send(draft, ticket)


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
