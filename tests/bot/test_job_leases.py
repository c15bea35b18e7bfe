"""Background jobs run on one instance at a time: two instances (two Periodic with different holders) on one
database, beating in virtual time (a FixedClock moved to each beat the job asked for). Only the lease holder runs
rounds; a round longer than the lease keeps it; when the holder dies another takes the job over within one lease
period; a stopping instance gives its leases up; an outage is one warning and one "back" line, then rounds resume."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.jobs.background import LEASE, RENEW_SECONDS, Periodic
from desk.outage import Outage
from desk.service import Desk
from desk.settings import Settings
from desk.sla import SlaPolicy
from desk.store.database import Database, open_database
from tests.bot.helpers import rows
from tests.support.harness import OFFICE_HOURS, FixedClock
from tests.support.harness import Desk as RunningDesk
from tests.support.outage import SwitchableDatabase

INTERVAL = 300.0


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_database(f"sqlite:///{tmp_path}/desk.db")
    yield database
    await database.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(OFFICE_HOURS)


def desk_on(db: Database, clock: FixedClock) -> Desk:
    settings = Settings.from_env({}, env_file=None)
    return Desk(db, SlaPolicy(settings.support.hours, settings.sla), clock)


class Rounds:
    """The rounds each instance started, as (holder, when)."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.started: list[tuple[str, datetime]] = []
        self.stopped: list[str] = []  # rounds cancelled before their end

    def work(self, holder: str, until: asyncio.Event | None = None) -> Callable[[], Awaitable[None]]:
        async def round_() -> None:
            self.started.append((holder, self.clock.now))
            if until is not None:
                try:
                    await until.wait()
                except asyncio.CancelledError:
                    self.stopped.append(holder)
                    raise

        return round_


class Beats:
    """Drives jobs in virtual time: each job's next beat comes when its last one said."""

    def __init__(self, clock: FixedClock, *jobs: Periodic) -> None:
        self.clock = clock
        self.due = {job: clock.now for job in jobs}

    async def until(self, moment: datetime) -> None:
        while self.due:
            job, at = min(self.due.items(), key=lambda item: item[1])
            if at > moment:
                break
            self.clock.now = max(self.clock.now, at)
            wait = await job.step()
            assert 0 <= wait <= RENEW_SECONDS, wait
            await asyncio.sleep(0)  # a round the beat started begins
            self.due[job] = self.clock.now + timedelta(seconds=wait)
        self.clock.now = max(self.clock.now, moment)

    def kill(self, job: Periodic) -> None:
        """The instance dies: no more beats, and nothing given up."""
        del self.due[job]


def job(name: str, desk: Desk, holder: str, rounds: Rounds, until: asyncio.Event | None = None) -> Periodic:
    return Periodic(name, INTERVAL, rounds.work(holder, until), desk, holder=holder, clock=rounds.clock)


async def test_only_the_holder_runs_rounds_and_another_takes_over_within_one_lease_period_when_it_dies(
    db: Database, clock: FixedClock
) -> None:
    desk, rounds = desk_on(db, clock), Rounds(clock)
    a, b = job("health-monitor", desk, "a", rounds), job("health-monitor", desk, "b", rounds)
    beats = Beats(clock, a, b)
    start = clock.now

    await beats.until(start + timedelta(minutes=30))
    assert [holder for holder, _ in rounds.started] == ["a"] * 6, "one round per interval, all on the holder"
    assert [when - start for _, when in rounds.started] == [timedelta(seconds=INTERVAL * n) for n in range(1, 7)]

    beats.kill(a)
    died = clock.now
    await beats.until(died + LEASE * 3)

    taken_over = next(when for holder, when in rounds.started if holder == "b")
    assert died < taken_over <= died + LEASE, (taken_over - died).total_seconds()
    assert b.holding


