"""Partner Center's support resources as the desk uses them (service requests and their notes, support topics, a
customer's managed services and subscriptions, the partner's support profile), parsed from Partner Center's JSON.

Responses are camelCase; PascalCase keys are read too, as Partner Center echoes request bodies in either form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Index = the integer Partner Center sends in some collections (PC-SDK ServiceRequestSeverity/ServiceRequestStatus).
SEVERITIES = ("unknown", "critical", "moderate", "minimal")
STATUSES = ("none", "open", "closed", "attention_needed")


@dataclass(frozen=True)
class SupportTopic:
    """A topic a service request is filed under; `id` is the SupportTopicId (a number on the wire, text here)."""

    id: str
    name: str
    description: str


@dataclass(frozen=True)
class SrNote:
    """A note on a service request, by the partner's user or by Microsoft support."""

    created_by: str
    created: datetime | None
    text: str


@dataclass(frozen=True)
class ServiceRequest:
    """A service request filed with Microsoft support.

    `severity` is one of SEVERITIES and `status` one of STATUSES; unset dates are None; `organization` is the
    filing organisation's name (its id when no name was sent).
    """

    id: str
    title: str
    description: str
    severity: str
    status: str
    support_topic_id: str
    support_topic_name: str
    created: datetime | None
    last_modified: datetime | None
    last_closed: datetime | None
    organization: str
    notes: tuple[SrNote, ...]


@dataclass(frozen=True)
class ManagedService:
    """A service of a customer the partner administers, with its admin portal."""

    id: str
    name: str
    group_name: str
    admin_url: str


@dataclass(frozen=True)
class Subscription:
    """A customer's subscription; `status` and `billing_cycle` lower-case as sent (active, monthly, ...)."""

    id: str
    offer_name: str
    friendly_name: str
    quantity: int
    status: str
    billing_cycle: str


@dataclass(frozen=True)
class SupportProfile:
    """How the partner's own customers reach the partner's support."""

    email: str
    telephone: str
    website: str


def severity_name(value: Any) -> str:
    """A severity sent as text (any case) or integer, as one of SEVERITIES ("unknown" when unrecognised)."""
    return _enum(value, SEVERITIES)


def status_name(value: Any) -> str:
    """A status sent as text (any case, also "AttentionNeeded") or integer, as one of STATUSES ("none" when
    unrecognised)."""
    return _enum(value, STATUSES)


def parse_date(value: Any) -> datetime | None:
    """A Partner Center date (with or without a zone; no zone means UTC); None for "0001-01-01T00:00:00"."""
    if not isinstance(value, str) or not value or value.startswith("0001-01-01"):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def service_request(item: Mapping[str, Any]) -> ServiceRequest:
    """A ServiceRequest resource."""
    organization = _get(item, "organization") or {}
    notes = _get(item, "notes") or []
    return ServiceRequest(
        id=_text(item, "id"),
        title=_text(item, "title"),
        description=_text(item, "description"),
        severity=severity_name(_get(item, "severity")),
        status=status_name(_get(item, "status")),
        support_topic_id=_text(item, "supportTopicId"),
        support_topic_name=_text(item, "supportTopicName"),
        created=parse_date(_get(item, "createdDate")),
        last_modified=parse_date(_get(item, "lastModifiedDate")),
        last_closed=parse_date(_get(item, "lastClosedDate")),
        organization=(_text(organization, "name") or _text(organization, "id"))
        if isinstance(organization, dict)
        else "",
        notes=tuple(
            SrNote(_text(note, "createdByName"), parse_date(_get(note, "createdDate")), _text(note, "text"))
            for note in notes
            if isinstance(note, dict)
        ),
    )


def support_topic(item: Mapping[str, Any]) -> SupportTopic:
    """A SupportTopic resource."""
    return SupportTopic(_text(item, "id"), _text(item, "name"), _text(item, "description"))


def managed_service(item: Mapping[str, Any]) -> ManagedService:
    """A ManagedService resource."""
    admin = ((_get(item, "links") or {}).get("adminService") or {}).get("uri") or ""
    return ManagedService(_text(item, "id"), _text(item, "name"), _text(item, "groupName"), str(admin))


def subscription(item: Mapping[str, Any]) -> Subscription:
    """A Subscription resource."""
    try:
        quantity = int(_get(item, "quantity") or 0)
    except (TypeError, ValueError):
        quantity = 0
    return Subscription(
        id=_text(item, "id"),
        offer_name=_text(item, "offerName"),
        friendly_name=_text(item, "friendlyName"),
        quantity=quantity,
        status=_text(item, "status").lower(),
        billing_cycle=_text(item, "billingCycle").lower(),
    )


def support_profile(body: Mapping[str, Any]) -> SupportProfile:
    """The SupportProfile resource."""
    return SupportProfile(_text(body, "email"), _text(body, "telephone"), _text(body, "website"))


def _enum(value: Any, names: tuple[str, ...]) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return names[value] if 0 <= value < len(names) else names[0]
    if isinstance(value, str):
        if re.fullmatch(r"[0-9]{1,3}", value.strip()):
            return _enum(int(value), names)
        wanted = value.replace("_", "").replace(" ", "").casefold()
        return next((name for name in names if name.replace("_", "") == wanted), names[0])
    return names[0]


def _get(item: Mapping[str, Any], key: str) -> Any:
    value = item.get(key)
    return item.get(key[0].upper() + key[1:]) if value is None else value


def _text(item: Mapping[str, Any], key: str) -> str:
    value = _get(item, key)
    return "" if value is None else str(value)
