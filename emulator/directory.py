"""Graph's directory routes in a customer tenant for choosing whom to roll out to: users by mail or user principal
name, groups by name, and a group's users with nested groups flattened (transitiveMembers cast to users), with
Graph's paging ($top up to 999, `@odata.nextLink` with a $skiptoken) and each call's permissions from its contract
row. Pages: emulator/contract.py (ONBOARDING) and docs/onboarding-graph.md."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from emulator.graph import PREFIX, Refused, _answers_refusals
from emulator.graph_access import authorize, collection, matches
from emulator.teams_book import user_resource

if TYPE_CHECKING:
    from emulator.state import EmulatorState

MAX_PAGE = 999  # "default and maximum page sizes are 100 and 999" (user-list, group-list)
_USER_FILTERS = frozenset({"mail", "userprincipalname", "displayname", "id"})
_GROUP_FILTERS = frozenset({"displayname", "id", "mail"})
_CONTEXT = "https://graph.microsoft.com/v1.0/$metadata#"


def group_resource(group_id: str, name: str) -> dict[str, Any]:
    """A group with the fields the desk reads."""
    return {"id": group_id, "displayName": name, "mailEnabled": False, "securityEnabled": True}


def routes(state: EmulatorState) -> list[web.RouteDef]:
    """/users, /groups and /groups/{id}/transitiveMembers/microsoft.graph.user under /graph."""

    async def users(request: web.Request) -> web.Response:
        tenant, _ = authorize(state, request)
        with state.teams.lock:
            everyone = [user_resource(user) for user in state.teams.users.get(tenant, [])]
        clause = request.query.get("$filter")
        items = [item for item in everyone if matches(item, clause, _USER_FILTERS)]
        return collection(request, items, _CONTEXT + "users", MAX_PAGE)

    async def groups(request: web.Request) -> web.Response:
        tenant, _ = authorize(state, request)
        with state.teams.lock:
            every = [group_resource(g.id, g.display_name) for g in state.teams.groups.get(tenant, [])]
        clause = request.query.get("$filter")
        items = [item for item in every if matches(item, clause, _GROUP_FILTERS)]
        return collection(request, items, _CONTEXT + "groups", MAX_PAGE)

    async def members(request: web.Request) -> web.Response:
        tenant, _ = authorize(state, request)
        group_id = request.match_info["id"]
        found = state.teams.transitive_users(tenant, group_id)
        if found is None:
            message = f"Resource '{group_id}' does not exist or one of its queried reference-property objects "
            message += "are not present."
            raise Refused(404, "Request_ResourceNotFound", message)
        items = [{"@odata.type": "#microsoft.graph.user", **user_resource(user)} for user in found]
        return collection(request, items, _CONTEXT + "users", MAX_PAGE)

    return [
        web.get(PREFIX + "/v1.0/users", _answers_refusals(users)),
        web.get(PREFIX + "/v1.0/groups", _answers_refusals(groups)),
        web.get(PREFIX + "/v1.0/groups/{id}/transitiveMembers/microsoft.graph.user", _answers_refusals(members)),
    ]


__all__ = ["Refused", "routes"]
