"""Microsoft Graph's directory reads in a CUSTOMER tenant with the partner's app, to choose whom a roll-out reaches:
users by e-mail, groups by name, a group's users with nested groups flattened. Every page is followed through
`@odata.nextLink` (bounded). Pages and permissions: docs/onboarding-graph.md and emulator/contract.py.

- GET /v1.0/users?$filter=mail eq '…' or userPrincipalName eq '…'
  (https://learn.microsoft.com/en-us/graph/api/user-list?view=graph-rest-1.0): application User.Read.All.
- GET /v1.0/groups?$filter=displayName eq '…' (https://learn.microsoft.com/en-us/graph/api/group-list?view=graph-rest-1.0)
  and GET /v1.0/groups/{id}/transitiveMembers/microsoft.graph.user
  (https://learn.microsoft.com/en-us/graph/api/group-list-transitivemembers?view=graph-rest-1.0): application
  GroupMember.Read.All. Page size: default 100, at most 999 ($top)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from msapi.api import json_body
from msapi.graph import GraphClient, consent_named

USERS_PERMISSION = "User.Read.All"
GROUPS_PERMISSION = "GroupMember.Read.All"
PAGE_SIZE = 999
USER_FIELDS = "id,displayName,mail,userPrincipalName,accountEnabled"
MAX_ADDRESSES = 7  # 14 clauses in one $filter: few enough for Graph's limits on `or` clauses


@dataclass(frozen=True)
class DirectoryUser:
    """A person of the customer's directory."""

    id: str
    display_name: str
    mail: str
    user_principal_name: str
    account_enabled: bool


@dataclass(frozen=True)
class Group:
    """A group of the customer's directory."""

    id: str
    display_name: str


def directory_user(item: dict[str, Any]) -> DirectoryUser:
    """A user from Graph's JSON; `accountEnabled` missing reads as enabled."""
    return DirectoryUser(
        id=str(item.get("id") or ""),
        display_name=str(item.get("displayName") or ""),
        mail=str(item.get("mail") or ""),
        user_principal_name=str(item.get("userPrincipalName") or ""),
        account_enabled=item.get("accountEnabled") is not False,
    )


class DirectoryClient(GraphClient):
    """Users and groups of a customer tenant."""

    async def users_by_address(self, tenant_id: str, addresses: list[str]) -> list[DirectoryUser]:
        """The users whose mail or user principal name is one of `addresses` (each found once)."""
        found: dict[str, DirectoryUser] = {}
        for start in range(0, len(addresses), MAX_ADDRESSES):
            chunk = addresses[start : start + MAX_ADDRESSES]
            clause = " or ".join(f"mail eq '{_q(a)}' or userPrincipalName eq '{_q(a)}'" for a in chunk)
            params = {"$filter": clause, "$select": USER_FIELDS, "$top": str(PAGE_SIZE)}
            async for item in self._items(tenant_id, "/v1.0/users", params):
                user = directory_user(item)
                found.setdefault(user.id, user)
        return list(found.values())

    async def all_users(self, tenant_id: str) -> list[DirectoryUser]:
        """Every user of the tenant, every page (GET /v1.0/users, User.Read.All)."""
        params = {"$select": USER_FIELDS, "$top": str(PAGE_SIZE)}
        return [directory_user(item) async for item in self._items(tenant_id, "/v1.0/users", params)]

    async def groups_named(self, tenant_id: str, name: str) -> list[Group]:
        """Groups whose display name is `name` (Graph compares without case)."""
        params = {"$filter": f"displayName eq '{_q(name)}'", "$select": "id,displayName", "$top": str(PAGE_SIZE)}
        return [
            Group(str(item.get("id") or ""), str(item.get("displayName") or ""))
            async for item in self._items(tenant_id, "/v1.0/groups", params)
        ]

    async def group_users(self, tenant_id: str, group_id: str) -> list[DirectoryUser]:
        """Every user in the group, nested groups included, every page."""
        path = f"/v1.0/groups/{quote(group_id, safe='')}/transitiveMembers/microsoft.graph.user"
        params = {"$select": USER_FIELDS, "$top": str(PAGE_SIZE)}
        return [directory_user(item) async for item in self._items(tenant_id, path, params)]

    async def first_users(self, tenant_id: str, count: int) -> tuple[list[DirectoryUser], bool]:
        """The directory's first `count` users (one page, at most 999) and whether it holds more."""
        params = {"$select": USER_FIELDS, "$top": str(min(count, PAGE_SIZE))}
        body = json_body(await self.call("GET", "/v1.0/users", tenant_id, params=params))
        items = body.get("value")
        users = [directory_user(item) for item in items if isinstance(item, dict)] if isinstance(items, list) else []
        return users, bool(body.get("@odata.nextLink"))

    async def call(self, method: str, path: str, tenant_id: str, **kwargs: Any) -> httpx.Response:
        """The call, its refusals named for the permission it needs."""
        permission = USERS_PERMISSION if "/v1.0/users" in path else GROUPS_PERMISSION
        sent = super(GraphClient, self).call(method, path, tenant_id, **kwargs)
        return await consent_named(sent, tenant_id, permission)


def _q(value: str) -> str:
    return value.replace("'", "''")
