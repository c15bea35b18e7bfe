"""Rig of the fault matrix: the real app in local mode, every client on a short timeout, the Microsoft API clients
on virtual time, the people of the scenarios, and what every cell checks afterwards.

Time: the Microsoft API clients' retries, Retry-After waits and throttling holds sleep on a VirtualTime (a sleep
returns at once and moves its clock on), MSAL's cache of throttled token answers runs on a clock the test moves,
and the outbox's retries fall due on the desk's FixedClock, which the test moves to the next retry. Real time is
spent only on SHORT_TIMEOUT, where a cell makes a client wait for an answer that comes too late.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import httpx
import msal.individual_cache
import pytest

import bot.edge.connectors
import msapi.transport
from bot.runtime import Runtime
from desk.clock import from_iso
from desk.i18n import Translator
from emulator import demo
from emulator.state import EmulatorState
from tests.bot.helpers import card_text, raise_ticket, rows
from tests.support.activities import Channel, Chat, TeamsUser, user
from tests.support.connector import LocalConnector
from tests.support.harness import OFFICE_HOURS, Desk, FixedClock

# Every client's timeout in the matrix (production: httpx 20 s, MSAL 20 s, the Bot Connector client 30 s), and an
# answer slower than that: a timeout costs the test SHORT_TIMEOUT of real time, not twenty seconds.
SHORT_TIMEOUT = 0.75
SLOW_ANSWER = 2.0
OUR_CODE = ("app", "bot", "desk", "msapi", "dialogs", "cards")
T = Translator("en-US")


class VirtualTime:
    """Monotonic seconds that pass only when something sleeps on them: a sleep yields once, returns, and moves the
    clock on, so backoff, Retry-After and throttling holds keep their arithmetic without real waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


def on_virtual_time(runtime: Runtime, virtual: VirtualTime) -> None:
    """Put the runtime's Graph and Partner Center clients, and the throttling gate they share, on `virtual`.

    The runtime builds them with asyncio.sleep and time.monotonic and exposes no other way in, so the test sets the
    attributes their constructors set (the same objects the unit tests pass as `sleep=` and `clock=`)."""
    for client in (runtime.services.graph, runtime.partner_center):
        client._sleep = virtual.sleep
    gate = runtime.services.graph.gate
    gate._clock, gate._sleep = virtual.clock, virtual.sleep


