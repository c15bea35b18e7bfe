"""App-only tokens (TokenProvider) when Entra ID is unreachable, failing or answering oddly: always a TokenError
(a MicrosoftApiError), never a transport or MSAL exception, so callers catching MicrosoftApiError stay up."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import msal
import pytest

from emulator import demo
from emulator.state import Fault
from msapi.errors import MicrosoftApiError, TokenError
from msapi.tokens import TokenProvider
from msapi.transport import msal_session
from tests.msapi.graph_rig import GRAPH_SCOPE, GraphRig

FABRIKAM = demo.FABRIKAM.tenant_id
TOKEN_PATH = f"/login/{FABRIKAM}/oauth2/v2.0/token"


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_unreachable_entra_is_a_token_error_for_the_provider_and_graph(graph_rig: GraphRig) -> None:
    login = f"https://127.0.0.1:{closed_port()}/login"
    tokens = TokenProvider(demo.APP_ID, demo.APP_SECRET, login, msal_session(), validate_authority=False)

    with pytest.raises(TokenError) as caught:
        await tokens.token(FABRIKAM, GRAPH_SCOPE)
    assert (caught.value.code, caught.value.status) == ("network", None)

    with pytest.raises(MicrosoftApiError) as from_graph:
        await graph_rig.client(tokens).issues(FABRIKAM)
    assert isinstance(from_graph.value, TokenError)
    assert graph_rig.graph_calls() == []  # no Graph call without a token


async def test_entra_5xx_is_a_token_error_with_its_status(graph_rig: GraphRig) -> None:
    graph_rig.state.inject(Fault(path=TOKEN_PATH, status=503))

    with pytest.raises(TokenError) as caught:
        await graph_rig.tokens().token(FABRIKAM, GRAPH_SCOPE)

    assert (caught.value.status, caught.value.code) == (503, "network")


async def test_entra_429_is_entras_oauth_error(graph_rig: GraphRig) -> None:
    graph_rig.state.inject(Fault(path=TOKEN_PATH, status=429))

    with pytest.raises(TokenError) as caught:
        await graph_rig.client().issues(FABRIKAM)

    assert caught.value.code == "temporarily_unavailable 90033"
    assert caught.value.args[0].startswith("AADSTS90033: ")


async def test_entra_error_without_a_description_is_a_token_error(graph_rig: GraphRig) -> None:
    body = {"error": "invalid_client", "error_description": "", "error_codes": []}
    graph_rig.state.inject(Fault(path=TOKEN_PATH, status=400, body=body))

    with pytest.raises(TokenError) as caught:
        await graph_rig.tokens().token(FABRIKAM, GRAPH_SCOPE)

    assert (caught.value.args[0], caught.value.code) == ("invalid_client", "invalid_client")


async def test_entra_answer_that_is_not_json_is_a_token_error(graph_rig: GraphRig) -> None:
    # MSAL raises the JSON parser's ValueError for it, which callers catching MicrosoftApiError would not catch.
    graph_rig.state.inject(Fault(path=TOKEN_PATH, status=200, raw='{"access_token": "cut off'))

    with pytest.raises(TokenError) as caught:
        await graph_rig.client().issues(FABRIKAM)

    assert caught.value.code == "malformed"
    assert graph_rig.graph_calls() == []


# --- one acquisition per (tenant, scope) in flight -------------------------------------------------------------------

NORTHWIND = demo.NORTHWIND.tenant_id
PC_SCOPE = "https://api.partnercenter.microsoft.com/.default"


def token_posts(rig: GraphRig, tenant: str) -> list[str]:
    """Token requests the emulator answered for `tenant`, by status."""
    return [f"{seen.status}" for seen in rig.state.requests(f"/login/{tenant}/oauth2/v2.0/token", method="POST")]


async def until_taken(rig: GraphRig, fault: Fault) -> None:
    """Return once the emulator has taken `fault` (its request is in flight), polling for at most ten seconds."""
    for _ in range(1000):
        if fault not in rig.state.faults:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the fault was never taken")


async def test_concurrent_first_calls_for_one_tenant_and_scope_fetch_one_token(graph_rig: GraphRig) -> None:
    # The first token request is slow, so the second caller arrives while it is in flight.
    graph_rig.state.inject(Fault(path=TOKEN_PATH, status=0, delay=0.5))
    tokens = graph_rig.tokens()

    first, second = await asyncio.gather(tokens.token(FABRIKAM, GRAPH_SCOPE), tokens.token(FABRIKAM, GRAPH_SCOPE))

    assert first == second
    assert token_posts(graph_rig, FABRIKAM) == ["200"]
    assert tokens.requests_made == 1


async def test_a_failed_acquisition_reaches_every_waiter_and_is_not_kept(graph_rig: GraphRig) -> None:
    # 401: MSAL itself replays a 5xx for five seconds and a 400 for a minute, so those would not reach Entra again.
    graph_rig.state.inject(Fault(path=TOKEN_PATH, status=401, delay=0.5))
    tokens = graph_rig.tokens()

    outcomes = await asyncio.gather(
        tokens.token(FABRIKAM, GRAPH_SCOPE), tokens.token(FABRIKAM, GRAPH_SCOPE), return_exceptions=True
    )

    assert [type(outcome) for outcome in outcomes] == [TokenError, TokenError]
    assert outcomes[0] is outcomes[1], "both waiters got the one failure"
    assert token_posts(graph_rig, FABRIKAM) == ["401"]
    assert await tokens.token(FABRIKAM, GRAPH_SCOPE), "the next call tries again"
    assert token_posts(graph_rig, FABRIKAM) == ["401", "200"]


async def test_other_scopes_and_tenants_do_not_share_or_wait_for_a_flight(graph_rig: GraphRig) -> None:
    tokens = graph_rig.tokens()

    await asyncio.gather(
        tokens.token(FABRIKAM, GRAPH_SCOPE), tokens.token(FABRIKAM, PC_SCOPE), tokens.token(NORTHWIND, GRAPH_SCOPE)
    )

    assert token_posts(graph_rig, FABRIKAM) == ["200", "200"]
    assert token_posts(graph_rig, NORTHWIND) == ["200"]


async def test_a_tenant_slow_to_discover_does_not_hold_up_another(graph_rig: GraphRig) -> None:
    # MSAL reads the tenant's OpenID configuration when its application object is made: Fabrikam's is slow.
    slow = Fault(path=f"/login/{FABRIKAM}/v2.0/.well-known/openid-configuration", status=0, delay=1.0)
    graph_rig.state.inject(slow)
    tokens = graph_rig.tokens()

    fabrikam = asyncio.create_task(tokens.token(FABRIKAM, GRAPH_SCOPE))
    await until_taken(graph_rig, slow)
    await tokens.token(NORTHWIND, GRAPH_SCOPE)

    assert graph_rig.state.requests(slow.path) == [], "Northwind had its token before Fabrikam's discovery answered"
    assert await fabrikam


async def test_many_tenants_slow_to_discover_do_not_hold_up_another(graph_rig: GraphRig) -> None:
    # More slow tenants than asyncio's shared default thread pool has threads on a small machine (cores + 4).
    slow_tenants = [
        demo.DemoTenant(f"00000000-0000-4000-8000-{n:012d}", f"Slow {n}", f"slow{n}.example") for n in range(12)
    ]
    graph_rig.state.customers = (*graph_rig.state.customers, *slow_tenants)
    faults = [
        Fault(path=f"/login/{t.tenant_id}/v2.0/.well-known/openid-configuration", status=0, delay=1.0)
        for t in slow_tenants
    ]
    for fault in faults:
        graph_rig.state.inject(fault)
    tokens = graph_rig.tokens()

    slow = [asyncio.create_task(tokens.token(t.tenant_id, GRAPH_SCOPE)) for t in slow_tenants]
    for fault in faults:
        await until_taken(graph_rig, fault)
    await tokens.token(NORTHWIND, GRAPH_SCOPE)

    answered = [s for s in graph_rig.state.requests("/login/", method="GET") if s.path.endswith("openid-configuration")]
    assert [s.path for s in answered] == [f"/login/{NORTHWIND}/v2.0/.well-known/openid-configuration"]
    assert all(await asyncio.gather(*slow))


# --- a token still good is handed out without asking MSAL again -----------------------------------------------------


class Wall:
    """The provider's wall clock (seconds since the epoch), moved by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def count_msal_lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every acquire_token_for_client MSAL is asked for (its cache lookup runs on a token thread)."""
    asked: list[str] = []
    real = msal.ConfidentialClientApplication.acquire_token_for_client

    def spy(app: msal.ConfidentialClientApplication, *args: Any, **kwargs: Any) -> Any:
        asked.append(app.authority.token_endpoint.split("/")[-4])  # .../login/{tenant}/oauth2/v2.0/token
        return real(app, *args, **kwargs)

    monkeypatch.setattr(msal.ConfidentialClientApplication, "acquire_token_for_client", spy)
    return asked


