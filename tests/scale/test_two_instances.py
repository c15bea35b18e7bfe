"""Two instances (`python app.py` twice) on one PostgreSQL behind a round-robin proxy: a turn may land on either, a
copy of an activity on both, and the outbox is shared; each thing still happens once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from desk.clock import utc_now
from desk.outbox import Operation, Outgoing
from desk.store import conversations as conv_sql
from desk.store import outbox as outbox_sql
from desk.store.database import Database, open_database
from emulator import demo
from tests.bot.helpers import GOOD_TICKET, submit_target
from tests.scale.cluster import Process, RoundRobinProxy, app_instance, desk_env, new_database, token_key
from tests.scale.teams import (
    Customer,
    StampedConnector,
    outbox_settled,
    poll_until,
    post,
    repeated_deliveries,
    replies_to,
    set_triage_channel,
    told_number,
    triage_threads,
)
from tests.support.activities import BOT_ID, BOT_NAME, Channel, Chat, TeamsUser, user
from tests.support.connector import Sent
from tests.support.pg_server import PostgresServer


@dataclass
class Cluster:
    """Two instances, the proxy in front, the database they share (opened by the test too)."""

    instances: list[Process]
    proxy: RoundRobinProxy
    db: Database
    connector: StampedConnector


@pytest.fixture
async def cluster(tmp_path: Path, postgres: PostgresServer, connector: StampedConnector) -> AsyncIterator[Cluster]:
    url = new_database(postgres.url)
    env = desk_env(tmp_path, url, connector.url, TOKEN_CACHE_KEY=token_key())
    instances = [app_instance(name, tmp_path, env) for name in ("desk-a", "desk-b")]
    db: Database | None = None
    proxy = RoundRobinProxy([each.url for each in instances])
    try:
        for each in instances:
            each.start()
        await asyncio.gather(*(each.ready() for each in instances))
        await proxy.start()
        db = await open_database(url, pool_size=2)
        yield Cluster(instances, proxy, db, connector)
    finally:
        await proxy.close()
        if db is not None:
            await db.close()
        for each in instances:
            each.stop()


async def tickets(db: Database) -> list[dict]:
    return await db.read(lambda cx: cx.all("SELECT number, idempotency_key FROM tickets ORDER BY number"))


async def test_a_form_begun_through_one_instance_is_submitted_through_the_other(
    cluster: Cluster, triage_channel: Channel, technician: TeamsUser, customer_chat: Chat
) -> None:
    await set_triage_channel(cluster.proxy.url, triage_channel, technician)
    megan = Customer(customer_chat, cluster.connector, cluster.proxy.url)

    form = await megan.open_form()
    number = await megan.submit(form)

    opened, submitted = cluster.proxy.routed[-2:]
    assert opened.tried[-1] != submitted.tried[-1], "round robin: the form and its submit went to different instances"
    assert [row["number"] for row in await tickets(cluster.db)] == [number]
    await outbox_settled(cluster.db)
    assert triage_threads(cluster.connector, triage_channel.channel_id) == {number: 1}


async def test_the_same_activity_delivered_to_both_instances_makes_one_ticket_and_one_triage_card(
    cluster: Cluster, triage_channel: Channel, technician: TeamsUser
) -> None:
    a, b = (f"{each.url}/api/messages" for each in cluster.instances)
    await set_triage_channel(a, triage_channel, technician)
    chats = [Chat(user(demo.FABRIKAM, index), cluster.connector.url) for index in range(6)]

    async def message_to_both(chat: Chat) -> list[Sent]:
        message = chat.message("new ticket")  # one activity, both instances at once
        await asyncio.gather(post(a, message), post(b, message))
        return [s for s in replies_to(cluster.connector, chat.conversation_id, message["id"]) if s.cards]

    async def click_to_both(chat: Chat, form: Sent) -> list[tuple[int, Any]]:
        click = chat.invoke("ticket.submit", submit_target(form.cards[0]), _ticket_fields(chat))
        return list(await asyncio.gather(post(a, click), post(b, click)))

    forms = await asyncio.gather(*(message_to_both(chat) for chat in chats))
    assert [len(sent) for sent in forms] == [1] * len(chats), "one form per `new ticket`, though both instances got it"
    answers = await asyncio.gather(*(click_to_both(chat, sent[0]) for chat, sent in zip(chats, forms, strict=True)))

    told = [[told_number(body) for _, body in pair] for pair in answers]
    assert [[status for status, _ in pair] for pair in answers] == [[200, 200]] * len(chats)
    assert all(first is not None and first == second for first, second in told), told  # the copy: the first answer
    numbers = sorted(str(first) for first, _ in told)
    assert [row["number"] for row in await tickets(cluster.db)] == numbers
    assert len(set(numbers)) == len(chats)
    await outbox_settled(cluster.db)
    assert triage_threads(cluster.connector, triage_channel.channel_id) == dict.fromkeys(numbers, 1)
    assert repeated_deliveries(cluster.connector) == []


def personal_chat(chat: Chat) -> conv_sql.Conversation:
    """The stored reference of a personal chat, as a turn in it records it."""
    reference = {
        "user": {"id": chat.sender.user_id, "name": chat.sender.name, "aadObjectId": chat.sender.aad_id},
        "bot": {"id": BOT_ID, "name": BOT_NAME},
        "conversation": {"conversationType": "personal", "id": chat.conversation_id},
        "channelId": "msteams",
        "locale": "en-US",
        "serviceUrl": chat.service_url,
    }
    sender = chat.sender
    return conv_sql.Conversation(
        chat.conversation_id, reference, chat.service_url, sender.tenant_id, "personal", sender.aad_id, "en-US"
    )


def _ticket_fields(chat: Chat) -> dict[str, str]:
    return {**GOOD_TICKET, "title": f"Mail is down for {chat.sender.name}"}


async def test_500_queued_messages_to_50_conversations_are_each_delivered_once_in_order(cluster: Cluster) -> None:
    tenants = [f"00000000-0000-4000-9000-{t:012d}" for t in range(10)]  # Teams paces per tenant too
    chats = [
        Chat(TeamsUser(f"29:c{n}", f"00000000-0000-4000-8000-{n:012d}", f"User {n}", tenants[n % 10], "u@x.example"),
             cluster.connector.url)
        for n in range(50)
    ]  # fmt: skip
    expected = {chat.conversation_id: [f"{chat.conversation_id} message {m}" for m in range(10)] for chat in chats}
    queued = [
        Outgoing(chat.conversation_id, Operation.POST, {"type": "message", "text": expected[chat.conversation_id][m]})
        for m in range(10)
        for chat in chats
    ]

    def queue(cx) -> None:
        now = utc_now()
        for chat in chats:
            conv_sql.save_conversation(cx, personal_chat(chat), now)
        outbox_sql.enqueue(cx, queued, now)

    await cluster.db.run(queue)

    await poll_until(lambda: sum(len(cluster.connector.delivered(key)) for key in expected) >= 500, 90)
    await outbox_settled(cluster.db)
    for key, texts in expected.items():
        assert [sent.text for sent in cluster.connector.sent_to(key)] == texts, key
    statuses = await cluster.db.read(lambda cx: cx.all("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status"))
    assert statuses == [{"status": "sent", "n": 500}]
