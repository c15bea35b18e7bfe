"""Shared rig of the outbox tests: a connector that stamps arrivals with the desk's clock, a desk on a fixed clock that
the tests move to each next moment a message may go, helpers."""

from __future__ import annotations

import bisect
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from botbuilder.schema import Activity

from bot.turns.conversations import record_of
from desk.clock import from_iso
from desk.outbox import Operation, Outgoing
from desk.store import outbox as outbox_sql
from desk.store import ratelimit as rate_sql
from desk.store.conversations import Conversation
from emulator import demo
from tests.bot.helpers import rows
from tests.support.activities import Chat, TeamsUser, with_demo_roster
from tests.support.connector import LocalConnector, Reply, Sent
from tests.support.harness import OFFICE_HOURS, Desk, FixedClock, local_settings, start_desk
from tests.support.outbox_trace import record_delivered


class TimedConnector(LocalConnector):
    """A local connector that also notes when each request arrived on the desk's clock (which stands still while the
    sender delivers, and moves only when the test moves it), for pacing checks, and can refuse whole conversations as
    Teams does once the bot is removed from a team (every request: 403). A request to a conversation in `transit`
    takes that many seconds to arrive: the clock moves on by as much before the arrival is noted."""

    def __init__(self, clock: FixedClock) -> None:
        super().__init__()
        self._clock = clock
        self.arrivals: list[tuple[str, datetime]] = []  # (conversation id, arrival time)
        self.refused: set[str] = set()
        self.transit: dict[str, float] = {}
        self._times = threading.Lock()

    def refuse(self, conversation_id: str) -> None:
        """Answer every request for the conversation (and its channel threads) with 403 until `readmit`."""
        with self._times:
            self.refused.add(conversation_id)

    def readmit(self, conversation_id: str) -> None:
        """Serve the conversation again (the bot was added back)."""
        with self._times:
            self.refused.discard(conversation_id)

    def _record(self, request: web.Request, body: dict[str, Any], conversation: str) -> Reply | None:
        with self._times:
            self._clock.advance(seconds=self.transit.get(conversation, 0.0))
            self.arrivals.append((conversation, self._clock.now))
            refused = conversation.split(";messageid=", 1)[0] in self.refused
        scripted = super()._record(request, body, conversation)
        return REMOVED if refused else scripted


REMOVED = Reply(403, body={"error": {"code": "BotNotInConversationRoster", "message": "The bot is not in the roster."}})


@pytest.fixture
def clock() -> FixedClock:
    """The desk's clock: retries fall due only when the test moves it."""
    return FixedClock(OFFICE_HOURS)


@pytest.fixture
def connector(clock: FixedClock) -> Iterator[TimedConnector]:
    """A local connector with arrival times, and the demo users in its roster (as in conftest)."""
    local = with_demo_roster(TimedConnector(clock).start())
    yield local
    local.stop()


@pytest.fixture
async def desk(tmp_path: Path, connector: LocalConnector, clock: FixedClock) -> AsyncIterator[Desk]:
    """The app in local mode on a fresh database, on `clock`."""
    running = await start_desk(local_settings(tmp_path, connector), connector, clock)
    yield running
    await running.close()


def chat_with(connector: LocalConnector, number: int, tenant: demo.DemoTenant = demo.FABRIKAM) -> Chat:
    """A personal chat of a (made-up) user `number` of `tenant`."""
    aad_id = f"00000000-0000-4000-8000-{number:012d}"
    member = TeamsUser(f"29:{aad_id}", aad_id, f"User {number}", tenant.tenant_id, f"user{number}@example.com")
    return Chat(member, connector.url)


async def remember(desk: Desk, chat: Chat) -> Conversation:
    """Store the chat's conversation as the bot does when its user writes in (a reference built from an activity)."""
    conversation = record_of(Activity().deserialize(chat.message("hello")))
    await desk.runtime.services.desk.save_conversation(conversation)
    return conversation


def text(chat: Chat, words: str, ticket_id: int | None = None) -> Outgoing:
    """A plain text message to the chat."""
    return Outgoing(chat.conversation_id, Operation.POST, {"type": "message", "text": words}, ticket_id=ticket_id)


def to(chat: Chat) -> str:
    """The connector path prefix of sends to the chat (for scripting its answers only)."""
    return f"/v3/conversations/{chat.conversation_id}/activities"


def texts(sent: list[Sent]) -> list[str]:
    """The texts of recorded requests, in arrival order."""
    return [s.text for s in sent]


async def outbox(desk: Desk) -> list[dict[str, Any]]:
    """Every outbox row, oldest first."""
    return await rows(desk, "SELECT * FROM outbox ORDER BY id")


async def queue(desk: Desk, *items: Outgoing) -> None:
    """Queue messages and run delivery passes until nothing is due."""
    await desk.runtime.services.desk.queue(list(items))
    await desk.delivered()


async def fill_window(desk: Desk, conversation_key: str, count: int, first: datetime, every: timedelta) -> None:
    """Record `count` messages as delivered to the conversation, the first at `first` and then one every `every`:
    the trace a storm of sends leaves in the outbox."""
    await record_delivered(desk.runtime.db, conversation_key, [first + every * n for n in range(count)])


async def pace_opens(desk: Desk, conversation_key: str) -> datetime | None:
    """When the conversation's next send slot opens (None: it has none recorded)."""
    key = outbox_sql.conversation_pace(conversation_key)
    return await desk.runtime.db.read(lambda cx: rate_sql.next_at(cx, key))


def delay(row: dict[str, Any], clock: FixedClock) -> float:
    """Seconds from now until the row's next attempt."""
    due = from_iso(row["next_attempt_at"])
    assert due is not None
    return (due - clock()).total_seconds()


async def deliver_over_time(
    desk: Desk, clock: FixedClock, drain: Callable[[], Awaitable[object]] | None = None, rounds: int = 2000
) -> None:
    """Deliver what may go now, then move the clock to the next moment a message may (its retry, its conversation's
    or tenant's next send slot, an expired claim), until nothing is pending. `drain`: the senders' (default: the
    desk's own)."""
    for _ in range(rounds):
        await (drain() if drain else desk.delivered())
        due = await desk.runtime.db.read(outbox_sql.next_due)
        if due is None:
            return
        assert due > clock.now, "a message may go now, yet the senders stopped"
        clock.now = due
    raise AssertionError(f"still pending after {rounds} rounds")


def most_within(times: list[datetime], seconds: float) -> int:
    """The most of `times` in any window of `seconds` (a time leaves a window `seconds` after it, as in Teams' "so
    many in so many seconds" and in the limiter)."""
    ordered = sorted(times)
    span = timedelta(seconds=seconds)
    return max((index + 1 - bisect.bisect_right(ordered, at - span) for index, at in enumerate(ordered)), default=0)


def arrivals(connector: TimedConnector, conversations: set[str]) -> list[datetime]:
    """When requests for `conversations` reached the connector, in order."""
    return sorted(at for conversation, at in connector.arrivals if conversation in conversations)
