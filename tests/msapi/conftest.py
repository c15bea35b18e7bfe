"""Fixtures for the Graph tests: the emulator (demo tenants plus one spare customer) and a rig around it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from msapi.emulator import demo
from msapi.emulator.server import EmulatorServer
from msapi.emulator.state import EmulatorState
from msapi.transport import combined_bundle, http_client
from tests.msapi.graph_rig import BIG, GraphRig, Sleeps
from tests.msapi.sr_rig import SrRig


@pytest.fixture
def graph_server(tmp_path: Path) -> Iterator[EmulatorServer]:
    """The emulator on a free port with the demo customers and Litware (no demo data of its own)."""
    running = EmulatorServer(EmulatorState(customers=(*demo.CUSTOMERS, BIG)), tmp_path / "tls").start()
    yield running
    running.stop()


@pytest.fixture
async def graph_rig(graph_server: EmulatorServer, tmp_path: Path) -> AsyncIterator[GraphRig]:
    """Clients that trust the emulator's CA; every URL the HTTP client requests is recorded."""
    ca = str(graph_server.tls.ca_cert)
    urls: list[str] = []

    async def record(request: httpx.Request) -> None:
        urls.append(str(request.url))

    http = http_client(ca)
    http.event_hooks["request"].append(record)
    yield GraphRig(graph_server, http, combined_bundle(ca, str(tmp_path / "ca-bundle.pem")), Sleeps(), urls)
    await http.aclose()


@pytest.fixture
def sr_server(tmp_path: Path) -> Iterator[EmulatorServer]:
    """The emulator with the demo tenants (no spare customer, no scripted progress)."""
    running = EmulatorServer(EmulatorState(), tmp_path / "tls").start()
    yield running
    running.stop()


@pytest.fixture
async def sr_rig(sr_server: EmulatorServer, tmp_path: Path) -> AsyncIterator[SrRig]:
    """Partner Center clients that trust the emulator's CA."""
    ca = str(sr_server.tls.ca_cert)
    http = http_client(ca)
    yield SrRig(sr_server, http, combined_bundle(ca, str(tmp_path / "ca-bundle.pem")))
    await http.aclose()
