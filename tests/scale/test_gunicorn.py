"""gunicorn with several aiohttp workers, in several containers, on one PostgreSQL: every worker of every container
serves turns and runs an outbox sender, and still each reply and each triage card goes out once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from desk.store.database import Database, open_database
from emulator import demo
from tests.scale.cluster import Process, RoundRobinProxy, desk_env, gunicorn_instance, new_database, token_key
from tests.scale.teams import (
    Customer,
    StampedConnector,
    outbox_settled,
    post,
    repeated_deliveries,
    replies_to,
    set_triage_channel,
    triage_threads,
)
from tests.support.activities import Channel, Chat, TeamsUser, user
from tests.support.pg_server import PostgresServer

CONTAINERS = 2
WORKERS = 2


def workers_of(container: Process) -> list[int]:
    """The process ids of the gunicorn arbiter's children (its workers)."""
    assert container.process is not None
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == container.process.pid:
            children.append(int(stat.parent.name))
    return children


async def test_gunicorn_workers_in_two_containers_serve_turns_and_send_each_reply_once(
    tmp_path: Path,
    postgres: PostgresServer,
    connector: StampedConnector,
    triage_channel: Channel,
    technician: TeamsUser,
) -> None:
    url = new_database(postgres.url)
    env = desk_env(tmp_path, url, connector.url, TOKEN_CACHE_KEY=token_key())
    containers = [gunicorn_instance(f"container-{n}", tmp_path, env, WORKERS) for n in range(CONTAINERS)]
    proxy = RoundRobinProxy([each.url for each in containers])
    db: Database | None = None
    try:
        for each in containers:
            each.start()
        await asyncio.gather(*(each.ready() for each in containers))
        await proxy.start()
        db = await open_database(url, pool_size=1)
        assert [len(workers_of(each)) for each in containers] == [WORKERS] * CONTAINERS
        await set_triage_channel(proxy.url, triage_channel, technician)
        chats = [Chat(user(demo.FABRIKAM, index), connector.url) for index in range(6)]

        async def customer_turns(chat: Chat) -> tuple[list[dict], str]:
            asked = []
            for words in ("help", "my tickets"):
                message = chat.message(words)
                status, _ = await post(proxy.url, message)
                assert status in (200, 201)
                asked.append(message)
            customer = Customer(chat, connector, proxy.url)
            return asked, await customer.submit(await customer.open_form(attempts=1), attempts=1)

        async with asyncio.timeout(90):
            results = await asyncio.gather(*(customer_turns(chat) for chat in chats))
        await outbox_settled(db)

        for chat, (asked, _) in zip(chats, results, strict=True):
            for message in asked:
                assert len(replies_to(connector, chat.conversation_id, message["id"])) == 1, message["text"]
        told = [number for _, number in results]
        stored = await db.read(lambda cx: cx.all("SELECT number FROM tickets"))
        assert sorted(row["number"] for row in stored) == sorted(told) and len(set(told)) == len(chats)
        assert triage_threads(connector, triage_channel.channel_id) == dict.fromkeys(told, 1)
        assert repeated_deliveries(connector) == []
        assert all(each.alive() for each in containers)
    finally:
        await proxy.close()
        if db is not None:
            await db.close()
        for each in containers:
            each.stop()
