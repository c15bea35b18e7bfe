"""Each process keeps a heartbeat in the database (desk/instances.py): written before it serves, under the name its
claims and leases carry, renewed while it runs, removed when it stops cleanly. A database outage is one warning (the one
every background loop shares) and the heartbeat resumes by itself; one not renewed for its whole validity is one more
warning. A process killed mid-turn leaves a heartbeat that lapses, and the next process takes the turn over at once,
long before the claim's lease."""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.jobs.heartbeat import Heartbeat
from desk.clock import to_iso
from desk.deliveries import TURN_LEASE
from desk.instances import BEAT_SECONDS, VALIDITY
from desk.service import Desk
from desk.settings import Settings
from desk.sla import SlaPolicy
from desk.store.database import Database
from tests.bot.helpers import rows
from tests.support.connector import LocalConnector
from tests.support.engines import open_test_database
from tests.support.harness import OFFICE_HOURS, FixedClock, local_settings, start_desk
from tests.support.outage import SwitchableDatabase
from tests.support.timing import Monotonic, Sleeps


class Killed(BaseException):
    """The process stops mid-turn: no `except Exception` runs, nothing is cleaned up."""


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_test_database(tmp_path)
    yield database
    await database.close()


async def test_the_runtime_beats_before_serving_under_its_claims_name_and_removes_the_heartbeat_when_it_stops(
    tmp_path: Path, connector: LocalConnector, customer_chat
) -> None:
    settings = local_settings(tmp_path, connector)
    clock = FixedClock(OFFICE_HOURS)
    desk = await start_desk(settings, connector, clock)
    try:
        holder = desk.runtime.heartbeat.holder
        assert await rows(desk, "SELECT holder, alive_until FROM instances") == [
            {"holder": holder, "alive_until": to_iso(OFFICE_HOURS + VALIDITY)}
        ], "written before the first request"

        services = desk.runtime.services
        real_save, seen, release = services.desk.save_conversation, asyncio.Event(), asyncio.Event()

        async def slow_save(*args, **kwargs):  # holds the turn while the test reads its claim
            await real_save(*args, **kwargs)
            seen.set()
            await release.wait()

        services.desk.save_conversation = slow_save
        turn = asyncio.create_task(desk.send(customer_chat.message("help")))
        await seen.wait()
        claims = await rows(desk, "SELECT holder FROM inbound_activities WHERE running_until IS NOT NULL")
        release.set()
        await turn
        assert claims == [{"holder": holder}], "the turn's claim carries the heartbeat's name"
        for _ in range(200):  # the jobs take their leases at their first beat
            if await rows(desk, "SELECT name FROM leases"):
                break
            await asyncio.sleep(0.01)
        assert {row["holder"] for row in await rows(desk, "SELECT holder FROM leases")} == {holder}

        clock.advance(seconds=BEAT_SECONDS)
        assert await desk.runtime.heartbeat.beat()
        renewed = await rows(desk, "SELECT alive_until FROM instances")
        assert renewed == [{"alive_until": to_iso(clock.now + VALIDITY)}]
        db = desk.runtime.db
    finally:
        await desk.close()

    reopened = await start_desk(settings, connector, clock)
    try:
        found = await rows(reopened, "SELECT holder FROM instances")
        assert found == [{"holder": reopened.runtime.heartbeat.holder}], "the stopped process's heartbeat is gone"
        assert reopened.runtime.heartbeat.holder != holder and reopened.runtime.db is not db
    finally:
        await reopened.close()


