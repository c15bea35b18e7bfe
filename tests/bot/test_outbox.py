"""Delivery by the one outbound sender, at the HTTP level: the real app and adapter, a real SQLite outbox, and a local
connector scripted to answer like Teams does under load (429, 5xx), refusal (4xx) and removal (403/404)."""

from __future__ import annotations

import pytest
from botbuilder.schema import Activity

from bot.turns.conversations import record_of
from desk.outbox import Operation, Outgoing
from desk.tickets import Product, Requester, Severity, TicketFields
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
from tests.support.harness import Desk, FixedClock

# The rig's fixtures (a timed connector, a desk on a fixed clock) replace conftest's for this module.
clock = outbox_rig.clock
connector = outbox_rig.connector
desk = outbox_rig.desk

# --- 1. Retry-After, backoff, exactly once -------------------------------------------------------------------------


async def test_429_then_503_then_success_delivers_once(desk: Desk, connector: LocalConnector, clock: FixedClock):
    """429 waits its Retry-After, 503 backs off, the third attempt lands; one delivery, the connector's id kept."""
    chat = Chat(user(demo.FABRIKAM, 0), connector.url)
    status, _ = await desk.send(chat.message("help"))  # the real inbound path stores the conversation
    assert status == 201
    before = len(connector.posts(chat.conversation_id))
    connector.fail_next(
        "POST",
        Reply(429, {"Retry-After": "1"}),
        Reply(503),
        Reply(200, body={"id": "activity-from-teams"}),
        path=to(chat),
    )

    await queue(desk, text(chat, "Your ticket T-1001 was received."))

    [row] = await outbox(desk)
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert "HTTP 429" in row["last_error"]
    assert delay(row, clock) == pytest.approx(1.0)  # exactly the Retry-After
    clock.advance(seconds=0.9)
    await desk.delivered()
    assert len(connector.posts(chat.conversation_id)) == before + 1  # not before the Retry-After

    clock.advance(seconds=0.1)
    await desk.delivered()
    [row] = await outbox(desk)
    assert (row["status"], row["attempts"]) == ("pending", 2)
    assert "HTTP 503" in row["last_error"]
    policy = desk.runtime.sender.policy
    second = policy.base_delay * 2  # the backoff of a second attempt, before jitter (±20%)
    assert 0.8 * second <= delay(row, clock) <= 1.2 * second

    clock.advance(seconds=1.2 * second)
    await desk.delivered()
    posts = connector.posts(chat.conversation_id)[before:]
    assert texts(posts) == ["Your ticket T-1001 was received."] * 3  # 429, 503, 201: three attempts, one success
    [row] = await outbox(desk)
    assert (row["status"], row["attempts"], row["activity_id"]) == ("sent", 3, "activity-from-teams")
    assert connector.script == []  # each scripted answer went to one attempt, in order
    clock.advance(hours=1)
    await desk.delivered()
    assert len(connector.posts(chat.conversation_id)) == before + 3  # nothing more


async def test_429_without_retry_after_backs_off(desk: Desk, connector: LocalConnector, clock: FixedClock):
    """A 429 with no Retry-After header is retried with the exponential backoff."""
    chat = chat_with(connector, 1)
    await remember(desk, chat)
    connector.fail_next("POST", Reply(429), path=to(chat))
    await queue(desk, text(chat, "one"))
    [row] = await outbox(desk)
    assert row["status"] == "pending"
    assert 0.8 <= delay(row, clock) <= 1.2
    clock.advance(seconds=1.2)
    await desk.delivered()
    assert texts(connector.posts(chat.conversation_id)) == ["one", "one"]
    assert (await outbox(desk))[0]["status"] == "sent"


async def test_a_long_retry_after_is_capped_not_dropped(desk: Desk, connector: LocalConnector, clock: FixedClock):
    """A Retry-After beyond the policy's ceiling waits the ceiling, then the message goes out."""
    chat = chat_with(connector, 1)
    await remember(desk, chat)
    connector.fail_next("POST", Reply(429, {"Retry-After": "3600"}), path=to(chat))
    await queue(desk, text(chat, "one"))
    [row] = await outbox(desk)
    ceiling = desk.runtime.sender.policy.max_retry_after
    assert row["status"] == "pending" and delay(row, clock) == pytest.approx(ceiling)
    clock.advance(seconds=ceiling)
    await desk.delivered()
    assert (await outbox(desk))[0]["status"] == "sent"


