"""Microsoft Graph's service communications API (service health, issues, Message center) for a customer
tenant, read app-only with the partner's multi-tenant app, paced per tenant under Graph's limits."""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Awaitable, Mapping
from contextlib import aclosing
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from msapi.api import ApiClient, json_body
from msapi.errors import ConsentMissing, GraphError, MicrosoftApiError, TokenError
from msapi.graph_models import (
    HealthIssue,
    HealthPost,
    MessageCenterItem,
    ServiceHealth,
    health_issue,
    message_item,
    service_health,
)
from msapi.limits import RateLimit, Windows

__all__ = ["GraphClient", "HealthIssue", "HealthPost", "MessageCenterItem", "ServiceHealth"]

ANNOUNCEMENTS = "/v1.0/admin/serviceAnnouncement"
HEALTH_PERMISSION = "ServiceHealth.Read.All"
MESSAGES_PERMISSION = "ServiceMessage.Read.All"
# Message center posts read for one tenant at most (a tenant sees a few hundred at a time): the newest changed first.
MESSAGE_CENTER_LIMIT = 1000
MAX_PAGES = 50  # 5,000 items at Graph's default page size; a bound so a looping next link cannot spin forever
# AADSTS codes meaning "the app is not (or no longer) consented in this tenant", not "the app is misconfigured".
# Graph's service communications limits, per app per tenant, for any request under /admin/serviceAnnouncement/:
# 240 requests per 60 seconds and 800 per hour
# (https://learn.microsoft.com/graph/throttling-limits#service-communications-service-limits).
SERVICE_COMMUNICATIONS_LIMITS: Windows = ((240, 60.0), (800, 3600.0))
CONSENT_CODES = frozenset({"700016", "65001", "7000112", "500011", "650052"})
_CODE_NUMBER = re.compile(r"\b(\d+)\b")
_AADSTS = re.compile(r"AADSTS(\d+)")


