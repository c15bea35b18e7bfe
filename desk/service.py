"""The desk's use cases over the store: drafts, tickets, conversations, the triage channel."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from desk.clock import Clock, utc_now
from desk.outbox import Outgoing
from desk.people import Person
from desk.sla import SlaPolicy
from desk.sla_watch import Alert, record_sent
from desk.store import conversations as conv_sql
from desk.store import outbox as outbox_sql
from desk.store import people as people_sql
from desk.store import tickets as ticket_sql
from desk.store.conversations import Conversation
from desk.store.database import Cx, Database
from desk.store.people import Technician
from desk.store.tickets import Draft, Event
from desk.tickets import Requester, Ticket, TicketFields
from desk.workflow import Actor, Change, Refused, plan

TRIAGE_CHANNEL_KEY = "triage_channel"
Notices = Callable[[Ticket], list[Outgoing]]
Announce = Callable[[Ticket, Ticket, Change, Actor], list[Outgoing]]


@dataclass(frozen=True)
class Created:
    """The outcome of a create: the ticket, and whether this call created it (False for a repeat)."""

    ticket: Ticket
    new: bool


class Desk:
    """Ticket and conversation operations, each one transaction."""

    def __init__(self, db: Database, sla: SlaPolicy, clock: Clock = utc_now) -> None:
        self.db = db
        self.sla = sla
        self._clock = clock
        self.on_outbox: Callable[[], None] = lambda: None

    async def start_draft(self, owner: Person, fields: dict[str, str]) -> Draft:
        """Open a new-ticket form for `owner`, optionally prefilled."""
        draft = Draft(secrets.token_urlsafe(12), owner.aad_id, owner.tenant_id, fields, None, self._clock())
        await self.db.run(lambda cx: ticket_sql.insert_draft(cx, draft))
        return draft

    async def draft(self, draft_id: str) -> Draft | None:
        """A draft by id."""
        return await self.db.run(lambda cx: ticket_sql.get_draft(cx, draft_id))

    async def keep_typed(self, draft_id: str, fields: dict[str, str]) -> None:
        """Remember what was typed into a form that was refused, so the form can be shown again with it."""
        await self.db.run(lambda cx: ticket_sql.save_draft_fields(cx, draft_id, fields))

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
            ticket_sql.add_event(cx, Event(ticket_id, now, requester.aad_id, requester.name, "created"))
            if draft_id:
                ticket_sql.link_draft(cx, draft_id, ticket_id)
            if customer_card:
                ticket_sql.record_card(cx, ticket_id, "customer", customer_card)
            ticket = ticket_sql.get_ticket(cx, ticket_id)
            assert ticket is not None
            outbox_sql.enqueue(cx, notices(ticket), now)
            return Created(ticket, True)

        created = await self.db.run(work)
        if created.new:
            self.on_outbox()
        return created

    async def apply(self, ticket_id: int, actor: Actor, change: Change, announce: Announce) -> Ticket:
        """Apply a change: check it against the ticket as stored now, write it with its audit events and its
        announcements in one transaction. Raises Refused (nothing written) when the change is not allowed."""
        now = self._clock()

        def work(cx: Cx) -> Ticket:
            before = ticket_sql.get_ticket(cx, ticket_id)
            if before is None:
                raise Refused("refusal.no_such_ticket")
            steps = plan(before, actor, change, now, self.sla)
            if not ticket_sql.update_ticket(cx, ticket_id, before.version, steps.columns, now, actor.name):
                raise Refused("refusal.changed_meanwhile", number=before.number)
            for spec in steps.events:
                event = Event(ticket_id, now, actor.aad_id, actor.name, spec.kind, spec.field, spec.old, spec.new)
                ticket_sql.add_event(cx, replace(event, text=spec.text))
            after = ticket_sql.get_ticket(cx, ticket_id)
            assert after is not None
            outbox_sql.enqueue(cx, announce(before, after, change, actor), now)
            return after

        ticket = await self.db.run(work)
        self.on_outbox()
        return ticket

    async def history(self, ticket_id: int) -> list[Event]:
        """A ticket's audit log, oldest first."""
        return await self.db.run(lambda cx: ticket_sql.events(cx, ticket_id))

    async def ticket(self, ticket_id: int) -> Ticket | None:
        """A ticket by id."""
        return await self.db.run(lambda cx: ticket_sql.get_ticket(cx, ticket_id))

    async def tickets_of(self, tenant_id: str, aad_id: str) -> list[Ticket]:
        """A customer's own tickets, newest first."""
        return await self.db.run(lambda cx: ticket_sql.tickets_of_requester(cx, tenant_id, aad_id))

    async def save_conversation(self, conversation: Conversation) -> None:
        """Remember where a user or channel can be reached."""
        now = self._clock()
        await self.db.run(lambda cx: conv_sql.save_conversation(cx, conversation, now))

    async def conversation(self, key: str) -> Conversation | None:
        """A stored conversation."""
        return await self.db.run(lambda cx: conv_sql.get_conversation(cx, key))

    async def set_triage_channel(self, channel: Conversation) -> None:
        """Make `channel` the triage channel."""
        now = self._clock()

        def work(cx: Cx) -> None:
            conv_sql.save_conversation(cx, channel, now)
            conv_sql.set_meta(cx, TRIAGE_CHANNEL_KEY, channel.key)

        await self.db.run(work)

    async def triage_channel(self) -> Conversation | None:
        """The triage channel, once a technician has chosen it."""

        def work(cx: Cx) -> Conversation | None:
            key = conv_sql.get_meta(cx, TRIAGE_CHANNEL_KEY)
            return conv_sql.get_conversation(cx, key) if key else None

        return await self.db.run(work)

    async def first_delivery(self, key: str) -> bool:
        """True the first time an inbound activity key is seen; False for a redelivery."""
        now = self._clock()
        return await self.db.run(lambda cx: conv_sql.remember_inbound(cx, key, now))

    async def open_tickets_without_card(self) -> list[Ticket]:
        """Open tickets whose triage card was never posted (no channel yet, or the post failed for good)."""
        return await self.db.run(ticket_sql.open_without_triage_card)

    async def queue(self, items: list[Outgoing]) -> None:
        """Queue messages that announce no change of their own."""
        now = self._clock()
        await self.db.run(lambda cx: outbox_sql.enqueue(cx, items, now))
        self.on_outbox()

    async def open_tickets(self) -> list[Ticket]:
        """Every open ticket."""
        return await self.db.run(ticket_sql.open_tickets)

    async def search(self, words: list[str]) -> list[Ticket]:
        """Tickets matching every word (number, title, description, customer, requester)."""
        return await self.db.run(lambda cx: ticket_sql.search_tickets(cx, words))

    async def ticket_of_thread(self, root_activity_id: str) -> Ticket | None:
        """The ticket whose triage card starts this channel thread."""
        return await self.db.run(lambda cx: ticket_sql.ticket_by_card(cx, "triage", root_activity_id))

    async def ticket_of_message(self, conversation_key: str, activity_id: str) -> Ticket | None:
        """The ticket a message sent to a customer belongs to."""
        return await self.db.run(lambda cx: ticket_sql.ticket_by_message(cx, conversation_key, activity_id))

    async def active_tickets_of(self, tenant_id: str, aad_id: str) -> list[Ticket]:
        """A requester's tickets that are not closed, most recently changed first."""
        return await self.db.run(lambda cx: ticket_sql.active_tickets_of_requester(cx, tenant_id, aad_id))

    async def remember_technician(self, technician: Technician) -> None:
        """Add or refresh a technician in the directory."""
        now = self._clock()
        await self.db.run(lambda cx: people_sql.upsert_technician(cx, technician, now))

    async def technicians(self) -> list[Technician]:
        """The technician directory."""
        return await self.db.run(people_sql.technicians)

    async def refresh_user_ids(self) -> list[str]:
        """Teams user ids that should get the technician view of triage cards."""
        return await self.db.run(people_sql.refresh_user_ids)

    async def mark_once(self, key: str, value: str) -> bool:
        """Set `key` to `value`; False when it already had that value (something was already done once)."""

        def work(cx: Cx) -> bool:
            if conv_sql.get_meta(cx, key) == value:
                return False
            conv_sql.set_meta(cx, key, value)
            return True

        return await self.db.run(work)

    async def hold_lease(self, name: str, holder: str, ttl: timedelta) -> bool:
        """Take or renew a named lease (one instance runs a background job); False while another holds it."""
        now = self._clock()
        return await self.db.run(lambda cx: conv_sql.acquire_lease(cx, name, holder, now, ttl))

    async def send_sla_alerts(self, sla_alerts: list[Alert], messages: Callable[[Alert], list[Outgoing]]) -> int:
        """Queue the messages of every alert not sent before, recording them as sent in the same transaction."""
        now = self._clock()

        def work(cx: Cx) -> int:
            sent = 0
            for alert in sla_alerts:
                if record_sent(cx, alert, now):
                    outbox_sql.enqueue(cx, messages(alert), now)
                    sent += 1
            return sent

        sent = await self.db.run(work)
        if sent:
            self.on_outbox()
        return sent

    async def housekeeping(self) -> None:
        """Forget old inbound activity ids (redeliveries come within minutes)."""
        now = self._clock()
        await self.db.run(lambda cx: conv_sql.prune_inbound(cx, now))
