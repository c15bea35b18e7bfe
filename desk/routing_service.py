"""Triage routes and moving a ticket's card between triage channels, one transaction each."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from desk.changes import Actor
from desk.directory_service import TriageContext, triage_context_in
from desk.outbox import Outgoing
from desk.routing import Route, RouteTarget
from desk.service_base import DeskBase
from desk.store import conversations as conv_sql
from desk.store import events as event_sql
from desk.store import outbox as outbox_sql
from desk.store import routes as route_sql
from desk.store import tickets as ticket_sql
from desk.store.conversations import Conversation
from desk.store.database import Cx
from desk.store.events import Event
from desk.tickets import Ticket
from desk.workflow import Refused

MOVED = "moved"  # the audit event of a move (old and new values: the channels' keys)


@dataclass(frozen=True)
class Move:
    """A ticket's card moving: the ticket, the channel its card is in and the one it goes to, and the context that
    names them."""

    ticket: Ticket
    origin: Conversation
    target: Conversation
    context: TriageContext


MoveMessages = Callable[[Move], list[Outgoing]]


class RoutingService(DeskBase):
    """Routes (`triage here for …`, `routes`) and moves."""

    async def add_route(self, target: RouteTarget, channel: Conversation, name: str | None, by: str) -> Route:
        """Send tickets matching `target` to `channel` (named `name` by Teams, when it was); a route of the same kind
        and value is pointed here instead. The channel, refused until now, is unblocked and what it held is due."""
        now = self._clock()
        route = Route(secrets.token_hex(6), target.kind, target.value, target.label, channel.key, name)

        def work(cx: Cx) -> Route:
            known = conv_sql.get_conversation(cx, channel.key)
            if known is not None and known.blocked_reason:
                outbox_sql.release(cx, channel.key, now)
            conv_sql.save_conversation(cx, channel, now)
            return route_sql.put_route(cx, route, by, now)

        return await self.db.run(work)

    async def routes(self) -> list[Route]:
        """Every route, most specific kind first."""
        return await self.db.read(route_sql.routes)

    async def remove_route(self, route_id: str) -> Route | None:
        """Remove a route (tickets already posted stay where their cards are); None when it was already gone."""

        def work(cx: Cx) -> Route | None:
            found = route_sql.route(cx, route_id)
            if found is not None:
                route_sql.delete_route(cx, route_id)
            return found

        return await self.db.run(work)

    async def move_ticket(self, ticket_id: int, to_key: str, actor: Actor, messages: MoveMessages) -> Move:
        """Move a ticket's card to the triage channel `to_key`: checked against the routes and the ticket as stored
        now, and queued (`messages`: the new card's post, the old card's update) with an audit event, in one
        transaction. The post makes the new channel the ticket's (desk/store/outbox.py `enqueue`). Raises Refused
        with nothing written."""
        now = self._clock()

        def work(cx: Cx) -> Move:
            ticket = ticket_sql.get_ticket(cx, ticket_id)
            if ticket is None:
                raise Refused("refusal.no_such_ticket")
            context = triage_context_in(cx, [ticket.triage_channel] if ticket.triage_channel else [])
            if to_key not in context.channel_keys():
                raise Refused("route.move_unknown")
            origin = context.channel_for(ticket)
            # Until the card's post (a new ticket's, or an earlier move's) is sent, triage_activity_id names no card
            # in the ticket's channel: a move now would update and pin the wrong card and leave a second one behind.
            if origin is None or ticket.triage_activity_id is None or outbox_sql.triage_post_waiting(cx, ticket.id):
                raise Refused("route.move_not_posted", number=ticket.number)
            if origin.key == to_key:
                raise Refused("route.move_same", number=ticket.number)
            target = context.channel if context.channel and context.channel.key == to_key else context.channels[to_key]
            move = Move(ticket, origin, target, context)
            route_sql.pin_to_card(cx, ticket.id, origin.key, ticket.triage_activity_id)
            outbox_sql.enqueue(cx, messages(move), now)
            event_sql.add_event(
                cx, Event(ticket.id, now, actor.aad_id, actor.name, MOVED, "triage_channel", origin.key, to_key)
            )
            moved = ticket_sql.get_ticket(cx, ticket_id)
            assert moved is not None
            return Move(moved, origin, target, context)

        move = await self.db.run(work)
        self.on_outbox()
        return move
