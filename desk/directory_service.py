"""Where the desk talks and who works it: conversations, the triage channel, technicians, leases, small flags."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from desk import storm
from desk.deliveries import (
    COPY_POLL_SECONDS,
    COPY_WAIT_SECONDS,
    TURN_LEASE,
    Claim,
    ClaimState,
    Delivered,
    decode_response,
    encode_response,
)
from desk.incidents import CARD_PREFIX
from desk.instances import VALIDITY
from desk.outbox import Outgoing
from desk.routing import Route, route_for
from desk.service_base import DeskBase
from desk.store import conversations as conv_sql
from desk.store import deliveries as delivery_sql
from desk.store import instances as instance_sql
from desk.store import outbox as outbox_sql
from desk.store import people as people_sql
from desk.store import ratelimit as rate_sql
from desk.store import retention
from desk.store import routes as route_sql
from desk.store import tokens as token_sql
from desk.store.conversations import Conversation
from desk.store.database import Cx, DatabaseUnavailable
from desk.store.people import Technician
from desk.tickets import Ticket

TRIAGE_CHANNEL_KEY = "triage_channel"
# A customer told after hours when support reopens: this prefix + the conversation key -> that reopening time.
AFTER_HOURS_MARK = "after_hours:"


@dataclass(frozen=True)
class TriageContext:
    """What a triage card needs to be posted: the default triage channel (None until a technician chose it), the
    Teams user ids that get its technician view, the routes, and the channels they (and the tickets asked about)
    name."""

    channel: Conversation | None
    refresh_ids: list[str]
    routes: list[Route] = field(default_factory=list)
    channels: dict[str, Conversation] = field(default_factory=dict)
    default_name: str | None = None  # the default channel's name, when Teams told it

    def channel_for(self, ticket: Ticket) -> Conversation | None:
        """Where `ticket`'s card and news go: the channel its card lives in once its post was queued (a ticket that
        was moved, or routed by routes changed since, stays where its card is), else the channel routing picks for
        it (desk/routing.py `route_for`), else the default one."""
        key = ticket.triage_channel
        if key is None:
            route = route_for(self.routes, ticket)
            key = route.channel_key if route is not None else None
        if key is None or (self.channel is not None and key == self.channel.key):
            return self.channel
        return self.channels.get(key)

    def channel_keys(self) -> list[str]:
        """The triage channels a ticket can be moved to: the default one, then each route's (once each)."""
        keys = [self.channel.key] if self.channel is not None else []
        for route in self.routes:
            if route.channel_key not in keys and route.channel_key in self.channels:
                keys.append(route.channel_key)
        return keys


@dataclass(frozen=True)
class Lease:
    """A named lease as one instance found it: `held` by it (until `until`), or another's until `until`."""

    held: bool
    until: datetime


