"""A triage channel that refuses the bot (403: removed from the team) is not given up on: its cards stay queued, the
technicians are told in their personal chats, /readyz reports it, and a bounded probe with backoff (or `triage here`)
delivers the held cards once each when the channel works again."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botbuilder.schema import Activity

from bot.features.notices import triage_post
from bot.turns.conversations import record_of
from desk.outbox import Operation, Outgoing
from desk.store.conversations import Conversation
from desk.store.people import Technician
from desk.tickets import Product, Requester, Severity, TicketFields
from emulator import demo
from tests.bot import outbox_rig
from tests.bot.outbox_rig import TimedConnector, chat_with, delay, outbox, queue, remember, texts
from tests.support.activities import Channel, Chat, user
from tests.support.connector import Sent
from tests.support.harness import Desk, FixedClock

# The rig's fixtures (a timed connector, a desk on a fixed clock) replace conftest's for this module.
clock = outbox_rig.clock
connector = outbox_rig.connector
desk = outbox_rig.desk

TEAM = "19:team-support@thread.tacv2"


def channel_of(connector: TimedConnector, channel_id: str = "19:triage@thread.tacv2") -> Channel:
    return Channel(TEAM, channel_id, connector.url)


async def triage_channel(desk: Desk, connector: TimedConnector) -> Conversation:
    """The stored triage channel, as `triage here` leaves it."""
    activity = channel_of(connector).message(user(demo.PARTNER, 0), "triage here")
    channel = record_of(Activity().deserialize(activity))
    await desk.runtime.services.desk.set_triage_channel(channel)
    return channel


async def technicians(desk: Desk, connector: TimedConnector, count: int = 2) -> list[Chat]:
    """Technicians who talk to the bot in a personal chat (and the stored chats)."""
    chats = []
    for index in range(count):
        member = user(demo.PARTNER, index)
        chat = Chat(member, connector.url)
        await remember(desk, chat)
        await desk.runtime.services.desk.remember_technician(Technician(member.aad_id, member.name, member.user_id))
        chats.append(chat)
    return chats


def card(channel: Conversation, words: str) -> Outgoing:
    return Outgoing(channel.key, Operation.POST, {"type": "message", "text": words})


def threads(connector: TimedConnector, channel_key: str) -> list[Sent]:
    """New threads the bot tried to start in the channel (refused or not)."""
    return [s for s in connector.posts(channel_key) if s.path == "/v3/conversations"]


async def readiness(desk: Desk) -> dict[str, Any]:
    response = await desk.client.get("/readyz")
    assert response.status == 200
    body: dict[str, Any] = await response.json()
    return body


async def channel_rows(desk: Desk, channel: Conversation) -> list[dict[str, Any]]:
    return [r for r in await outbox(desk) if r["conversation_key"] == channel.key]


async def test_a_refused_triage_channel_holds_its_cards_and_tells_the_technicians(
    desk: Desk, connector: TimedConnector, clock: FixedClock
):
    """403 from the triage channel: its cards stay queued (not failed), each technician with a personal chat is told
    once, and /readyz names the refused channel and what it holds."""
    channel = await triage_channel(desk, connector)
    chats = await technicians(desk, connector)
    customer = chat_with(connector, 1)
    await remember(desk, customer)
    connector.refuse(channel.key)

    await queue(desk, card(channel, "T-1001"), card(channel, "T-1002"))

    assert len(threads(connector, channel.key)) == 1  # the one refused attempt
    assert [r["status"] for r in await channel_rows(desk, channel)] == ["pending", "pending"]
    stored = await desk.runtime.services.desk.conversation(channel.key)
    assert stored is not None and stored.blocked_reason and "HTTP 403" in stored.blocked_reason
    for chat in chats:
        [notice] = texts(connector.posts(chat.conversation_id))
        assert "triage channel" in notice and "(messages kept: 2)" in notice and "triage here" in notice
    assert connector.posts(customer.conversation_id) == []  # customers are not told
    state = (await readiness(desk))["triage_channel"]
    assert (state["state"], state["conversation"], state["held"]) == ("refused", channel.key, 2)
    assert "HTTP 403" in state["reason"]


async def test_the_held_channel_is_probed_with_backoff_and_each_card_delivered_once(
    desk: Desk, connector: TimedConnector, clock: FixedClock
):
    """The oldest held card probes the channel after a minute, then after twice as long; once the bot is back the
    cards go out in order, once each, and the channel is reachable again."""
    policy = desk.runtime.sender.policy
    channel = await triage_channel(desk, connector)
    chats = await technicians(desk, connector)
    connector.refuse(channel.key)
    await queue(desk, card(channel, "T-1001"), card(channel, "T-1002"))
    head = (await channel_rows(desk, channel))[0]
    assert delay(head, clock) == pytest.approx(policy.first_probe)

    clock.advance(seconds=policy.first_probe - 1)
    await desk.delivered()
    assert len(threads(connector, channel.key)) == 1  # not before its time
    clock.advance(seconds=1)
    await desk.delivered()
    assert len(threads(connector, channel.key)) == 2  # the probe, refused again
    head = (await channel_rows(desk, channel))[0]
    assert (head["status"], delay(head, clock)) == ("pending", pytest.approx(2 * policy.first_probe))

    connector.readmit(channel.key)
    clock.advance(seconds=2 * policy.first_probe)
    await desk.delivered()

    assert texts(threads(connector, channel.key)) == ["T-1001", "T-1001", "T-1001", "T-1002"]  # 2 refused, then each
    assert [(r["status"], r["attempts"]) for r in await channel_rows(desk, channel)] == [("sent", 1), ("sent", 1)]
    stored = await desk.runtime.services.desk.conversation(channel.key)
    assert stored is not None and stored.blocked_reason is None
    assert (await readiness(desk))["triage_channel"] == {"state": "ok", "conversation": channel.key}
    assert [len(connector.posts(chat.conversation_id)) for chat in chats] == [1, 1]  # told once, not per probe
    clock.advance(hours=1)
    await desk.delivered()
    assert len(threads(connector, channel.key)) == 4  # nothing sent twice


async def new_ticket(desk: Desk, connector: TimedConnector, channel: Conversation, clock: FixedClock) -> int:
    """A customer's ticket whose triage card is queued to `channel` (as intake does). Returns its id."""
    member = chat_with(connector, 7).sender
    requester = Requester(member.tenant_id, "Fabrikam, Inc.", member.aad_id, member.name, member.email, "a:chat")
    fields = TicketFields(Product.M365, "Exchange Online", Severity.MODERATE, "Mail is slow", "Since 09:00.", "ext 42")
    created = await desk.runtime.services.desk.create_ticket(
        "ticket-1", requester, fields, lambda ticket: [triage_post(channel, ticket, clock(), [])]
    )
    await desk.delivered()
    return created.ticket.id


