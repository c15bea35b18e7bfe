"""The one rate limiter (desk/ratelimit.py), its state in the database: Graph's service communications budget (240 a
minute, 800 an hour, per tenant) through SharedRateLimiter on a clock whose sleep moves it, two instances sharing one
budget, and the sliding-window arithmetic the outbox's claims use, on the SQL log itself."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk.clock import to_iso
from desk.ratelimit import Limits, SharedRateLimiter, answered, earliest, read, reserve, take
from desk.store import ratelimit as rate_sql
from desk.store.database import Cx, Database, DatabaseUnavailable, open_database
from desk.store.ratelimit import PreloadedSlotLog, SqlSlotLog
from msapi.graph import SERVICE_COMMUNICATIONS_LIMITS
from tests.support.engines import fresh_database_url, open_test_database

TENANT_A = "9c4e2b7a-3d1f-4a8e-b6c5-2f0e1d3c4b01"
TENANT_B = "2e8d4f6a-5b3c-4e1d-9f7a-6b5c4d3e2f01"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GRAPH = Limits(SERVICE_COMMUNICATIONS_LIMITS)
T = TypeVar("T")


@dataclass
class FakeTime:
    """A clock that only moves when told to or when someone sleeps."""

    now: datetime = START
    waits: list[float] = field(default_factory=list)

    def clock(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.advance(seconds)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_test_database(tmp_path)
    yield database
    await database.close()


def limiter_on(db: Database, fake: FakeTime, limits: Limits = GRAPH) -> SharedRateLimiter:
    return SharedRateLimiter(db, "graph", limits, clock=fake.clock, sleep=fake.sleep)


async def test_240_calls_in_a_minute_go_at_once_and_the_241st_waits_for_the_oldest_to_leave(db: Database) -> None:
    fake = FakeTime()
    limiter = limiter_on(db, fake)
    for _ in range(240):
        await limiter.acquire(TENANT_A)
        fake.advance(0.1)  # 240 calls within 24 seconds

    assert fake.waits == []
    await limiter.acquire(TENANT_A)  # at +24 s; the first (+0 s) leaves the window at +60 s

    assert fake.waits == [pytest.approx(36.0)]
    assert fake.now == START + timedelta(seconds=60)


async def test_801st_call_within_an_hour_waits_although_no_minute_was_full(db: Database) -> None:
    fake = FakeTime()
    limiter = limiter_on(db, fake)
    for _ in range(800):
        await limiter.acquire(TENANT_A)
        fake.advance(4.0)  # 15 a minute, 800 within 3,200 seconds

    assert fake.waits == []
    await limiter.acquire(TENANT_A)  # at +3,200 s; the first leaves the hour at +3,600 s

    assert fake.waits == [pytest.approx(400.0)]


async def test_tenants_have_their_own_windows(db: Database) -> None:
    fake = FakeTime()
    limiter = limiter_on(db, fake)
    for _ in range(240):
        await limiter.acquire(TENANT_A)

    await limiter.acquire(TENANT_B)
    assert fake.waits == []

    await limiter.acquire(TENANT_A)
    assert fake.waits == [pytest.approx(60.0)]


async def test_tenant_ids_are_compared_case_insensitively(db: Database) -> None:
    fake = FakeTime()
    limiter = limiter_on(db, fake, Limits(((1, 10.0),)))

    await limiter.acquire(TENANT_A.upper())
    await limiter.acquire(TENANT_A)

    assert fake.waits == [pytest.approx(10.0)]


async def test_concurrent_callers_never_overbook_a_window(db: Database) -> None:
    """Seven callers at one instant, 3 in any 0.3 s: each reserves its own slot (the clock stands still here)."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    limiter = SharedRateLimiter(db, "graph", Limits(((3, 0.3),)), clock=lambda: START, sleep=sleep)
    await asyncio.gather(*(limiter.acquire(TENANT_A) for _ in range(7)))

    assert sorted(waits) == pytest.approx([0.3, 0.3, 0.3, 0.6])  # three went at once: no sleep


