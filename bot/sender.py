"""The one outbound sender: delivers the outbox in order per conversation, paced below Teams' limits, retrying
what Teams says to retry (429 after Retry-After; 412/502/503/504 with backoff and jitter) and nothing else."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import timedelta

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationParameters, ConversationReference, ErrorResponseException

from bot.adapter import DeskAdapter
from bot.pacing import CONVERSATION_WINDOWS, Pacer
from bot.send_policy import GONE, RETRY_WITH_BACKOFF, SendPolicy, retry_after, within_a_message
from bot.service_urls import ServiceUrlPolicy, ServiceUrlRefused
from desk.clock import Clock, utc_now
from desk.outbox import Card, Operation, OutboxMessage
from desk.store import conversations as conv_sql
from desk.store import events as event_sql
from desk.store import outbox as outbox_sql
from desk.store import tickets as ticket_sql
from desk.store.conversations import Conversation
from desk.store.database import Cx, Database
from desk.store.events import Event

logger = logging.getLogger(__name__)


class Undeliverable(Exception):
    """A message that must not (or can no longer) be sent."""


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
    ) -> None:
        self._adapter = adapter
        self._db = db
        self._app_id = app_id
        self._urls = policy
        self._clock = clock
        self.policy = send_policy or SendPolicy()
        self._rand = rand
        self._conversations = Pacer(self.policy.per_conversation, CONVERSATION_WINDOWS, sleep=sleep)
        self._tenants = Pacer(self.policy.per_tenant, sleep=sleep)
        self._wake = asyncio.Event()
        self._stopping = False
        self._pass = asyncio.Lock()  # one delivery pass at a time, so a message is never picked up twice

    def kick(self) -> None:
        """Wake the sender: something was just queued."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver until `stop`; sleeps until kicked, a retry falls due, or the idle poll elapses."""
        while not self._stopping:
            try:
                self._wake.clear()  # before the pass: a kick or stop during the pass must not be lost
                if await self.deliver_due():
                    continue
                due = await self._db.run(outbox_sql.next_due)
                timeout = self.policy.idle_poll
                if due is not None:
                    timeout = min(timeout, max(0.0, (due - self._clock()).total_seconds()))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=timeout)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("outbox pass failed; retrying shortly")
                await asyncio.sleep(1)

    def stop(self) -> None:
        """Ask `run` to finish after the current pass."""
        self._stopping = True
        self._wake.set()

    async def deliver_due(self) -> int:
        """One pass: the oldest due message of each conversation, delivered concurrently. Returns how many."""
        async with self._pass:
            return await self._deliver_heads()

    async def _deliver_heads(self) -> int:
        heads = await self._db.run(lambda cx: outbox_sql.heads(cx, self._clock(), 200))
        if not heads:
            return 0
        limit = asyncio.Semaphore(self.policy.concurrency)

        async def one(message: OutboxMessage) -> None:
            async with limit:
                await self._deliver(message)

        await asyncio.gather(*(one(message) for message in heads))
        return len(heads)

    async def drain(self) -> None:
        """Deliver until nothing pending is due (tests, shutdown); callers bound it with asyncio.timeout."""
        while await self.deliver_due():
            pass

    async def _deliver(self, message: OutboxMessage) -> None:
        out = message.outgoing
        conversation = await self._db.run(lambda cx: conv_sql.get_conversation(cx, out.conversation_key))
        try:
            if conversation is None:
                raise Undeliverable("unknown conversation")
            if conversation.blocked_reason:
                raise Undeliverable(f"conversation blocked: {conversation.blocked_reason}")
            self._urls.check(conversation.service_url)
            await self._conversations.wait(conversation.key)
            await self._tenants.wait(conversation.tenant_id)
            activity_id = await self._send(message, conversation)
        except (Undeliverable, ServiceUrlRefused) as error:
            logger.warning("outbox %s not deliverable: %s", message.id, error)
            reason = str(error)
            await self._db.run(lambda cx: outbox_sql.mark_failed(cx, message.id, reason))
        except ErrorResponseException as error:
            await self._failed_send(message, conversation, error)
        except Exception as error:  # network failures and the like: retry with backoff
            logger.warning("outbox %s send error: %s", message.id, error)
            await self._retry(message, self._backoff(message.attempts + 1), f"{type(error).__name__}: {error}")
        else:
            await self._db.run(lambda cx: self._record_sent(cx, message, activity_id))

    def _record_sent(self, cx: Cx, message: OutboxMessage, activity_id: str | None) -> None:
        outbox_sql.mark_sent(cx, message.id, activity_id, self._clock())
        out = message.outgoing
        if out.operation is Operation.POST and activity_id:
            if out.card and out.ticket_id:
                ticket_sql.record_card(cx, out.ticket_id, out.card.value, activity_id)
            if out.card_key:
                outbox_sql.record_posted(cx, out.card_key, out.conversation_key, activity_id)

    async def _failed_send(
        self, message: OutboxMessage, conversation: Conversation | None, error: ErrorResponseException
    ) -> None:
        response = getattr(error, "response", None)
        status = getattr(response, "status_code", 0) or 0
        detail = f"HTTP {status}: {error}"
        if status == 429:
            wait = retry_after(response)
            if wait is None:
                wait = self._backoff(message.attempts + 1)
            # An unusually long Retry-After is capped, not obeyed to the letter nor given up on: max_attempts bounds it.
            await self._retry(message, min(wait, self.policy.max_retry_after), detail)
            return
        elif status in RETRY_WITH_BACKOFF:
            await self._retry(message, self._backoff(message.attempts + 1), detail)
            return
        elif status == 404 and within_a_message(message.outgoing, conversation):
            pass  # the message to update, or the thread's root, was deleted; the conversation itself is fine
        elif status in GONE and conversation is not None:
            await self._conversation_gone(conversation, message, detail)
            return
        logger.error("outbox %s refused by Teams (%s); not retried", message.id, detail)
        await self._db.run(lambda cx: outbox_sql.mark_failed(cx, message.id, detail))

    async def _retry(self, message: OutboxMessage, wait: float, detail: str) -> None:
        if message.attempts + 1 >= self.policy.max_attempts:
            logger.error("outbox %s gave up after %d attempts: %s", message.id, message.attempts + 1, detail)
            await self._db.run(lambda cx: outbox_sql.mark_failed(cx, message.id, detail))
            return
        when = self._clock() + timedelta(seconds=wait)
        logger.info("outbox %s retry in %.1fs: %s", message.id, wait, detail)
        await self._db.run(lambda cx: outbox_sql.mark_retry(cx, message.id, when, detail))

    async def _conversation_gone(self, conversation: Conversation, message: OutboxMessage, detail: str) -> None:
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
        await self._db.run(work)

    def _backoff(self, attempt: int) -> float:
        delay = min(self.policy.max_delay, self.policy.base_delay * (2 ** (attempt - 1)))
        return delay * (0.8 + 0.4 * self._rand())

    async def _send(self, message: OutboxMessage, conversation: Conversation) -> str | None:
        out = message.outgoing
        activity = Activity().deserialize(out.activity)
        reference = ConversationReference().deserialize(conversation.reference)
        reference.activity_id = None
        if out.operation is Operation.POST and conversation.kind == "channel" and not out.thread_id:
            return await self._new_thread(reference, conversation, activity)
        thread = out.thread_id
        if out.operation in (Operation.REPLY, Operation.UPDATE) and (out.card is not None or out.card_key):
            target = await self._card_activity(message)
            thread = thread or target
            if out.operation is Operation.UPDATE:
                activity.id = target
        elif out.operation is Operation.UPDATE:
            activity.id = out.target_activity_id
        if thread and conversation.kind == "channel":
            reference.conversation.id = f"{conversation.key};messageid={thread}"
        result: dict[str, str | None] = {}
        failed: list[Exception] = []

        async def callback(context: TurnContext) -> None:
            # The adapter's pipeline hands a callback's exception to on_turn_error, which logs it and writes an
            # apology to the conversation: the send would count as delivered. Keep it, raise it below instead.
            try:
                if out.operation is Operation.UPDATE:
                    await context.update_activity(activity)
                    result["id"] = activity.id
                else:
                    response = await context.send_activity(activity)
                    result["id"] = response.id if response else None
            except Exception as error:
                failed.append(error)

        await self._adapter.continue_conversation(reference, callback, bot_app_id=self._app_id)
        if failed:
            raise failed[0]
        return result.get("id")

    async def _card_activity(self, message: OutboxMessage) -> str:
        out = message.outgoing
        if out.card_key:
            key = out.card_key
            target = await self._db.run(lambda cx: outbox_sql.posted(cx, key))
        else:
            card = out.card or Card.TRIAGE
            target = await self._db.run(lambda cx: ticket_sql.card_activity(cx, out.ticket_id or 0, card.value))
        if not target:
            raise Undeliverable(f"the card {out.card_key or (out.card.value if out.card else '')} was never posted")
        return target

    async def _new_thread(
        self, reference: ConversationReference, conversation: Conversation, activity: Activity
    ) -> str | None:
        """Post a new thread in a channel (create conversation with the channel id)."""
        channel_data = {"channel": {"id": conversation.key}, "tenant": {"id": conversation.tenant_id}}
        params = ConversationParameters(
            is_group=True,
            bot=reference.bot,
            channel_data=channel_data,
            tenant_id=conversation.tenant_id,
            activity=activity,
        )
        created: dict[str, str | None] = {}

        async def callback(context: TurnContext) -> None:
            thread = context.activity.conversation.id or ""
            created["id"] = thread.split(";messageid=", 1)[1] if ";messageid=" in thread else context.activity.id

        await self._adapter.create_conversation(
            self._app_id, callback, params, reference.channel_id or "msteams", conversation.service_url
        )
        return created.get("id")
