"""The one outbound sender: delivers the outbox in order per conversation, paced below Teams' limits, retrying
what Teams says to retry (429 after Retry-After; 412/502/503/504 with backoff and jitter) and nothing else.

No conversation waits for another: each conversation's oldest due message is delivered by its own task while the
dispatcher moves on. A conversation (or tenant) whose next slot is seconds away waits for it in that task, holding
no send slot; one whose slot is further off (a full window of minutes) is skipped and its message rescheduled in
the outbox for when the slot opens."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from botbuilder.schema import ErrorResponseException

from bot.edge.adapter import DeskAdapter
from bot.edge.service_urls import ServiceUrlPolicy, ServiceUrlRefused
from bot.outbox.outcomes import Head, Outcomes
from bot.outbox.pacing import SHORT_WINDOWS, Pacer, long_windows
from bot.outbox.send_policy import SendPolicy
from bot.outbox.teams_send import TeamsSend, Undeliverable
from bot.outbox.triage_hold import hold_unprobed
from desk.clock import Clock, utc_now
from desk.directory_service import TRIAGE_CHANNEL_KEY
from desk.outage import Backoff, Outage
from desk.outbox import Operation
from desk.store import conversations as conv_sql
from desk.store import outbox as outbox_sql
from desk.store import tickets as ticket_sql
from desk.store.database import Cx, Database, DatabaseUnavailable

logger = logging.getLogger(__name__)


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
        monotonic: Callable[[], float] = time.monotonic,
        outage: Outage | None = None,
    ) -> None:
        self._teams = TeamsSend(adapter, db, app_id)
        self._db = db
        self._urls = policy
        self._clock = clock
        self.policy = send_policy or SendPolicy()
        self._sleep = sleep
        self._outage = outage or Outage()
        self._backoff = Backoff()
        self._outcomes = Outcomes(db, self.policy, clock, rand, self.kick)
        self._conversations = Pacer(self.policy.per_conversation, SHORT_WINDOWS, monotonic)
        self._tenants = Pacer(self.policy.per_tenant, monotonic=monotonic)
        self._limit = asyncio.Semaphore(self.policy.concurrency)
        self._in_flight: dict[str, asyncio.Task[None]] = {}  # conversation key -> the task delivering its head
        self._watchers: set[asyncio.Event] = set()  # set whenever a delivery ends
        self._wake = asyncio.Event()
        self._stopping = False
        self._pass = asyncio.Lock()  # one dispatcher at a time, so a message is never picked up twice

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
                    await self._dispatch()
                    due = await self._next_due()
                except DatabaseUnavailable as error:
                    self._outage.failed(error, "outbox sender")
                    await self._pause(self._backoff.next())
                    continue
                except Exception:
                    logger.exception("outbox pass failed; retrying shortly")
                    await asyncio.sleep(1)
                    continue
                self._outage.succeeded()
                self._backoff.reset()
                timeout = self.policy.idle_poll
                if due is not None:
                    timeout = min(timeout, max(0.0, (due - self._clock()).total_seconds()))
                await self._pause(timeout)
            await self._settle()
        finally:
            for task in self._in_flight.values():
                task.cancel()

    async def _pause(self, seconds: float) -> None:
        """Wait `seconds`, or less when kicked."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    def stop(self) -> None:
        """Ask `run` to finish once the deliveries under way have ended."""
        self._stopping = True
        self._wake.set()

    async def drain(self) -> None:
        """Deliver until nothing pending is due and nothing is under way (tests, shutdown); callers bound it with
        asyncio.timeout."""
        while True:
            started = await self._dispatch()
            busy = list(self._in_flight.values())
            if not started and not busy:
                return
            if busy:
                await asyncio.wait(busy)

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
        """Start a delivery task for each due head whose slot is near; reschedule the others to their slot."""
        async with self._pass:
            room = self.policy.max_in_flight - len(self._in_flight)
            if room <= 0:
                return []
            now = self._clock()
            busy = frozenset(self._in_flight)
            heads = await self._db.read(lambda cx: self._heads(cx, now, busy, room))
            started: list[asyncio.Task[None]] = []
            later: list[tuple[int, datetime]] = []
            tenant_queue: dict[str, float] = {}  # this pass's rescheduled sends per tenant, to spread them out
            mono = self._conversations.now()
            for head in heads:
                delay = 0.0
                if self._will_send(head) and head.conversation is not None:
                    key, tenant = head.conversation.key, head.conversation.tenant_id
                    ready = mono + max(0.0, (head.opens - now).total_seconds())
                    own = self._conversations.earliest(key, ready)
                    slot = self._tenants.earliest(tenant, max(own, tenant_queue.get(tenant, own)))
                    if slot - mono > self.policy.max_inline_wait:
                        later.append((head.message.id, now + timedelta(seconds=slot - mono)))
                        if own - mono <= self.policy.max_inline_wait:  # held by its tenant: queue behind the others
                            tenant_queue[tenant] = slot + self.policy.per_tenant
                        continue
                    self._conversations.take(key, slot)
                    self._tenants.take(tenant, slot)
                    delay = slot - mono
                started.append(self._start(head, delay))
            if later:
                await self._db.run(lambda cx: outbox_sql.defer(cx, later))
                logger.info("outbox: %d conversations rescheduled to their next send slot", len(later))
            return started

    def _heads(self, cx: Cx, now: datetime, busy: frozenset[str], limit: int) -> list[Head]:
        triage = conv_sql.get_meta(cx, TRIAGE_CHANNEL_KEY)
        heads = []
        for message in outbox_sql.heads(cx, now, limit, busy):
            conversation = conv_sql.get_conversation(cx, message.outgoing.conversation_key)
            opens = now
            if conversation is not None:
                opens = outbox_sql.window_opens(cx, conversation.key, long_windows(conversation.kind), now)
            heads.append(Head(message, conversation, opens, message.outgoing.conversation_key == triage))
        return heads

    def _will_send(self, head: Head) -> bool:
        """Whether a request will be made (else the message is failed, or held, without one)."""
        conversation = head.conversation
        if conversation is None or not conversation.blocked_reason:
            return conversation is not None
        return head.triage and conversation.probes <= self.policy.max_probes  # a probe of the refused channel

    def _start(self, head: Head, delay: float) -> asyncio.Task[None]:
        key = head.message.outgoing.conversation_key
        task = asyncio.create_task(self._deliver(head, delay), name=f"outbox-{head.message.id}")
        self._in_flight[key] = task

        def finished(done: asyncio.Task[None]) -> None:
            self._in_flight.pop(key, None)
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

    async def _deliver(self, head: Head, delay: float) -> None:
        message, conversation = head.message, head.conversation
        try:
            if conversation is None:
                raise Undeliverable("unknown conversation")
            if conversation.blocked_reason and not head.triage:
                raise Undeliverable(f"conversation blocked: {conversation.blocked_reason}")
            if not self._will_send(head):
                await self._db.run(lambda cx: hold_unprobed(cx, message))
                return
            self._urls.check(conversation.service_url)
            if delay > 0:
                await self._sleep(delay)  # this conversation's own slot, seconds away: no one else waits for it
            async with self._limit:
                activity_id = await self._teams.send(message, conversation)
        except (Undeliverable, ServiceUrlRefused) as error:
            logger.warning("outbox %s not deliverable: %s", message.id, error)
            reason = str(error)
            await self._db.run(lambda cx: outbox_sql.mark_failed(cx, message.id, reason))
        except ErrorResponseException as error:
            await self._outcomes.failed_send(head, error)
        except Exception as error:  # network failures and the like: retry with backoff
            logger.warning("outbox %s send error: %s", message.id, error)
            await self._outcomes.retry(
                message, self._outcomes.backoff(message.attempts + 1), f"{type(error).__name__}: {error}"
            )
        else:
            await self._db.run(lambda cx: self._record_sent(cx, head, activity_id))

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
