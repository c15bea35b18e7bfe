"""The emulator enforces the credential kinds of emulator/contract.py: every row is called with an app-only token
(client credentials) and with an App+User token (the emulator's sign-in), and each kind is accepted or refused as
the row says, with Partner Center's or Graph's refusal. The token endpoint issues per grant the kind its row names,
and every Partner Center and Graph route of the emulator has a row."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator import contract, demo
from emulator.contract import APP, USER, Endpoint, Kind
from emulator.demo_directory import FABRIKAM_DESK_APP_ID
from emulator.server import EmulatorServer, create_emulator_app
from emulator.state import EmulatorState
from tests.emulator.contract_rig import GRAPH, PC, Tokens, claims
from tests.emulator.packages import app_package

FABRIKAM = demo.FABRIKAM.tenant_id
PARTNER = demo.PARTNER.tenant_id
SCOPES = (
    "ServiceHealth.Read.All",
    "ServiceMessage.Read.All",
    "AppCatalog.Submit",
    "TeamsAppInstallation.ReadWriteForUser",
    "User.Read.All",
    "GroupMember.Read.All",
)
NEW_SR = {"Title": "t", "Description": "d", "Severity": "minimal", "SupportTopicId": "32444681"}


@pytest.fixture
async def tokens(sr_server: EmulatorServer) -> AsyncIterator[Tokens]:
    async with httpx.AsyncClient(verify=str(sr_server.tls.ca_cert)) as http:
        yield Tokens(sr_server, http)


async def kinds_of_token(tokens: Tokens) -> dict[tuple[str, Kind], str]:
    """(api, kind) -> a token of that kind for that API: Partner Center in the partner tenant (a technician), Graph
    in a customer tenant (its admin signed in, as delegated access would be)."""
    return {
        ("partnercenter", APP): await tokens.app_only(PARTNER, PC),
        ("partnercenter", USER): await tokens.user(PARTNER, demo.PARTNER.users[0], f"{PC}/user_impersonation"),
        ("graph", APP): await tokens.app_only(FABRIKAM, GRAPH),
        # Both permissions of the service communications rows (/messages needs ServiceMessage.Read.All) and one
        # delegated permission of each onboarding row.
        ("graph", USER): await tokens.user(FABRIKAM, demo.FABRIKAM.users[0], " ".join(f"{GRAPH}/{p}" for p in SCOPES)),
    }


async def call(tokens: Tokens, row: Endpoint, token: str, sr_id: str, kind: Kind = USER) -> httpx.Response:
    """The row's request, its placeholders filled with things that exist (an install goes to a user per kind, so
    neither is refused as a second install)."""
    if row.path.startswith(("/v1.0/appCatalogs", "/v1.0/users", "/v1.0/groups")):
        return await onboarding_call(tokens, row, token, kind)
    path = row.path.format(tenant=FABRIKAM, locale="en-US", id=sr_id if row.api == "partnercenter" else "EX987654")
    url = f"{tokens.server.base_url}/{row.api}{path}"
    body: dict[str, Any] | None = None
    if row.method == "POST":
        body = NEW_SR
    elif row.method == "PATCH":
        body = {"NewNote": {"Text": "a note"}}
    return await tokens.http.request(row.method, url, json=body, headers={"Authorization": f"Bearer {token}"})


async def onboarding_call(tokens: Tokens, row: Endpoint, token: str, kind: Kind) -> httpx.Response:
    users = tokens.server.state.teams.users[FABRIKAM]
    user = users[1] if kind is APP else users[2]
    path = row.path.format(user=user.id, id=tokens.server.state.teams.groups[FABRIKAM][0].id)
    url = f"{tokens.server.base_url}/graph{path}"
    headers = {"Authorization": f"Bearer {token}"}
    if row.method == "GET":
        return await tokens.http.get(url, headers=headers)
    if "installedApps" in row.path:
        bind = f"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{FABRIKAM_DESK_APP_ID}"
        return await tokens.http.post(url, json={"teamsApp@odata.bind": bind}, headers=headers)
    package = app_package(f"00000000-0000-4000-8000-{kind.name.lower():0>12}")
    return await tokens.http.post(url, content=package, headers={**headers, "Content-Type": "application/zip"})


async def test_every_row_accepts_and_refuses_each_kind_as_documented(tokens: Tokens) -> None:
    by_kind = await kinds_of_token(tokens)
    filed = await call(
        tokens,
        contract.endpoint("partnercenter", "POST", "/v1/servicerequests/{locale}"),
        by_kind[("partnercenter", USER)],
        "",
    )
    sr_id = filed.json()["id"]

    outcomes = []
    for row in contract.ENDPOINTS:
        for kind in (APP, USER):
            answer = await call(tokens, row, by_kind[(row.api, kind)], sr_id, kind)
            outcomes.append((row.method, row.path, kind.value, answer.status_code < 300))
            if kind in row.kinds:
                assert answer.status_code < 300, (row, kind, answer.status_code, answer.text)
            elif row.api == "partnercenter":
                assert answer.status_code == 403, (row, kind)
                body = answer.json()
                assert set(body) == {"code", "description", "data", "source"}
                assert body["description"] == "This resource can't be accessed by application credentials."
            else:
                assert answer.status_code == 403 and answer.json()["error"]["code"] == "Forbidden", (row, kind)
    refused = [(method, path, kind) for method, path, kind, ok in outcomes if not ok]
    assert ("GET", "/v1/customers/{tenant}/managedservices", "app-only") in refused
    assert ("GET", "/v1/customers/{tenant}/subscriptions", "app-only") not in refused
    assert len(outcomes) == 2 * len(contract.ENDPOINTS)


async def test_each_grant_issues_the_kind_its_row_names(tokens: Tokens) -> None:
    app = await tokens.grant(PARTNER, {"grant_type": "client_credentials", "scope": f"{PC}/.default"})
    code = await tokens.signed_in(PARTNER, demo.PARTNER.users[0], f"{PC}/user_impersonation")
    refreshed = await tokens.grant(PARTNER, {"grant_type": "refresh_token", "refresh_token": code["refresh_token"]})
    device = await tokens.device_code(PARTNER, demo.PARTNER.users[1], f"{PC}/user_impersonation")
    issued = {
        "client_credentials": app,
        "authorization_code": code,
        "refresh_token": refreshed,
        contract.DEVICE_CODE: device,
    }

    assert set(issued) == set(contract.GRANTS)
    for grant, answer in issued.items():
        assert contract.kind_of(claims(answer["access_token"])) is contract.GRANTS[grant].issues, grant
    assert "refresh_token" not in app, "the client credentials grant never returns a refresh token"


def test_every_partner_center_and_graph_route_has_a_row(tmp_path: Path) -> None:
    app = create_emulator_app(EmulatorState())
    routed = set()
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        for api in ("partnercenter", "graph"):
            if path.startswith(f"/{api}/") and route.method != "HEAD":
                routed.add((api, route.method, path.removeprefix(f"/{api}")))
    assert routed == {(row.api, row.method, row.path) for row in contract.ENDPOINTS}


def test_every_row_cites_its_page() -> None:
    for row in contract.ENDPOINTS:
        assert row.doc.startswith("https://learn.microsoft.com/"), row
        assert row.kinds, row
    for grant in contract.GRANTS.values():
        assert grant.doc.startswith("https://learn.microsoft.com/en-us/entra/identity-platform/"), grant
