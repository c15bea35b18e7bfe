"""Several senders on one database (as several instances of the desk run): each message is claimed and sent by one
of them, in order per conversation; a message whose sender died is taken over once the claim expires; Teams' limits
hold for all senders together; a conversation told to wait holds up no other. The real app, the SDK adapter and the
local connector; time is the desk's FixedClock, moved to each next moment a message may go (arrivals are stamped
with it)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

import pytest

from bot.edge.service_urls import ServiceUrlPolicy
from bot.outbox.claims import claim_heads
from bot.outbox.send_policy import SendPolicy
from bot.outbox.sender import OutboxSender
from desk.store import outbox as outbox_sql
from desk.store.database import open_database
from emulator import demo
from tests.bot import outbox_rig
from tests.bot.outbox_rig import (
    TimedConnector,
    arrivals,
    chat_with,
    deliver_over_time,
    most_within,
    outbox,
    remember,
    text,
    texts,
    to,
)
from tests.support.connector import Reply
from tests.support.harness import Desk, FixedClock

# The rig's fixtures (a timed connector, a desk on a fixed clock) replace conftest's for this module.
clock = outbox_rig.clock
connector = outbox_rig.connector
desk = outbox_rig.desk


def tenant(number: int) -> demo.DemoTenant:
    """A made-up customer tenant (only its id matters to the sender)."""
    return demo.DemoTenant(f"00000000-0000-4000-9000-{number:012d}", f"Tenant {number}", f"tenant{number}.example")


class Noting:
    """The app's adapter, noting which conversations one sender wrote to."""

    def __init__(self, adapter: Any) -> None:
        self._adapter = adapter
        self.conversations: Counter[str] = Counter()

    async def continue_conversation(self, reference: Any, callback: Any, **kwargs: Any) -> Any:
        self.conversations[reference.conversation.id] += 1
        return await self._adapter.continue_conversation(reference, callback, **kwargs)


@dataclass
class Senders:
    """Two senders with holders of their own, each on its own connection to the desk's database file."""

    first: OutboxSender
    second: OutboxSender
    noted: list[Noting] = field(default_factory=list)
    rounds: int = 0

    async def drain(self) -> None:
        # The one that claims first may take every head the limits let go in that round (on PostgreSQL the other's
        # SKIP LOCKED then finds none), and which one claims first is the scheduler's choice: left to it, one sender
        # once did all the work (CI, PostgreSQL) and the test proved nothing about two. So in a cycle of three rounds
        # the first sender drains alone, then both race, then the second alone: both surely send, to the same
        # conversations, and the race between them still runs every third round.
        self.rounds += 1
        turn = self.rounds % 3
        pair = [self.first] if turn == 1 else [self.second] if turn == 0 else [self.first, self.second]
        await asyncio.gather(*(sender.drain() for sender in pair))


@pytest.fixture
async def senders(desk: Desk, clock: FixedClock) -> AsyncIterator[Senders]:
    """The desk's own background sender stopped; two others in its place, as two instances would run."""
    runtime = desk.runtime
    runtime.sender.stop()
    await next(task for task in runtime.tasks if task.get_name() == "outbox-sender")
    urls = ServiceUrlPolicy(runtime.settings.service_url_allowlist)
    other_db = await open_database(runtime.settings.database_url)
    noted = [Noting(runtime.adapter), Noting(runtime.adapter)]
    app_id = runtime.settings.bot.app_id
    first = OutboxSender(noted[0], runtime.db, app_id, urls, clock, holder="instance-1")  # type: ignore[arg-type]
    second = OutboxSender(noted[1], other_db, app_id, urls, clock, holder="instance-2")  # type: ignore[arg-type]
    yield Senders(first, second, noted)
    await other_db.close()


def per_second(times: list[datetime], start: datetime) -> list[int]:
    """How many of `times` fell in each whole second from `start` (times are the clock's, moved in whole seconds)."""
    seconds = sorted(int((at - start).total_seconds()) for at in times)
    return [len(list(group)) for _, group in groupby(seconds)]


async def test_two_senders_deliver_500_messages_to_50_conversations_once_each_in_order(
    desk: Desk, connector: TimedConnector, clock: FixedClock, senders: Senders
):
    chats = [chat_with(connector, n, tenant(n % 5)) for n in range(50)]
    for chat in chats:
        await remember(desk, chat)
    queued = [text(chat, f"{chat.conversation_id} #{m}") for m in range(10) for chat in chats]

    await desk.runtime.services.desk.queue(queued)
    await deliver_over_time(desk, clock, senders.drain)

    assert len(connector.posts()) == 500, "a message was sent twice"
    for chat in chats:
        assert texts(connector.delivered(chat.conversation_id)) == [f"{chat.conversation_id} #{m}" for m in range(10)]
    assert {row["status"] for row in await outbox(desk)} == {"sent"}
    first, second = (noting.conversations for noting in senders.noted)
    assert first.total() + second.total() == 500
    assert set(first) & set(second), "the two senders never shared a conversation: the test proves little"


