"""Service requests on Partner Center's wire: the camelCase resource, request-body checks, error bodies."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from emulator.demo_support import SUPPORT_TOPICS
from emulator.sr_store import STATUSES, StoredServiceRequest
from emulator.state import EmulatorState

SEVERITIES = ("unknown", "critical", "moderate", "minimal")
UNSET = "0001-01-01T00:00:00"
REQUIRED = ("Title", "Description", "Severity", "SupportTopicId")
DEMO_PRODUCT_ID = "16001"


def resource(item: StoredServiceRequest, *, integers: bool = False, notes: bool = True) -> dict[str, Any]:
    """The ServiceRequest resource; `integers` sends severity and status as numbers (as some lists do)."""
    body: dict[str, Any] = {
        "id": item.id,
        "title": item.title,
        "description": item.description,
        "severity": SEVERITIES.index(item.severity) if integers else item.severity,
        "supportTopicId": item.support_topic_id,
        "supportTopicName": item.support_topic_name,
        "status": STATUSES.index(item.status) if integers else item.status,
        "organization": item.organization,
        # The documented examples carry a productId; the emulator files every request under one demo product.
        "productId": DEMO_PRODUCT_ID,
        "primaryContact": item.primary_contact,
        "lastUpdatedBy": item.last_updated_by,
        "createdDate": _stamp(item.created, zone=True),
        "lastModifiedDate": _stamp(item.last_modified, zone=True),
        "lastClosedDate": _stamp(item.last_closed, zone=True) if item.last_closed else UNSET,
        "countryCode": item.country_code,
        "attributes": {"objectType": "ServiceRequest"},
    }
    if notes:
        # Note dates come without a zone in Partner Center's example ("2017-01-09T23:31:15.373").
        body["notes"] = [
            {"createdByName": n.created_by, "createdDate": _stamp(n.created, zone=False), "text": n.text}
            for n in item.notes
        ]
    return body


def validate_new(body: dict[str, Any]) -> tuple[str, str]:
    """(what is wrong with a create body or "", the support topic's name)."""
    for name in REQUIRED:
        value = field_of(body, name)
        if value is None or not str(value).strip():
            return f"{name} is required.", ""
    if str(field_of(body, "Severity")).lower() not in SEVERITIES[1:]:
        return "Severity must be one of critical, moderate, minimal.", ""
    topic_id = str(field_of(body, "SupportTopicId"))
    name = next((name for number, name, _ in SUPPORT_TOPICS if str(number) == topic_id), None)
    if name is None:
        return f"The support topic {topic_id} does not exist.", ""
    return "", name


def field_of(body: Any, name: str) -> Any:
    """A PascalCase field of a request body, also read in camelCase."""
    if not isinstance(body, dict):
        return None
    value = body.get(name)
    return body.get(name[0].lower() + name[1:]) if value is None else value


def camel(value: Any) -> Any:
    """A request object with camelCase keys, as Partner Center echoes it."""
    if isinstance(value, dict):
        return {(k[0].lower() + k[1:] if k else k): camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


def user_name(claims: dict[str, Any]) -> str:
    """The signed-in user's display name (their UPN when the token has no name)."""
    return str(claims.get("name") or claims.get("upn") or claims.get("unique_name") or "Partner user")


def contact(claims: dict[str, Any]) -> dict[str, Any]:
    """The signed-in user as a Contact (lastUpdatedBy)."""
    first, _, last = user_name(claims).partition(" ")
    return {
        "contactId": str(claims.get("oid") or ""),
        "firstName": str(claims.get("given_name") or first),
        "lastName": str(claims.get("family_name") or last),
        "email": str(claims.get("upn") or claims.get("email") or ""),
    }


def customer_named(state: EmulatorState, text: str) -> str | None:
    """The customer whose tenant id or primary domain the text mentions."""
    folded = text.casefold()
    for customer in state.customers:
        if customer.tenant_id in folded or customer.domain.casefold() in folded:
            return customer.tenant_id
    return None


def invalid(description: str) -> web.Response:
    """400 in Partner Center's newer error body (errorName "InvalidInput" is the emulator's choice)."""
    body = {
        "code": "400",  # a string, as the error codes page types it
        "description": description,
        "message": description,
        "errorName": "InvalidInput",
        "isRetryable": False,
        "data": [],
        "source": "PartnerFD",
    }
    return web.json_response(body, status=400)


def not_found(sr_id: str) -> web.Response:
    """404 as RFC 7807 ProblemDetails."""
    body = {
        "type": "https://tools.ietf.org/html/rfc7231#section-6.5.4",
        "title": "Not Found",
        "status": 404,
        "detail": f"Service request {sr_id} was not found.",
        "traceId": f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-00",
    }
    return web.json_response(body, status=404, content_type="application/problem+json")


def _stamp(moment: datetime, *, zone: bool) -> str:
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    text = f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}"
    return text + "Z" if zone else text
