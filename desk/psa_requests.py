"""What a PSA may ask of a ticket through the bridge's inbound endpoint, read from its JSON body. Pure: which
technician an assignee names, and whether the change is allowed, are decided later, as for a technician's click.

    {"action": "set_status", "status": "in_progress"}
    {"action": "set_status", "status": "resolved", "summary": "Re-created the mail flow rule."}
    {"action": "assign", "assignee": "alex@contoso.example"}   (e-mail or Entra object id of a known technician)
    {"action": "reply", "text": "..."}                          (sent to the customer)
    {"action": "note", "text": "..."}                           (private, technicians only)

An optional "requestId" (1-100 characters) makes a retried request apply once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from desk.changes import Change, Note, Reply, Resolve, SetStatus
from desk.tickets import MESSAGE_LIMIT, Status

ACTIONS = ("set_status", "assign", "reply", "note")
_ALLOWED = {
    "set_status": {"status", "summary"},
    "assign": {"assignee"},
    "reply": {"text"},
    "note": {"text"},
}


class BadRequest(ValueError):
    """A body that is not a request the bridge understands; the message says what is wrong."""


@dataclass(frozen=True)
class PsaRequest:
    """One request: the change, or for "assign" the assignee still to be looked up."""

    action: str
    change: Change | None
    assignee: str | None
    request_id: str | None


def parse_request(body: dict[str, Any]) -> PsaRequest:
    """The request in `body`; raises BadRequest."""
    action = body.get("action")
    if action not in ACTIONS:
        raise BadRequest(f"action must be one of {', '.join(ACTIONS)}")
    unknown = set(body) - _ALLOWED[action] - {"action", "requestId"}
    if unknown:
        raise BadRequest(f"unknown fields for {action}: {', '.join(sorted(unknown))}")
    request_id = body.get("requestId")
    if request_id is not None and (not isinstance(request_id, str) or not 1 <= len(request_id) <= 100):
        raise BadRequest("requestId must be a string of 1 to 100 characters")
    if request_id is not None and not _storable(request_id):
        raise BadRequest(f"requestId {_UNSTORABLE}")
    if action == "assign":
        return PsaRequest(action, None, _string(body, "assignee", 320), request_id)
    if action == "set_status":
        return PsaRequest(action, _status_change(body), None, request_id)
    text = _string(body, "text", MESSAGE_LIMIT)
    return PsaRequest(action, Reply(text) if action == "reply" else Note(text), None, request_id)


def _status_change(body: dict[str, Any]) -> Change:
    raw = _string(body, "status", 40)
    try:
        status = Status(raw)
    except ValueError:
        raise BadRequest(f"status must be one of {', '.join(s.value for s in Status)}") from None
    if "summary" in body:
        if status is not Status.RESOLVED:
            raise BadRequest("summary goes with status resolved only")
        return Resolve(_string(body, "summary", MESSAGE_LIMIT))
    return SetStatus(status)  # to resolved without a summary: refused as a technician's would be


def _string(body: dict[str, Any], name: str, limit: int) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{name} must be a non-empty string")
    if len(value) > limit:
        raise BadRequest(f"{name} is longer than {limit} characters")
    if not _storable(value):
        raise BadRequest(f"{name} {_UNSTORABLE}")
    return value


_UNSTORABLE = "holds a NUL or an unpaired surrogate character"


def _storable(value: str) -> bool:
    """Whether the database can keep `value`: JSON may spell NUL (which PostgreSQL's text refuses) and a lone
    surrogate (which no UTF-8 encodes); either would fail the change's transaction, a 500 instead of a 400."""
    return "\x00" not in value and not any("\ud800" <= char <= "\udfff" for char in value)
