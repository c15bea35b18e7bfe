"""The outbound sender: delivers the outbox in order per conversation, inside Teams' limits, retrying what Teams says
to retry (429 after Retry-After; 412/502/503/504 with backoff and jitter) and nothing else.

Several instances may run one each on the same database. A sender claims due conversation heads (bot/outbox/claims.py),
only as many as it can send at once, each claim taking the conversation's and tenant's slots in the shared rate
limiter, and sends each claimed head in a task of its own; its outcome is recorded only while the claim is still
ours. No conversation waits for another: one waiting for its pace or a Retry-After is simply not claimed until then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from botbuilder.schema import ErrorResponseException

from bot.edge.adapter import DeskAdapter
from bot.edge.service_urls import ServiceUrlPolicy, ServiceUrlRefused
from bot.outbox.claims import Head, claim_heads
from bot.outbox.outcomes import Outcomes
from bot.outbox.send_policy import SendPolicy
from bot.outbox.teams_send import TeamsSend, Undeliverable
from bot.outbox.triage_hold import hold_unprobed
from bot.outbox.writes import SerialWrites
from desk.clock import Clock, utc_now
from desk.outage import Backoff, Outage
from desk.outbox import Operation
from desk.store import conversations as conv_sql
from desk.store import outbox as outbox_sql
from desk.store import tickets as ticket_sql
from desk.store.database import Cx, Database, DatabaseUnavailable

logger = logging.getLogger(__name__)
CLAIM_MARGIN = 10.0  # seconds before a claim expires that its holder stops trying to record a delivery


def new_holder() -> str:
    """A claim holder id unique to this sender (host, process, and a random part for senders of one process)."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:12]}"


