"""The emulator tells the bot about personal installs as Teams does: after Graph's 201 for a per-user install it
POSTs one `conversationUpdate` (membersAdded holding the bot and the user, personal scope, the tenant in channelData,
the serviceUrl the bot answers through) to the bot's messaging endpoint; a refused second install (409) sends
nothing. A tenant can be given extra people (and a group of them) for roll-outs to hundreds."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from emulator import demo
from emulator.demo_directory import FABRIKAM_DESK_APP_ID
from emulator.install_events import InstallEvents
from tests.emulator.onboarding_rig import Onboarding

FABRIKAM = demo.FABRIKAM.tenant_id
BIND = {"teamsApp@odata.bind": f"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{FABRIKAM_DESK_APP_ID}"}


async def bot_endpoint() -> tuple[TestServer, list[dict[str, Any]]]:
    received: list[dict[str, Any]] = []

    async def messages(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    server = TestServer(app)
    await server.start_server()
    return server, received


async def test_an_install_sends_the_bot_one_personal_conversation_update(onboarding: Onboarding) -> None:
    server, received = await bot_endpoint()
    events = InstallEvents(str(server.make_url("/api/messages")), "https://smba.example/teams", "bot-id", "Desk")
    onboarding.state.install_events = events
    [person] = onboarding.state.teams.add_users(FABRIKAM, 1, demo.FABRIKAM.domain)  # nobody else's tests touch
    try:
        first = await onboarding.post(FABRIKAM, f"/v1.0/users/{person.id}/teamwork/installedApps", json=BIND)
        again = await onboarding.post(FABRIKAM, f"/v1.0/users/{person.id}/teamwork/installedApps", json=BIND)
        async with asyncio.timeout(10):
            while not events.sent:  # noqa: ASYNC110 - recorded on the emulator's own thread once the bot answered
                await asyncio.sleep(0.01)
    finally:
        await server.close()
        onboarding.state.install_events = None
    assert (first.status_code, again.status_code) == (201, 409)
    [event] = received
    assert event["type"] == "conversationUpdate" and event["serviceUrl"] == "https://smba.example/teams"
    assert event["conversation"]["conversationType"] == "personal"
    assert event["conversation"]["id"] == f"a:personal-{person.id}"
    assert event["channelData"] == {"tenant": {"id": FABRIKAM}}
    assert event["recipient"]["id"] == "28:bot-id"
    assert [m["id"] for m in event["membersAdded"]] == ["28:bot-id", f"29:{person.id}"]
    assert event["from"]["aadObjectId"] == person.id
    assert events.sent == [(FABRIKAM, person.id)]


async def test_extra_people_and_their_group_are_in_the_directory(onboarding: Onboarding) -> None:
    made = onboarding.state.teams.add_users(FABRIKAM, 150, demo.FABRIKAM.domain, group="Everyone 150")
    users = await onboarding.get(FABRIKAM, "/v1.0/users", {"$top": "999"})
    groups = await onboarding.get(FABRIKAM, "/v1.0/groups", {"$filter": "displayName eq 'Everyone 150'"})
    [group] = groups.json()["value"]
    members = await onboarding.get(FABRIKAM, f"/v1.0/groups/{group['id']}/transitiveMembers/microsoft.graph.user")
    listed = {item["id"] for item in users.json()["value"]}
    assert {user.id for user in made} <= listed and len(made) == 150
    assert len(members.json()["value"]) == 100 and "@odata.nextLink" in members.json(), "paged like Graph"
