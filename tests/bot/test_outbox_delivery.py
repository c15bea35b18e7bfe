"""Outbox delivery across restarts, bounded retries, and the serviceUrl allowlist at send time, at the HTTP level
against the local connector."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from botbuilder.schema import Activity

from bot.turns.conversations import record_of
from desk.outbox import Operation, Outgoing
from desk.store.conversations import Conversation
from emulator import demo
from tests.bot import outbox_rig
from tests.bot.outbox_rig import (
    chat_with,
    delay,
    outbox,
    queue,
    remember,
    text,
    texts,
    to,
)
from tests.support.activities import Channel, Chat, user
from tests.support.connector import LocalConnector, Reply
from tests.support.harness import OFFICE_HOURS, Desk, FixedClock, local_settings, start_desk

# The rig's fixtures (a timed connector, a desk on a fixed clock) replace conftest's for this module.
clock = outbox_rig.clock
connector = outbox_rig.connector
desk = outbox_rig.desk

# --- 5. Restart ------------------------------------------------------------------------------------------------------


async def until_sent(desk: Desk, count: int) -> None:
    """Wait (without driving the sender) until `count` outbox rows are sent: the app's own sender does it."""
    for _ in range(500):
        if sum(r["status"] == "sent" for r in await outbox(desk)) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"fewer than {count} messages sent within 10 s")


async def test_a_message_waiting_for_its_retry_is_delivered_after_a_restart(tmp_path: Path, connector: LocalConnector):
    """A 503'd message and the one queued behind it survive a restart and are delivered exactly once."""
    settings = local_settings(tmp_path, connector)
    chat = chat_with(connector, 1)
    first = await start_desk(settings, connector, FixedClock(OFFICE_HOURS))
    try:
        await remember(first, chat)
        connector.fail_next("POST", Reply(503), path=to(chat))
        await queue(first, text(chat, "before restart 1"), text(chat, "before restart 2"))
        assert [r["status"] for r in await outbox(first)] == ["pending", "pending"]
    finally:
        await first.close()
    assert texts(connector.posts(chat.conversation_id)) == ["before restart 1"]

    second = await start_desk(settings, connector, FixedClock(OFFICE_HOURS + timedelta(minutes=1)))
    try:
        await until_sent(second, 2)
        await second.delivered()
        assert [(r["status"], r["attempts"]) for r in await outbox(second)] == [("sent", 2), ("sent", 1)]
    finally:
        await second.close()
    assert texts(connector.posts(chat.conversation_id)) == ["before restart 1", "before restart 1", "before restart 2"]


async def test_a_send_under_way_at_shutdown_ends_and_is_recorded_not_sent_again(
    tmp_path: Path, connector: LocalConnector
):
    """Stopping the app lets a send whose answer is on its way finish and be recorded: cancelled between Teams'
    answer and the record, it would be sent a second time after the restart."""
    settings = local_settings(tmp_path, connector)
    chat = chat_with(connector, 1)
    first = await start_desk(settings, connector, FixedClock(OFFICE_HOURS))
    try:
        await remember(first, chat)
        connector.fail_next("POST", Reply(200, body={"id": "slow-1"}, delay=1.0, delivered=True), path=to(chat))
        await first.runtime.services.desk.queue([text(chat, "under way")])
        for _ in range(200):  # until the send is in flight (the connector holds its answer for a second)
            if connector.posts(chat.conversation_id):
                break
            await asyncio.sleep(0.01)
    finally:
        await first.close()
    assert [r["status"] for r in await outbox_rows(settings)] == ["sent"]

    second = await start_desk(settings, connector, FixedClock(OFFICE_HOURS + timedelta(minutes=1)))
    try:
        await second.delivered()
    finally:
        await second.close()
    assert texts(connector.posts(chat.conversation_id)) == ["under way"]


