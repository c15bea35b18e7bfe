"""The partner's GDAP relationships with its customers, read from Microsoft Graph in the PARTNER tenant.

`GET /v1.0/tenantRelationships/delegatedAdminRelationships`
(https://learn.microsoft.com/en-us/graph/api/tenantrelationship-list-delegatedadminrelationships?view=graph-rest-1.0):
permission DelegatedAdminRelationship.Read.All (least privileged), delegated (work or school account) OR
application, so the app's own token for the partner tenant will do; $select, $filter, $top (up to 300), $orderby,
$count and $skipToken; pages follow `@odata.nextLink`. Fields
(https://learn.microsoft.com/en-us/graph/api/resources/delegatedadminrelationship?view=graph-rest-1.0): id,
displayName, status, customer {tenantId, displayName}, accessDetails.unifiedRoles[].roleDefinitionId, duration,
createdDateTime, activatedDateTime, endDateTime, autoExtendDuration (`PT0S`/`P0D`: no extension, `P180D`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from msapi.api import json_body
from msapi.errors import ConsentMissing, GraphError, TokenError
from msapi.graph import GraphClient, _consent_code
from msapi.graph_models import parse_time

RELATIONSHIPS = "/v1.0/tenantRelationships/delegatedAdminRelationships"
GDAP_PERMISSION = "DelegatedAdminRelationship.Read.All"
PAGE_SIZE = 300  # the page's own ceiling for $top
MAX_PAGES = 20  # 6,000 relationships: a bound so a looping next link cannot spin forever
NO_EXTENSION = frozenset({"", "PT0S", "P0D"})


@dataclass(frozen=True)
class Relationship:
    """One delegatedAdminRelationship, as the desk uses it."""

    id: str
    display_name: str
    status: str  # activating, active, approvalPending, approved, created, expired, expiring, terminated, ...
    customer_tenant_id: str
    customer_name: str
    role_ids: tuple[str, ...]
    duration: str
    created: datetime | None
    activated: datetime | None
    end: datetime | None
    auto_extend_duration: str

    @property
    def auto_extends(self) -> bool:
        """Whether Microsoft extends it by itself when it reaches its end."""
        return self.auto_extend_duration.upper() not in NO_EXTENSION


def relationship(item: dict[str, Any]) -> Relationship:
    """A relationship from Graph's JSON (missing or null fields read as empty)."""
    customer = _object(item.get("customer"))
    roles = _object(item.get("accessDetails")).get("unifiedRoles")
    roles = roles if isinstance(roles, list) else []
    return Relationship(
        id=str(item.get("id") or ""),
        display_name=str(item.get("displayName") or ""),
        status=str(item.get("status") or ""),
        customer_tenant_id=str(customer.get("tenantId") or "").lower(),
        customer_name=str(customer.get("displayName") or ""),
        role_ids=tuple(
            str(role["roleDefinitionId"]).lower()
            for role in roles
            if isinstance(role, dict) and role.get("roleDefinitionId")
        ),
        duration=str(item.get("duration") or ""),
        created=parse_time(item.get("createdDateTime")),
        activated=parse_time(item.get("activatedDateTime")),
        end=parse_time(item.get("endDateTime")),
        auto_extend_duration=str(item.get("autoExtendDuration") or ""),
    )


class GdapClient(GraphClient):
    """GDAP relationship reads with the app's own token for the partner tenant. A 401/403 (or a token refused for
    want of consent) becomes ConsentMissing naming DelegatedAdminRelationship.Read.All."""

    def __init__(self, *args: Any, partner_tenant_id: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # no limiter: the service communications limits are not this API's
        self.partner_tenant_id = partner_tenant_id

    async def relationships(self, status: str | None = None) -> list[Relationship]:
        """Every relationship of the partner (only those in `status` when given), every page."""
        params = {"$top": str(PAGE_SIZE)}
        if status:
            params["$filter"] = f"status eq '{status}'"
        found: list[Relationship] = []
        url: str = RELATIONSHIPS
        query: dict[str, str] | None = params
        for _ in range(MAX_PAGES):
            body = await self._page(url, query)
            found += [relationship(item) for item in body["value"] if isinstance(item, dict)]
            next_link = body.get("@odata.nextLink")
            if not isinstance(next_link, str) or not next_link:
                return found
            self._check_same_origin(next_link)
            url, query = next_link, None  # the link carries every query option already
        raise GraphError(f"{RELATIONSHIPS} did not end after {MAX_PAGES} pages")

    async def _page(self, url: str, query: dict[str, str] | None) -> dict[str, Any]:
        response = await self.call("GET", url, self.partner_tenant_id, params=query)
        body = json_body(response)
        if not isinstance(body.get("value"), list):
            # Read as an empty page, a cut-off body would say the partner has no relationship with anyone.
            raise GraphError(
                f"{RELATIONSHIPS} answered with a body that is not a collection",
                request_id=response.headers.get("request-id", ""),
            )
        return body

    async def call(self, method: str, path: str, tenant_id: str, **kwargs: Any) -> httpx.Response:
        """The app-only call, its refusals named for the permission this API needs."""
        try:
            return await super(GraphClient, self).call(method, path, tenant_id, **kwargs)
        except TokenError as error:
            if not _consent_code(error):
                raise
            raise ConsentMissing(
                f"the partner's app cannot get a token for its own tenant ({error.code})",
                tenant_id=tenant_id,
                permission=GDAP_PERMISSION,
                code=error.code,
                request_id=error.request_id,
            ) from error
        except GraphError as error:
            if error.status not in (401, 403) or isinstance(error, ConsentMissing):
                raise
            raise ConsentMissing(
                f"the partner's app may not read GDAP relationships: grant it the {GDAP_PERMISSION} application "
                f"permission in the partner tenant (Graph said: {error.args[0]})",
                tenant_id=tenant_id,
                permission=GDAP_PERMISSION,
                status=error.status,
                code=error.code,
                request_id=error.request_id,
            ) from error


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
