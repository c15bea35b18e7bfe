"""What may happen to a ticket, who may do it, and what it changes. Pure rules: `plan` says what a change
would write, or refuses it with a reason the caller shows to the person. The changes are data in desk.changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from desk.changes import (
    REQUESTER_CHANGES,
    TECHNICIAN_CHANGES,
    Actor,
    AssignTo,
    Change,
    Confirm,
    CustomerMessage,
    Escalate,
    Note,
    Rate,
    Reject,
    Reopen,
    Reply,
    Resolve,
    SetSeverity,
    SetStatus,
    SrUpdate,
)
from desk.people import Role
from desk.sla import SlaPolicy
from desk.tickets import MESSAGE_LIMIT, OPEN_STATUSES, Status, Ticket

# Where a technician may move a ticket with "change status". Resolving needs a summary (Resolve) and
# reopening has its own action, so neither appears here.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.TRIAGED, Status.IN_PROGRESS, Status.WAITING, Status.ESCALATED}),
    Status.TRIAGED: frozenset({Status.IN_PROGRESS, Status.WAITING, Status.ESCALATED}),
    Status.IN_PROGRESS: frozenset({Status.TRIAGED, Status.WAITING, Status.ESCALATED}),
    Status.WAITING: frozenset({Status.IN_PROGRESS, Status.ESCALATED}),
    Status.ESCALATED: frozenset({Status.IN_PROGRESS, Status.WAITING}),
    Status.RESOLVED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


def allowed_statuses(ticket: Ticket) -> frozenset[Status]:
    """Where "change status" may move `ticket`: TRANSITIONS, and "escalated to Microsoft" only while the ticket has
    an open service request (filing one is what escalates a ticket)."""
    allowed = TRANSITIONS[ticket.status]
    return allowed if ticket.has_open_sr else allowed - {Status.ESCALATED}


class Refused(Exception):
    """A change that is not allowed; `key` and `values` make the message shown to the person."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class EventSpec:
    """An audit record to write: kind, and the field's old and new values or a text."""

    kind: str
    field: str | None = None
    old: str | None = None
    new: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Plan:
    """What a change writes: ticket columns and audit events."""

    columns: dict[str, Any] = field(default_factory=dict)
    events: list[EventSpec] = field(default_factory=list)


def plan(ticket: Ticket, actor: Actor, change: Change, now: datetime, sla: SlaPolicy) -> Plan:
    """The columns and events of `change` on `ticket` by `actor`, or Refused."""
    if isinstance(change, TECHNICIAN_CHANGES) and actor.role is not Role.TECHNICIAN:
        raise Refused("refusal.technicians_only")
    if isinstance(change, REQUESTER_CHANGES) and actor.aad_id != ticket.requester.aad_id:
        raise Refused("refusal.not_yours")
    planner = _PLANNERS[type(change)]
    return planner(ticket, change, now, sla)


def _open(ticket: Ticket) -> None:
    if ticket.status not in OPEN_STATUSES:
        raise Refused("refusal.ticket_not_open", number=ticket.number, status=ticket.status.value)


def _text(text: str, limit: int = MESSAGE_LIMIT) -> str:
    cleaned = text.replace("\r\n", "\n").strip()
    if not cleaned:
        raise Refused("refusal.empty_text")
    if len(cleaned) > limit:
        raise Refused("refusal.text_too_long", limit=limit)
    return cleaned


def _status(ticket: Ticket, new: Status, now: datetime, sla: SlaPolicy) -> tuple[dict[str, Any], EventSpec]:
    columns: dict[str, Any] = {"status": new.value}
    if new is Status.WAITING and ticket.status is not Status.WAITING:
        columns["sla_paused_at"] = now  # the resolution clock stands while the customer has the ball
    elif ticket.status is Status.WAITING and new is not Status.WAITING and ticket.sla_paused_at is not None:
        stood = sla.hours.elapsed(ticket.sla_paused_at, now)
        columns["sla_paused_at"] = None
        columns["sla_paused_seconds"] = ticket.sla_paused_seconds + int(stood.total_seconds())
        if ticket.resolution_due is not None:
            columns["resolution_due"] = sla.hours.add(ticket.resolution_due, stood)
    return columns, EventSpec("status", "status", ticket.status.value, new.value)


