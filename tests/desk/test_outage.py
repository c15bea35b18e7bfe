"""Start-up and an unreachable database: waited for with backoff, within a bound, then the error."""

from __future__ import annotations

import logging

import pytest

from desk.outage import Outage, when_reachable
from desk.store.database import DatabaseUnavailable


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


async def test_a_database_that_comes_back_within_the_wait_is_used(caplog: pytest.LogCaptureFixture) -> None:
    time = FakeTime()
    answers = iter([DatabaseUnavailable("starting up"), DatabaseUnavailable("starting up"), "the database"])

    async def connect() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert await when_reachable(connect, 60, "start-up", time.sleep, time.monotonic) == "the database"
    assert time.waits == [1.0, 2.0]  # backing off
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING"]
    assert not any(r.exc_info for r in caplog.records)


async def test_a_database_still_away_after_the_wait_raises_without_waiting_past_it() -> None:
    time = FakeTime()

    async def connect() -> str:
        raise DatabaseUnavailable("connection refused")

    with pytest.raises(DatabaseUnavailable, match="connection refused"):
        await when_reachable(connect, 60, "start-up", time.sleep, time.monotonic)
    assert sum(time.waits) <= 60 and len(time.waits) >= 4


async def test_other_errors_are_not_waited_for() -> None:
    time = FakeTime()

    async def connect() -> str:
        raise ValueError("unsupported DATABASE_URL")

    with pytest.raises(ValueError):
        await when_reachable(connect, 60, "start-up", time.sleep, time.monotonic)
    assert time.waits == []


def test_an_attempt_begun_before_the_outage_was_noticed_does_not_announce_the_database_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="desk.outage")
    time = FakeTime()
    outage = Outage(time.monotonic)
    early = outage.attempt()  # a call under way when the database went away, answered after another loop failed
    time.now = 1.0
    outage.failed(DatabaseUnavailable("connection refused"), "outbox sender")
    time.now = 2.0
    outage.succeeded(early)
    assert outage.down, "an answer to a call begun before the failure says nothing about now"
    later = outage.attempt()
    time.now = 3.0
    outage.succeeded(later)
    assert not outage.down
    assert [r.levelname for r in caplog.records if r.name == "desk.outage"] == ["WARNING", "INFO"]
