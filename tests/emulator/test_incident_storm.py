"""The emulator's incident storm: one incident in many customer tenants, served in Graph's wire format through the
same routes (and refusals) as every other issue, started in-process or over the control route."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from emulator import demo
from emulator.demo_storm import STORM_ID, storm_customers
from emulator.server import EmulatorServer
from emulator.state import EmulatorState
from tests.msapi.graph_rig import GraphRig
from tests.support.emulator import trusting_clients
from tests.support.timing import Sleeps

EXTRA = storm_customers(30)


@pytest.fixture
def storm_server(tmp_path: Path) -> Iterator[EmulatorServer]:
    running = EmulatorServer(EmulatorState(customers=(*demo.CUSTOMERS, *EXTRA)), tmp_path / "tls").start()
    yield running
    running.stop()


@pytest.fixture
async def storm_rig(storm_server: EmulatorServer, tmp_path: Path) -> AsyncIterator[GraphRig]:
    async with trusting_clients(storm_server, tmp_path) as (http, bundle):
        yield GraphRig(storm_server, http, bundle, Sleeps(), [])


async def test_the_control_route_starts_one_incident_in_every_readable_customer(storm_rig: GraphRig) -> None:
    answer = await storm_rig.http.post(f"{storm_rig.server.base_url}/_emulator/graph/storm")
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["id"] == STORM_ID and body["classification"] == "Incident" and body["isResolved"] is False
    assert body["posts"][0]["description"]["contentType"] == "Html"
    assert "Next update by:" in body["posts"][0]["description"]["content"]

    graph = storm_rig.client()
    readable = [c for c in (*demo.CUSTOMERS, *EXTRA) if c.tenant_id != demo.TAILSPIN.tenant_id]
    for customer in readable:
        issues = await graph.issues(customer.tenant_id)
        assert STORM_ID in {i.id for i in issues}, customer.name
        services = {s.service: s.status for s in await graph.health_overviews(customer.tenant_id)}
        assert services["Exchange Online"] == "ServiceDegradation", customer.name
    assert len(readable) == 33


async def test_the_storm_can_name_its_tenants_and_refuses_strangers(storm_rig: GraphRig) -> None:
    url = f"{storm_rig.server.base_url}/_emulator/graph/storm"
    chosen = [EXTRA[0].tenant_id, EXTRA[1].tenant_id]
    answer = await storm_rig.http.post(url, json={"id": "EX200001", "tenants": chosen})
    assert answer.status_code == 201
    graph = storm_rig.client()
    assert "EX200001" in {i.id for i in await graph.issues(EXTRA[1].tenant_id)}
    assert "EX200001" not in {i.id for i in await graph.issues(EXTRA[2].tenant_id)}
    refused = await storm_rig.http.post(url, json={"tenants": [demo.STRANGER.tenant_id]})
    assert refused.status_code == 400 and "not customers" in refused.json()["error"]
    assert (await storm_rig.http.post(url, json={"id": "a/b"})).status_code == 400
    assert (await storm_rig.http.post(url, json=["x"])).status_code == 400


def test_storm_customers_are_stable_between_starts() -> None:
    assert [c.tenant_id for c in storm_customers(3)] == [c.tenant_id for c in storm_customers(5)[:3]]
    assert len({c.tenant_id for c in storm_customers(50)}) == 50
