"""The desk under fuzzing: one running app per test (examples share it, as a live desk shares its state), with a
triage channel and an open ticket so forged actions meet real targets; and the checks every example must pass."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.features.registry import register_all
from bot.turns.actions import ActionRouter
from bot.turns.commands import CommandRouter
from desk.tickets import Status
from emulator import demo
from tests.bot.helpers import raise_ticket, rows, set_triage_channel
from tests.fuzz.strategies import channel_for
from tests.support.activities import Chat, user
from tests.support.connector import LocalConnector
from tests.support.harness import Desk, local_settings, start_desk

TICKET_COLUMNS = ("number", "customer_tenant_id", "requester_aad_id", "title", "severity", "status", "created_at")
STATUSES = {status.value for status in Status}


class Tracebacks(logging.Handler):
    """Collects every record logged with an exception (an unexpected failure somewhere in a turn)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)

    def take(self) -> list[str]:
        """The messages (with exception types) collected since the last call."""
        found = [f"{r.name}: {r.getMessage()} ({r.exc_info[1]!r})" for r in self.records if r.exc_info]
        self.records.clear()
        return found


@pytest.fixture
def tracebacks() -> Iterator[Tracebacks]:
    """A handler on the root logger for the test's duration."""
    handler = Tracebacks()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


@pytest.fixture
async def fuzz_desk(tmp_path: Path, connector: LocalConnector) -> AsyncIterator[Desk]:
    """The app in local mode with a triage channel and one ticket of Fabrikam's."""
    running = await start_desk(local_settings(tmp_path, connector), connector)
    await set_triage_channel(running, channel_for(connector.url), user(demo.PARTNER, 0))
    await raise_ticket(running, Chat(user(demo.FABRIKAM, 0), connector.url))
    yield running
    await running.close()


def known_verbs() -> list[str]:
    """Every verb the bot routes (from its own registry, so new verbs are fuzzed too)."""
    commands, actions = CommandRouter(), ActionRouter()
    register_all(commands, actions)
    return sorted(actions.verbs)


async def assert_whole(desk: Desk) -> None:
    """No partial ticket: every ticket has its fields, a known status and its 'created' event."""
    tickets = await rows(desk, "SELECT * FROM tickets")
    for ticket in tickets:
        assert all(ticket[column] for column in TICKET_COLUMNS), ticket
        assert ticket["status"] in STATUSES, ticket
    orphans = await rows(
        desk,
        "SELECT t.number FROM tickets t WHERE NOT EXISTS"
        " (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'created')",
    )
    assert orphans == []
