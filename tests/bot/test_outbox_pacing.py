"""Pacing without head-of-line blocking: a conversation (or tenant) that may not send yet is not claimed, and the
sender moves on to those that may; Teams' windows are kept in the shared rate limiter's log in the database, so they
hold across restarts and instances. Time is the test's FixedClock, moved to each next moment a message may go; the
connector stamps arrivals with it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from botbuilder.schema import Activity

from bot.turns.conversations import record_of
from desk.outbox import Operation, Outgoing
from emulator import demo
from tests.bot import outbox_rig
from tests.bot.outbox_rig import (
    TimedConnector,
    arrivals,
    chat_with,
    deliver_over_time,
    fill_window,
    most_within,
    outbox,
    pace_opens,
    queue,
    remember,
    text,
    texts,
)
from tests.support.activities import Channel, user
from tests.support.harness import Desk, FixedClock, local_settings, start_desk

# The rig's fixtures (a timed connector, a desk on a fixed clock) replace conftest's for this module.
clock = outbox_rig.clock
connector = outbox_rig.connector
desk = outbox_rig.desk

HALF_A_SECOND = timedelta(seconds=0.5)  # a storm at Teams' sustained rate: 60 in 30 s, i.e. 2 a second


async def waits_for(desk: Desk, conversation_key: str, clock: FixedClock) -> float:
    """Seconds until the conversation's next send slot opens."""
    opens = await pace_opens(desk, conversation_key)
    assert opens is not None
    return (opens - clock()).total_seconds()


async def test_a_full_hour_window_does_not_hold_up_other_conversations(
    desk: Desk, connector: TimedConnector, clock: FixedClock
):
    """A personal chat that received 1,800 messages in the last 15 minutes (Teams' hourly limit for one user) is not
    claimed until its window opens; another chat's message goes out in the same pass, without the sender sleeping out
    the first one's 45 minutes or rewriting its messages."""
    storm, other = chat_with(connector, 1), chat_with(connector, 2)
    await remember(desk, storm)
    await remember(desk, other)
    start = clock() - timedelta(minutes=15)  # one send, then 1,799 from ten seconds later at 2 a second
    await fill_window(desk, storm.conversation_id, 1, start, HALF_A_SECOND)
    await fill_window(desk, storm.conversation_id, 1799, start + timedelta(seconds=10), HALF_A_SECOND)

    async with asyncio.timeout(10):
        await queue(desk, text(storm, "storm 1801"), text(storm, "storm 1802"), text(other, "hello"))

    assert texts(connector.posts(other.conversation_id)) == ["hello"]
    assert connector.posts(storm.conversation_id) == []
    [head, _] = [r for r in await outbox(desk) if r["status"] == "pending"]
    assert (head["status"], head["attempts"], head["last_error"]) == ("pending", 0, None)  # passed over, not attempted
    assert await waits_for(desk, storm.conversation_id, clock) == pytest.approx(45 * 60)  # the oldest leaves the hour

    clock.advance(seconds=await waits_for(desk, storm.conversation_id, clock))
    await desk.delivered()
    assert texts(connector.posts(storm.conversation_id)) == ["storm 1801"]  # the window is full again
    assert await waits_for(desk, storm.conversation_id, clock) == pytest.approx(10)  # the next oldest leaves the hour
    clock.advance(seconds=10)
    await desk.delivered()
    assert texts(connector.posts(storm.conversation_id)) == ["storm 1801", "storm 1802"]


async def test_the_hourly_window_binds_personal_chats_only(desk: Desk, connector: TimedConnector, clock: FixedClock):
    """Teams applies 1,800 an hour only to messages to a single user: a channel that took as many in the last quarter
    hour still receives at once; a personal chat with the same history waits."""
    channel = Channel("19:team-support@thread.tacv2", "19:alerts@thread.tacv2", connector.url)
    record = record_of(Activity().deserialize(channel.message(user(demo.PARTNER, 0), "hello")))
    await desk.runtime.services.desk.save_conversation(record)
    chat = chat_with(connector, 1)
    await remember(desk, chat)
    start = clock() - timedelta(minutes=16)  # 1,800 sends over 15 minutes, the last a minute ago
    for key in (record.key, chat.conversation_id):
        await fill_window(desk, key, 1800, start, HALF_A_SECOND)

    await queue(desk, Outgoing(record.key, Operation.POST, {"type": "message", "text": "alert"}), text(chat, "note"))

    created = [s for s in connector.posts() if s.path == "/v3/conversations"]
    assert [s.body["activity"]["text"] for s in created] == ["alert"]
    assert connector.posts(chat.conversation_id) == []
    assert await waits_for(desk, chat.conversation_id, clock) == pytest.approx(44 * 60)


async def test_the_thirty_second_window_binds_every_conversation(
    desk: Desk, connector: TimedConnector, clock: FixedClock
):
    """60 messages in any 30 s, to any conversation: a channel that took 60 in the last 10 s waits 20 s more."""
    channel = Channel("19:team-support@thread.tacv2", "19:alerts@thread.tacv2", connector.url)
    record = record_of(Activity().deserialize(channel.message(user(demo.PARTNER, 0), "hello")))
    await desk.runtime.services.desk.save_conversation(record)
    await fill_window(desk, record.key, 60, clock() - timedelta(seconds=10), timedelta(seconds=10 / 60))

    await queue(desk, Outgoing(record.key, Operation.POST, {"type": "message", "text": "alert"}))

    assert connector.posts() == []
    assert await waits_for(desk, record.key, clock) == pytest.approx(20)
    clock.advance(seconds=19.9)
    await desk.delivered()
    assert connector.posts() == []
    clock.advance(seconds=0.1)
    await desk.delivered()
    assert [s.body["activity"]["text"] for s in connector.posts()] == ["alert"]


