"""Fixtures around the emulator (registered for every test package in tests/conftest.py): the emulator with the demo
tenants plus one spare customer, and rigs of clients that trust its CA."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from emulator import demo
from emulator.server import EmulatorServer
from emulator.state import EmulatorState
from tests.msapi.graph_rig import BIG, GraphRig, Sleeps
from tests.msapi.sr_rig import SrRig
from tests.support.emulator import trusting_clients


@pytest.fixture
def graph_server(tmp_path: Path) -> Iterator[EmulatorServer]:
    """The emulator on a free port with the demo customers and Litware (no demo data of its own)."""
    running = EmulatorServer(EmulatorState(customers=(*demo.CUSTOMERS, BIG)), tmp_path / "tls").start()
    yield running
    running.stop()


@pytest.fixture
async def graph_rig(graph_server: EmulatorServer, tmp_path: Path) -> AsyncIterator[GraphRig]:
    """Clients that trust the emulator's CA; every URL the HTTP client requests is recorded."""
    urls: list[str] = []

    async def record(request: httpx.Request) -> None:
        urls.append(str(request.url))

    async with trusting_clients(graph_server, tmp_path) as (http, bundle):
        http.event_hooks["request"].append(record)
        yield GraphRig(graph_server, http, bundle, Sleeps(), urls)


@pytest.fixture
def sr_server(tmp_path: Path) -> Iterator[EmulatorServer]:
    """The emulator with the demo tenants (no spare customer, no scripted progress)."""
    running = EmulatorServer(EmulatorState(), tmp_path / "tls").start()
    yield running
    running.stop()


@pytest.fixture
async def sr_rig(sr_server: EmulatorServer, tmp_path: Path) -> AsyncIterator[SrRig]:
    """Partner Center clients that trust the emulator's CA."""
    async with trusting_clients(sr_server, tmp_path) as (http, bundle):
        yield SrRig(sr_server, http, bundle)
