"""App-only tokens (TokenProvider) when Entra ID is unreachable, failing or answering oddly: always a TokenError
(a MicrosoftApiError), never a transport or MSAL exception, so callers catching MicrosoftApiError stay up."""

from __future__ import annotations

import socket

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