async def test_a_token_far_from_expiry_is_handed_out_without_a_thread_or_msal(
    graph_rig: GraphRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each Graph request asks for its token: a thread hop per request for MSAL's cache lookup, two per tenant in a
    # sweep, where the answer is known for the next hour.
    asked = count_msal_lookups(monkeypatch)
    tokens = graph_rig.tokens()

    first = await tokens.token(FABRIKAM, GRAPH_SCOPE)
    again = [await tokens.token(FABRIKAM.upper(), GRAPH_SCOPE) for _ in range(10)]

    assert again == [first] * 10
    assert asked == [FABRIKAM]


async def test_within_msals_five_minutes_of_expiry_msal_decides_again(
    graph_rig: GraphRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = count_msal_lookups(monkeypatch)
    wall = Wall()
    login = f"{graph_rig.server.base_url}/login"
    tokens = TokenProvider(demo.APP_ID, demo.APP_SECRET, login, msal_session(graph_rig.bundle), False, clock=wall)
    await tokens.token(FABRIKAM, GRAPH_SCOPE)  # the emulator's tokens live 3,599 s

    wall.now += 3599 - 5 * 60 - 1
    await tokens.token(FABRIKAM, GRAPH_SCOPE)
    assert asked == [FABRIKAM]

    wall.now += 2  # less than five minutes left: MSAL renews tokens from there on (its cache calls them expired)
    await tokens.token(FABRIKAM, GRAPH_SCOPE)
    assert asked == [FABRIKAM, FABRIKAM]


async def test_a_short_lived_token_is_never_handed_out_by_the_provider_itself(
    graph_rig: GraphRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = count_msal_lookups(monkeypatch)
    graph_rig.state.token_lifetime = 200  # under MSAL's five minutes: every call is MSAL's to answer
    tokens = graph_rig.tokens()

    await tokens.token(FABRIKAM, GRAPH_SCOPE)
    await tokens.token(FABRIKAM, GRAPH_SCOPE)

    assert asked == [FABRIKAM, FABRIKAM]
    assert token_posts(graph_rig, FABRIKAM) == ["200", "200"]
