"""One of two instances is killed (SIGKILL) in the middle of a steady stream of ticket submissions: every ticket whose
number a customer was told is in the database, no submission makes two tickets, every queued message is delivered
exactly once by the survivor, and the background jobs move to it."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from desk.clock import from_iso_not_null, utc_now
from desk.store.database import Database, open_database
from emulator import demo
from tests.scale.cluster import RoundRobinProxy, app_instance, desk_env, new_database, token_key
from tests.scale.teams import (
    Customer,
    StampedConnector,
    outbox_settled,
    poll_until,
    repeated_deliveries,
    set_triage_channel,
    triage_threads,
)
from tests.support.activities import Channel, Chat, TeamsUser, user
from tests.support.pg_server import PostgresServer

SUBMISSIONS = 32  # tickets raised in the stream, by four customers at once
KILL_AFTER = 8  # tickets told before the kill
SLA_CHECK_SECONDS = 5  # the SLA job runs often, so there is background work to take over
TAKEOVER_SECONDS = 10  # a dead sender's claims are free once its heartbeat lapses (desk/instances.py), not at expiry
LEASE_SECONDS = 60  # the longest a job's lease lasts after its holder's last renewal (bot/jobs/background.py)


async def leases(db: Database) -> dict[str, tuple[str, datetime]]:
    """Every job's lease: its holder and when it ends."""
    rows = await db.read(lambda cx: cx.all("SELECT name, holder, expires_at FROM leases"))
    return {row["name"]: (row["holder"], from_iso_not_null(row["expires_at"])) for row in rows}


async def sla_watch_held(db: Database, seconds: float) -> tuple[str, set[str]]:
    """Wait until the sla-watch job's lease runs; its holder, and the names of every job whose running lease that
    holder has."""
    found: list[tuple[str, set[str]]] = []

    async def held() -> bool:
        running = {name: holder for name, (holder, ends) in (await leases(db)).items() if ends > utc_now()}
        holder = running.get("sla-watch")
        if holder is not None:
            found.append((holder, {name for name, each in running.items() if each == holder}))
        return bool(found)

    await poll_until(held, seconds, every=0.5)
    return found[0]


async def moved(db: Database, jobs: set[str], holder: str) -> bool:
    """Whether each of `jobs` has a running lease held by another instance than `holder`."""
    now = utc_now()
    held = await leases(db)
    return all(name in held and held[name][0] != holder and held[name][1] > now for name in jobs)


async def test_killing_an_instance_mid_stream_loses_no_told_ticket_and_the_survivor_sends_each_message_once(
    tmp_path: Path,
    postgres: PostgresServer,
    connector: StampedConnector,
    triage_channel: Channel,
    technician: TeamsUser,
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
        victims, victims_jobs = await sla_watch_held(db, LEASE_SECONDS)
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
        redelivered = [r.failures for r in proxy.routed if r.failures]
        assert redelivered and all(r.tried[-1] == 1 for r in proxy.routed if r.failures), "redelivered to the survivor"

        # Every queued message is delivered, once. A message the victim had claimed waits for its heartbeat to lapse;
        # one whose request reached Teams just as the victim died, before the victim could record it, is sent again
        # by the survivor: nothing tells it the first went through (Teams has no idempotency key for a send).
        await outbox_settled(db, TAKEOVER_SECONDS + 50)
        statuses = await db.read(lambda cx: cx.all("SELECT DISTINCT status FROM outbox"))
        assert statuses == [{"status": "sent"}]
        assert set(triage_threads(connector, triage_channel.channel_id)) == set(told), "a triage card per ticket"
        cut = killed_at[0]
        twice = repeated_deliveries(connector)
        assert all(len(r.arrived) == 2 and cut - 2 <= r.arrived[0] <= cut <= r.arrived[1] for r in twice), twice

        # The background jobs the victim held move to the survivor once its leases ran out.
        remaining = killed_at[0] + LEASE_SECONDS + 15 - asyncio.get_running_loop().time()
        await poll_until(lambda: moved(db, victims_jobs, victims), max(remaining, 1), every=0.5)
        assert survivor.alive()
    finally:
        await proxy.close()
        if db is not None:
            await db.close()
        victim.kill()
        survivor.stop()