class GraphClient(ApiClient):
    """Service communications calls for any customer tenant; 401/403 and consent-related token errors become
    ConsentMissing naming the permission the call needs."""

    error_type = GraphError

    def __init__(self, *args: Any, limiter: RateLimit | None = None, **kwargs: Any) -> None:
        """`limiter`: the app's pacing under SERVICE_COMMUNICATIONS_LIMITS, shared by every instance (the runtime
        gives the database's); without one, requests are not paced and only the throttle gate answers 429s."""
        super().__init__(*args, **kwargs)
        self.limiter = limiter

    async def health_overviews(self, tenant_id: str) -> list[ServiceHealth]:
        """Each service of the tenant and its current status."""
        return [service_health(item) async for item in self._items(tenant_id, f"{ANNOUNCEMENTS}/healthOverviews")]

    async def issues(self, tenant_id: str, open_only: bool = True) -> list[HealthIssue]:
        """The tenant's incidents and advisories (only unresolved ones when `open_only`), every page."""
        params = {"$filter": "isResolved eq false"} if open_only else None
        return [health_issue(item) async for item in self._items(tenant_id, f"{ANNOUNCEMENTS}/issues", params)]

    async def issue(self, tenant_id: str, issue_id: str) -> HealthIssue:
        """One incident or advisory by id (resolved ones too)."""
        path = f"{ANNOUNCEMENTS}/issues/{quote(issue_id, safe='')}"
        return health_issue(json_body(await self.call("GET", path, tenant_id)))

    async def messages(self, tenant_id: str, top: int = 50) -> list[MessageCenterItem]:
        """The tenant's `top` most recently changed Message center items."""
        top = max(1, top)
        params = {"$orderby": "lastModifiedDateTime desc", "$top": str(min(top, 1000))}
        found: list[MessageCenterItem] = []
        async with aclosing(self._items(tenant_id, f"{ANNOUNCEMENTS}/messages", params)) as items:
            async for item in items:
                found.append(message_item(item))
                if len(found) >= top:
                    break
        return found

    async def message_center(self, tenant_id: str, limit: int = MESSAGE_CENTER_LIMIT) -> list[MessageCenterItem]:
        """The tenant's Message center posts, newest change first, every page up to `limit` posts.

        GET /v1.0/admin/serviceAnnouncement/messages (https://learn.microsoft.com/graph/api/serviceannouncement-list-
        messages): ServiceMessage.Read.All, delegated (work or school) or application; "supports the OData query
        parameters"; pages of 100 by default (`Prefer: odata.maxpagesize` up to 1000), the next one in
        `@odata.nextLink`. No $top: Graph's page size stays its own and every page is followed (bounded by
        MAX_PAGES and `limit`); the desk filters by date itself rather than rely on $filter over date properties."""
        params = {"$orderby": "lastModifiedDateTime desc"}
        found: list[MessageCenterItem] = []
        async with aclosing(self._items(tenant_id, f"{ANNOUNCEMENTS}/messages", params)) as items:
            async for item in items:
                found.append(message_item(item))
                if len(found) >= limit:
                    break
        return found

    async def call(self, method: str, path: str, tenant_id: str, **kwargs: Any) -> httpx.Response:
        """ApiClient.call, with consent failures (at the token endpoint or at Graph) raised as ConsentMissing."""
        permission = MESSAGES_PERMISSION if "/serviceAnnouncement/messages" in path else HEALTH_PERMISSION
        return await consent_named(super().call(method, path, tenant_id, **kwargs), tenant_id, permission)

    async def before_request(self, tenant_id: str) -> None:
        """Every request, each page and each retry, waits for room in the tenant's windows."""
        if self.limiter is not None:
            await self.limiter.acquire(tenant_id)

    def error_from(self, response: httpx.Response) -> MicrosoftApiError:
        """GraphError from Graph's body `{"error": {"code", "message", "innerError": {"request-id"}}}`."""
        error = json_body(response).get("error")
        error = error if isinstance(error, dict) else {}
        inner = error.get("innerError") or error.get("innererror")
        inner = inner if isinstance(inner, dict) else {}
        request_id = str(inner.get("request-id") or "") or super().error_from(response).request_id
        message = str(error.get("message") or f"HTTP {response.status_code}")
        code = str(error.get("code") or "")
        return GraphError(message, status=response.status_code, code=code, request_id=request_id)

    async def _items(
        self, tenant_id: str, path: str, params: Mapping[str, str] | None = None
    ) -> AsyncGenerator[dict[str, Any], None]:
        """The objects of a collection, following `@odata.nextLink` (an absolute URL) page by page."""
        url, query = path, params
        for _ in range(MAX_PAGES):
            response = await self.call("GET", url, tenant_id, params=query)
            body = json_body(response)
            page = body.get("value")
            if not isinstance(page, list):
                # Every page of a collection carries its items in `value` (https://learn.microsoft.com/graph/paging,
                # https://learn.microsoft.com/graph/api/serviceannouncement-list-healthoverviews). Read as an empty
                # page, a cut-off or foreign body would report every service healthy and every incident over.
                request_id = response.headers.get("request-id", "")
                raise GraphError(f"{path} answered with a body that is not a collection", request_id=request_id)
            for item in page:
                if isinstance(item, dict):
                    yield item
            next_link = body.get("@odata.nextLink")
            if not isinstance(next_link, str) or not next_link:
                return
            self._check_same_origin(next_link)
            url, query = next_link, None  # the link carries every query option already
        raise GraphError(f"{path} did not end after {MAX_PAGES} pages")

    def _check_same_origin(self, link: str) -> None:
        # The bearer token goes with the next request: never to a host other than the one we were given.
        ours, theirs = urlsplit(self.base_url), urlsplit(link)
        if (theirs.scheme, theirs.netloc.lower()) != (ours.scheme, ours.netloc.lower()):
            raise GraphError(f"next page link points outside {ours.scheme}://{ours.netloc}")


async def consent_named(sent: Awaitable[httpx.Response], tenant_id: str, permission: str) -> httpx.Response:
    """Await a call; a 401/403 or a consent-related token refusal becomes ConsentMissing naming `permission`."""
    try:
        response: httpx.Response = await sent
    except TokenError as error:
        if not _consent_code(error):
            raise
        raise ConsentMissing(
            tenant_id=tenant_id, permission=permission, code=error.code, request_id=error.request_id
        ) from error
    except GraphError as error:
        if error.status not in (401, 403) or isinstance(error, ConsentMissing):
            raise
        raise ConsentMissing(
            tenant_id=tenant_id,
            permission=permission,
            status=error.status,
            code=error.code,
            request_id=error.request_id,
        ) from error
    return response


def _consent_code(error: TokenError) -> bool:
    found = set(_CODE_NUMBER.findall(error.code)) | set(_AADSTS.findall(str(error.args[0]) if error.args else ""))
    return bool(found & CONSENT_CODES)