async def outbox_rows(settings) -> list[dict]:
    """The outbox of a stopped desk, read straight from its database."""
    from desk.store.database import open_database

    db = await open_database(settings.database_url)
    try:
        return await db.run(lambda cx: cx.all("SELECT status FROM outbox ORDER BY id"))
    finally:
        await db.close()


async def test_messages_queued_before_the_sender_ran_are_delivered_after_a_restart(
    tmp_path: Path, connector: LocalConnector
):
    """Messages committed while no sender runs are delivered by the next process, once each."""
    settings = local_settings(tmp_path, connector)
    chat = chat_with(connector, 1)
    first = await start_desk(settings, connector, FixedClock(OFFICE_HOURS))
    try:
        sender = next(task for task in first.runtime.tasks if task.get_name() == "outbox-sender")
        first.runtime.sender.stop()
        async with asyncio.timeout(5):
            await sender
        await remember(first, chat)
        await first.runtime.services.desk.queue([text(chat, "queued 1"), text(chat, "queued 2")])
        assert [r["status"] for r in await outbox(first)] == ["pending", "pending"]
    finally:
        await first.close()
    assert connector.sent == []

    second = await start_desk(settings, connector, FixedClock(OFFICE_HOURS))
    try:
        await until_sent(second, 2)
        await second.delivered()
    finally:
        await second.close()
    assert texts(connector.posts(chat.conversation_id)) == ["queued 1", "queued 2"]


async def test_a_stop_during_a_delivery_pass_is_not_lost(desk: Desk):
    """The background sender ends right after the pass it was in when told to stop, not after its idle poll."""
    sender = desk.runtime.sender
    task = next(task for task in desk.runtime.tasks if task.get_name() == "outbox-sender")
    await asyncio.sleep(0.2)  # the loop's start-up pass is over: it waits to be kicked
    async with sender._pass:  # a dispatch under way: the kicked loop waits for it
        sender.kick()
        await asyncio.sleep(0.05)
        sender.stop()
    async with asyncio.timeout(sender.policy.idle_poll / 2):
        await task


# --- 6. Bounded retries ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reply", [Reply(503), Reply(429, {"Retry-After": "1"})], ids=["503", "429"])
async def test_retries_stop_after_max_attempts(desk: Desk, connector: LocalConnector, clock: FixedClock, reply: Reply):
    """A conversation that always answers 503 (or 429) gets exactly max_attempts tries; backoff doubles meanwhile."""
    policy = desk.runtime.sender.policy
    chat = chat_with(connector, 1)
    await remember(desk, chat)
    connector.fail_next("POST", *[reply] * (policy.max_attempts + 5), path=to(chat))

    await queue(desk, text(chat, "doomed"))
    delays: list[float] = []
    for _ in range(policy.max_attempts + 3):
        [row] = await outbox(desk)
        if row["status"] == "pending":
            delays.append(delay(row, clock))
        clock.advance(seconds=policy.max_delay * 1.2 + policy.max_retry_after)
        await desk.delivered()

    [row] = await outbox(desk)
    assert (row["status"], row["attempts"]) == ("failed", policy.max_attempts)
    assert f"HTTP {reply.status}" in row["last_error"]
    assert len(connector.posts(chat.conversation_id)) == policy.max_attempts
    assert len(delays) == policy.max_attempts - 1
    for attempt, seconds in enumerate(delays, start=1):
        if reply.status == 429:
            assert seconds == pytest.approx(1.0)
        else:
            nominal = min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))
            assert 0.8 * nominal <= seconds <= 1.2 * nominal


# --- 7. Pacing: tests/bot/test_outbox_pacing.py, on the desk's clock ------------------------------------------------


# --- 8. serviceUrl allowlist at send time ----------------------------------------------------------------------------


@pytest.fixture
def rogue() -> Iterator[LocalConnector]:
    """A connector outside SERVICE_URL_ALLOWLIST: nothing may ever reach it."""
    local = LocalConnector().start()
    yield local
    local.stop()


