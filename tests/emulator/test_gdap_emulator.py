"""The emulator's GDAP route speaks Graph's wire format and rules: the sample response's fields, $top from 1 to 300,
a `@odata.nextLink` with a $skipToken that carries every other option, the two filters it knows (anything else is
Graph's 400), no token or a foreign audience is Graph's 401, an app without DelegatedAdminRelationship.Read.All is
Graph's 403 Authorization_RequestDenied, and both credential kinds are accepted (the page lists delegated and
application permissions)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from emulator import demo
from emulator.server import EmulatorServer
from tests.emulator.contract_rig import GRAPH, PC, Tokens

PARTNER = demo.PARTNER.tenant_id
PATH = "/graph/v1.0/tenantRelationships/delegatedAdminRelationships"
FIELDS = {
    "@odata.type",
    "@odata.etag",
    "id",
    "displayName",
    "duration",
    "customer",
    "accessDetails",
    "status",
    "autoExtendDuration",
    "createdDateTime",
    "lastModifiedDateTime",
    "activatedDateTime",
    "endDateTime",
}


@pytest.fixture
async def tokens(sr_server: EmulatorServer) -> AsyncIterator[Tokens]:
    async with httpx.AsyncClient(verify=str(sr_server.tls.ca_cert)) as http:
        yield Tokens(sr_server, http)


async def get(tokens: Tokens, token: str | None, **params: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await tokens.http.get(f"{tokens.server.base_url}{PATH}", params=params, headers=headers)


async def test_the_wire_format_is_the_sample_responses(tokens: Tokens) -> None:
    answer = await get(tokens, await tokens.app_only(PARTNER, GRAPH))

    assert answer.status_code == 200
    body = answer.json()
    assert body["@odata.context"].endswith("/v1.0/tenantRelationships/$metadata#delegatedAdminRelationships")
    first = body["value"][0]
    assert set(first) == FIELDS
    assert set(first["customer"]) == {"tenantId", "displayName"}
    assert set(first["accessDetails"]["unifiedRoles"][0]) == {"roleDefinitionId"}
    assert first["endDateTime"].endswith("Z")
    assert {item["autoExtendDuration"] for item in body["value"]} == {"PT0S", "P180D"}


async def test_pages_carry_a_skip_token_and_the_other_options(tokens: Tokens) -> None:
    token = await tokens.app_only(PARTNER, GRAPH)

    first = (await get(tokens, token, **{"$top": "3"})).json()
    link = first["@odata.nextLink"]
    second = (await tokens.http.get(link, headers={"Authorization": f"Bearer {token}"})).json()

    assert "$skipToken=" in link and "$top=3" in link
    assert len(first["value"]) == 3 and len(second["value"]) == 1 and "@odata.nextLink" not in second
    assert {i["id"] for i in first["value"]}.isdisjoint({i["id"] for i in second["value"]})


@pytest.mark.parametrize("top", ["0", "301", "x"])
async def test_top_outside_what_the_page_allows_is_a_400(tokens: Tokens, top: str) -> None:
    answer = await get(tokens, await tokens.app_only(PARTNER, GRAPH), **{"$top": top})

    assert answer.status_code == 400 and answer.json()["error"]["code"] == "BadRequest"


async def test_filters_on_status_and_customer(tokens: Tokens) -> None:
    token = await tokens.app_only(PARTNER, GRAPH)

    expired = (await get(tokens, token, **{"$filter": "status eq 'expired'"})).json()["value"]
    fabrikam = (await get(tokens, token, **{"$filter": f"customer/tenantId eq '{demo.FABRIKAM.tenant_id}'"})).json()
    unknown = await get(tokens, token, **{"$filter": "displayName eq 'x'"})

    assert [i["customer"]["displayName"] for i in expired] == ["Tailspin Toys"]
    assert [i["customer"]["displayName"] for i in fabrikam["value"]] == ["Fabrikam, Inc."]
    assert unknown.status_code == 400


async def test_no_token_and_a_foreign_audience_are_401(tokens: Tokens) -> None:
    none = await get(tokens, None)
    foreign = await get(tokens, await tokens.app_only(PARTNER, PC))

    assert none.status_code == 401 and none.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert foreign.status_code == 401


async def test_an_app_without_the_permission_gets_graphs_403(tokens: Tokens) -> None:
    tokens.server.state.gdap.permission_granted = False

    answer = await get(tokens, await tokens.app_only(PARTNER, GRAPH))

    assert answer.status_code == 403
    error = answer.json()["error"]
    assert error["code"] == "Authorization_RequestDenied"
    assert error["message"] == "Insufficient privileges to complete the operation."
    assert error["innerError"]["request-id"] == answer.headers["request-id"]


async def test_a_signed_in_partner_user_may_list_too(tokens: Tokens) -> None:
    user = await tokens.user(PARTNER, demo.PARTNER.users[0], f"{GRAPH}/DelegatedAdminRelationship.Read.All")

    answer = await get(tokens, user)

    assert answer.status_code == 200 and len(answer.json()["value"]) == 4


async def test_control_routes_change_a_relationship_and_the_permission(tokens: Tokens) -> None:
    control = f"{tokens.server.base_url}/_emulator/gdap"
    fabrikam = next(r for r in tokens.server.state.gdap.all() if r.customer.tenant_id == demo.FABRIKAM.tenant_id)

    changed = await tokens.http.post(
        f"{control}/relationships/{fabrikam.id}", json={"status": "expired", "endDateTime": "2026-11-20T10:00:00Z"}
    )
    refused = await tokens.http.post(f"{control}/relationships/{fabrikam.id}", json={"displayName": "x"})
    unknown = await tokens.http.post(f"{control}/relationships/nope", json={"status": "expired"})
    withdrawn = await tokens.http.post(f"{control}/permission", json={"granted": False})

    assert changed.status_code == 200 and changed.json()["status"] == "expired"
    assert changed.json()["endDateTime"] == "2026-11-20T10:00:00.000Z"
    assert (refused.status_code, unknown.status_code, withdrawn.status_code) == (400, 404, 200)
    assert (await get(tokens, await tokens.app_only(PARTNER, GRAPH))).status_code == 403