def _assign(ticket: Ticket, change: AssignTo, now: datetime, sla: SlaPolicy) -> Plan:
    _open(ticket)
    if ticket.assignee_id == change.aad_id:
        raise Refused("refusal.already_assigned", number=ticket.number, name=change.name)
    columns: dict[str, Any] = {"assignee_aad_id": change.aad_id, "assignee_name": change.name}
    events = [EventSpec("assigned", "assignee", ticket.assignee_name, change.name)]
    if ticket.status is Status.NEW:
        status_columns, event = _status(ticket, Status.TRIAGED, now, sla)
        columns.update(status_columns)
        events.append(event)
    return Plan(columns, events)


def _severity(ticket: Ticket, change: SetSeverity, now: datetime, sla: SlaPolicy) -> Plan:
    _open(ticket)
    if ticket.fields.severity is change.severity:
        raise Refused("refusal.same_severity", severity=change.severity.value)
    response_due, resolution_due = sla.dues(ticket.created_at, change.severity)
    resolution_due = sla.hours.add(resolution_due, timedelta(seconds=ticket.sla_paused_seconds))
    columns = {"severity": change.severity.value, "first_response_due": response_due, "resolution_due": resolution_due}
    return Plan(columns, [EventSpec("severity", "severity", ticket.fields.severity.value, change.severity.value)])


def _set_status(ticket: Ticket, change: SetStatus, now: datetime, sla: SlaPolicy) -> Plan:
    if change.status is Status.RESOLVED:
        raise Refused("refusal.resolve_needs_summary")
    if change.status not in allowed_statuses(ticket):
        raise Refused("refusal.transition", number=ticket.number, old=ticket.status.value, new=change.status.value)
    columns, event = _status(ticket, change.status, now, sla)
    if change.status is Status.CLOSED:
        columns["closed_at"] = now
    return Plan(columns, [event])


def _reply(ticket: Ticket, change: Reply, now: datetime, sla: SlaPolicy) -> Plan:
    if ticket.status is Status.CLOSED:
        raise Refused("refusal.ticket_not_open", number=ticket.number, status=ticket.status.value)
    columns: dict[str, Any] = {}
    if ticket.first_response_at is None:
        columns["first_response_at"] = now
    return Plan(columns, [EventSpec("reply", text=_text(change.text))])


def _note(ticket: Ticket, change: Note, now: datetime, sla: SlaPolicy) -> Plan:
    return Plan({}, [EventSpec("note", text=_text(change.text))])


def _resolve(ticket: Ticket, change: Resolve, now: datetime, sla: SlaPolicy) -> Plan:
    _open(ticket)
    summary = _text(change.summary)
    columns, event = _status(ticket, Status.RESOLVED, now, sla)
    columns.update({"resolution": summary, "resolved_at": now})
    if ticket.first_response_at is None:
        columns["first_response_at"] = now
    return Plan(columns, [event, EventSpec("resolved", text=summary)])


def _reopen(ticket: Ticket, change: Reopen | Reject, now: datetime, sla: SlaPolicy) -> Plan:
    # A technician may reopen a closed ticket; a customer's "not fixed" answers a resolution that is still open
    # for confirmation, not a ticket closed long ago (an old card must not bring it back).
    allowed = (Status.RESOLVED,) if isinstance(change, Reject) else (Status.RESOLVED, Status.CLOSED)
    if ticket.status not in allowed:
        raise Refused("refusal.not_resolved", number=ticket.number)
    columns, event = _status(ticket, Status.IN_PROGRESS, now, sla)
    columns.update({"resolved_at": None, "closed_at": None})
    kind = "rejected" if isinstance(change, Reject) else "reopened"
    return Plan(columns, [event, EventSpec(kind)])