async def test_probes_are_bounded_and_triage_here_delivers_the_held_card_once(
    desk: Desk, connector: TimedConnector, clock: FixedClock
):
    """After its last probe the channel is left alone, however long; a technician's `triage here` in it (the bot was
    added back) delivers the held ticket card, once: not again as a card that was never posted."""
    policy = desk.runtime.sender.policy
    channel = await triage_channel(desk, connector)
    await technicians(desk, connector)
    connector.refuse(channel.key)
    ticket_id = await new_ticket(desk, connector, channel, clock)

    for _ in range(policy.max_probes + 5):
        clock.advance(seconds=policy.max_probe_delay)
        await desk.delivered()
    clock.advance(days=30)
    await desk.delivered()

    assert len(threads(connector, channel.key)) == 1 + policy.max_probes
    [row] = await channel_rows(desk, channel)
    assert row["status"] == "pending"
    state = (await readiness(desk))["triage_channel"]
    assert (state["state"], state["next_probe"]) == ("refused", None)

    connector.readmit(channel.key)
    status, _ = await desk.send(channel_of(connector).message(user(demo.PARTNER, 0), "triage here"))
    assert status in (200, 201)
    await desk.delivered()

    posted = threads(connector, channel.key)[1 + policy.max_probes :]
    assert [s.body["activity"]["summary"] for s in posted] == [row_summary(row)]  # the held card, once
    ticket = await desk.runtime.services.desk.ticket(ticket_id)
    assert ticket is not None and ticket.triage_activity_id
    assert (await readiness(desk))["triage_channel"]["state"] == "ok"


def row_summary(row: dict[str, Any]) -> str:
    return str(json.loads(row["activity"])["summary"])


async def test_triage_here_in_another_channel_takes_over_the_held_cards(
    desk: Desk, connector: TimedConnector, clock: FixedClock
):
    """Technicians move triage to a new channel while the old one refuses the bot: the new one receives the ticket's
    card, the old one's held messages are dropped, and nothing reaches the old channel if it comes back."""
    old = await triage_channel(desk, connector)
    await technicians(desk, connector)
    connector.refuse(old.key)
    await new_ticket(desk, connector, old, clock)

    new = channel_of(connector, "19:new-triage@thread.tacv2")
    status, _ = await desk.send(new.message(user(demo.PARTNER, 0), "triage here"))
    assert status in (200, 201)
    await desk.delivered()

    [posted] = threads(connector, new.channel_id)
    assert posted.body["activity"]["summary"].startswith("New ticket T-")
    [row] = await channel_rows(desk, old)
    assert row["status"] == "failed" and "triage channel" in row["last_error"]
    connector.readmit(old.key)
    clock.advance(days=2)
    await desk.delivered()
    assert len(threads(connector, old.key)) == 1  # only the refused attempt


async def test_a_customer_chat_that_refuses_the_bot_still_fails_its_messages(
    desk: Desk, connector: TimedConnector, clock: FixedClock
):
    """Only the triage channel is held: a customer's chat that blocks the bot fails its queued messages at once, as
    before, and technicians are not told."""
    await triage_channel(desk, connector)
    chats = await technicians(desk, connector)
    customer = chat_with(connector, 1)
    await remember(desk, customer)
    connector.refuse(customer.conversation_id)

    await queue(desk, Outgoing(customer.conversation_id, Operation.POST, {"type": "message", "text": "hello"}))

    [row] = [r for r in await outbox(desk) if r["conversation_key"] == customer.conversation_id]
    assert row["status"] == "failed"
    assert [len(connector.posts(chat.conversation_id)) for chat in chats] == [0, 0]