async def test_a_stored_service_url_outside_the_allowlist_is_refused(
    desk: Desk, connector: LocalConnector, rogue: LocalConnector, clock: FixedClock
):
    """A stored conversation on a foreign serviceUrl: its message fails unsent; the others are delivered."""
    foreign, fine = Chat(chat_with(connector, 1).sender, rogue.url), chat_with(connector, 2)
    await remember(desk, foreign)
    await remember(desk, fine)

    await queue(desk, text(foreign, "token bait"), text(fine, "hello"))
    clock.advance(hours=1)
    await desk.delivered()

    assert rogue.sent == []
    assert texts(connector.posts()) == ["hello"]
    failed = next(r for r in await outbox(desk) if r["conversation_key"] == foreign.conversation_id)
    assert failed["status"] == "failed" and "SERVICE_URL_ALLOWLIST" in failed["last_error"]


async def test_a_reference_pointing_elsewhere_is_refused_too(
    desk: Desk, connector: LocalConnector, rogue: LocalConnector
):
    """A stored reference whose own serviceUrl disagrees with the checked one: refused when the client is made."""
    chat = chat_with(connector, 1)
    record = record_of(Activity().deserialize(chat.message("hello")))
    tampered = Conversation(
        record.key, {**record.reference, "serviceUrl": rogue.url}, record.service_url, record.tenant_id, record.kind
    )
    await desk.runtime.services.desk.save_conversation(tampered)

    await queue(desk, text(chat, "token bait"))

    assert rogue.sent == []
    assert connector.sent == []
    [row] = await outbox(desk)
    assert row["status"] == "failed" and "SERVICE_URL_ALLOWLIST" in row["last_error"]


async def test_a_deleted_message_to_update_does_not_block_the_conversation(
    desk: Desk, connector: LocalConnector, clock: FixedClock
):
    """404 on an update means that one message is gone, not that the bot was removed: later sends still go out."""
    chat = chat_with(connector, 1)
    await remember(desk, chat)
    connector.fail_next("PUT", Reply(404), path=to(chat))
    update = Outgoing(chat.conversation_id, Operation.UPDATE, {"type": "message", "text": "v2"}, target_activity_id="7")
    await queue(desk, update)
    await queue(desk, text(chat, "Still reachable"))
    stored = await desk.runtime.services.desk.conversation(chat.conversation_id)
    assert stored is not None and stored.blocked_reason is None
    assert texts(connector.posts(chat.conversation_id)) == ["Still reachable"]
    rows = await outbox(desk)
    assert [r["status"] for r in rows] == ["failed", "sent"]


async def test_a_reply_into_a_deleted_thread_does_not_block_the_channel(
    desk: Desk, connector: LocalConnector, clock: FixedClock
):
    """404 on a reply in one ticket's thread (its root was deleted) fails that reply only: the triage channel
    still receives the next ticket's card."""
    channel = Channel("19:team-support@thread.tacv2", "19:triage@thread.tacv2", connector.url)
    record = record_of(Activity().deserialize(channel.message(user(demo.PARTNER, 0), "hello")))
    await desk.runtime.services.desk.save_conversation(record)
    connector.fail_next("POST", Reply(404, body={"error": {"code": "ConversationNotFound"}}), path="/v3/conversations/")
    reply = Outgoing(record.key, Operation.REPLY, {"type": "message", "text": "in thread"}, thread_id="1234")
    await queue(desk, reply)
    await queue(desk, Outgoing(record.key, Operation.POST, {"type": "message", "text": "next ticket"}))
    stored = await desk.runtime.services.desk.conversation(record.key)
    assert stored is not None and stored.blocked_reason is None
    assert [r["status"] for r in await outbox(desk)] == ["failed", "sent"]
    created = [s for s in connector.posts() if s.path == "/v3/conversations"]
    assert [s.body["activity"]["text"] for s in created] == ["next ticket"]
