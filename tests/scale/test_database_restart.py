"""The database stops (as when its server dies) and starts again while turns keep coming: meanwhile every turn and
readiness probe answers 503 (Teams redelivers; a load balancer stops sending), nothing answers 500, the process stays
up without a traceback, and once the database is back a new ticket goes through end to end."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from desk.store.database import open_database
from tests.scale.cluster import Process, app_instance, desk_env, new_database, token_key
from tests.scale.teams import Customer, outbox_settled, poll_until, post, set_triage_channel, triage_threads
from tests.support.activities import Channel, Chat, TeamsUser
from tests.support.connector import LocalConnector
from tests.support.pg_server import PostgresServer


@dataclass
class Answer:
    """One request of the traffic: what, when it left and came back (loop time), its status (None: no answer)."""

    kind: str
    sent: float
    answered: float
    status: int | None


async def traffic(desk: Process, chat: Chat, answers: list[Answer], stop: asyncio.Event) -> None:
    """A customer's messages and card clicks and a load balancer's readiness probes, each back to back, until
    `stop`."""
    loop = asyncio.get_running_loop()
    endpoint = f"{desk.url}/api/messages"

    async def one(kind: str, session: aiohttp.ClientSession) -> int | None:
        if kind == "readyz":
            async with session.get(f"{desk.url}/readyz") as answer:
                return answer.status
        activity = chat.message("my tickets") if kind == "message" else chat.invoke("tickets.mine")
        return (await post(endpoint, activity))[0]

    async def keep_asking(kind: str) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            while not stop.is_set():
                sent = loop.time()
                try:
                    status = await one(kind, session)
                except aiohttp.ClientError:
                    status = None
                answers.append(Answer(kind, sent, loop.time(), status))
                await asyncio.sleep(0.2)

    await asyncio.gather(*(keep_asking(kind) for kind in ("message", "invoke", "readyz")))


async def test_a_database_stopped_and_started_under_traffic_answers_503_meanwhile_and_serves_fully_after(
    tmp_path: Path,
    private_postgres: PostgresServer,
    connector: LocalConnector,
    triage_channel: Channel,
    technician: TeamsUser,
    customer_chat: Chat,
) -> None:
    url = new_database(private_postgres.url)
    # The SLA job runs every 5 s, so background work meets the outage too.
    env = desk_env(tmp_path, url, connector.url, TOKEN_CACHE_KEY=token_key(), SLA_CHECK_SECONDS="5")
    desk = app_instance("desk", tmp_path, env)
    loop = asyncio.get_running_loop()
    answers: list[Answer] = []
    stop = asyncio.Event()
    try:
        desk.start()
        await desk.ready()
        endpoint = f"{desk.url}/api/messages"
        await set_triage_channel(endpoint, triage_channel, technician)
        megan = Customer(customer_chat, connector, endpoint)
        first = await megan.submit(await megan.open_form())

        running = asyncio.create_task(traffic(desk, customer_chat, answers, stop))
        await asyncio.sleep(1)
        await asyncio.to_thread(private_postgres.stop)
        stopped = loop.time()

        def each_kind_answered() -> bool:  # a request of each kind made and answered while the database was down
            return {a.kind for a in answers if a.sent >= stopped} == {"message", "invoke", "readyz"}

        await poll_until(each_kind_answered, 60)
        await asyncio.sleep(2)
        assert desk.alive(), "the process survives the outage"
        restarting = loop.time()
        await asyncio.to_thread(private_postgres.start)
        await desk.ready(60)
        await asyncio.sleep(1)
        stop.set()
        async with asyncio.timeout(60):
            await running

        during = [a for a in answers if a.sent >= stopped and a.answered <= restarting]
        assert {a.kind for a in during} == {"message", "invoke", "readyz"}, "traffic went on during the outage"
        assert {a.status for a in during} == {503}, [(a.kind, a.status) for a in during]
        assert all(a.status is not None and a.status != 500 for a in answers), [(a.kind, a.status) for a in answers]
        after = [a for a in answers if a.sent > restarting and a.status is not None and a.status < 300]
        assert after, "served again once the database was back"

        number = await megan.submit(await megan.open_form())  # not always the next: a crash skips sequence values
        db = await open_database(url, pool_size=1)
        try:
            stored = await db.read(lambda cx: cx.all("SELECT number FROM tickets ORDER BY id"))
            assert [row["number"] for row in stored] == [first, number]
            await outbox_settled(db)
        finally:
            await db.close()
        assert triage_threads(connector, triage_channel.channel_id) == {first: 1, number: 1}
        assert desk.alive()
        assert "Traceback" not in desk.stderr()
    finally:
        stop.set()
        desk.stop()
