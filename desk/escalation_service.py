"""Escalation forms as the desk keeps them, and the tickets whose service requests are still open."""

from __future__ import annotations

import secrets

from desk import escalation as escalation_sql
from desk.escalation import EscalationDraft
from desk.service_base import DeskBase
from desk.store import tickets as ticket_sql
from desk.tickets import Ticket


class EscalationService(DeskBase):
    """Escalation drafts and SR-bearing tickets, each operation one transaction."""

    async def escalation_draft_for(self, ticket_id: int, aad_id: str, fields: dict[str, str]) -> EscalationDraft:
        """The technician's unsubmitted draft for this ticket, or a new one prefilled with `fields`."""
        now = self._clock()

        def work(cx):  # type: ignore[no-untyped-def]
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
        """Save what was typed into the form (or the SR id once filed)."""
        await self.db.run(lambda cx: escalation_sql.save_draft(cx, draft))

    async def tickets_with_open_sr(self) -> list[Ticket]:
        """Tickets escalated to Microsoft whose service request is still open."""
        return await self.db.run(ticket_sql.tickets_with_open_sr)
