"""The roll-out's store and runner (issue 16): 500 people with injected 429s and a restart in the middle finish with
each person installed once; a person who had the app is skipped; failures keep their reason; progress is queued as
one card updated in place at most every few seconds; a person is welcomed once. The pace is driven by a fake
sleep and clock (no timed test). Runs on SQLite and PostgreSQL (tests/support/engines.py)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desk.outbox import Operation, Outgoing
from desk.rollout_service import Pace, RolloutRunner
from desk.store import rollouts as sql
from desk.store.database import Database, open_database
from desk.store.rollouts import Counts, Rollout, Target
from msapi.errors import ConsentMissing, GraphError
from tests.support.engines import fresh_database_url

START = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
TENANT = "tenant-fabrikam"


class Crash(Exception):
    """The process dies (after Graph installed, before the desk recorded it)."""


class FakeTime:
    def __init__(self) -> None:
        self.now = START
        self.slept: list[float] = []

    def clock(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


class FakeGraph:
    """Graph's per-user installs: 409 when there already; a 429 with Retry-After every `throttle_every` calls."""

    def __init__(self, had: set[str] = frozenset(), throttle_every: int = 0, fail: dict[str, int] | None = None):
        self.installed: Counter[str] = Counter({user: 1 for user in had})
        self.calls = 0
        self.throttle_every = throttle_every
        self.crash_at: int | None = None
        self.fail = fail or {}

    async def install(self, tenant_id: str, user: str, teams_app_id: str) -> bool:
        assert tenant_id == TENANT and teams_app_id == "catalog-app"
        self.calls += 1
        if self.throttle_every and self.calls % self.throttle_every == 0:
            error = GraphError("throttled", status=429, code="TooManyRequests")
            error.retry_after = 3.0  # type: ignore[attr-defined]
            raise error
        if user in self.fail:
            status = self.fail[user]
            if status == 403:
                raise ConsentMissing(tenant_id=tenant_id, permission="TeamsAppInstallation.ReadWriteSelfForUser.All")
            raise GraphError("boom", status=status, code="BadRequest")
        if self.installed[user]:
            return False
        self.installed[user] += 1
        if self.crash_at is not None and self.calls >= self.crash_at:
            self.crash_at = None
            raise Crash()
        return True


def card(rollout: Rollout, counts: Counts, final: bool) -> Outgoing:
    text = f"{'final' if final else 'progress'} {counts.installed}/{counts.skipped}/{counts.failed}/{counts.pending}"
    return Outgoing(
        rollout.conversation_key, Operation.POST, {"type": "message", "text": text}, card_key=f"rollout:{rollout.id}"
    )


async def start(db: Database, users: list[str], now: datetime = START) -> int:
    people = [Target(user, f"User {user}") for user in users]

    def work(cx) -> int:  # type: ignore[no-untyped-def]
        rollout_id = sql.create(cx, TENANT, "Fabrikam", "all", "tech-1", "conv-1", "en", people, now)
        assert sql.move(cx, rollout_id, sql.PROPOSED, sql.RUNNING, now, app_id="catalog-app")
        return rollout_id

    return await db.run(work)


@pytest.fixture
async def db(tmp_path: Path):  # type: ignore[no-untyped-def]
    database = await open_database(fresh_database_url(tmp_path), 4)
    yield database
    await database.close()


