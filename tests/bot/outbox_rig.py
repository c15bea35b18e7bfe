"""Shared rig of the outbox tests: a connector that timestamps arrivals, a desk on a fixed clock, helpers."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from botbuilder.schema import Activity

from bot.turns.conversations import record_of
from desk.clock import from_iso
from desk.outbox import Operation, Outgoing
from desk.store.conversations import Conversation
from emulator import demo
from tests.bot.helpers import rows
from tests.support.activities import Chat, TeamsUser, with_demo_roster
from tests.support.connector import LocalConnector, Reply, Sent
from tests.support.harness import OFFICE_HOURS, Desk, FixedClock, local_settings, start_desk
from tests.support.outbox_trace import record_delivered


class TimedConnector(LocalConnector):
    """A local connector that also notes when each request arrived (monotonic seconds), for pacing checks, and can
    refuse whole conversations as Teams does once the bot is removed from a team (every request: 403)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[tuple[str, float]] = []  # (conversation id, arrival time)
        self.refused: set[str] = set()
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
            self.arrivals.append((conversation, time.monotonic()))
            refused = conversation.split(";messageid=", 1)[0] in self.refused
        scripted = super()._record(request, body, conversation)
        return REMOVED if refused else scripted


REMOVED = Reply(403, body={"error": {"code": "BotNotInConversationRoster", "message": "The bot is not in the roster."}})


@pytest.fixture
def clock() -> FixedClock:
    """The desk's clock: retries fall due only when the test moves it."""
    return FixedClock(OFFICE_HOURS)


@pytest.fixture
def connector() -> Iterator[TimedConnector]:
    """A local connector with arrival times, and the demo users in its roster (as in conftest)."""
    local = with_demo_roster(TimedConnector().start())
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


def delay(row: dict[str, Any], clock: FixedClock) -> float:
    """Seconds from now until the row's next attempt."""
    due = from_iso(row["next_attempt_at"])
    assert due is not None
    return (due - clock()).total_seconds()
