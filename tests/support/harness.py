"""The real app (create_app) served by aiohttp's test server, with a local connector for what it sends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from app import create_app
from bot.edge.web import RUNTIME
from bot.runtime import OpenDatabase, Runtime
from desk.settings import Settings
from desk.store.database import open_database
from tests.support.connector import LocalConnector
from tests.support.engines import fresh_database_url


def local_settings(folder: Path, connector: LocalConnector, **overrides: str) -> Settings:
    """Local-mode settings with the database and files under `folder` and the connector allowed."""
    env = {
        "DATA_DIR": str(folder),
        "DATABASE_URL": fresh_database_url(folder),
        "SERVICE_URL_ALLOWLIST": connector.url,
        "PARTNER_NAME": "Contoso Cloud Services",
        "SUPPORT_EMAIL": "support@contosocloud.example",
        "SUPPORT_HOURS": "Mon-Fri 08:00-18:00",
        "SUPPORT_TIMEZONE": "Europe/London",
        "SUPPORT_PRICING": "Included in your CSP agreement; out-of-hours work billed at £95/h.",
    }
    env.update(overrides)
    return Settings.from_env(env, env_file=None)


class Desk:
    """A running desk under test."""

    def __init__(self, client: TestClient, connector: LocalConnector) -> None:
        self.client = client
        self.connector = connector

    @property
    def runtime(self) -> Runtime:
        """The app's runtime (database, sender, services)."""
        return self.client.server.app[RUNTIME]

    async def send(self, activity: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, Any]:
        """POST an activity to /api/messages; returns (status, JSON body or None)."""
        response = await self.client.post("/api/messages", json=activity, headers=headers or {})
        body = await response.json() if response.content_type == "application/json" else None
        return response.status, body

    async def delivered(self) -> None:
        """Wait until the outbox has nothing due."""
        async with asyncio.timeout(30):
            await self.runtime.sender.drain()

    async def close(self) -> None:
        """Stop the app."""
        await self.client.close()


class FixedClock:
    """A clock that stands still until moved (tests of SLA timers, business hours)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock forward."""
        self.now += timedelta(**delta)


# A Tuesday, 10:00 in London: inside the test settings' business hours (Mon-Fri 08:00-18:00 Europe/London).
OFFICE_HOURS = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


async def start_desk(
    settings: Settings,
    connector: LocalConnector,
    clock: FixedClock | None = None,
    open_db: OpenDatabase = open_database,
    port: int | None = None,
) -> Desk:
    """Start create_app(settings) on a test server, on a fixed clock (office hours unless given); `open_db` may wrap
    the real database (tests/support/outage.py); `port`: serve there (settings.port, where local mode's emulator sends
    Teams' install events) instead of a free port."""
    client = TestClient(TestServer(create_app(settings, clock or FixedClock(OFFICE_HOURS), open_db), port=port))
    await client.start_server()
    return Desk(client, connector)