# --- 2. Order per conversation; no head-of-line blocking across conversations -------------------------------------


async def test_messages_of_a_conversation_arrive_in_queue_order(
    desk: Desk, connector: LocalConnector, clock: FixedClock
):
    """The second message waits until the first, which met a 503, has gone."""
    chat = chat_with(connector, 1)
    await remember(desk, chat)
    connector.fail_next("POST", Reply(503), path=to(chat))

    await queue(desk, text(chat, "first"), text(chat, "second"), text(chat, "third"))

    assert texts(connector.posts(chat.conversation_id)) == ["first"]  # the others wait behind it
    assert [r["status"] for r in await outbox(desk)] == ["pending"] * 3
    clock.advance(seconds=2)
    await desk.delivered()
    assert texts(connector.posts(chat.conversation_id)) == ["first", "first", "second", "third"]
    assert [(r["status"], r["attempts"]) for r in await outbox(desk)] == [("sent", 2), ("sent", 1), ("sent", 1)]


async def test_a_retrying_conversation_does_not_hold_up_others(
    desk: Desk, connector: LocalConnector, clock: FixedClock
):
    """While one conversation waits out a 503, the others are delivered."""
    slow, other, third = chat_with(connector, 1), chat_with(connector, 2), chat_with(connector, 3, demo.NORTHWIND)
    for chat in (slow, other, third):
        await remember(desk, chat)
    connector.fail_next("POST", Reply(503), path=to(slow))

    await queue(desk, text(slow, "slow 1"), text(other, "other 1"), text(slow, "slow 2"), text(third, "third 1"))
    await queue(desk, text(other, "other 2"))

    assert texts(connector.posts(slow.conversation_id)) == ["slow 1"]
    assert texts(connector.posts(other.conversation_id)) == ["other 1", "other 2"]
    assert texts(connector.posts(third.conversation_id)) == ["third 1"]
    clock.advance(seconds=2)
    await desk.delivered()
    assert texts(connector.posts(slow.conversation_id)) == ["slow 1", "slow 1", "slow 2"]


# --- 3. What is retried and what is not ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 413, 500])
async def test_refusals_are_not_retried(desk: Desk, connector: LocalConnector, clock: FixedClock, status: int):
    """400/401/413/500: failed after one attempt, never sent again; the conversation stays usable."""
    chat = chat_with(connector, 1)
    await remember(desk, chat)
    connector.fail_next("POST", Reply(status), path=to(chat))

    await queue(desk, text(chat, "refused"))
    clock.advance(hours=1)
    await desk.delivered()

    [row] = await outbox(desk)
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert f"HTTP {status}" in row["last_error"]
    assert texts(connector.posts(chat.conversation_id)) == ["refused"]
    await queue(desk, text(chat, "next"))
    assert texts(connector.posts(chat.conversation_id)) == ["refused", "next"]


@pytest.mark.parametrize("status", [412, 502, 503, 504])
async def test_transient_errors_are_retried_with_backoff(
    desk: Desk, connector: LocalConnector, clock: FixedClock, status: int
):
    """412/502/503/504: retried after the backoff of a first attempt (1 s ± 20%), then delivered once."""
    chat = chat_with(connector, 1)
    await remember(desk, chat)
    connector.fail_next("POST", Reply(status), path=to(chat))

    await queue(desk, text(chat, "again"))
    [row] = await outbox(desk)
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert 0.8 <= delay(row, clock) <= 1.2
    clock.advance(seconds=1.2)
    await desk.delivered()

    [row] = await outbox(desk)
    assert (row["status"], row["attempts"]) == ("sent", 2)
    assert texts(connector.posts(chat.conversation_id)) == ["again", "again"]


@pytest.mark.parametrize("status", [412, 500, 503])
async def test_card_updates_follow_the_same_rules(
    desk: Desk, connector: LocalConnector, clock: FixedClock, status: int
):
    """An update (PUT) is one request per attempt too (no hidden client retries): 500 fails, 412/503 retry once."""
    chat = chat_with(connector, 1)
    await remember(desk, chat)
    connector.fail_next("PUT", Reply(status), path=to(chat))
    update = Outgoing(chat.conversation_id, Operation.UPDATE, {"type": "message", "text": "v2"}, target_activity_id="7")

    await queue(desk, update)
    assert len(connector.updates()) == 1
    clock.advance(seconds=1.2)
    await desk.delivered()

    [row] = await outbox(desk)
    if status == 500:
        assert (row["status"], row["attempts"], len(connector.updates())) == ("failed", 1, 1)
    else:
        assert (row["status"], row["attempts"], len(connector.updates())) == ("sent", 2, 2)
    assert {u.activity_id for u in connector.updates()} == {"7"}


