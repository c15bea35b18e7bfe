"""The emulator's network latency (EmulatorState.latency, for benchmarks): off by default; when set, every
Microsoft API request (Entra ID's and Graph's here) waits that long before it is answered, the control routes never."""

from __future__ import annotations

from emulator import demo
from emulator.state import EmulatorState
from tests.msapi.graph_rig import GRAPH_SCOPE, GraphRig


def test_latency_is_off_by_default() -> None:
    assert EmulatorState().latency == 0.0


async def test_every_api_request_waits_the_latency_and_control_routes_do_not(graph_rig: GraphRig) -> None:
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    graph_rig.state.latency, graph_rig.state.pause = 0.25, pause
    await graph_rig.client().issues(demo.FABRIKAM.tenant_id)  # OpenID discovery, token, issues: three requests
    assert pauses == [0.25, 0.25, 0.25]

    control = await graph_rig.http.get(f"{graph_rig.server.base_url}/_emulator/requests")
    assert control.status_code == 200
    assert pauses == [0.25, 0.25, 0.25]
    assert await graph_rig.tokens().token(demo.FABRIKAM.tenant_id, GRAPH_SCOPE)
    assert len(pauses) == 5  # another provider: discovery and token again