async def test_two_instances_share_one_budget(tmp_path: Path) -> None:
    """Two processes' limiters on one database file: what one took counts against the other."""
    fake = FakeTime()
    url = fresh_database_url(tmp_path / "store")
    first, second = await open_database(url), await open_database(url)
    try:
        for _ in range(240):
            await limiter_on(first, fake).acquire(TENANT_A)
        await limiter_on(second, fake).acquire(TENANT_A)
    finally:
        await first.close()
        await second.close()

    assert fake.waits == [pytest.approx(60.0)]


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Limits(((0, 60.0),))
    with pytest.raises(ValueError):
        Limits(((1, 0.0),))
    with pytest.raises(ValueError):
        Limits(())


# --- the algorithm on the SQL log -------------------------------------------------------------------------------------

TEAMS = Limits(((7, 1.0), (8, 2.0), (60, 30.0)))


async def test_a_burst_at_one_instant_fills_the_second_and_the_two_second_window(db: Database) -> None:
    """7 in any second and 8 in any 2 s: seven slots at once, the eighth a second later, the ninth two seconds after
    the first; another key is not held up."""

    def work(cx: Cx) -> list[datetime]:
        log = SqlSlotLog(cx)
        return [reserve(log, "a", TEAMS, START) for _ in range(9)] + [reserve(log, "b", TEAMS, START)]

    slots = await db.run(work)

    assert slots[:7] == [START] * 7
    assert slots[7] == START + timedelta(seconds=1)
    assert slots[8] == START + timedelta(seconds=2)
    assert slots[9] == START
    # Half-open windows, as a slot leaves a window `seconds` after it was taken: a tenth could go at +2 s too.
    assert await db.run(lambda cx: rate_sql.next_at(cx, "a")) == START + timedelta(seconds=2)


async def test_a_window_opens_when_the_oldest_of_its_count_leaves_it(db: Database) -> None:
    """3 in any 10 s: after slots at -9 s, -5 s, -1 s the next may go at +1 s; the strictest window wins."""

    def slots_at(cx: Cx, *seconds_ago: float) -> None:
        log = SqlSlotLog(cx)
        for ago in seconds_ago:
            at = START - timedelta(seconds=ago)
            take(log, "a", Limits(((3, 10.0), (2, 60.0))), at)

    await db.run(lambda cx: slots_at(cx, 9, 5, 1))

    async def opens(limits: Limits) -> datetime:
        return await db.run(lambda cx: earliest(SqlSlotLog(cx), "a", limits, START))

    assert await opens(Limits(((3, 10.0),))) == START + timedelta(seconds=1)
    assert await opens(Limits(((4, 10.0),))) == START
    assert await opens(Limits(((3, 9.0),))) == START  # -9 s has left a 9-second window
    assert await opens(Limits(((3, 10.0), (2, 60.0)))) == START + timedelta(seconds=55)


async def test_old_slots_do_not_count_and_housekeeping_drops_them_after_a_day(db: Database) -> None:
    """Slots older than a window no longer count in it; housekeeping drops every key's slots a day old, and the
    record of when such a key's next slot opened."""
    limits = Limits(((2, 10.0),))

    def work(cx: Cx) -> None:
        log = SqlSlotLog(cx)
        for ago in (30, 20, 5):
            take(log, "a", limits, START - timedelta(seconds=ago))
        take(log, "b", limits, START - timedelta(days=2))

    await db.run(work)
    assert await db.run(lambda cx: rate_sql.next_at(cx, "a")) == START - timedelta(seconds=5)  # one slot of two

    assert await db.run(lambda cx: rate_sql.prune(cx, START - timedelta(days=1))) == 1
    kept = await db.run(lambda cx: cx.all("SELECT key FROM rate_limit_slots"))
    assert [row["key"] for row in kept] == ["a", "a", "a"]
    assert await db.run(lambda cx: rate_sql.next_at(cx, "b")) is None


class CountingDatabase:
    """A database that counts the transactions run on it, and fails them while `down`."""

    def __init__(self, inner: Database) -> None:
        self.inner = inner
        self.runs = 0
        self.down = False

    async def run(self, work: Callable[[Cx], T]) -> T:
        self.runs += 1
        if self.down:
            raise DatabaseUnavailable("the database is away")
        return await self.inner.run(work)

    async def read(self, work: Callable[[Cx], T]) -> T:
        return await self.inner.read(work)

    async def ping(self) -> None:
        await self.inner.ping()

    async def close(self) -> None:
        await self.inner.close()


