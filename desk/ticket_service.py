"""Ticket use cases: drafts, creating a ticket once, applying a change with its audit and announcements, queries."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from desk import storm
from desk.changes import Actor, Change
from desk.outbox import Outgoing
from desk.people import Person
from desk.service_base import DeskBase
from desk.sla import SlaPolicy
from desk.sla_plan import plan_alerts
from desk.store import deliveries as delivery_sql
from desk.store import drafts as draft_sql
from desk.store import events as event_sql
from desk.store import outbox as outbox_sql
from desk.store import search as search_sql
from desk.store import tickets as ticket_sql
from desk.store.database import Cx
from desk.store.drafts import Draft
from desk.store.events import Event
from desk.tickets import Requester, Ticket, TicketFields
from desk.workflow import Refused, plan

Notices = Callable[[Ticket], list[Outgoing]]
Announce = Callable[[Ticket, Ticket, Change, Actor], list[Outgoing]]


@dataclass(frozen=True)
class Created:
    """The outcome of a create: the ticket, and whether this call created it (False for a repeat)."""

    ticket: Ticket
    new: bool


class TicketService(DeskBase):
    """Ticket operations, each one transaction."""

    async def start_draft(self, owner: Person, fields: dict[str, str]) -> Draft:
        """Open a new-ticket form for `owner`, optionally prefilled."""
        draft = Draft(secrets.token_urlsafe(12), owner.aad_id, owner.customer_tenant_id, fields, None, self._clock())
        await self.db.run(lambda cx: draft_sql.insert_draft(cx, draft))
        return draft

    async def draft(self, draft_id: str) -> Draft | None:
        """A draft by id."""
        return await self.db.run(lambda cx: draft_sql.get_draft(cx, draft_id))

    async def keep_typed(self, draft_id: str, fields: dict[str, str]) -> None:
        """Remember what was typed into a form that was refused, so the form can be shown again with it."""
        await self.db.run(lambda cx: draft_sql.save_draft_fields(cx, draft_id, fields))

    async def create_ticket(
        self,
        idempotency_key: str,
        requester: Requester,
        fields: TicketFields,
        notices: Notices,
        draft_id: str | None = None,
        customer_card: str | None = None,
    ) -> Created:
        """Create a ticket once per idempotency key, with its notices queued in the same transaction."""
        now = self._clock()
        dues = self.sla.dues(now, fields.severity)

        def work(cx: Cx) -> Created:
            existing = ticket_sql.ticket_by_key(cx, idempotency_key)
            if existing is not None:
                return Created(existing, False)
            ticket_id = ticket_sql.insert_ticket(cx, idempotency_key, requester, fields, now, dues)
            event_sql.add_event(cx, Event(ticket_id, now, requester.aad_id, requester.name, "created"))
            if draft_id:
                draft_sql.link_draft(cx, draft_id, ticket_id)
            if customer_card:
                ticket_sql.record_card(cx, ticket_id, "customer", customer_card)
            ticket = ticket_sql.get_ticket(cx, ticket_id)
            assert ticket is not None
            plan_alerts(cx, ticket, self.sla)
            queued = notices(ticket)
            storm.queue(cx, queued, now, self.storm)  # its card is kept back when the channel is in storm
            posts = [item.conversation_key for item in queued if outbox_sql.is_triage_post(item)]
            return Created(replace(ticket, triage_channel=posts[-1]) if posts else ticket, True)

        created = await self.db.run(work)
        if created.new:
            self.on_outbox()
        return created

    async def apply(
        self, ticket_id: int, actor: Actor, change: Change, announce: Announce, once: str | None = None
    ) -> Ticket:
        """Apply a change: check it against the ticket as stored now, write it with its audit events and its
        announcements in one transaction. Raises Refused (nothing written) when the change is not allowed.

        With `once` (an inbound activity's change key) the change is recorded under it in the same transaction;
        when a delivery of that activity already applied it, nothing is written and the ticket is returned as is.
        """
        now = self._clock()

        def work(cx: Cx) -> Ticket:
            before = ticket_sql.get_ticket(cx, ticket_id)
            if before is None:
                raise Refused("refusal.no_such_ticket")
            if once is not None and not delivery_sql.claim_change(cx, once, now):
                return before
            return write_change(cx, before, actor, change, announce, now, self.sla)

        ticket = await self.db.run(work)
        self.on_outbox()
        return ticket

    async def history(self, ticket_id: int) -> list[Event]:
        """A ticket's audit log, oldest first."""
        return await self.db.run(lambda cx: event_sql.events(cx, ticket_id))

    async def ticket(self, ticket_id: int) -> Ticket | None:
        """A ticket by id."""
        return await self.db.run(lambda cx: ticket_sql.get_ticket(cx, ticket_id))

    async def tickets_of(self, tenant_id: str, aad_id: str) -> list[Ticket]:
        """A customer's own tickets, newest first."""
        return await self.db.run(lambda cx: ticket_sql.tickets_of_requester(cx, tenant_id, aad_id))

    async def open_tickets_without_card(self) -> list[Ticket]:
        """Open tickets whose triage card was never posted (no channel yet, or the post failed for good)."""
        return await self.db.run(ticket_sql.open_without_triage_card)

    async def search(self, words: list[str]) -> list[Ticket]:
        """Tickets matching every word (a ticket number, or the start of a word of the title, description, customer
        or requester), best match first."""
        return await self.db.read(lambda cx: search_sql.search_tickets(cx, words))

    async def ticket_of_thread(self, root_activity_id: str) -> Ticket | None:
        """The ticket whose triage card starts this channel thread."""
        return await self.db.run(lambda cx: ticket_sql.ticket_by_card(cx, "triage", root_activity_id))

    async def ticket_of_message(self, conversation_key: str, activity_id: str) -> Ticket | None:
        """The ticket a message sent to a customer belongs to."""
        return await self.db.run(lambda cx: ticket_sql.ticket_by_message(cx, conversation_key, activity_id))

    async def active_tickets_of(self, tenant_id: str, aad_id: str) -> list[Ticket]:
        """A requester's tickets that are not closed, most recently changed first."""
        return await self.db.run(lambda cx: ticket_sql.active_tickets_of_requester(cx, tenant_id, aad_id))


def write_change(
    cx: Cx, before: Ticket, actor: Actor, change: Change, announce: Announce, now: datetime, sla: SlaPolicy
) -> Ticket:
    """Inside a transaction: write `change` to `before` (as read in it) with its audit events and announcements;
    returns the ticket after. Raises Refused, having written nothing, when the change is not allowed."""
    steps = plan(before, actor, change, now, sla)
    if not ticket_sql.update_ticket(cx, before.id, before.version, steps.columns, now, actor.name):
        raise Refused("refusal.changed_meanwhile", number=before.number)
    for spec in steps.events:
        event = Event(before.id, now, actor.aad_id, actor.name, spec.kind, spec.field, spec.old, spec.new)
        event_sql.add_event(cx, replace(event, text=spec.text))
    after = ticket_sql.get_ticket(cx, before.id)
    assert after is not None
    plan_alerts(cx, after, sla)
    outbox_sql.enqueue(cx, announce(before, after, change, actor), now)
    return after
