"""The emulator's Teams app routes in a customer tenant: the org catalog filtered by distribution method or manifest
id (Fabrikam has the desk, Northwind does not), publishing refused to app-only tokens (Learn: application "Not
supported"), per-user installations with $expand/$filter, 201 on install and 409 on a second one, Graph's 403 when
the app lacks the permission, 401 where the app has no consent (Tailspin), and 429 with Retry-After past the Teams
pace per app per tenant."""

from __future__ import annotations

from emulator import demo
from emulator.demo_directory import DESK_MANIFEST_ID, FABRIKAM_DESK_APP_ID
from tests.emulator.onboarding_rig import Onboarding
from tests.emulator.packages import app_package
from tests.support.timing import Monotonic

FABRIKAM, NORTHWIND = demo.FABRIKAM.tenant_id, demo.NORTHWIND.tenant_id
CATALOG = "/v1.0/appCatalogs/teamsApps"
MEGAN, ADELE = demo.FABRIKAM.users[0].aad_id, demo.FABRIKAM.users[1].aad_id
BIND = {"teamsApp@odata.bind": f"https://graph.microsoft.com/v1.0{CATALOG}/{FABRIKAM_DESK_APP_ID}"}


def installed(user: str) -> str:
    return f"/v1.0/users/{user}/teamwork/installedApps"


async def test_org_catalog_has_the_desk_in_fabrikam_only(onboarding: Onboarding) -> None:
    org = {"$filter": "distributionMethod eq 'organization'"}
    fabrikam = (await onboarding.get(FABRIKAM, CATALOG, org)).json()["value"]
    by_manifest = await onboarding.get(FABRIKAM, CATALOG, {"$filter": f"externalId eq '{DESK_MANIFEST_ID}'"})
    northwind = await onboarding.get(NORTHWIND, CATALOG, {"$filter": f"externalId eq '{DESK_MANIFEST_ID}'"})

    assert fabrikam == [
        {
            "id": FABRIKAM_DESK_APP_ID,
            "externalId": DESK_MANIFEST_ID,
            "displayName": "Partner Desk",
            "distributionMethod": "organization",
        }
    ]
    assert by_manifest.json()["value"] == fabrikam
    assert northwind.status_code == 200 and northwind.json()["value"] == []


async def test_publishing_takes_no_app_only_token(onboarding: Onboarding) -> None:
    answer = await onboarding.post(
        NORTHWIND, CATALOG, content=app_package(DESK_MANIFEST_ID), headers={"Content-Type": "application/zip"}
    )

    assert answer.status_code == 403 and answer.json()["error"]["code"] == "Forbidden"
    assert onboarding.state.teams.catalogs.get(NORTHWIND, []) == []


async def test_install_lists_then_refuses_a_second_time_with_409(onboarding: Onboarding) -> None:
    onboarding.state.teams.preinstall(FABRIKAM, MEGAN, FABRIKAM_DESK_APP_ID)  # she added it herself
    megan = await onboarding.get(
        FABRIKAM, installed(MEGAN), {"$expand": "teamsApp", "$filter": f"teamsApp/externalId eq '{DESK_MANIFEST_ID}'"}
    )
    assert [item["teamsApp"]["id"] for item in megan.json()["value"]] == [FABRIKAM_DESK_APP_ID]
    assert (await onboarding.get(FABRIKAM, installed(ADELE))).json()["value"] == []

    first = await onboarding.post(FABRIKAM, installed(ADELE), json=BIND)
    again = await onboarding.post(FABRIKAM, installed(ADELE), json=BIND)
    listed = await onboarding.get(FABRIKAM, installed(demo.FABRIKAM.users[1].email), {"$expand": "teamsAppDefinition"})

    assert first.status_code == 201 and first.content == b""
    assert again.status_code == 409 and again.json()["error"]["code"] == "Conflict"
    assert [item["teamsAppDefinition"]["teamsAppId"] for item in listed.json()["value"]] == [FABRIKAM_DESK_APP_ID]
    assert onboarding.state.teams.installs == [(FABRIKAM, ADELE, FABRIKAM_DESK_APP_ID)]


async def test_an_app_not_in_the_catalog_is_404(onboarding: Onboarding) -> None:
    answer = await onboarding.post(NORTHWIND, installed(demo.NORTHWIND.users[0].aad_id), json=BIND)

    assert answer.status_code == 404 and onboarding.state.teams.installs == []


async def test_without_the_permission_graph_answers_403(onboarding: Onboarding) -> None:
    missing = {"TeamsAppInstallation.ReadWriteSelfForUser.All"}
    onboarding.state.graph_permissions_missing[FABRIKAM] = missing

    answer = await onboarding.post(FABRIKAM, installed(ADELE), json=BIND)

    assert answer.status_code == 403 and "TeamsAppInstallation" in answer.json()["error"]["message"]
    assert onboarding.state.teams.installs == []
    assert (await onboarding.get(FABRIKAM, CATALOG)).status_code == 200, "AppCatalog.Read.All is still granted"


async def test_without_consent_graph_answers_401(onboarding: Onboarding) -> None:
    answer = await onboarding.get(demo.TAILSPIN.tenant_id, CATALOG)

    assert answer.status_code == 401 and answer.json()["error"]["code"] == "Authorization_IdentityNotFound"


async def test_past_the_pace_graph_answers_429_with_retry_after(onboarding: Onboarding) -> None:
    clock = Monotonic()
    onboarding.state.teams.limits, onboarding.state.teams.monotonic = ((3, 10.0),), clock

    answers = [await onboarding.get(FABRIKAM, CATALOG) for _ in range(4)]
    northwind = await onboarding.get(NORTHWIND, CATALOG)
    clock.now += 10.5
    later = await onboarding.get(FABRIKAM, CATALOG)

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].headers["Retry-After"] == "10" and answers[3].json()["error"]["code"] == "TooManyRequests"
    assert northwind.status_code == 200, "the pace is per tenant"
    assert later.status_code == 200