async def slots_of(db: Database, key: str) -> int:
    row = await db.read(lambda cx: cx.one("SELECT COUNT(*) AS n FROM rate_limit_slots WHERE key = ?", (key,)))
    return int((row or {"n": 0})["n"])


async def test_callers_arriving_together_reserve_their_slots_in_one_transaction(db: Database) -> None:
    """A health sweep's requests (two for each of 16 tenants) ask at one moment: one transaction reserves all their
    slots, not one each (2,000 for a sweep of 1,000 tenants; on PostgreSQL each a serializable transaction that
    may conflict with the others and be run again)."""
    counting, fake = CountingDatabase(db), FakeTime()
    limiter = SharedRateLimiter(counting, "graph", GRAPH, clock=fake.clock, sleep=fake.sleep)
    tenants = [f"tenant-{n:02d}" for n in range(16)]

    await asyncio.gather(*(limiter.acquire(tenant) for tenant in tenants for _ in range(2)))

    assert counting.runs == 1
    assert fake.waits == []
    assert [await slots_of(db, f"graph:{tenant}") for tenant in tenants] == [2] * 16


async def test_a_failed_transaction_fails_every_caller_it_served_and_the_next_callers_try_again(db: Database) -> None:
    counting, fake = CountingDatabase(db), FakeTime()
    limiter = SharedRateLimiter(counting, "graph", Limits(((1, 10.0),)), clock=fake.clock, sleep=fake.sleep)
    counting.down = True

    outcomes = await asyncio.gather(*(limiter.acquire(TENANT_A) for _ in range(3)), return_exceptions=True)

    assert [type(outcome) for outcome in outcomes] == [DatabaseUnavailable] * 3
    assert await slots_of(db, f"graph:{TENANT_A.lower()}") == 0
    counting.down = False
    await asyncio.gather(limiter.acquire(TENANT_A), limiter.acquire(TENANT_A))
    assert fake.waits == [pytest.approx(10.0)]


async def test_the_preloaded_log_reserves_the_same_slots_as_the_statement_per_question_log(db: Database) -> None:
    """SharedRateLimiter reserves a batch through PreloadedSlotLog; the outbox's claims through SqlSlotLog. Both give
    the same slots for the same history: bursts past a window, pauses, several keys, slots reserved ahead."""
    limits = Limits(((3, 1.0), (5, 10.0)))
    rng = random.Random(7)
    moments, now = [], START
    for _ in range(60):
        now += timedelta(seconds=rng.choice((0.0, 0.0, 0.2, 0.7, 3.0, 9.0)))
        moments.append((now, [rng.choice("abc") for _ in range(rng.randint(1, 4))]))

    async def replay(prefix: str, preloaded: bool) -> list[datetime]:
        given = []
        for moment, keys in moments:
            names = [f"{prefix}:{key}" for key in keys]

            def work(cx: Cx, names: list[str] = names, moment: datetime = moment) -> list[datetime]:
                if not preloaded:
                    return [reserve(SqlSlotLog(cx), name, limits, moment) for name in names]
                log = PreloadedSlotLog(cx, sorted(set(names)), moment - timedelta(seconds=10))
                slots = [reserve(log, name, limits, moment) for name in names]
                log.write()
                return slots

            given += await db.run(work)
        return given

    assert await replay("preloaded", True) == await replay("sql", False)
    for key in "abc":
        preloaded = await db.read(lambda cx, key=key: rate_sql.next_at(cx, f"preloaded:{key}"))
        assert preloaded == await db.read(lambda cx, key=key: rate_sql.next_at(cx, f"sql:{key}"))


async def test_a_slot_answered_later_counts_from_its_answer_and_never_moves_earlier(db: Database) -> None:
    """A send's slots (named by their owner) move to when Teams answered it: 2 in any second, both taken at START and
    answered 0.25 s and 0.5 s later, let the next go at 1.25 s rather than at 1 s. A slot is never moved earlier."""
    limits = Limits(((2, 1.0),))

    def work(cx: Cx) -> list[datetime]:
        log = SqlSlotLog(cx)
        take(log, "a", limits, START, owner="send-1")
        take(log, "a", limits, START, owner="send-2")
        take(log, "b", limits, START, owner="send-3")
        before = earliest(log, "a", limits, START)
        answered(log, "send-1", START + timedelta(seconds=0.25))
        answered(log, "send-2", START + timedelta(seconds=0.5))
        answered(log, "send-3", START - timedelta(seconds=5))  # earlier than taken: stays
        return [before, earliest(log, "a", limits, START)]

    assert await db.run(work) == [START + timedelta(seconds=1), START + timedelta(seconds=1.25)]
    slots = await db.run(lambda cx: cx.all("SELECT owner, at FROM rate_limit_slots ORDER BY owner"))
    assert [(row["owner"], row["at"]) for row in slots] == [
        ("send-1", to_iso(START + timedelta(seconds=0.25))),
        ("send-2", to_iso(START + timedelta(seconds=0.5))),
        ("send-3", to_iso(START)),
    ]