async def test_a_turn_that_died_with_its_killed_process_is_processed_by_the_next_one_when_redelivered(
    tmp_path: Path, connector: LocalConnector, customer_chat
) -> None:
    settings = local_settings(tmp_path, connector)
    message = customer_chat.message("help")
    first = await start_desk(settings, connector, FixedClock(OFFICE_HOURS))
    try:
        services = first.runtime.services

        async def dying(*args, **kwargs):
            raise Killed("save_conversation")

        services.desk.save_conversation = dying  # the process is killed mid-turn, after its claim
        with pytest.raises((Killed, aiohttp.ClientError)):
            await first.send(copy.deepcopy(message))
        first.runtime.heartbeat = None  # killed: its heartbeat stays as last written, nobody removes it
    finally:
        await first.close()
    assert await running_claims(settings) == 1

    # Teams redelivers it to the restarted process, after the dead one's heartbeat lapsed but well within its lease.
    later = OFFICE_HOURS + VALIDITY + timedelta(seconds=1)
    assert later < OFFICE_HOURS + TURN_LEASE
    second = await start_desk(settings, connector, FixedClock(later))
    try:
        status, _ = await second.send(copy.deepcopy(message))
        await second.delivered()
    finally:
        await second.close()

    assert status == 201
    assert len([p for p in connector.posts(customer_chat.conversation_id) if p.cards]) == 1, "one welcome card"


async def running_claims(settings: Settings) -> int:
    """How many claims of running turns a stopped desk's database holds."""
    from desk.store.database import open_database

    db = await open_database(settings.database_url)
    try:
        return len(
            await db.run(lambda cx: cx.all("SELECT key FROM inbound_activities WHERE running_until IS NOT NULL"))
        )
    finally:
        await db.close()


async def test_an_outage_is_one_warning_a_lapsed_heartbeat_one_more_and_beating_resumes(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    switch, clock, monotonic = SwitchableDatabase(db), FixedClock(OFFICE_HOURS), Monotonic()
    settings = Settings.from_env({}, env_file=None)
    desk = Desk(switch, SlaPolicy(settings.support.hours, settings.sla), clock)
    heartbeat = Heartbeat(desk, "host-a:1:abc", monotonic=monotonic)
    assert await heartbeat.beat()

    switch.down()
    with caplog.at_level(logging.INFO):
        failures = []
        for _ in range(8):  # a beat every BEAT_SECONDS, 24 s in all
            monotonic.now += BEAT_SECONDS
            failures.append(await heartbeat.beat())
        lapsed = heartbeat.lapsed
        switch.up()
        monotonic.now += BEAT_SECONDS
        back = await heartbeat.beat()

    assert failures == [False] * 8 and back and not heartbeat.lapsed
    assert lapsed, "not renewed for its whole validity"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2, warnings
    assert warnings[0].startswith("database unreachable (heartbeat")
    assert "other instances may take over the turns running here" in warnings[1]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.INFO] == [
        "this instance's heartbeat is renewed again"
    ], "the outage's end is the other loops' to say"
    alive = await db.run(lambda cx: cx.all("SELECT alive_until FROM instances"))
    assert alive == [{"alive_until": to_iso(OFFICE_HOURS + VALIDITY)}], "renewed once the database is back"


async def test_the_heartbeat_beats_every_few_seconds_and_goes_on_after_a_failure(db: Database) -> None:
    settings = Settings.from_env({}, env_file=None)
    desk = Desk(db, SlaPolicy(settings.support.hours, settings.sla), FixedClock(OFFICE_HOURS))
    calls: list[str] = []
    real_beat = desk.beat

    async def flaky(holder: str) -> None:
        calls.append(holder)
        if len(calls) == 2:
            raise RuntimeError("a bug in one beat")
        if len(calls) == 4:
            raise asyncio.CancelledError  # the process stops
        await real_beat(holder)

    desk.beat = flaky  # type: ignore[method-assign]
    sleeps = Sleeps()
    with pytest.raises(asyncio.CancelledError):
        await Heartbeat(desk, "host-a:1:abc", sleep=sleeps).run()

    assert calls == ["host-a:1:abc"] * 4, "a failed beat does not stop the heartbeat"
    assert sleeps.waits == [BEAT_SECONDS] * 3
