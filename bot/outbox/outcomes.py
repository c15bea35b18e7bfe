"""What the sender does with Teams' answer to a send it could not complete: retry (429 after Retry-After, capped;
412/502/503/504 with backoff and jitter), hold (a refused triage channel), block (a chat that refuses the bot), or
give up and say so on the ticket. Every retry is bounded by the policy's attempts.

Every outcome is recorded only while the sender's claim on the message is still its own (`record`): a sender whose
claim expired and was taken over by another records nothing, so a message is never recorded twice. The same
transaction moves the send's rate-limit slots to when Teams answered (`answered`), whoever holds the claim: Teams
counted the request when it arrived, not when it was claimed (desk/ratelimit.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from botbuilder.schema import ErrorResponseException

from bot.outbox.claims import Head
from bot.outbox.send_policy import GONE, RETRY_WITH_BACKOFF, SendPolicy, retry_after, within_a_message
from bot.outbox.triage_hold import hold_refused
from bot.outbox.writes import SerialWrites
from desk import ratelimit
from desk.clock import Clock
from desk.outbox import Operation
from desk.store import conversations as conv_sql
from desk.store import events as event_sql
from desk.store import outbox as outbox_sql
from desk.store.conversations import Conversation
from desk.store.database import Cx, DatabaseUnavailable
from desk.store.events import Event
from desk.store.outbox import OutboxMessage
from desk.store.ratelimit import SqlSlotLog

logger = logging.getLogger(__name__)


class Outcomes:
    """The sender's answers to failed sends, recorded in the outbox (and on tickets) in one transaction each."""

    def __init__(
        self,
        writes: SerialWrites,
        holder: str,
        policy: SendPolicy,
        clock: Clock,
        rand: Callable[[], float],
        kick: Callable[[], None],
    ) -> None:
        self._writes = writes
        self._holder = holder
        self._policy = policy
        self._clock = clock
        self._rand = rand
        self._kick = kick
        self._answers: dict[int, datetime] = {}  # message id -> when Teams answered the send under way

    def answered(self, message: OutboxMessage, at: datetime) -> None:
        """Teams answered (or the request ended) at `at`: the outcome's transaction counts the send from then."""
        self._answers[message.id] = at

    def forget(self, message: OutboxMessage) -> None:
        """The delivery task of `message` ended."""
        self._answers.pop(message.id, None)

    async def failed_send(self, head: Head, error: ErrorResponseException) -> None:
        message, conversation = head.message, head.conversation
        response = getattr(error, "response", None)
        status = getattr(response, "status_code", 0) or 0
        detail = f"HTTP {status}: {error}"
        if status == 429:
            wait = retry_after(response)
            if wait is None:
                wait = self.backoff(message.attempts + 1)
            # An unusually long Retry-After is capped, not obeyed to the letter nor given up on: max_attempts bounds it.
            await self.retry(message, min(wait, self._policy.max_retry_after), detail)
            return
        elif status in RETRY_WITH_BACKOFF:
            await self.retry(message, self.backoff(message.attempts + 1), detail)
            return
        elif status == 404 and within_a_message(message.outgoing, conversation):
            pass  # the message to update, or the thread's root, was deleted; the conversation itself is fine
        elif status in GONE and conversation is not None and head.triage:
            now = self._clock()
            await self.record(message, lambda cx: hold_refused(cx, self._policy, conversation, message, detail, now))
            self._kick()  # the technicians' notices
            return
        elif status in GONE and conversation is not None:
            await self.conversation_gone(conversation, message, detail)
            return
        logger.error("outbox %s refused by Teams (%s); not retried", message.id, detail)
        await self.give_up(message, detail)

    async def give_up(self, message: OutboxMessage, detail: str) -> None:
        """Fail a message for good; one about a ticket (not a card refresh) is noted in the ticket's history, so the
        technician who was told it was sent can see it was not."""
        now = self._clock()
        ticket_id = message.outgoing.ticket_id if message.outgoing.operation is not Operation.UPDATE else None

        def work(cx: Cx) -> None:
            outbox_sql.mark_failed(cx, message.id, detail)
            if ticket_id is not None:
                event_sql.add_event(
                    cx, Event(ticket_id, now, "system", "Partner Desk", "undelivered", text=detail[:200])
                )

        await self.record(message, work)

    async def retry(self, message: OutboxMessage, wait: float, detail: str) -> None:
        if message.attempts + 1 >= self._policy.max_attempts:
            logger.error("outbox %s gave up after %d attempts: %s", message.id, message.attempts + 1, detail)
            await self.give_up(message, detail)
            return
        when = self._clock() + timedelta(seconds=wait)
        logger.info("outbox %s retry in %.1fs: %s", message.id, wait, detail)
        await self.record(message, lambda cx: outbox_sql.mark_retry(cx, message.id, when, detail))

    async def conversation_gone(self, conversation: Conversation, message: OutboxMessage, detail: str) -> None:
        """The bot was removed or blocked: stop writing there, and say so on the affected tickets."""
        now = self._clock()

        def work(cx: Cx) -> None:
            conv_sql.block_conversation(cx, conversation.key, detail, now)
            ticket_ids = outbox_sql.fail_conversation(cx, conversation.key, detail)
            outbox_sql.mark_failed(cx, message.id, detail)  # count the attempt that was refused
            for ticket_id in ticket_ids:
                event_sql.add_event(
                    cx, Event(ticket_id, now, "system", "Partner Desk", "unreachable", text=conversation.kind)
                )

        logger.warning("conversation %s refuses the bot (%s); marked blocked", conversation.key, detail)
        await self.record(message, work)

    async def record(self, message: OutboxMessage, work: Callable[[Cx], None]) -> bool:
        """Run `work` (the message's outcome) in one transaction with the end of our claim on it (and with the
        outcomes of other deliveries that ended meanwhile: bot/outbox/writes.py); nothing is recorded, and False
        returned, when the claim is no longer ours."""

        at = self._answers.get(message.id)
        owner = outbox_sql.pace_owner(message.id, message.attempts)

        def fenced(cx: Cx) -> bool:
            if at is not None:
                ratelimit.answered(SqlSlotLog(cx), owner, at)
            if not outbox_sql.unclaim(cx, message.id, self._holder):
                return False
            work(cx)
            return True

        if await self._writes.record(fenced):
            return True
        logger.warning("outbox %s: our claim expired and another sender took it over; not recorded", message.id)
        return False

    async def record_delivered(self, message: OutboxMessage, work: Callable[[Cx], None], until: float) -> bool:
        """`record` for a message Teams has accepted: while the database is away, try again (backing off) until
        `until` (event-loop time: shortly before our claim expires). Giving up sooner would leave the message
        pending, and it would be sent a second time once the claim expired."""
        loop = asyncio.get_running_loop()
        delay = 0.5
        while True:
            try:
                return await self.record(message, work)
            except DatabaseUnavailable:
                if loop.time() + delay >= until:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 8.0)

    def backoff(self, attempt: int) -> float:
        delay = min(self._policy.max_delay, self._policy.base_delay * (2 ** (attempt - 1)))
        return delay * (0.8 + 0.4 * self._rand())
