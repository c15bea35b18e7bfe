"""Local mode's own wiring of Teams' install events (emulator/local.py), with the real app on its configured port and
real HTTP: a roll-out to "Fabrikam Finance" sends Megan Bowen's event naming the customer playground's connector
(CUSTOMER_PLAYGROUND_PORT) and personal chat, so her welcome card lands there, and everyone else's naming the
emulator's sink connector, which records their welcome cards. Nothing in the test sets the events up."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.jobs.rollout import rollout_rounds
from cards.rollout import CONFIRM
from emulator import demo
from emulator.teams_book import TeamsBook
from emulator.teams_sink import SinkCall, TeamsSink
from playground.render import CUSTOMER_CHAT_ID
from tests.bot.helpers import card_text
from tests.bot.test_rollout import ask, fake_sleep, verbs
from tests.support.activities import Chat, user
from tests.support.connector import LocalConnector
from tests.support.harness import local_settings, start_desk

FINANCE = 5  # Megan Bowen and four more (emulator/demo_directory.py)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def playground() -> Iterator[TeamsSink]:
    """Stands in for the customer Agents Playground's connector (http://localhost:<port>/_connector)."""
    connector = TeamsSink(TeamsBook(), prefix="/_connector").start()
    yield connector
    connector.stop()


def welcomes(calls: list[SinkCall]) -> list[str]:
    return [card_text(c.activity["attachments"][0]["content"]) for c in calls if (c.activity or {}).get("attachments")]


async def test_local_mode_sends_megans_event_to_the_playground_and_the_others_to_the_sink(
    tmp_path: Path, connector: LocalConnector, playground: TeamsSink
) -> None:
    settings = local_settings(
        tmp_path,
        connector,
        PORT=str(free_port()),
        CUSTOMER_PLAYGROUND_PORT=str(playground.port),
        SERVICE_URL_ALLOWLIST="http://localhost:,http://127.0.0.1:",  # local mode's default
    )
    desk = await start_desk(settings, connector, port=settings.port)
    tech = Chat(user(demo.PARTNER, 0), connector.url)
    emulator = desk.runtime.emulator
    try:
        assert emulator.sink is not None and emulator.state.install_events is not None
        events = emulator.state.install_events
        [shown] = await ask(desk, tech, "roll out fabrikam group Fabrikam Finance")
        assert f"{FINANCE} people of Fabrikam" in card_text(shown.cards[0])
        await desk.send(tech.invoke(CONFIRM, verbs(shown.cards[0])[CONFIRM]))
        [counts] = await rollout_rounds(desk.runtime.services, fake_sleep)
        assert counts is not None and counts.installed == FINANCE
        async with asyncio.timeout(30):
            while len(events.sent) < FINANCE:  # noqa: ASYNC110 - sent from the emulator's thread
                await asyncio.sleep(0.02)
        await desk.delivered()

        megan = demo.FABRIKAM.users[0]
        [greeting] = welcomes(playground.calls(CUSTOMER_CHAT_ID))
        assert "Contoso Cloud Services" in greeting, "Megan's welcome card, in the playground's personal chat"
        assert playground.calls() == playground.calls(CUSTOMER_CHAT_ID), "nobody else's in the playground"
        others = [user_id for _, user_id, _ in emulator.state.teams.installs if user_id != megan.aad_id]
        assert len(others) == FINANCE - 1
        for user_id in others:
            assert len(welcomes(emulator.sink.calls(f"a:personal-{user_id}"))) == 1, user_id
        assert emulator.sink.calls(f"a:personal-{megan.aad_id}") == []
        assert emulator.sink.calls(CUSTOMER_CHAT_ID) == []
    finally:
        await desk.close()
