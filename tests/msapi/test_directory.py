"""The directory and consent clients against the emulator over real HTTPS: users found by address (each once),
a group found by name and its users with nested groups flattened across pages of 999, ConsentMissing naming
GroupMember.Read.All when it is withdrawn, and the app's granted permissions read from its token's `roles`."""

from __future__ import annotations

import pytest

from emulator import demo
from emulator.demo_directory import DirectoryGroup, DirectoryUser
from msapi.consent import granted_roles, missing
from msapi.directory import GROUPS_PERMISSION, DirectoryClient
from msapi.errors import ConsentMissing, TokenError
from tests.msapi.graph_rig import BIG, GRAPH_SCOPE, GraphRig

FABRIKAM = demo.FABRIKAM.tenant_id


def directory(rig: GraphRig) -> DirectoryClient:
    return DirectoryClient(rig.http, rig.tokens(), rig.base, GRAPH_SCOPE, sleep=rig.sleeps)


async def test_users_by_address_each_once(graph_rig: GraphRig) -> None:
    addresses = [f"{name}@fabrikam.onmicrosoft.com" for name in ("adele", "patti", "nobody", "adele")]
    addresses += [f"{name}@fabrikam.onmicrosoft.com" for name in ("megan", "grady", "lee", "joni", "nestor")]

    found = await directory(graph_rig).users_by_address(FABRIKAM, addresses)

    names = sorted(user.display_name for user in found)
    assert names == sorted(
        ["Adele Vance", "Patti Fernandez", "Megan Bowen", "Grady Archie", "Lee Gu", "Joni Sherman", "Nestor Wilke"]
    )
    assert len(graph_rig.state.requests("/graph/v1.0/users", method="GET")) == 2, "seven addresses a request"


async def test_a_group_and_its_nested_users_across_pages(graph_rig: GraphRig) -> None:
    people = [DirectoryUser(f"u-{i:04d}", f"User {i}", f"u{i}@litware.test", f"u{i}@litware.test") for i in range(1500)]
    graph_rig.state.teams.users[BIG.tenant_id] = people
    inner = DirectoryGroup("g-inner", "Night shift", tuple(p.id for p in people[1000:]))
    outer = DirectoryGroup("g-all", "Everyone", (*(p.id for p in people[:1000]), inner.id))
    graph_rig.state.teams.groups[BIG.tenant_id] = [outer, inner]
    client = directory(graph_rig)

    [group] = await client.groups_named(BIG.tenant_id, "everyone")
    users = await client.group_users(BIG.tenant_id, group.id)

    assert group.id == "g-all" and len(users) == 1500 and len({u.id for u in users}) == 1500
    calls = graph_rig.state.requests("/graph/v1.0/groups/g-all/transitiveMembers", method="GET")
    assert len(calls) == 2, "999 + 501"


async def test_missing_group_permission_is_consent_missing(graph_rig: GraphRig) -> None:
    graph_rig.state.graph_permissions_missing[FABRIKAM] = {GROUPS_PERMISSION}

    with pytest.raises(ConsentMissing) as caught:
        await directory(graph_rig).groups_named(FABRIKAM, "Fabrikam Finance")

    assert caught.value.permission == GROUPS_PERMISSION


async def test_granted_roles_come_from_the_token(graph_rig: GraphRig) -> None:
    graph_rig.state.graph_permissions_missing[demo.NORTHWIND.tenant_id] = {
        "TeamsAppInstallation.ReadWriteSelfForUser.All"
    }

    fabrikam = await granted_roles(graph_rig.tokens(), FABRIKAM)
    northwind = await granted_roles(graph_rig.tokens(), demo.NORTHWIND.tenant_id)

    assert missing(fabrikam) == []
    assert missing(northwind) == ["TeamsAppInstallation.ReadWriteSelfForUser.All"]
    with pytest.raises(TokenError):
        await granted_roles(graph_rig.tokens(), demo.STRANGER.tenant_id)
