"""Escalation forms as the desk keeps them, filing their service requests once, and the tickets whose service
requests are still open.

Filing is recorded in the database around the call to Partner Center, so it holds across retries, restarts and
instances: `begin_filing` decides and marks an attempt as running (with its MS-RequestId), and exactly one of
`filing_refused`, `filing_unconfirmed` or `record_filing` ends it. A request Partner Center filed always lands
on its ticket, whatever became of the ticket meanwhile."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from desk.changes import Actor, Escalate
from desk.escalation import EscalationDraft, Filing, Send, decide
from desk.ms_response import plan_key
from desk.outbox import Outgoing
from desk.service_base import DeskBase
from desk.sla_plan import plan_alerts
from desk.store import escalations as escalation_sql
from desk.store import events as event_sql
from desk.store import outbox as outbox_sql
from desk.store import sr_clocks as clock_sql
from desk.store import tickets as ticket_sql
from desk.store.database import Cx
from desk.store.events import Event
from desk.ticket_service import Announce, write_change
from desk.tickets import Ticket
from desk.workflow import Refused

# How long one attempt may take before another instance may repeat it: Partner Center's bounded retries (four
# attempts, each up to 20 s, waits between them) fit well inside; an instance that died mid-call frees it then.
FILING_LEASE = timedelta(minutes=10)


class Linked(StrEnum):
    """How a filed service request landed on its ticket."""

    ESCALATED = "escalated"  # the ticket is now escalated to Microsoft with it
    ALREADY = "already"  # it was already the ticket's service request (a repeated answer)
    LATE = "late"  # the ticket was resolved or closed meanwhile: linked, status kept
    SECOND = "second"  # the ticket already follows another open request: recorded beside it


@dataclass(frozen=True)
class Recorded:
    """A filed service request, recorded: the ticket after, and how it landed there."""

    ticket: Ticket
    linked: Linked
    previous: Ticket


# (ticket before, ticket after, what happened) -> the notices for technicians, written with the record.
LateNotices = Callable[[Ticket, Ticket, Linked], list[Outgoing]]


class EscalationService(DeskBase):
    """Escalation drafts and SR-bearing tickets, each operation one transaction."""

    async def escalation_draft_for(self, ticket_id: int, aad_id: str, fields: dict[str, str]) -> EscalationDraft:
        """The technician's unsubmitted draft for this ticket, or a new one prefilled with `fields`."""
        now = self._clock()

        def work(cx: Cx) -> EscalationDraft:
            existing = escalation_sql.open_draft_for(cx, ticket_id, aad_id)
            if existing is not None:
                return existing
            draft = EscalationDraft(secrets.token_urlsafe(12), ticket_id, aad_id, fields, None, now)
            escalation_sql.save_draft(cx, draft)
            return draft

        return await self.db.run(work)

    async def escalation_draft(self, draft_id: str) -> EscalationDraft | None:
        """A draft by id."""
        return await self.db.run(lambda cx: escalation_sql.get_draft(cx, draft_id))

    async def keep_escalation(self, draft: EscalationDraft) -> None:
        """Save what was typed into the form."""
        await self.db.run(lambda cx: escalation_sql.save_draft(cx, draft))

    async def check_filing(self, draft_id: str) -> Filing | None:
        """What a submit of the form would do now (nothing is marked); None when the form or ticket is gone."""
        now = self._clock()
        return await self.db.run(lambda cx: _decide(cx, draft_id, now))

    async def begin_filing(self, draft_id: str) -> Filing | None:
        """Decide as `check_filing`, and when the answer is Send, mark the attempt as running in the same
        transaction: a concurrent submit (another instance, a redelivery) then sees it and files nothing."""
        now = self._clock()

        def work(cx: Cx) -> Filing | None:
            filing = _decide(cx, draft_id, now)
            if isinstance(filing, Send):
                escalation_sql.start_attempt(cx, draft_id, now, now + FILING_LEASE)
            return filing

        return await self.db.run(work)

    async def filing_refused(self, draft_id: str) -> None:
        """Partner Center refused the attempt: nothing was filed; the next submit is a new request."""
        await self.db.run(lambda cx: escalation_sql.attempt_refused(cx, draft_id))

    async def filing_unconfirmed(self, draft_id: str) -> None:
        """No answer came: Partner Center may have filed it, so the next submit repeats the same request."""
        await self.db.run(lambda cx: escalation_sql.attempt_unconfirmed(cx, draft_id))

    async def record_filing(
        self, draft_id: str, actor: Actor, change: Escalate, announce: Announce, late: LateNotices
    ) -> Recorded:
        """Record the filed service request on the form and on its ticket, in one transaction. An open ticket is
        escalated as usual; one resolved or closed meanwhile gets the request linked, its status kept, and
        technicians are told; one already following another open request records this one beside it."""
        now = self._clock()

        def work(cx: Cx) -> Recorded:
            escalation_sql.filed(cx, draft_id, change.sr_id)
            draft = escalation_sql.get_draft(cx, draft_id)
            assert draft is not None
            # Microsoft's response clock starts with the filing, whatever became of the ticket meanwhile.
            severity = draft.fields.get("severity", "")
            clock_sql.start(cx, draft.ticket_id, change.sr_id, plan_key(change.vehicle), severity, now)
            before = ticket_sql.get_ticket(cx, draft.ticket_id)
            assert before is not None, "tickets are never deleted"
            if before.sr_id == change.sr_id:
                return Recorded(before, Linked.ALREADY, before)
            try:
                escalated = write_change(cx, before, actor, change, announce, now, self.sla)
                return Recorded(escalated, Linked.ESCALATED, before)
            except Refused:
                pass  # not open, or another request is open: nothing was written
            linked = Linked.SECOND if before.has_open_sr else Linked.LATE
            if linked is Linked.LATE:
                columns = {
                    "sr_id": change.sr_id,
                    "sr_status": change.sr_status,
                    "sr_vehicle": change.vehicle,
                    "sr_notes_seen": change.notes,
                    "sr_escalated_by": change.escalated_by,
                }
                ticket_sql.update_ticket(cx, before.id, before.version, columns, now, actor.name)
            kind = "sr_filed_late" if linked is Linked.LATE else "sr_filed_second"
            event = Event(
                before.id, now, actor.aad_id, actor.name, kind, "sr", before.sr_id, change.sr_id, change.sr_id
            )
            event_sql.add_event(cx, event)
            after = ticket_sql.get_ticket(cx, before.id)
            assert after is not None
            plan_alerts(cx, after, self.sla)
            outbox_sql.enqueue(cx, late(before, after, linked), now)
            return Recorded(after, linked, before)

        recorded = await self.db.run(work)
        if recorded.linked is not Linked.ALREADY:
            self.on_outbox()
        return recorded

    async def tickets_with_open_sr(self) -> list[Ticket]:
        """Tickets escalated to Microsoft whose service request is still open."""
        return await self.db.run(ticket_sql.tickets_with_open_sr)


def _decide(cx: Cx, draft_id: str, now: datetime) -> Filing | None:
    draft = escalation_sql.get_draft(cx, draft_id)
    ticket = ticket_sql.get_ticket(cx, draft.ticket_id) if draft else None
    if draft is None or ticket is None:
        return None
    other = escalation_sql.unfinished_filing(cx, ticket.id, other_than=draft.id)
    return decide(draft, ticket, other, now)
