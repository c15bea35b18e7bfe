"""Pacing without head-of-line blocking: a conversation (or tenant) that may not send yet is skipped and its next
message rescheduled in the outbox, never slept on while others wait; Teams' hourly window is read from what the
outbox delivered, so it holds across restarts. Time is the test's FixedClock (and a fake monotonic for the Pacer)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from botbuilder.schema import Activity

from bot.outbox.pacing import Pacer
from bot.turns.conversations import record_of
from desk.outbox import Operation, Outgoing
from emulator import demo
from tests.bot import outbox_rig
from tests.bot.outbox_rig import TimedConnector, chat_with, delay, fill_window, outbox, queue, remember, text, texts
from tests.support.activities import Channel, user
from tests.support.harness import OFFICE_HOURS, Desk, FixedClock, local_settings, start_desk
from tests.support.timing import Monotonic

# The rig's fixtures (a timed connector, a desk on a fixed clock) replace conftest's for this module.
clock = outbox_rig.clock
connector = outbox_rig.connector
desk = outbox_rig.desk

HALF_A_SECOND = timedelta(seconds=0.5)  # a storm at Teams' sustained rate: 60 in 30 s, i.e. 2 a second


async def test_a_full_hour_window_does_not_hold_up_other_conversations(
    desk: Desk, connector: TimedConnector, clock: FixedClock
):
    """A personal chat that received 1,800 messages in the last 15 minutes (Teams' hourly limit for one user) has its
    next messages rescheduled in the outbox to when its window opens; another chat's message goes out in the same
    pass, without the sender sleeping out the first one's 45 minutes."""
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
    assert (head["status"], head["attempts"], head["last_error"]) == ("pending", 0, None)  # skipped, not attempted
    assert delay(head, clock) == pytest.approx(45 * 60)  # the oldest of the 1,800 leaves the hour

    clock.advance(seconds=delay(head, clock))
    await desk.delivered()
    assert texts(connector.posts(storm.conversation_id)) == ["storm 1801"]  # the window is full again
    [waiting] = [r for r in await outbox(desk) if r["status"] == "pending"]
    assert delay(waiting, clock) == pytest.approx(10)  # when the next oldest leaves the hour
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
    [waiting] = [r for r in await outbox(desk) if r["status"] == "pending"]
    assert delay(waiting, clock) == pytest.approx(44 * 60)


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
    [waiting] = [r for r in await outbox(desk) if r["status"] == "pending"]
    assert delay(waiting, clock) == pytest.approx(20)
    clock.advance(seconds=20)
    await desk.delivered()
    assert [s.body["activity"]["text"] for s in connector.posts()] == ["alert"]


async def test_a_rescheduled_message_keeps_its_time_across_a_restart(tmp_path: Path, connector: TimedConnector):
    """The window is read from what the outbox delivered, so a new process (or another instance) holds it too."""
    settings = local_settings(tmp_path, connector)
    clock = FixedClock(OFFICE_HOURS)
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


async def test_one_tenants_backlog_does_not_park_another_tenant(desk: Desk, connector: TimedConnector):
    """60 chats of one tenant take two seconds at Teams' 30 a second per tenant; a chat of another tenant queued
    behind them is among the first requests, not the last."""
    crowd = [chat_with(connector, n) for n in range(60)]
    loner = chat_with(connector, 100, demo.NORTHWIND)
    for chat in [*crowd, loner]:
        await remember(desk, chat)

    await queue(desk, *[text(chat, "maintenance tonight") for chat in crowd], text(loner, "your ticket"))

    order = [conversation for conversation, _ in connector.arrivals]
    assert len(order) == len(crowd) + 1
    assert order.index(loner.conversation_id) < desk.runtime.sender.policy.concurrency


def test_pacer_slots_are_exact_per_key() -> None:
    """Unit check of the Pacer on a fake clock: each key's slots are `interval` apart; keys do not wait for others;
    asking for a slot reserves nothing."""
    now = Monotonic(100.0)
    pacer = Pacer(1 / 7, monotonic=now)
    slots = []
    for _ in range(3):
        slot = pacer.earliest("a", now())
        pacer.take("a", slot)
        slots.append(slot)
    assert slots == pytest.approx([100.0, 100 + 1 / 7, 100 + 2 / 7])
    assert pacer.earliest("b", now()) == 100.0
    assert pacer.earliest("a", now()) == pytest.approx(100 + 3 / 7)  # unchanged by asking twice
    now.now += 1.0  # idle for a second: the next send goes at once
    assert pacer.earliest("a", now()) == now()


def test_pacer_keeps_teams_two_second_window() -> None:
    """Beyond 7 a second, Teams allows 8 sends in any 2 s to one conversation: the 9th slot is 2 s after the first."""
    now = Monotonic(100.0)
    pacer = Pacer(1 / 7, ((8, 2.0),), monotonic=now)
    slots = []
    for _ in range(9):
        slot = pacer.earliest("a", now())
        pacer.take("a", slot)
        slots.append(slot)
    assert slots[:8] == pytest.approx([100 + n / 7 for n in range(8)])
    assert slots[8] == pytest.approx(102.0), "the 9th send waits until the first leaves the 2-second window"
    assert pacer.earliest("a", 105.0) == 105.0  # a later start is honoured