class OutboxSender:
    """Background delivery of the outbox through the SDK adapter."""

    def __init__(
        self,
        adapter: DeskAdapter,
        db: Database,
        app_id: str,
        policy: ServiceUrlPolicy,
        clock: Clock = utc_now,
        send_policy: SendPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        outage: Outage | None = None,
        holder: str | None = None,
    ) -> None:
        self._teams = TeamsSend(adapter, db, app_id)
        self._db = db
        self._urls = policy
        self._clock = clock
        self.policy = send_policy or SendPolicy()
        self._sleep = sleep
        self._outage = outage or Outage()
        self._backoff = Backoff()
        self.holder = holder or new_holder()
        self._writes = SerialWrites(db)
        self._outcomes = Outcomes(self._writes, self.holder, self.policy, clock, rand, self.kick)
        self._in_flight: dict[str, asyncio.Task[None]] = {}  # conversation key -> the task delivering its head
        self._watchers: set[asyncio.Event] = set()  # set whenever a delivery ends
        self._ended = 0  # deliveries ended so far
        self._wake = asyncio.Event()
        self._stopping = False
        self._pass = asyncio.Lock()  # one claim at a time in this sender

    def kick(self) -> None:
        """Wake the sender: something was just queued."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver until `stop`; sleeps until kicked, a delivery ends, a message falls due, or the idle poll. While
        the database cannot be reached it retries with a bounded backoff (a kick retries at once)."""
        try:
            while not self._stopping:
                try:
                    self._wake.clear()  # before dispatching: a kick, an ending delivery or a stop is not lost
                    began = self._outage.attempt()
                    await self._dispatch()
                    timeout = self.policy.idle_poll
                    if self._room():  # else an ending delivery wakes us
                        due = await self._next_due()
                        if due is not None:
                            timeout = min(timeout, max(0.0, (due - self._clock()).total_seconds()))
                except DatabaseUnavailable as error:
                    self._outage.failed(error, "outbox sender")
                    await self._pause(self._backoff.next())
                    continue
                except Exception:
                    logger.exception("outbox pass failed; retrying shortly")
                    await self._sleep(1)
                    continue
                self._outage.succeeded(began)
                self._backoff.reset()
                await self._pause(timeout)
            await self._settle()
        finally:
            for task in self._in_flight.values():
                task.cancel()
            with contextlib.suppress(Exception):  # best effort: otherwise they are free once their claims expire
                await self._db.run(lambda cx: outbox_sql.unclaim_all(cx, self.holder))

    async def _pause(self, seconds: float) -> None:
        """Wait `seconds`, or less when kicked."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    def stop(self) -> None:
        """Ask `run` to finish once the deliveries under way have ended."""
        self._stopping = True
        self._wake.set()

    async def drain(self) -> None:
        """Deliver until nothing this sender may claim is due and nothing is under way (tests, shutdown); callers
        bound it with asyncio.timeout."""
        while True:
            # A delivery that ends while the claim runs may free its conversation's next message after the claim
            # looked: that pass's "nothing to claim" does not count then.
            ended_before = self._ended
            started = await self._dispatch()
            busy = list(self._in_flight.values())
            if not started and not busy and self._ended == ended_before:
                return
            if busy:
                await asyncio.wait(busy, return_when=asyncio.FIRST_COMPLETED)

    async def card_updated(self, ticket_id: int, within: float) -> bool:
        """Wait, at most `within` seconds, until no update of the ticket's cards is due (each delivered, failed or
        rescheduled by the sender's own run); True when none is. Nothing is delivered here, and nothing cancelled."""
        self.kick()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            ended = asyncio.Event()
            self._watchers.add(ended)
            try:
                if not await self._db.read(lambda cx: outbox_sql.card_update_due(cx, ticket_id, self._clock())):
                    return True
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(ended.wait(), remaining)
            finally:
                self._watchers.discard(ended)

    async def _next_due(self) -> datetime | None:
        busy = frozenset(self._in_flight)
        return await self._db.read(lambda cx: outbox_sql.next_due(cx, busy))

    async def _settle(self) -> None:
        while self._in_flight:
            await asyncio.wait(list(self._in_flight.values()))

    async def _dispatch(self) -> list[asyncio.Task[None]]:
        """Claim as many due heads as there is room to send now, and start a delivery task for each. While sends are
        under way, claims wait until half the room is free: fewer, larger claims, as each instance's claim is a
        transaction that conflicts with the others' on PostgreSQL (SERIALIZABLE), and the loser starts over."""
        async with self._pass:
            room = self._room()
            if not room:
                return []
            # In turn with the sender's other writes (bot/outbox/writes.py); the clock is read once it is ours, as
            # the claim stamps its slots with it.
            async with self._writes.turn:
                room = self._room()  # deliveries may have ended meanwhile
                now = self._clock()
                until = now + timedelta(seconds=self.policy.claim_ttl)
                busy = frozenset(self._in_flight)

                def claim(cx: Cx) -> list[Head]:
                    return claim_heads(cx, self.holder, now, until, room, busy, self.policy)

                heads = await self._db.run(claim)
            return [self._start(head) for head in heads]

    def _room(self) -> int:
        """How many heads to claim now: the free send slots, or none until half of them are free."""
        room = self.policy.concurrency - len(self._in_flight)
        return room if room > 0 and (not self._in_flight or room >= (self.policy.concurrency + 1) // 2) else 0

    def _start(self, head: Head) -> asyncio.Task[None]:
        key = head.message.outgoing.conversation_key
        task = asyncio.create_task(self._deliver(head), name=f"outbox-{head.message.id}")
        self._in_flight[key] = task

        def finished(done: asyncio.Task[None]) -> None:
            self._in_flight.pop(key, None)
            self._outcomes.forget(head.message)
            self._ended += 1
            self._wake.set()
            for watcher in self._watchers:
                watcher.set()
            error = None if done.cancelled() else done.exception()
            if isinstance(error, DatabaseUnavailable):
                self._outage.failed(error, f"outbox {head.message.id}")  # it stays pending: retried when back
            elif error is not None:
                logger.error("outbox %s delivery failed", head.message.id, exc_info=error)

        task.add_done_callback(finished)
        return task

    async def _deliver(self, head: Head) -> None:
        message, conversation = head.message, head.conversation
        # Our claim was taken just before this task started; a margin keeps us clear of its expiry.
        claim_ends = asyncio.get_running_loop().time() + self.policy.claim_ttl - CLAIM_MARGIN
        try:
            if conversation is None:
                raise Undeliverable("unknown conversation")
            if conversation.blocked_reason and not head.triage:
                raise Undeliverable(f"conversation blocked: {conversation.blocked_reason}")
            if not head.sends(self.policy):
                await self._outcomes.record(message, lambda cx: hold_unprobed(cx, message))
                return
            self._urls.check(conversation.service_url)
            # Bounded, so that our claim (which outlives the timeout) never expires while the request may still land.
            async with asyncio.timeout(self.policy.send_timeout):
                try:
                    activity_id = await self._teams.send(message, conversation)
                finally:
                    self._outcomes.answered(message, self._clock())  # when Teams had the request, at the latest
        except (Undeliverable, ServiceUrlRefused) as error:
            logger.warning("outbox %s not deliverable: %s", message.id, error)
            reason = str(error)
            await self._outcomes.record(message, lambda cx: outbox_sql.mark_failed(cx, message.id, reason))
        except ErrorResponseException as error:
            await self._outcomes.failed_send(head, error)
        except Exception as error:  # network failures, timeouts and the like: retry with backoff
            logger.warning("outbox %s send error: %s", message.id, error or type(error).__name__)
            await self._outcomes.retry(
                message, self._outcomes.backoff(message.attempts + 1), f"{type(error).__name__}: {error}"
            )
        else:
            await self._outcomes.record_delivered(
                message, lambda cx: self._record_sent(cx, head, activity_id), until=claim_ends
            )

    def _record_sent(self, cx: Cx, head: Head, activity_id: str | None) -> None:
        message = head.message
        outbox_sql.mark_sent(cx, message.id, activity_id, self._clock())
        if head.conversation is not None and head.conversation.blocked_reason:
            conv_sql.unblock(cx, head.conversation.key)  # a probe went through: the rest follow in order
            logger.warning("conversation %s takes messages again", head.conversation.key)
        out = message.outgoing
        if out.operation is Operation.POST and activity_id:
            if out.card and out.ticket_id:
                ticket_sql.record_card(cx, out.ticket_id, out.card.value, activity_id)
            if out.card_key:
                outbox_sql.record_posted(cx, out.card_key, out.conversation_key, activity_id)