async def test_a_round_longer_than_the_lease_keeps_the_lease_and_is_not_run_twice(
    db: Database, clock: FixedClock
) -> None:
    desk, rounds, slow = desk_on(db, clock), Rounds(clock), asyncio.Event()
    a, b = job("sr-sync", desk, "a", rounds, until=slow), job("sr-sync", desk, "b", rounds)
    beats = Beats(clock, a, b)
    start = clock.now

    await beats.until(start + timedelta(seconds=INTERVAL) + LEASE * 10)  # a's first round has run ten leases long
    assert rounds.started == [("a", start + timedelta(seconds=INTERVAL))]
    assert a.holding and not b.holding

    slow.set()
    await beats.until(clock.now + timedelta(seconds=INTERVAL))
    assert {holder for holder, _ in rounds.started} == {"a"}


async def test_a_stopping_instance_gives_its_leases_up_so_another_takes_over_at_once(
    db: Database, clock: FixedClock
) -> None:
    desk, rounds = desk_on(db, clock), Rounds(clock)
    never = asyncio.Event()

    async def parked(_: float) -> None:
        await never.wait()

    a = Periodic("housekeeping", INTERVAL, rounds.work("a"), desk, holder="a", sleep=parked, clock=clock)
    b = job("housekeeping", desk, "b", rounds)
    running = asyncio.create_task(a.run())
    for _ in range(100):
        if a.holding:
            break
        await asyncio.sleep(0.01)
    assert a.holding
    await b.step()
    assert not b.holding

    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    await b.step()

    assert b.holding, "taken over without waiting for the lease to run out"


async def test_a_job_survives_an_outage_with_one_warning_and_resumes_its_rounds(
    db: Database, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    switch = SwitchableDatabase(db)
    rounds = Rounds(clock)
    a = Periodic(
        "sla-watch", INTERVAL, rounds.work("a"), desk_on(switch, clock), holder="a", clock=clock, outage=Outage()
    )
    beats = Beats(clock, a)

    switch.down()
    with caplog.at_level(logging.INFO):
        waits = [await a.step() for _ in range(8)]
        switch.up()
        start = clock.now
        await beats.until(start + timedelta(seconds=INTERVAL))

    assert waits == [1, 2, 4, 8, 16, 20, 20, 20], "bounded backoff"
    assert [(r.levelname, r.name) for r in caplog.records] == [("WARNING", "desk.outage"), ("INFO", "desk.outage")]
    assert rounds.started == [("a", start + timedelta(seconds=INTERVAL))]


async def test_an_instance_cut_off_longer_than_the_lease_stops_its_round_when_another_took_the_job(
    db: Database, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    cut_off = SwitchableDatabase(db)  # only instance a loses the database
    rounds, slow = Rounds(clock), asyncio.Event()
    a = Periodic("sla-watch", INTERVAL, rounds.work("a", until=slow), desk_on(cut_off, clock), holder="a", clock=clock)
    b = job("sla-watch", desk_on(db, clock), "b", rounds)
    beats = Beats(clock, a, b)
    start = clock.now
    await beats.until(start + timedelta(seconds=INTERVAL))
    assert rounds.started == [("a", clock.now)]

    cut_off.down()
    await beats.until(clock.now + LEASE * 2)
    cut_off.up()
    with caplog.at_level(logging.WARNING):
        await beats.until(clock.now + timedelta(seconds=RENEW_SECONDS))

    assert b.holding and not a.holding
    assert [holder for holder, _ in rounds.started] == ["a", "b"]
    assert rounds.stopped == ["a"], "a's round stopped: the job runs on b alone"
    assert any("moved to another instance" in r.getMessage() for r in caplog.records)


async def test_every_job_of_the_app_runs_under_its_lease(desk: RunningDesk) -> None:
    names = {
        "sla-watch",
        "housekeeping",
        "health-monitor",
        "sr-sync",
        "support-profile",
        "ms-response-clock",
        "message-center-digest",
        "gdap-expiry",
        "storm",
        "weekly-report",
        "readiness-weekly",
        "rollout",
    }
    jobs = [task for task in desk.runtime.tasks if task.get_name() in names]
    for _ in range(200):  # each job's first beat takes its lease at start
        if len(await rows(desk, "SELECT name FROM leases")) == len(names):
            break
        await asyncio.sleep(0.01)

    assert {task.get_name() for task in jobs} == names
    leases = await rows(desk, "SELECT name, holder FROM leases")
    assert {row["name"] for row in leases} == names
    assert len({row["holder"] for row in leases}) == 1