class DirectoryService(DeskBase):
    """Conversation and directory operations, each one transaction."""

    copy_wait: float = COPY_WAIT_SECONDS  # how long a copy of a running turn waits (tests shorten it)

    async def save_conversation(self, conversation: Conversation) -> None:
        """Remember where a user or channel can be reached."""
        now = self._clock()
        await self.db.run(lambda cx: conv_sql.save_conversation(cx, conversation, now))

    async def conversation(self, key: str) -> Conversation | None:
        """A stored conversation."""
        return await self.db.run(lambda cx: conv_sql.get_conversation(cx, key))

    async def set_triage_channel(self, channel: Conversation, name: str | None = None) -> None:
        """Make `channel` the triage channel. What a former one that refuses the bot still holds is dropped: its
        ticket cards are posted in the new one (as cards never posted), and never in the old one. The same channel,
        refused until now, is unblocked and what it held is due at once."""
        now = self._clock()

        def work(cx: Cx) -> None:
            previous = conv_sql.get_meta(cx, TRIAGE_CHANNEL_KEY)
            if previous and previous != channel.key and previous not in route_sql.route_channel_keys(cx):
                outbox_sql.drop_held(cx, previous, "the triage channel moved to another channel")
            known = conv_sql.get_conversation(cx, channel.key)
            if known is not None and known.blocked_reason:
                outbox_sql.release(cx, channel.key, now)  # what it held while refused is due at once
            conv_sql.save_conversation(cx, channel, now)
            conv_sql.set_meta(cx, TRIAGE_CHANNEL_KEY, channel.key)
            conv_sql.set_meta(cx, route_sql.DEFAULT_NAME_KEY, name or "")

        await self.db.run(work)

    async def triage_channel(self) -> Conversation | None:
        """The triage channel, once a technician has chosen it."""

        def work(cx: Cx) -> Conversation | None:
            key = conv_sql.get_meta(cx, TRIAGE_CHANNEL_KEY)
            return conv_sql.get_conversation(cx, key) if key else None

        return await self.db.run(work)

    async def claim_delivery(
        self, key: str, holder: str, running_here: Callable[[], bool], wants_answer: bool
    ) -> Claim:
        """Claim an inbound activity's turn for this process, `holder` (desk.store.deliveries.claim says when a claim
        died and is taken over). A copy whose first turn still runs waits, at most `copy_wait` seconds, for that turn
        to complete or its holder to die, and finds DONE (with the first answer), NEW (the holder died: this copy is
        processed) or, at the end, RUNNING still. A message's copy of a turn running in this very process does not
        wait (unless `wants_answer`, a card action's): its holder cannot die without it, and the first turn answers."""
        claim = await self._claim(key, holder, running_here())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.copy_wait
        while claim.state is ClaimState.RUNNING and (wants_answer or not claim.here) and loop.time() < deadline:
            await asyncio.sleep(COPY_POLL_SECONDS)
            seen = await self._peek(key, holder, running_here())  # a read: the claim is written only to take it
            claim = seen if seen is not None else await self._claim(key, holder, running_here())
        return claim

    async def _claim(self, key: str, holder: str, mine_running: bool) -> Claim:
        now = self._clock()
        return await self.db.run(lambda cx: delivery_sql.claim(cx, key, holder, mine_running, now, now + TURN_LEASE))

    async def _peek(self, key: str, holder: str, mine_running: bool) -> Claim | None:
        now = self._clock()
        return await self.db.read(lambda cx: delivery_sql.inspect(cx, key, holder, mine_running, now))

    async def completed_delivery(self, key: str) -> Delivered | None:
        """The completed turn of an inbound activity with its kept answer, or None while it is not complete."""
        claim = await self.db.read(lambda cx: delivery_sql.completed(cx, key))
        return Delivered(decode_response(claim.response)) if claim else None

    async def complete_delivery(self, key: str, response: dict[str, Any] | None) -> None:
        """Record that the turn of an inbound activity completed, with a card action's answer for redeliveries."""
        now, kept = self._clock(), encode_response(response)
        await self.db.run(lambda cx: delivery_sql.complete(cx, key, kept, now))

    async def abandon_delivery(self, key: str, holder: str) -> None:
        """Let a failed turn's activity be processed again when Teams redelivers it; while the database cannot be
        reached, with this process's next heartbeat that reaches it (`beat`)."""
        try:
            await self.db.run(lambda cx: delivery_sql.abandon(cx, key, holder))
        except DatabaseUnavailable:
            self._unreleased.add((key, holder))
            raise

    async def queue(self, items: list[Outgoing]) -> None:
        """Queue messages that announce no change of their own."""
        now = self._clock()
        await self.db.run(lambda cx: storm.queue(cx, items, now, self.storm))  # a backlog of cards may be a storm
        self.on_outbox()

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

    async def triage_context(self, tickets: Iterable[Ticket] = ()) -> TriageContext:
        """The default triage channel, the technician view's user ids, the routes and their channels (and the channels
        the cards of `tickets` live in), in one transaction."""
        lives = {ticket.triage_channel for ticket in tickets if ticket.triage_channel}
        return await self.db.run(lambda cx: triage_context_in(cx, lives))

    async def triage_channel_for(self, ticket: Ticket) -> Conversation | None:
        """The channel `ticket`'s card lives in, or for a ticket not posted yet the one routing picks for it."""
        return (await self.triage_context([ticket])).channel_for(ticket)

    async def mark_once(self, key: str, value: str) -> bool:
        """Set `key` to `value`; False when it already had that value (something was already done once)."""

        def work(cx: Cx) -> bool:
            if conv_sql.get_meta(cx, key) == value:
                return False
            conv_sql.set_meta(cx, key, value)
            return True

        return await self.db.run(work)

    async def hold_lease(self, name: str, holder: str, ttl: timedelta) -> Lease:
        """Take or renew a named lease (one instance runs a background job): held, or when another's lease ends."""
        now = self._clock()

        def work(cx: Cx) -> Lease:
            if conv_sql.acquire_lease(cx, name, holder, now, ttl):
                return Lease(True, now + ttl)
            return Lease(False, conv_sql.lease_expiry(cx, name) or now)

        return await self.db.run(work)

    async def release_lease(self, name: str, holder: str) -> None:
        """Give up a lease this holder has (another instance may take the job over at once)."""
        await self.db.run(lambda cx: conv_sql.release_lease(cx, name, holder))

    async def beat(self, holder: str) -> None:
        """Renew this process's heartbeat (desk/instances.py): alive for VALIDITY from now. The claims of failed turns
        that could not be given up are given up in the same transaction: other instances never see this process alive
        and still holding a turn that is not running any more."""
        until, unreleased = self._clock() + VALIDITY, set(self._unreleased)

        def work(cx: Cx) -> None:
            instance_sql.beat(cx, holder, until)
            for key, owner in unreleased:
                delivery_sql.abandon(cx, key, owner)

        await self.db.run(work)
        self._unreleased -= unreleased

    async def retire(self, holder: str) -> None:
        """Remove this process's heartbeat: it stops, and another instance may take over what it still holds."""
        await self.db.run(lambda cx: instance_sql.retire(cx, holder))

    async def housekeeping(self) -> None:
        """Forget what is no longer needed, each table by its retention (desk/store/retention.py says which and
        why): inbound activity ids, unfinished sign-ins, old forms, idle dialog state, passed after-hours marks,
        expired leases and heartbeats, delivered and failed messages, rate limiter slots, alerts of long-closed
        tickets, long-resolved incidents and their cards, token caches whose refresh tokens have expired, released
        storm cards, unsent bulk reply forms, old GDAP warnings."""
        now = self._clock()

        def work(cx: Cx) -> None:
            conv_sql.prune_inbound(cx, now)
            token_sql.prune_sign_ins(cx, now)
            conv_sql.prune_drafts(cx, now)
            retention.prune_escalation_forms(cx, now)
            retention.prune_state(cx, now)
            retention.prune_passed_marks(cx, AFTER_HOURS_MARK, now)
            retention.prune_leases(cx, now)
            retention.prune_instances(cx, now)
            outbox_sql.prune_sent(cx, now)
            rate_sql.prune(cx, now - retention.RATE_LIMIT_SLOTS)
            retention.prune_failed(cx, now)
            retention.prune_sla_alerts(cx, now)
            retention.prune_incidents(cx, CARD_PREFIX, now)
            retention.prune_token_caches(cx, now)
            retention.prune_storm_cards(cx, now)
            retention.prune_bulk_reply_forms(cx, now)
            retention.prune_gdap_warnings(cx, now)

        await self.db.run(work)

    async def meta(self, key: str) -> str | None:
        """A small named value."""
        return await self.db.run(lambda cx: conv_sql.get_meta(cx, key))

    async def set_meta(self, key: str, value: str) -> None:
        """Set a small named value."""
        await self.db.run(lambda cx: conv_sql.set_meta(cx, key, value))


def triage_context_in(cx: Cx, lives: Iterable[str] = ()) -> TriageContext:
    """TriageContext inside a transaction; `lives`: more channel keys to load (where tickets' cards are)."""
    key = conv_sql.get_meta(cx, TRIAGE_CHANNEL_KEY)
    channel = conv_sql.get_conversation(cx, key) if key else None
    routes = route_sql.routes(cx)
    channels = conv_sql.conversations_by_key(cx, {route.channel_key for route in routes} | set(lives))
    name = conv_sql.get_meta(cx, route_sql.DEFAULT_NAME_KEY) or None
    return TriageContext(channel, people_sql.refresh_user_ids(cx), routes, channels, name)