async def test_a_message_whose_sender_died_is_taken_over_when_its_claim_expires(
    desk: Desk, connector: TimedConnector, clock: FixedClock, senders: Senders
):
    """A sender claimed the chat's first message and died before sending it: the chat waits (its second message is
    not overtaken), then the survivor takes the message over once the claim expires, and delivers both once; the dead
    sender's late record would be refused."""
    chat = chat_with(connector, 1)
    await remember(desk, chat)
    await desk.runtime.services.desk.queue([text(chat, "one"), text(chat, "two")])
    policy = SendPolicy()
    now = clock()
    until = now + timedelta(seconds=policy.claim_ttl)
    [dead] = await desk.runtime.db.run(lambda cx: claim_heads(cx, "dead", now, until, 8, frozenset(), policy))

    await senders.first.drain()
    clock.advance(seconds=policy.claim_ttl - 1)
    await senders.first.drain()
    assert connector.posts() == []

    clock.advance(seconds=1)
    await senders.first.drain()
    assert texts(connector.delivered(chat.conversation_id)) == ["one", "two"]
    assert len(connector.posts()) == 2
    assert not await desk.runtime.db.run(lambda cx: outbox_sql.unclaim(cx, dead.message.id, "dead"))
    assert [(r["status"], r["attempts"]) for r in await outbox(desk)] == [("sent", 1), ("sent", 1)]


async def test_a_conversation_told_to_wait_a_minute_holds_up_none_of_a_thousand_messages(
    desk: Desk, connector: TimedConnector, clock: FixedClock
):
    """One chat answers 429 with Retry-After 60 while 1,000 messages go to 100 other chats over four tenants (one of
    them the throttled chat's): each tenant's 30 a second is used to the full every second until its messages are
    all out, eight seconds in, each chat's in order; the throttled chat is tried again after exactly 60 s."""
    tenants = [tenant(n) for n in range(4)]
    slow = chat_with(connector, 1000, tenants[0])
    others = [chat_with(connector, n, tenants[n % 4]) for n in range(100)]
    for chat in [slow, *others]:
        await remember(desk, chat)
    connector.fail_next("POST", Reply(429, {"Retry-After": "60"}), path=to(slow))
    start = clock()

    queued = [text(slow, f"slow {m}") for m in range(3)]
    queued += [text(chat, f"{chat.conversation_id} #{m}") for m in range(10) for chat in others]
    await desk.runtime.services.desk.queue(queued)
    await deliver_over_time(desk, clock)

    for chat in others:
        assert texts(connector.delivered(chat.conversation_id)) == [f"{chat.conversation_id} #{m}" for m in range(10)]
    for number, each in enumerate(tenants):
        ids = {chat.conversation_id for chat in [slow, *others] if chat.sender.tenant_id == each.tenant_id}
        times = [at for at in arrivals(connector, ids) if at < start + timedelta(seconds=60)]
        leftover = 250 - 8 * 30 + (1 if number == 0 else 0)  # tenant 0 also made the throttled chat's first attempt
        assert per_second(times, start) == [30] * 8 + [leftover], each.name
    assert arrivals(connector, {slow.conversation_id}) == [start] + [start + timedelta(seconds=60)] * 3
    assert texts(connector.delivered(slow.conversation_id)) == ["slow 0", "slow 1", "slow 2"]


def teams_schedule(count: int, start: datetime) -> list[datetime]:
    """When `count` messages to one personal chat may go, as soon as each may, under 7 in any second, 8 in any 2 s and
    60 in any 30 s: seven at once and one a second later every two seconds; the 61st when the first seven leave the
    30 seconds."""
    seconds: list[float] = []
    for pair in range(7):
        seconds += [2 * pair] * 7 + [2 * pair + 1]
    seconds += [14] * 4 + [30] * 7
    return [start + timedelta(seconds=s) for s in seconds[:count]]


async def test_two_senders_together_stay_inside_each_conversations_limits(
    desk: Desk, connector: TimedConnector, clock: FixedClock, senders: Senders
):
    """64 messages to each of 10 personal chats (each of its own tenant, so only the chat's own limits bind), sent by
    two senders taking turns: every chat receives exactly on the schedule one sender alone would keep — never more in
    any window, and no slower."""
    chats = [chat_with(connector, n, tenant(n)) for n in range(10)]
    for chat in chats:
        await remember(desk, chat)
    start = clock()

    await desk.runtime.services.desk.queue([text(chat, f"#{m}") for m in range(64) for chat in chats])
    await deliver_over_time(desk, clock, senders.drain)

    for chat in chats:
        times = arrivals(connector, {chat.conversation_id})
        assert (most_within(times, 1), most_within(times, 2), most_within(times, 30)) == (7, 8, 60)
        assert times == teams_schedule(64, start)
        assert texts(connector.delivered(chat.conversation_id)) == [f"#{m}" for m in range(64)]
    first, second = (noting.conversations for noting in senders.noted)
    both = [chat for chat in chats if first[chat.conversation_id] and second[chat.conversation_id]]
    assert both, "no chat got messages from both senders: the test proves little"
