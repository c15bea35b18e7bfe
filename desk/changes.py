"""The changes that can happen to a ticket, as data: who asks, and what they ask for."""

from __future__ import annotations

from dataclasses import dataclass

from desk.people import Role
from desk.tickets import Severity, Status


@dataclass(frozen=True)
class Actor:
    """Who makes a change."""

    aad_id: str
    name: str
    role: Role


@dataclass(frozen=True)
class AssignTo:
    """Give the ticket to a technician (the actor themself for "assign to me")."""

    aad_id: str
    name: str


@dataclass(frozen=True)
class SetSeverity:
    """Change the severity (and with it the SLA targets)."""

    severity: Severity


@dataclass(frozen=True)
class SetStatus:
    """Move the ticket to another status."""

    status: Status


@dataclass(frozen=True)
class Reply:
    """A technician's message to the customer."""

    text: str


@dataclass(frozen=True)
class Note:
    """A private note for technicians only."""

    text: str


@dataclass(frozen=True)
class Resolve:
    """Resolve with a summary for the customer."""

    summary: str


@dataclass(frozen=True)
class Reopen:
    """Bring a resolved or closed ticket back to work."""


@dataclass(frozen=True)
class CustomerMessage:
    """The requester wrote in their chat while the ticket is active."""

    text: str


@dataclass(frozen=True)
class Confirm:
    """The requester confirms the resolution: the ticket closes."""


@dataclass(frozen=True)
class Reject:
    """The requester says the problem is not solved: the ticket goes back to work."""


@dataclass(frozen=True)
class Rate:
    """The requester rates the support received."""

    score: int
    comment: str = ""


@dataclass(frozen=True)
class Escalate:
    """A Microsoft service request was filed for the ticket."""

    sr_id: str
    sr_status: str
    vehicle: str
    notes: int = 0
    escalated_by: str | None = None  # whose Partner Center sign-in filed it; the sync reads with the same one


@dataclass(frozen=True)
class SrUpdate:
    """What changed on the ticket's service request since it was last read: its status, notes from Microsoft."""

    status: str
    notes_seen: int
    new_notes: tuple[str, ...] = ()


TECHNICIAN_CHANGES = (AssignTo, SetSeverity, SetStatus, Reply, Note, Resolve, Reopen, Escalate, SrUpdate)
REQUESTER_CHANGES = (CustomerMessage, Confirm, Reject, Rate)
Change = (
    AssignTo
    | SetSeverity
    | SetStatus
    | Reply
    | Note
    | Resolve
    | Reopen
    | CustomerMessage
    | Confirm
    | Reject
    | Rate
    | Escalate
    | SrUpdate
)
