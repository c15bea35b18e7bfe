"""Two instances of the real app on one PostgreSQL database (SQLite serves one instance: desk/store/single_instance.py),
each with its own clock, heartbeat and turns. Instance A takes a message and is stopped mid-turn; Teams' copy reaches
instance B. While A lives, B's copy waits for A's turn and is not processed a second time; once A's heartbeat has
lapsed (A was killed: its heartbeat task stops, its turn never ends), B processes the copy at once."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from desk.instances import VALIDITY
from tests.bot.helpers import rows
from tests.support.activities import Chat
from tests.support.connector import LocalConnector
from tests.support.engines import fresh_database_url, postgres_only
from tests.support.harness import OFFICE_HOURS, Desk, FixedClock, local_settings, start_desk

pytestmark = postgres_only


class StuckTurn:
    """A's turn of `activity`, held right after it claimed the activity and saved the chat, until `released` is set."""

    def __init__(self, desk: Desk, activity: dict[str, Any]) -> None:
        self.saved, self.released = asyncio.Event(), asyncio.Event()
        services = desk.runtime.services
        real_save = services.desk.save_conversation

        async def held(*args: Any, **kwargs: Any) -> None:
            await real_save(*args, **kwargs)
            self.saved.set()
            await self.released.wait()

        services.desk.save_conversation = held
        self.task = asyncio.create_task(desk.send(copy.deepcopy(activity)))

    async def started(self) -> None:
        async with asyncio.timeout(10):
            await self.saved.wait()

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


@dataclass
class Instances:
    a: Desk
    b: Desk
    clock_b: FixedClock
    stuck: list[StuckTurn] = field(default_factory=list)

    def hold(self, activity: dict[str, Any]) -> StuckTurn:
        """A's turn of `activity`, held mid-turn (ended when the test ends, whatever happened)."""
        turn = StuckTurn(self.a, activity)
        self.stuck.append(turn)
        return turn


@pytest.fixture
async def instances(tmp_path: Path, connector: LocalConnector) -> AsyncIterator[Instances]:
    url = fresh_database_url(tmp_path / "shared")
    a = await start_desk(
        local_settings(tmp_path / "a", connector, DATABASE_URL=url), connector, FixedClock(OFFICE_HOURS)
    )
    clock_b = FixedClock(OFFICE_HOURS)
    b = await start_desk(local_settings(tmp_path / "b", connector, DATABASE_URL=url), connector, clock_b)
    running = Instances(a, b, clock_b)
    yield running
    for turn in running.stuck:
        await turn.stop()
    await b.close()
    await a.close()


def welcome_cards(connector: LocalConnector, chat: Chat) -> int:
    return len([p for p in connector.posts(chat.conversation_id) if p.cards])


async def test_a_copy_reaching_another_instance_while_the_first_runs_waits_for_it_and_is_not_processed_twice(
    instances: Instances, connector: LocalConnector, customer_chat: Chat
) -> None:
    message = customer_chat.message("help")
    first = instances.hold(message)
    await first.started()
    claims = await rows(instances.b, "SELECT holder FROM inbound_activities WHERE running_until IS NOT NULL")
    assert claims == [{"holder": instances.a.runtime.heartbeat.holder}]

    copy_ = asyncio.create_task(instances.b.send(copy.deepcopy(message)))
    await asyncio.sleep(0.6)
    assert not copy_.done(), "B waits while A's turn runs and A lives"
    first.released.set()
    (status, _), (copy_status, _) = await first.task, await copy_
    await instances.a.delivered()
    await instances.b.delivered()

    assert (status, copy_status) == (201, 201)
    assert welcome_cards(connector, customer_chat) == 1, "answered once, by A"


async def test_a_copy_reaching_another_instance_after_the_first_ones_death_is_processed_there_at_once(
    instances: Instances, connector: LocalConnector, customer_chat: Chat
) -> None:
    message = customer_chat.message("help")
    first = instances.hold(message)
    await first.started()
    beating = next(task for task in instances.a.runtime.tasks if task.get_name() == "heartbeat")
    beating.cancel()  # A is killed: it beats no more (and its turn never ends)
    instances.a.runtime.heartbeat = None
    instances.clock_b.advance(seconds=VALIDITY.total_seconds())  # on B's clock, A's last heartbeat has lapsed

    status, _ = await instances.b.send(copy.deepcopy(message))
    await instances.b.delivered()

    assert status == 201
    assert welcome_cards(connector, customer_chat) == 1, "answered by B"
