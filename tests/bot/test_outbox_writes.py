"""A sender's own transactions take turns, and the outcomes of deliveries that end together are recorded together:
on PostgreSQL (SERIALIZABLE) a claim and an outcome of one sender, or two outcomes, running at once conflicted, and
one of them was run again (a third of them in a fan-out of 1,000 notices)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web

from bot.outbox.writes import SerialWrites
from desk.store.database import Cx, Database, DatabaseUnavailable, open_database
from tests.bot.outbox_rig import chat_with, remember, text
from tests.support.connector import LocalConnector
from tests.support.harness import local_settings, start_desk

T = TypeVar("T")


class Turns:
    """The real database, noting the outbox sender's transactions: how many ran, and how many at once at most."""

    def __init__(self, real: Database) -> None:
        self.real = real
        self.running = 0
        self.most = 0
        self.runs = 0

    async def run(self, work: Callable[[Cx], T]) -> T:
        if not _from_the_sender():
            return await self.real.run(work)
        self.runs += 1
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            return await self.real.run(work)
        finally:
            self.running -= 1

    async def read(self, work: Callable[[Cx], T]) -> T:
        return await self.real.read(work)

    async def ping(self) -> None:
        await self.real.ping()

    async def close(self) -> None:
        await self.real.close()


def _from_the_sender() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_qualname.startswith(("OutboxSender.", "Outcomes.")):
            return True
        frame = frame.f_back
    return False


class Together(LocalConnector):
    """Holds every send until `expected` have arrived, then answers them all at once."""

    def __init__(self, expected: int) -> None:
        super().__init__()
        self.expected = expected
        self.arrived = 0
        self._all: asyncio.Event | None = None  # made in the connector's own loop (its thread)

    async def _send(self, request: web.Request) -> web.Response:
        if self._all is None:
            self._all = asyncio.Event()
        self.arrived += 1
        if self.arrived >= self.expected:
            self._all.set()
        await self._all.wait()
        return await super()._send(request)


async def test_deliveries_that_end_together_do_not_write_at_the_same_time(tmp_path: Path) -> None:
    # Six: the SDK makes its requests from the default thread pool, which has six threads on two cores.
    connector = Together(expected=6).start()
    turns: list[Turns] = []

    async def wrapped(url: str, pool_size: int = 10) -> Database:
        turns.append(Turns(await open_database(url, pool_size)))
        return turns[0]

    desk = await start_desk(local_settings(tmp_path, connector), connector, open_db=wrapped)
    try:
        chats = [chat_with(connector, n) for n in range(6)]
        for chat in chats:
            await remember(desk, chat)
        await desk.runtime.services.desk.queue([text(chat, "incident") for chat in chats])
        await desk.delivered()

        for chat in chats:
            assert [s.text for s in connector.delivered(chat.conversation_id)] == ["incident"]
        rows = await desk.runtime.db.read(lambda cx: cx.all("SELECT status FROM outbox"))
        assert [row["status"] for row in rows] == ["sent"] * 6
        assert turns[0].most == 1  # one claim, then six outcomes at once: never two transactions at once
    finally:
        await desk.close()
        connector.stop()


class Gate:
    """A database whose transactions wait at a gate (to line outcomes up behind one under way); counts them."""

    def __init__(self, fail_with: BaseException | None = None) -> None:
        self.open = asyncio.Event()
        self.batches: list[int] = []
        self.fail_with = fail_with

    async def run(self, work: Callable[[Cx], T]) -> T:
        await self.open.wait()
        if self.fail_with is not None:
            raise self.fail_with
        results: Any = work(None)  # type: ignore[arg-type]  # the works below ignore their Cx
        self.batches.append(len(results) if isinstance(results, list) else 1)
        return results  # type: ignore[no-any-return]


def outcome(value: bool, log: list[int], number: int) -> Callable[[Cx], bool]:
    def work(cx: Cx) -> bool:
        log.append(number)
        return value

    return work


async def test_outcomes_waiting_for_their_turn_are_recorded_in_one_transaction() -> None:
    gate = Gate()
    writes = SerialWrites(gate)  # type: ignore[arg-type]
    done: list[int] = []
    first = asyncio.create_task(writes.record(outcome(True, done, 0)))
    await asyncio.sleep(0)  # the first holds the turn, waiting at the gate
    rest = [asyncio.create_task(writes.record(outcome(n % 2 == 0, done, n))) for n in range(1, 5)]
    await asyncio.sleep(0)
    gate.open.set()

    assert await first is True
    assert [await each for each in rest] == [False, True, False, True]  # each caller gets its own outcome's answer
    assert gate.batches == [1, 4]
    assert done == [0, 1, 2, 3, 4]


async def test_an_unreachable_database_fails_every_outcome_of_the_batch() -> None:
    gate = Gate(fail_with=DatabaseUnavailable("down"))
    writes = SerialWrites(gate)  # type: ignore[arg-type]
    calls = [asyncio.create_task(writes.record(outcome(True, [], n))) for n in range(3)]
    await asyncio.sleep(0)
    gate.open.set()

    for call in calls:
        with pytest.raises(DatabaseUnavailable):
            await call


async def test_an_outcome_that_fails_leaves_the_others_of_its_batch_recorded() -> None:
    def broken(cx: Cx) -> bool:
        raise ValueError("a bug in one outcome")

    gate = Gate()
    writes = SerialWrites(gate)  # type: ignore[arg-type]
    done: list[int] = []
    first = asyncio.create_task(writes.record(outcome(True, done, 0)))
    await asyncio.sleep(0)
    batch = [
        asyncio.create_task(writes.record(work)) for work in (outcome(True, done, 1), broken, outcome(True, done, 2))
    ]
    await asyncio.sleep(0)
    gate.open.set()

    assert await first is True
    assert await batch[0] is True and await batch[2] is True
    with pytest.raises(ValueError):
        await batch[1]
    assert gate.batches == [1, 1, 1]  # the batch of three failed as a whole, then each alone (one failed)