def _customer_message(ticket: Ticket, change: CustomerMessage, now: datetime, sla: SlaPolicy) -> Plan:
    if ticket.status is Status.CLOSED:
        raise Refused("refusal.ticket_not_open", number=ticket.number, status=ticket.status.value)
    columns: dict[str, Any] = {"last_customer_message_at": now}
    events = [EventSpec("customer_message", text=_text(change.text))]
    if ticket.status in (Status.WAITING, Status.RESOLVED):
        status_columns, event = _status(ticket, Status.IN_PROGRESS, now, sla)
        columns.update(status_columns)
        if ticket.status is Status.RESOLVED:
            columns["resolved_at"] = None
        events.append(event)
    return Plan(columns, events)


def _confirm(ticket: Ticket, change: Confirm, now: datetime, sla: SlaPolicy) -> Plan:
    if ticket.status is not Status.RESOLVED:
        raise Refused("refusal.not_resolved", number=ticket.number)
    columns, event = _status(ticket, Status.CLOSED, now, sla)
    columns["closed_at"] = now
    return Plan(columns, [event, EventSpec("confirmed")])


def _rate(ticket: Ticket, change: Rate, now: datetime, sla: SlaPolicy) -> Plan:
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise Refused("refusal.not_resolved", number=ticket.number)
    if not 1 <= change.score <= 5:
        raise Refused("refusal.bad_rating")
    comment = change.comment.strip()
    if len(comment) > 1000:
        raise Refused("refusal.text_too_long", limit=1000)
    return Plan(
        {"rating": change.score, "rating_comment": comment or None},
        [EventSpec("rated", "rating", str(ticket.rating or ""), str(change.score), comment or None)],
    )


def _escalate(ticket: Ticket, change: Escalate, now: datetime, sla: SlaPolicy) -> Plan:
    _open(ticket)
    if ticket.has_open_sr:
        raise Refused("refusal.already_escalated", number=ticket.number, sr=ticket.sr_id)
    columns: dict[str, Any] = {
        "sr_id": change.sr_id,
        "sr_status": change.sr_status,
        "sr_vehicle": change.vehicle,
        "sr_notes_seen": change.notes,
        "sr_escalated_by": change.escalated_by,
    }
    events = [EventSpec("escalated", "sr", ticket.sr_id, change.sr_id, change.vehicle)]
    if ticket.status is not Status.ESCALATED:
        status_columns, event = _status(ticket, Status.ESCALATED, now, sla)
        columns.update(status_columns)
        events.insert(0, event)
    return Plan(columns, events)


def _sr_update(ticket: Ticket, change: SrUpdate, now: datetime, sla: SlaPolicy) -> Plan:
    columns: dict[str, Any] = {"sr_status": change.status, "sr_notes_seen": change.notes_seen}
    events = [EventSpec("sr_note", text=note) for note in change.new_notes]
    if change.status != ticket.sr_status:
        events.insert(0, EventSpec("sr_status", "sr_status", ticket.sr_status, change.status))
    return Plan(columns, events)


# Each planner takes the one change class it is filed under; a dict cannot tie a key's type to its value's
# parameter, so the change is Any here and `plan`'s lookup by type(change) keeps each pair right.
Planner = Callable[[Ticket, Any, datetime, SlaPolicy], Plan]
_PLANNERS: dict[type[Change], Planner] = {
    AssignTo: _assign,
    SetSeverity: _severity,
    SetStatus: _set_status,
    Reply: _reply,
    Note: _note,
    Resolve: _resolve,
    Reopen: _reopen,
    CustomerMessage: _customer_message,
    Confirm: _confirm,
    Reject: _reopen,
    Rate: _rate,
    Escalate: _escalate,
    SrUpdate: _sr_update,
}
