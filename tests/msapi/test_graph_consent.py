"""Missing consent, wherever it shows (Graph's 401/403 or the token endpoint's AADSTS700016), reaches the
caller as ConsentMissing naming the tenant and the permission to grant; other token failures do not."""

from __future__ import annotations

import pytest

from emulator import demo
from emulator.state import Fault
from msapi.errors import ConsentMissing, GraphError, TokenError
from tests.msapi.graph_rig import ANNOUNCEMENTS, GraphRig

TAILSPIN = demo.TAILSPIN.tenant_id


async def test_graph_401_identity_not_found_is_consent_missing_naming_service_health(graph_rig: GraphRig) -> None:
    with pytest.raises(ConsentMissing) as caught:
        await graph_rig.client().health_overviews(TAILSPIN)

    error = caught.value
    assert (error.tenant_id, error.permission) == (TAILSPIN, "ServiceHealth.Read.All")
    assert (error.status, error.code) == (401, "Authorization_IdentityNotFound")
    assert error.request_id
    text = str(error)
    assert "ServiceHealth.Read.All" in text
    assert "consent" in text and TAILSPIN in text
    assert len(graph_rig.graph_calls()) == 1  # not retried


async def test_message_center_consent_names_service_message_permission(graph_rig: GraphRig) -> None:
    with pytest.raises(ConsentMissing) as caught:
        await graph_rig.client().messages(TAILSPIN)

    assert caught.value.permission == "ServiceMessage.Read.All"
    assert "ServiceMessage.Read.All" in str(caught.value)


async def test_issues_of_unconsented_tenant_are_consent_missing_too(graph_rig: GraphRig) -> None:
    with pytest.raises(ConsentMissing):
        await graph_rig.client().issues(TAILSPIN)
    with pytest.raises(ConsentMissing):
        await graph_rig.client().issue(TAILSPIN, "EX987654")


async def test_403_request_denied_is_consent_missing(graph_rig: GraphRig) -> None:
    body = {"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the "
                      "operation.", "innerError": {"request-id": "r-403"}}}  # fmt: skip
    graph_rig.state.inject(Fault(path=ANNOUNCEMENTS + "/issues", status=403, body=body))

    with pytest.raises(ConsentMissing) as caught:
        await graph_rig.client().issues(demo.FABRIKAM.tenant_id)

    assert (caught.value.status, caught.value.code, caught.value.request_id) == (
        403,
        "Authorization_RequestDenied",
        "r-403",
    )
    assert caught.value.tenant_id == demo.FABRIKAM.tenant_id


async def test_app_missing_from_the_directory_at_the_token_endpoint_is_consent_missing(graph_rig: GraphRig) -> None:
    stranger = demo.STRANGER.tenant_id

    with pytest.raises(ConsentMissing) as caught:
        await graph_rig.client().issues(stranger)

    error = caught.value
    assert error.tenant_id == stranger
    assert error.permission == "ServiceHealth.Read.All"
    assert "700016" in error.code
    assert isinstance(error.__cause__, TokenError)
    assert "ServiceHealth.Read.All" in str(error)
    assert graph_rig.graph_calls() == []  # it never reached Graph
    assert len(graph_rig.token_posts()) == 1


async def test_wrong_client_secret_stays_a_token_error(graph_rig: GraphRig) -> None:
    with pytest.raises(TokenError) as caught:
        await graph_rig.client(graph_rig.tokens(secret="not-the-secret")).issues(demo.FABRIKAM.tenant_id)

    assert not isinstance(caught.value, GraphError)
    assert caught.value.code == "invalid_client 7000215"


async def test_consent_missing_is_a_graph_error_with_plain_default_text() -> None:
    error = ConsentMissing(tenant_id="t-1", permission="ServiceHealth.Read.All", status=401)

    assert isinstance(error, GraphError)
    assert str(error).startswith(
        "Microsoft Graph: the partner's app is not allowed to read customer tenant t-1: grant the app consent in "
        "that tenant (CPV / application consent) with the ServiceHealth.Read.All application permission"
    )