class MsalClock:
    """The wall clock MSAL's cache of throttled answers reads (msal.individual_cache), moved on by `skip`: MSAL
    replays an Entra 429 or 5xx to every caller for its Retry-After (5 s without one) without asking again."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def skip(self, seconds: float) -> None:
        self.offset += seconds


def our_tracebacks(records: list[logging.LogRecord]) -> list[str]:
    """`logger: message` of every record our own code logged with a traceback."""
    return [
        f"{r.name}: {r.getMessage()}"
        for r in records
        if r.exc_info and (r.name in OUR_CODE or r.name.split(".", 1)[0] in OUR_CODE)
    ]


@dataclass
class FaultRig:
    """A running desk with its triage channel set and the customer list loaded, and its people: Alex (technician,
    triage channel), Megan (Fabrikam, the affected customer) and Nestor (Northwind, who is never affected)."""

    desk: Desk
    clock: FixedClock
    virtual: VirtualTime
    msal_clock: MsalClock
    triage: Channel
    alex: TeamsUser
    megan: Chat
    nestor: Chat
    statuses: list[int] = field(default_factory=list)

    @property
    def runtime(self) -> Runtime:
        return self.desk.runtime

    @property
    def emulator(self) -> EmulatorState:
        return self.desk.runtime.emulator.state  # type: ignore[union-attr]

    @property
    def connector(self) -> LocalConnector:
        return self.desk.connector

    async def send(self, activity: dict[str, Any]) -> tuple[int, Any]:
        """POST an activity to /api/messages, noting its status."""
        status, body = await self.desk.send(activity)
        self.statuses.append(status)
        return status, body

    async def said(self, text: str) -> str:
        """Alex types a command in the triage channel; returns all the bot answered in that thread, as text."""
        activity = self.triage.message(self.alex, text)
        await self.send(activity)
        answers = self.connector.sent_to(activity["conversation"]["id"])
        return "\n".join(card_text(s.cards[0]) if s.cards else s.text for s in answers)

    def counted(self) -> Desk:
        """The desk, its /api/messages answers noted in `statuses` (for helpers that take a Desk)."""
        return _Counting(self)  # type: ignore[return-value]

    async def nestor_files_a_ticket(self) -> str:
        """Nestor of Northwind raises a ticket through the form; returns its number."""
        return await raise_ticket(self.counted(), self.nestor, title="Teams meetings drop", service="Microsoft Teams")

    async def ticket_reached_triage(self, number: str) -> bool:
        """Whether the ticket is stored and its card was posted in the triage channel (Teams gave it an id)."""
        stored = await rows(self.desk, "SELECT triage_activity_id FROM tickets WHERE number = ?", (number,))
        cards = [s for s in self.connector.posts(self.triage.channel_id) if s.cards and number in card_text(s.cards[0])]
        return bool(stored) and stored[0]["triage_activity_id"] is not None and bool(cards)

    async def outbox_unsent(self) -> list[dict[str, Any]]:
        """Outbox rows not delivered (pending or failed), oldest first (PostgreSQL keeps no order without ORDER BY)."""
        query = (
            "SELECT id, conversation_key, status, attempts, last_error FROM outbox WHERE status != 'sent' ORDER BY id"
        )
        return await rows(self.desk, query)

    async def deliver_all(self, rounds: int) -> None:
        """Deliver what is due, then move the desk's clock to the next retry and deliver again, at most `rounds`
        times, until nothing is pending (a message due now may wait behind its conversation's retry)."""
        for _ in range(rounds):
            await self.runtime.services.spawner.drain()
            await self.desk.delivered()
            pending = await rows(self.desk, "SELECT next_attempt_at FROM outbox WHERE status = 'pending'")
            if not pending:
                return
            later = [due for row in pending if (due := from_iso(row["next_attempt_at"])) and due > self.clock.now]
            if later:
                self.clock.now = min(later)


class _Counting:
    """A Desk whose sends are noted in the rig's statuses (for helpers that take a Desk)."""

    def __init__(self, rig: FaultRig) -> None:
        self._rig = rig
        self.connector = rig.desk.connector
        self.runtime = rig.desk.runtime

    async def send(self, activity: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, Any]:
        return await self._rig.send(activity)

    async def delivered(self) -> None:
        await self._rig.desk.delivered()


def short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every client of the desk times out after SHORT_TIMEOUT: httpx (Graph, Partner Center), MSAL's requests
    session (Entra ID) and the SDK's connector client (Teams). Set before the desk starts: each is read when its
    client is made or its request sent."""
    monkeypatch.setattr(msapi.transport, "DEFAULT_TIMEOUT", httpx.Timeout(SHORT_TIMEOUT))
    monkeypatch.setattr(msapi.transport, "MSAL_TIMEOUT_SECONDS", SHORT_TIMEOUT)
    monkeypatch.setattr(bot.edge.connectors, "CONNECTOR_TIMEOUT_SECONDS", SHORT_TIMEOUT)


def msal_on(monkeypatch: pytest.MonkeyPatch, clock: MsalClock) -> None:
    """MSAL's cache of throttled answers on `clock` (its module reads `time.time()`; nothing else of MSAL moves)."""
    monkeypatch.setattr(msal.individual_cache, "time", SimpleNamespace(time=clock.time))


def people(connector: LocalConnector) -> tuple[Channel, TeamsUser, Chat, Chat]:
    """The triage channel, Alex, Megan's chat and Nestor's chat."""
    triage = Channel("19:team-support@thread.tacv2", "19:triage-channel@thread.tacv2", connector.url)
    return (
        triage,
        user(demo.PARTNER, 0),
        Chat(user(demo.FABRIKAM, 0), connector.url),
        Chat(user(demo.NORTHWIND, 0), connector.url),
    )


def new_clock() -> FixedClock:
    return FixedClock(OFFICE_HOURS)