async def test_500_people_with_429s_and_a_restart_each_installed_once(tmp_path: Path) -> None:
    url = fresh_database_url(tmp_path)
    users = [f"user-{n:03d}" for n in range(500)]
    graph, time = FakeGraph(throttle_every=37), FakeTime()
    graph.crash_at = 260
    first = await open_database(url, 4)
    rollout_id = await start(first, users)
    with pytest.raises(Crash):
        await RolloutRunner(first, graph, card, Pace(per_second=10), time.clock, time.sleep).run(rollout_id)
    await first.close()
    middle = Counter(user for user, n in graph.installed.items() if n)
    assert 200 < len(middle) < 500, "the crash came in the middle"

    second = await open_database(url, 4)  # the restart: a new process resumes from the database
    try:
        counts = await RolloutRunner(second, graph, card, Pace(per_second=10), time.clock, time.sleep).run(rollout_id)
        assert counts is not None
        assert set(graph.installed) == set(users) and set(graph.installed.values()) == {1}, "each installed once"
        assert counts.installed + counts.skipped == 500 and counts.failed == 0 and counts.pending == 0
        assert counts.skipped == 1, "the one installed just before the crash answers 409 and is not installed again"
        assert 3.0 in time.slept, "a 429's Retry-After is waited out"
        assert min(s for s in time.slept if s != 3.0) >= 0.1, "paced at 10 per second"
        rollout = await second.read(lambda cx: sql.get(cx, rollout_id))
        assert rollout is not None and rollout.state == sql.DONE
        rows = await second.read(
            lambda cx: cx.all("SELECT activity FROM outbox WHERE card_key = ?", (f"rollout:{rollout_id}",))
        )
        assert 1 <= len(rows) <= 500 // 10 // 5 * 2 + 3, "progress updates at most every 5 seconds, not per person"
        assert '"final 499/1/0/0"' in rows[-1]["activity"]
        calls = graph.calls
        assert await RolloutRunner(second, graph, card, Pace(), time.clock, time.sleep).run(rollout_id) is None
        assert graph.calls == calls, "a finished roll-out makes no call"

    finally:
        await second.close()


async def test_a_person_who_had_the_app_is_skipped(db: Database) -> None:
    graph, time = FakeGraph(had={"b"}), FakeTime()
    rollout_id = await start(db, ["a", "b", "c"])
    counts = await RolloutRunner(db, graph, card, Pace(), time.clock, time.sleep).run(rollout_id)
    assert counts is not None and (counts.installed, counts.skipped) == (2, 1)
    people = {p.user_id: p for p in await db.read(lambda cx: sql.people(cx, rollout_id))}
    assert people["b"].state == sql.SKIPPED and people["a"].state == people["c"].state == sql.INSTALLED


async def test_failures_keep_their_reason_after_bounded_retries(db: Database) -> None:
    graph, time = FakeGraph(fail={"a": 500, "b": 403}), FakeTime()
    rollout_id = await start(db, ["a", "b", "c"])
    counts = await RolloutRunner(db, graph, card, Pace(attempts=3), time.clock, time.sleep).run(rollout_id)
    assert counts is not None and counts.failed == 2 and counts.installed == 1
    reasons = dict(counts.reasons)
    assert reasons["User a"] == "Graph answered 500 BadRequest"
    assert reasons["User b"] == "permission missing: TeamsAppInstallation.ReadWriteSelfForUser.All"
    assert graph.calls == 3 + 1 + 1, "a 500 is tried three times, a missing permission once"


async def test_endless_429s_give_up_after_the_bound(db: Database) -> None:
    graph, time = FakeGraph(throttle_every=1), FakeTime()
    rollout_id = await start(db, ["a"])
    counts = await RolloutRunner(db, graph, card, Pace(throttle_retries=4), time.clock, time.sleep).run(rollout_id)
    assert counts is not None and counts.failed == 1 and graph.calls == 5


async def test_a_proposed_or_cancelled_rollout_installs_nothing(db: Database) -> None:
    graph, time = FakeGraph(), FakeTime()
    people = [Target("a", "A")]
    rollout_id = await db.run(lambda cx: sql.create(cx, TENANT, "Fabrikam", "all", "t", "c", None, people, START))
    assert await db.run(lambda cx: sql.move(cx, rollout_id, sql.PROPOSED, sql.CANCELLED, START))
    assert not await db.run(lambda cx: sql.move(cx, rollout_id, sql.PROPOSED, sql.RUNNING, START))
    assert await RolloutRunner(db, graph, card, Pace(), time.clock, time.sleep).run(rollout_id) is None
    assert graph.calls == 0


async def test_a_person_is_welcomed_once(db: Database) -> None:
    assert await db.run(lambda cx: sql.welcome_once(cx, TENANT, "User-1", "conv", START))
    assert not await db.run(lambda cx: sql.welcome_once(cx, TENANT, "user-1", "conv", START))
    assert await db.run(lambda cx: sql.welcome_once(cx, TENANT, "user-2", "conv", START))
