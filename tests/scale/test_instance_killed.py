"""One of two instances is killed (SIGKILL) in the middle of a steady stream of ticket submissions: every ticket whose
number a customer was told is in the database, no submission makes two tickets, every queued message is delivered
exactly once by the survivor, and the background jobs move to it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from desk.clock import from_iso, utc_now
from desk.store.database import Database, open_database
from emulator import demo
from tests.scale.cluster import RoundRobinProxy, app_instance, desk_env, new_database, token_key
from tests.scale.teams import (
    Customer,
    outbox_settled,
    poll_until,
    repeated_deliveries,
    set_triage_channel,
    triage_threads,
)
from tests.support.activities import Channel, Chat, TeamsUser, user
from tests.support.connector import LocalConnector
from tests.support.pg_server import PostgresServer

SUBMISSIONS = 32  # tickets raised in the stream, by four customers at once
KILL_AFTER = 8  # tickets told before the kill
SLA_CHECK_SECONDS = 5  # the sla-watch job's interval: its lease lasts max(30 s, 3 intervals) = 30 s
LEASE_SECONDS = 30


async def lease(db: Database, name: str) -> dict | None:
    return await db.read(lambda cx: cx.one("SELECT holder, expires_at FROM leases WHERE name = ?", (name,)))


async def holder_of(db: Database, name: str, seconds: float, other_than: str | None = None) -> str:
    """Wait until the lease is held (by someone other than `other_than`, with a lease still valid); its holder."""
    async with asyncio.timeout(seconds):
        while True:
            row = await lease(db, name)
            valid = row is not None and from_iso(row["expires_at"]) > utc_now()
            if valid and row["holder"] != other_than:
                return str(row["holder"])
            await asyncio.sleep(0.5)


async def test_killing_an_instance_mid_stream_loses_no_told_ticket_and_the_survivor_sends_each_message_once(
    tmp_path: Path, postgres: PostgresServer, connector: LocalConnector, triage_channel: Channel, technician: TeamsUser
) -> None:
    url = new_database(postgres.url)
    env = desk_env(tmp_path, url, connector.url, TOKEN_CACHE_KEY=token_key(), SLA_CHECK_SECONDS=str(SLA_CHECK_SECONDS))
    victim, survivor = app_instance("desk-a", tmp_path, env), app_instance("desk-b", tmp_path, env)
    proxy = RoundRobinProxy([victim.url, survivor.url])
    db: Database | None = None
    try:
        # The victim starts alone, so the background jobs' leases it takes are known to be its own.
        victim.start()
        await victim.ready()
        db = await open_database(url, pool_size=2)
        await set_triage_channel(f"{victim.url}/api/messages", triage_channel, technician)
        victims = await holder_of(db, "sla-watch", SLA_CHECK_SECONDS * 4)
        survivor.start()
        await survivor.ready()
        await proxy.start()

        chats = [Chat(user(demo.FABRIKAM, index), connector.url) for index in range(4)]
        customers = [Customer(chat, connector, proxy.url) for chat in chats]
        started = 0
        killed_at: list[float] = []

        async def raise_tickets(customer: Customer) -> None:
            nonlocal started
            while started < SUBMISSIONS:
                started += 1
                form = await customer.open_form()
                await customer.submit(form, title=f"Mail is down (submission {started})")

        async def kill_mid_stream() -> None:
            await poll_until(lambda: sum(len(c.told) for c in customers) >= KILL_AFTER, 60, every=0.05)
            victim.kill()
            killed_at.append(asyncio.get_running_loop().time())

        async with asyncio.timeout(120):
            await asyncio.gather(kill_mid_stream(), *(raise_tickets(c) for c in customers))
        told = [number for c in customers for number in c.told]

        # Every submission was told a number, a different one each, and the database has exactly those tickets.
        stored = await db.read(lambda cx: cx.all("SELECT number FROM tickets"))
        assert len(told) == SUBMISSIONS and len(set(told)) == SUBMISSIONS, told
        assert sorted(row["number"] for row in stored) == sorted(told)
        assert any(r.tried[0] == 0 and r.tried[-1] == 1 for r in proxy.routed), "some requests went to the survivor"

        # Every queued message is delivered, once: a triage card per ticket, nothing sent twice.
        await outbox_settled(db)
        statuses = await db.read(lambda cx: cx.all("SELECT DISTINCT status FROM outbox"))
        assert statuses == [{"status": "sent"}]
        assert triage_threads(connector, triage_channel.channel_id) == dict.fromkeys(told, 1)
        assert repeated_deliveries(connector) == []

        # The background jobs move to the survivor once the victim's lease ran out.
        remaining = killed_at[0] + LEASE_SECONDS + SLA_CHECK_SECONDS + 10 - asyncio.get_running_loop().time()
        assert await holder_of(db, "sla-watch", max(remaining, 1), other_than=victims) != victims
        assert survivor.alive()
    finally:
        await proxy.close()
        if db is not None:
            await db.close()
        victim.kill()
        survivor.stop()
