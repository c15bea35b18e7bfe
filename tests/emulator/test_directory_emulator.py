"""The emulator's directory routes in a customer tenant: users found by mail or user principal name, groups by
name (eq, startswith), a group's users with nested groups flattened, Graph's paging ($top, `@odata.nextLink` with a
$skiptoken), 404 for an unknown group, 400 for a filter it cannot apply, and 403 without GroupMember.Read.All. Also
the conversationUpdate Teams sends the bot when it is installed in a personal scope."""

from __future__ import annotations

from emulator import demo
from emulator.bot_events import personal_install_activity
from emulator.demo_directory import DirectoryUser
from tests.emulator.onboarding_rig import Onboarding

FABRIKAM = demo.FABRIKAM.tenant_id


async def group_id(onboarding: Onboarding, name: str) -> str:
    answer = await onboarding.get(FABRIKAM, "/v1.0/groups", {"$filter": f"displayName eq '{name}'"})
    [group] = answer.json()["value"]
    return str(group["id"])


async def test_users_by_mail_or_principal_name(onboarding: Onboarding) -> None:
    clause = "mail eq 'adele@fabrikam.onmicrosoft.com' or userPrincipalName eq 'patti@fabrikam.onmicrosoft.com'"
    answer = await onboarding.get(FABRIKAM, "/v1.0/users", {"$filter": clause})

    users = answer.json()["value"]
    assert [u["displayName"] for u in users] == ["Adele Vance", "Patti Fernandez"]
    assert set(users[0]) == {"id", "displayName", "mail", "userPrincipalName", "accountEnabled"}


async def test_group_members_are_flattened_and_paged(onboarding: Onboarding) -> None:
    finance = await group_id(onboarding, "Fabrikam Finance")
    sales = await group_id(onboarding, "fabrikam sales")
    path = "/v1.0/groups/{}/transitiveMembers/microsoft.graph.user"

    first = (await onboarding.get(FABRIKAM, path.format(sales), {"$top": "3"})).json()
    rest = (await onboarding.get(FABRIKAM, first["@odata.nextLink"])).json()
    finance_users = (await onboarding.get(FABRIKAM, path.format(finance))).json()["value"]

    names = [u["displayName"] for u in first["value"] + rest["value"]]
    assert names == ["Joni Sherman", "Nestor Wilke", "Patti Fernandez", "Alex Wilber"], "Alex via Sales Leads"
    assert "$skiptoken" in first["@odata.nextLink"] and "@odata.nextLink" not in rest
    assert len(finance_users) == 5 and {u["@odata.type"] for u in finance_users} == {"#microsoft.graph.user"}


async def test_groups_by_prefix_unknown_group_and_bad_filter(onboarding: Onboarding) -> None:
    prefixed = await onboarding.get(FABRIKAM, "/v1.0/groups", {"$filter": "startswith(displayName,'Fabrikam Sales')"})
    unknown = await onboarding.get(FABRIKAM, "/v1.0/groups/nope/transitiveMembers/microsoft.graph.user")
    bad = await onboarding.get(FABRIKAM, "/v1.0/users", {"$filter": "jobTitle eq 'CFO'"})

    assert [g["displayName"] for g in prefixed.json()["value"]] == ["Fabrikam Sales", "Fabrikam Sales Leads"]
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "Request_ResourceNotFound"
    assert bad.status_code == 400


async def test_without_group_member_read_graph_answers_403(onboarding: Onboarding) -> None:
    onboarding.state.graph_permissions_missing[FABRIKAM] = {"GroupMember.Read.All"}

    answer = await onboarding.get(FABRIKAM, "/v1.0/groups")

    assert answer.status_code == 403 and answer.json()["error"]["code"] == "Authorization_RequestDenied"
    assert (await onboarding.get(FABRIKAM, "/v1.0/users")).status_code == 200


async def test_the_page_size_is_bounded(onboarding: Onboarding) -> None:
    onboarding.state.teams.users[FABRIKAM] = [
        DirectoryUser(f"u-{i:04d}", f"User {i}", f"u{i}@f.test", f"u{i}@f.test") for i in range(1200)
    ]

    first = (await onboarding.get(FABRIKAM, "/v1.0/users", {"$top": "999"})).json()
    too_big = await onboarding.get(FABRIKAM, "/v1.0/users", {"$top": "1000"})
    default = (await onboarding.get(FABRIKAM, "/v1.0/users")).json()

    assert len(first["value"]) == 999 and too_big.status_code == 400 and len(default["value"]) == 100


def test_the_personal_install_activity_names_the_bot_in_a_personal_scope() -> None:
    user = demo.FABRIKAM.users[1]
    activity = personal_install_activity(
        bot_id="bot-1",
        bot_name="Partner Desk",
        tenant_id=FABRIKAM,
        user_aad_id=user.aad_id,
        user_name=user.name,
        service_url="http://127.0.0.1:9/",
    )

    assert activity["type"] == "conversationUpdate" and activity["channelId"] == "msteams"
    assert activity["conversation"]["conversationType"] == "personal"
    assert activity["channelData"] == {"tenant": {"id": FABRIKAM}}
    assert activity["membersAdded"][0] == {"id": "28:bot-1"} and activity["recipient"]["id"] == "28:bot-1"
    assert activity["membersAdded"][1]["aadObjectId"] == user.aad_id
    assert "eventType" not in activity["channelData"], "eventType names team events, not a personal install"