async def test_a_paced_conversation_keeps_its_wait_across_a_restart(
    tmp_path: Path, connector: TimedConnector, clock: FixedClock
):
    """The window is kept in the database, so a new process (or another instance) holds it too."""
    settings = local_settings(tmp_path, connector)
    storm = chat_with(connector, 1)
    first = await start_desk(settings, connector, clock)
    try:
        await remember(first, storm)
        await fill_window(first, storm.conversation_id, 1800, clock() - timedelta(minutes=15), HALF_A_SECOND)
        await queue(first, text(storm, "after the storm"))
    finally:
        await first.close()
    second = await start_desk(settings, connector, clock)
    try:
        await second.delivered()
        assert connector.posts(storm.conversation_id) == []
        clock.advance(minutes=45)
        await second.delivered()
        assert texts(connector.posts(storm.conversation_id)) == ["after the storm"]
    finally:
        await second.close()


async def test_one_tenants_backlog_does_not_park_another_tenant(
    desk: Desk, connector: TimedConnector, clock: FixedClock
):
    """60 chats of one tenant take two seconds at Teams' 30 a second per tenant; a chat of another tenant queued
    behind them is among the first requests (tenants take turns), not after the crowd's first second."""
    crowd = [chat_with(connector, n) for n in range(60)]
    loner = chat_with(connector, 100, demo.NORTHWIND)
    for chat in [*crowd, loner]:
        await remember(desk, chat)
    start = clock()

    await desk.runtime.services.desk.queue([*[text(chat, "maintenance tonight") for chat in crowd], text(loner, "hi")])
    await deliver_over_time(desk, clock)

    assert arrivals(connector, {loner.conversation_id}) == [start]
    order = [conversation for conversation, _ in connector.arrivals]
    assert order.index(loner.conversation_id) < desk.runtime.sender.policy.concurrency
    crowd_times = arrivals(connector, {chat.conversation_id for chat in crowd})
    assert crowd_times == [start] * 30 + [start + timedelta(seconds=1)] * 30


async def test_sends_to_one_conversation_stay_inside_its_windows(
    desk: Desk, connector: TimedConnector, clock: FixedClock
):
    """20 messages to one chat: at most 7 in any second and 8 in any 2 s — 7 at once, the 8th a second later, then 7
    and 1 again every two seconds — in order, each once."""
    chat = chat_with(connector, 1)
    await remember(desk, chat)
    start = clock()

    await desk.runtime.services.desk.queue([text(chat, f"message {n}") for n in range(20)])
    await deliver_over_time(desk, clock)

    assert texts(connector.posts(chat.conversation_id)) == [f"message {n}" for n in range(20)]
    times = arrivals(connector, {chat.conversation_id})
    assert (most_within(times, 1), most_within(times, 2)) == (7, 8)
    pattern = [0] * 7 + [1] + [2] * 7 + [3] + [4] * 4
    assert times == [start + timedelta(seconds=second) for second in pattern]


async def test_sends_to_one_tenant_stay_below_thirty_per_second(
    desk: Desk, connector: TimedConnector, clock: FixedClock
):
    """Messages to 40 conversations of one tenant: never more than 30 in any second, and not spaced out further."""
    chats = [chat_with(connector, n) for n in range(40)]
    for chat in chats:
        await remember(desk, chat)
    start = clock()

    await desk.runtime.services.desk.queue([text(chat, "maintenance tonight") for chat in chats])
    await deliver_over_time(desk, clock)

    times = arrivals(connector, {chat.conversation_id for chat in chats})
    assert len(times) == len(chats) and most_within(times, 1) == 30
    assert times[-1] == start + timedelta(seconds=1)


async def test_a_send_counts_in_its_tenants_window_from_when_teams_answered(
    desk: Desk, connector: TimedConnector, clock: FixedClock
):
    """Teams counts a send when it arrives, which may be well after the desk claimed it. The first of 31 messages to
    one tenant's chats takes 50 ms to arrive; the 31st waits for a second from its answer, not from its claim, so that
    Teams never sees 31 in one second."""
    first, *rest = [chat_with(connector, n) for n in range(31)]
    for chat in [first, *rest]:
        await remember(desk, chat)
    connector.transit[first.conversation_id] = 0.05
    start = clock()

    await queue(desk, text(first, "incident"))  # claimed at `start`, arrives and is answered 50 ms later
    await desk.runtime.services.desk.queue([text(chat, "incident") for chat in rest])
    await deliver_over_time(desk, clock)

    times = arrivals(connector, {chat.conversation_id for chat in [first, *rest]})
    arrived = start + timedelta(seconds=0.05)
    assert times == [arrived] * 30 + [arrived + timedelta(seconds=1)]
    assert most_within(times, 1) == 30
