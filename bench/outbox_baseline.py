"""The outbox sender's scheduling before issue 11, kept as the benchmark's baseline: each delivery pass gathers the
due head of every conversation and waits for all of them, and the pacer sleeps inside the pass until a head's slot
(per conversation: 7/s, 8 in 2 s, 60 in 30 s, 1,800 an hour, for every kind; per tenant: 30/s). Sending, recording
and the SQL are today's; only the scheduling is the old one. No retries: the benchmark's connector never fails."""

from __future__ import annotations

import asyncio
import time
from collections import deque

from bot.outbox.send_policy import SendPolicy
from bot.outbox.teams_send import TeamsSend
from desk.clock import Clock
from desk.store import conversations as conv_sql
from desk.store import outbox as outbox_sql
from desk.store.database import Database
from desk.store.outbox import OutboxMessage

OLD_CONVERSATION_WINDOWS = ((8, 2.0), (60, 30.0), (1800, 3600.0))
OLD_CONVERSATION_INTERVAL = 1 / 7
OLD_TENANT_INTERVAL = 1 / 30


class SleepingPacer:
    """The old Pacer: `wait` reserves the key's next slot and sleeps until it."""

    def __init__(self, interval: float, windows: tuple[tuple[int, float], ...] = ()) -> None:
        self._interval = interval
        self._windows = windows
        self._span = max((seconds for _, seconds in windows), default=0.0)
        self.slots: dict[str, deque[float]] = {}

    async def wait(self, key: str) -> None:
        now = time.monotonic()
        slots = self.slots.setdefault(key, deque())
        while slots and slots[0] < now - max(self._span, self._interval):
            slots.popleft()
        slot = max(now, slots[-1] + self._interval) if slots else now
        for count, seconds in self._windows:
            recent = [s for s in slots if s > slot - seconds]
            if len(recent) >= count:
                slot = max(slot, recent[-count] + seconds)
        slots.append(slot)
        if slot > now:
            await asyncio.sleep(slot - now)


class BaselineSender:
    """The old pass structure over today's outbox and Teams calls."""

    def __init__(self, teams: TeamsSend, db: Database, clock: Clock, policy: SendPolicy | None = None) -> None:
        self._teams = teams
        self._db = db
        self._clock = clock
        self.policy = policy or SendPolicy()
        self.conversations = SleepingPacer(OLD_CONVERSATION_INTERVAL, OLD_CONVERSATION_WINDOWS)
        self._tenants = SleepingPacer(OLD_TENANT_INTERVAL)

    async def run(self) -> None:
        """Passes until cancelled."""
        while True:
            if not await self.deliver_due():
                await asyncio.sleep(0.02)

    async def deliver_due(self) -> int:
        # The old pass took the 200 oldest due heads, whatever their tenant (today's claim lets tenants take turns).
        due = await self._db.run(lambda cx: outbox_sql.heads(cx, self._clock(), 100_000))
        heads = sorted(due, key=lambda message: (message.next_attempt_at, message.id))[:200]
        limit = asyncio.Semaphore(self.policy.concurrency)

        async def one(message: OutboxMessage) -> None:
            async with limit:
                await self._deliver(message)

        await asyncio.gather(*(one(message) for message in heads))
        return len(heads)

    async def _deliver(self, message: OutboxMessage) -> None:
        key = message.outgoing.conversation_key
        conversation = await self._db.run(lambda cx: conv_sql.get_conversation(cx, key))
        assert conversation is not None
        await self.conversations.wait(conversation.key)
        await self._tenants.wait(conversation.tenant_id)
        activity_id = await self._teams.send(message, conversation)
        await self._db.run(lambda cx: outbox_sql.mark_sent(cx, message.id, activity_id, self._clock()))
