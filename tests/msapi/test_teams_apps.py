"""The Teams apps client against the emulator over real HTTPS: the desk's catalog entry is found by its manifest id
in Fabrikam and not in Northwind, an installation is read with $expand/$filter, an install answers True once and
False the second time (Graph's 409), publishing goes with a signed-in user's token only, a missing permission is
ConsentMissing naming TeamsAppInstallation.ReadWriteSelfForUser.All, and a 429 is waited out per its Retry-After."""

from __future__ import annotations

import pytest

from emulator import demo
from emulator.demo_directory import DESK_MANIFEST_ID, FABRIKAM_DESK_APP_ID
from emulator.state import Fault
from msapi.errors import ConsentMissing
from msapi.teams_apps import INSTALL_PERMISSION, PUBLISH_PERMISSION, TeamsAppsClient
from tests.emulator.contract_rig import Tokens
from tests.emulator.packages import app_package
from tests.msapi.graph_rig import GRAPH_SCOPE, GraphRig

FABRIKAM, NORTHWIND = demo.FABRIKAM.tenant_id, demo.NORTHWIND.tenant_id
MEGAN, ADELE = demo.FABRIKAM.users[0], demo.FABRIKAM.users[1]


def teams_client(rig: GraphRig) -> TeamsAppsClient:
    return TeamsAppsClient(rig.http, rig.tokens(), rig.base, GRAPH_SCOPE, sleep=rig.sleeps)


async def test_the_desk_is_found_in_fabrikams_catalog_only(graph_rig: GraphRig) -> None:
    client = teams_client(graph_rig)

    found = await client.find_in_catalog(FABRIKAM, DESK_MANIFEST_ID)

    assert found is not None and found.id == FABRIKAM_DESK_APP_ID and found.distribution_method == "organization"
    assert await client.find_in_catalog(NORTHWIND, DESK_MANIFEST_ID) is None
    assert [app.external_id for app in await client.org_catalog(FABRIKAM)] == [DESK_MANIFEST_ID]
    assert any("externalId+eq+" in url for url in graph_rig.urls), "found by $filter, not by reading the whole catalog"


async def test_installation_read_then_installed_once(graph_rig: GraphRig) -> None:
    client = teams_client(graph_rig)
    graph_rig.state.teams.preinstall(FABRIKAM, MEGAN.aad_id, FABRIKAM_DESK_APP_ID)  # she added it herself

    megan = await client.installation(FABRIKAM, MEGAN.aad_id, FABRIKAM_DESK_APP_ID)
    before = await client.installation(FABRIKAM, ADELE.email, FABRIKAM_DESK_APP_ID)
    first = await client.install(FABRIKAM, ADELE.aad_id, FABRIKAM_DESK_APP_ID)
    second = await client.install(FABRIKAM, ADELE.aad_id, FABRIKAM_DESK_APP_ID)
    after = await client.installation(FABRIKAM, ADELE.aad_id, FABRIKAM_DESK_APP_ID)

    assert megan is not None and megan.teams_app_id == FABRIKAM_DESK_APP_ID and megan.version == "1.0.0"
    assert before is None and first is True and second is False and after is not None
    assert graph_rig.state.teams.installs == [(FABRIKAM, ADELE.aad_id, FABRIKAM_DESK_APP_ID)]


async def test_missing_install_permission_is_consent_missing_naming_it(graph_rig: GraphRig) -> None:
    graph_rig.state.graph_permissions_missing[FABRIKAM] = {INSTALL_PERMISSION}

    with pytest.raises(ConsentMissing) as caught:
        await teams_client(graph_rig).install(FABRIKAM, ADELE.aad_id, FABRIKAM_DESK_APP_ID)

    assert caught.value.permission == INSTALL_PERMISSION and caught.value.status == 403
    assert graph_rig.state.teams.installs == []


async def test_a_429_is_waited_out_and_the_install_goes_through(graph_rig: GraphRig) -> None:
    path = f"/graph/v1.0/users/{ADELE.aad_id}/teamwork/installedApps"
    graph_rig.state.inject(Fault(path, status=429, retry_after="3", times=1))

    assert await teams_client(graph_rig).install(FABRIKAM, ADELE.aad_id, FABRIKAM_DESK_APP_ID) is True

    assert 3.0 in graph_rig.sleeps.waits
    assert graph_rig.state.teams.installs == [(FABRIKAM, ADELE.aad_id, FABRIKAM_DESK_APP_ID)]


async def test_publishing_needs_a_signed_in_users_token(graph_rig: GraphRig) -> None:
    client = teams_client(graph_rig)
    package = app_package(DESK_MANIFEST_ID)
    with pytest.raises(ConsentMissing) as refused:
        await client.publish(NORTHWIND, package, user_token=await graph_rig.tokens().token(NORTHWIND, GRAPH_SCOPE))
    user = demo.NORTHWIND.users[0]
    token = await Tokens(graph_rig.server, graph_rig.http).user(
        NORTHWIND, user, "https://graph.microsoft.com/AppCatalog.Submit"
    )

    published = await client.publish(NORTHWIND, package, user_token=token)

    assert refused.value.permission == PUBLISH_PERMISSION and refused.value.status == 403
    assert published.external_id == DESK_MANIFEST_ID and published.distribution_method == "organization"
    assert (await client.find_in_catalog(NORTHWIND, DESK_MANIFEST_ID)) == published