async def test_a_new_channel_thread_is_retried_the_same_way(desk: Desk, connector: LocalConnector, clock: FixedClock):
    """A post to a channel (create conversation) meets a 502, is retried once, and its thread id is kept."""
    channel = Channel("19:team-support@thread.tacv2", "19:alerts@thread.tacv2", connector.url)
    record = record_of(Activity().deserialize(channel.message(user(demo.PARTNER, 0), "hello")))
    await desk.runtime.services.desk.save_conversation(record)
    connector.fail_next("POST", Reply(502), path="/v3/conversations")
    post = Outgoing(record.key, Operation.POST, {"type": "message", "text": "SLA breach"})

    await queue(desk, post)
    clock.advance(seconds=1.2)
    await desk.delivered()

    created = [s for s in connector.posts() if s.path == "/v3/conversations"]
    assert [s.body["channelData"]["channel"]["id"] for s in created] == [record.key] * 2
    [row] = await outbox(desk)
    assert (row["status"], row["attempts"]) == ("sent", 2)
    assert row["activity_id"] and row["activity_id"].isdigit()  # the message id of the new thread


# --- 4. Removed or blocked: 403 / 404 --------------------------------------------------------------------------------


async def open_ticket(desk: Desk, chat: Chat, notices: list[str], also: list[Outgoing]) -> int:
    """Create a ticket for the chat's user; its `notices` to the chat, then `also`, are queued in the same
    transaction (so no delivery pass sees some without the others). Returns the ticket id."""
    member = chat.sender
    requester = Requester(
        member.tenant_id, "Fabrikam, Inc.", member.aad_id, member.name, member.email, chat.conversation_id
    )
    fields = TicketFields(Product.M365, "Exchange Online", Severity.MODERATE, "Mail is slow", "Since 09:00.", "ext 42")
    created = await desk.runtime.services.desk.create_ticket(
        f"ticket-{member.aad_id}", requester, fields, lambda ticket: [text(chat, n, ticket.id) for n in notices] + also
    )
    return created.ticket.id


@pytest.mark.parametrize("status", [403, 404])
async def test_a_conversation_that_refuses_the_bot_is_blocked(
    desk: Desk, connector: LocalConnector, clock: FixedClock, status: int
):
    """403/404: the conversation is marked blocked, its queued messages fail unsent, the ticket records it."""
    chat, bystander = chat_with(connector, 1), chat_with(connector, 2)
    await remember(desk, chat)
    await remember(desk, bystander)
    connector.fail_next("POST", Reply(status, body={"error": {"code": "BotNotInConversationRoster"}}), path=to(chat))

    also = [text(chat, "Unrelated notice"), text(bystander, "Still here")]
    ticket_id = await open_ticket(desk, chat, ["Ticket received", "We are on it"], also)
    await desk.delivered()

    assert texts(connector.posts(chat.conversation_id)) == ["Ticket received"]
    assert texts(connector.posts(bystander.conversation_id)) == ["Still here"]
    stored = await desk.runtime.services.desk.conversation(chat.conversation_id)
    assert stored is not None and stored.blocked_reason and f"HTTP {status}" in stored.blocked_reason
    chat_rows = [r for r in await outbox(desk) if r["conversation_key"] == chat.conversation_id]
    assert [(r["status"], r["attempts"]) for r in chat_rows] == [("failed", 1), ("failed", 0), ("failed", 0)]
    events = await desk.runtime.services.desk.history(ticket_id)
    assert [e.kind for e in events].count("unreachable") == 1  # once per ticket, not per message

    await queue(desk, text(chat, "Later message"))
    clock.advance(hours=1)
    await desk.delivered()
    assert texts(connector.posts(chat.conversation_id)) == ["Ticket received"]
    later = (await outbox(desk))[-1]
    assert later["status"] == "failed" and "blocked" in later["last_error"]

    await remember(desk, chat)  # the user writes to the bot again: reachable again
    await queue(desk, text(chat, "Welcome back"))
    assert texts(connector.posts(chat.conversation_id)) == ["Ticket received", "Welcome back"]
