"""Shared fixtures: a local connector, local-mode settings, a running desk."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from emulator import demo
from tests.support.activities import Channel, Chat, user, with_demo_roster
from tests.support.connector import LocalConnector
from tests.support.engines import SCHEMAS
from tests.support.harness import Desk, local_settings, start_desk

# The emulator rigs (graph_rig, sr_rig, ...) serve the msapi, emulator and bot tests alike.
pytest_plugins = ["tests.support.rigs"]

# Hypothesis profiles (registered here: `--hypothesis-profile` is read before sub-folder conftests load). "ci"
# runs the same few hundred examples every time, so a red CI is never a coin toss; "long" explores 10,000 per test.
_FUZZ_CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile(
    "ci", max_examples=120, deadline=None, derandomize=True, database=None, suppress_health_check=_FUZZ_CHECKS
)
settings.register_profile("long", max_examples=10_000, deadline=None, suppress_health_check=_FUZZ_CHECKS)
settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _drop_test_schemas() -> Iterator[None]:
    """On the PostgreSQL pass, each test's schema goes when the test ends."""
    yield
    SCHEMAS.drop_all()


@pytest.fixture
def connector() -> Iterator[LocalConnector]:
    """A local Bot Connector with the demo users in its roster."""
    local = with_demo_roster(LocalConnector().start())
    yield local
    local.stop()


@pytest.fixture
async def desk(tmp_path: Path, connector: LocalConnector) -> AsyncIterator[Desk]:
    """The app in local mode on a fresh database."""
    running = await start_desk(local_settings(tmp_path, connector), connector)
    yield running
    await running.close()


@pytest.fixture
def customer_chat(connector: LocalConnector) -> Chat:
    """Megan Bowen of Fabrikam, in her personal chat with the bot."""
    return Chat(user(demo.FABRIKAM, 0), connector.url)


@pytest.fixture
def technician() -> object:
    """Alex Wilber, technician of the partner."""
    return user(demo.PARTNER, 0)


@pytest.fixture
def triage_channel(connector: LocalConnector) -> Channel:
    """The Triage channel of the partner's support team."""
    return Channel("19:team-support@thread.tacv2", "19:triage-channel@thread.tacv2", connector.url)