class MemoryLog:
    """A SlotLog in a list, and the per-window reading (one query per window) that `read` replaced, as the
    reference."""

    def __init__(self, slots: list[datetime]) -> None:
        self.slots = list(slots)
        self.next: datetime | None = None

    def newest(self, key: str, after: datetime, ranks: Sequence[int]) -> dict[int, datetime]:
        ordered = sorted((at for at in self.slots if at > after), reverse=True)
        return {rank: ordered[rank - 1] for rank in ranks if rank <= len(ordered)}

    def add(self, key: str, at: datetime, owner: str | None = None) -> None:
        self.slots.append(at)

    def move(self, owner: str, at: datetime) -> int:
        return 0

    def set_next(self, key: str, at: datetime) -> None:
        self.next = at

    def reference_earliest(self, limits: Limits, not_before: datetime) -> datetime:
        slot = not_before
        for count, seconds in limits.windows:
            span = timedelta(seconds=seconds)
            ordered = sorted((at for at in self.slots if at > slot - span), reverse=True)
            if len(ordered) >= count:
                slot = max(slot, ordered[count - 1] + span)
        return slot


# Milliseconds around START: mostly within a few seconds (full windows), some up to an hour back.
moments = st.lists(
    st.one_of(st.integers(min_value=-3000, max_value=1000), st.integers(min_value=-4000_000, max_value=1000)),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(taken=moments, at=st.integers(min_value=-2000, max_value=2000), teams=st.booleans())
def test_one_reading_of_the_log_gives_what_reading_each_window_gave(taken: list[int], at: int, teams: bool) -> None:
    """`earliest` and the next slot `take` notes, from one query per key, equal the per-window reading, for any log
    (slots in milliseconds around START, future ones included) and any moment."""
    limits = Limits(((7, 1.0), (8, 2.0), (60, 30.0), (1800, 3600.0))) if teams else Limits(((3, 1.0), (5, 4.0)))
    slots = [START + timedelta(milliseconds=ms) for ms in taken]
    moment = START + timedelta(milliseconds=at)
    log = MemoryLog(slots)

    assert earliest(log, "k", limits, moment) == log.reference_earliest(limits, moment)
    slot = earliest(log, "k", limits, moment)
    following = take(log, "k", limits, slot)
    assert following == log.reference_earliest(limits, slot) == log.next


@settings(max_examples=200, deadline=None)
@given(taken=moments, at=st.integers(min_value=-2000, max_value=2000), adding=st.integers(min_value=1, max_value=8))
def test_a_window_read_once_stays_right_while_a_claim_adds_its_slots(taken: list[int], at: int, adding: int) -> None:
    """A claim reads a tenant's window once, for as many slots as it may add, and adds them in memory: after each,
    the window says what reading the log again would."""
    limits = Limits(((3, 1.0), (5, 4.0)))
    log = MemoryLog([START + timedelta(milliseconds=ms) for ms in taken])
    moment = START + timedelta(milliseconds=at)
    window = read(log, "k", limits, moment, adding)
    for _ in range(adding):
        slot = window.earliest(moment)
        assert slot == log.reference_earliest(limits, moment)
        log.add("k", slot)
        window = window.with_slot(slot)
        assert window.earliest(slot) == log.reference_earliest(limits, slot)


def test_a_window_refuses_to_answer_for_more_slots_than_it_was_read_for() -> None:
    window = read(MemoryLog([START] * 40), "k", Limits(((30, 1.0),)), START, adding=1)
    assert window.with_slot(START).earliest(START) == START + timedelta(seconds=1)
    with pytest.raises(ValueError):
        window.with_slot(START).with_slot(START).earliest(START)
