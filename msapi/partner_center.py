"""Partner Center REST API client (https://api.partnercenter.microsoft.com/v1)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from desk.customers import Customer
from msapi import service_requests as sr
from msapi.api import ApiClient, json_body
from msapi.errors import AppUserRequired, MicrosoftApiError, PartnerCenterError

PAGE_SIZE = 100
MAX_PAGES = 200  # 20,000 customers; a bound so a looping continuation token cannot spin forever
TOPICS_TTL = 24 * 3600.0
# What Partner Center says when an App+User-only API gets an app-only token (it has answered 401, 403 and 500).
APP_ONLY_REFUSALS = ("accessed by application credentials", "app+user", "application credentials are not supported")


class PartnerCenterClient(ApiClient):
    """Partner-level calls, authenticated as the partner's app in the partner tenant, or as a signed-in partner
    user (`user_token`) where Partner Center takes App+User tokens only."""

    error_type = PartnerCenterError

    def __init__(
        self, *args: Any, partner_tenant_id: str, monotonic: Callable[[], float] = time.monotonic, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.partner_tenant_id = partner_tenant_id
        self._monotonic = monotonic
        self._topics: tuple[float, list[sr.SupportTopic]] | None = None
        self._topics_lock = asyncio.Lock()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
        request_id: str | None = None,
    ) -> httpx.Response:
        """A Partner Center call with MS-RequestId (kept across retries) and MS-CorrelationId.

        Pass a stable `request_id` to make a write idempotent across repeated submits, not only across retries.
        """
        request_headers = {"MS-RequestId": request_id or str(uuid.uuid4()), "MS-CorrelationId": str(uuid.uuid4())}
        request_headers.update(headers or {})
        return await self.call(
            method, path, self.partner_tenant_id, params=params, json=json, headers=request_headers, token=token
        )

    async def customers(self) -> list[Customer]:
        """Every customer of the partner (all pages)."""
        items = await self._items("/v1/customers", size=PAGE_SIZE, what="customer list")
        return [_customer(item) for item in items]

    async def support_topics(self) -> list[sr.SupportTopic]:
        """The topics a service request can be filed under (app token; kept for 24 hours)."""
        async with self._topics_lock:
            if self._topics is not None and self._monotonic() - self._topics[0] < TOPICS_TTL:
                return list(self._topics[1])
            body = json_body(await self.request("GET", "/v1/servicerequests/supporttopics"))
            topics = [sr.support_topic(item) for item in body.get("items", []) if isinstance(item, dict)]
            self._topics = (self._monotonic(), topics)
            return list(topics)

    async def create_service_request(
        self,
        user_token: str,
        *,
        title: str,
        description: str,
        severity: str,
        support_topic_id: str,
        notes: list[str] | None = None,
        primary_contact: dict[str, Any] | None = None,
        country_code: str | None = None,
        agent_locale: str = "en-US",
        request_id: str,
    ) -> sr.ServiceRequest:
        """File a service request with Microsoft as the signed-in partner user.

        `severity` is critical, moderate or minimal; `primary_contact` a Partner Center contact such as
        {"FirstName", "LastName", "Email", "PhoneNumber"}. The same `request_id` files at most one request.
        """
        body: dict[str, Any] = {
            "Title": title,
            "Description": description,
            "Severity": severity.lower(),
            "SupportTopicId": str(support_topic_id),
            "Attributes": {"ObjectType": "ServiceRequest"},
        }
        if notes:
            body["Notes"] = [{"Text": text} for text in notes]
        if primary_contact:
            body["PrimaryContact"] = primary_contact
        if country_code:
            body["CountryCode"] = country_code
        path = f"/v1/servicerequests/{quote(agent_locale, safe='')}"
        headers = {"X-Locale": agent_locale}
        response = await self.request("POST", path, json=body, headers=headers, token=user_token, request_id=request_id)
        return sr.service_request(json_body(response))

    async def service_request(self, user_token: str, sr_id: str) -> sr.ServiceRequest:
        """One service request by id, with its notes (App+User)."""
        response = await self.request("GET", f"/v1/servicerequests/{quote(sr_id, safe='')}", token=user_token)
        return sr.service_request(json_body(response))

    async def customer_service_requests(self, user_token: str, tenant_id: str) -> list[sr.ServiceRequest]:
        """The service requests of one customer (App+User)."""
        path = f"/v1/customers/{quote(tenant_id, safe='')}/servicerequests"
        items = await self._items(path, token=user_token, what="service request list")
        return [sr.service_request(item) for item in items]

    async def add_note(self, user_token: str, sr_id: str, text: str, request_id: str) -> sr.ServiceRequest:
        """Append a note to a service request (App+User); the same `request_id` adds it at most once."""
        body = {"NewNote": {"Text": text}, "Attributes": {"ObjectType": "ServiceRequest"}}
        path = f"/v1/servicerequests/{quote(sr_id, safe='')}"
        response = await self.request("PATCH", path, json=body, token=user_token, request_id=request_id)
        return sr.service_request(json_body(response))

    async def managed_services(self, user_token: str, tenant_id: str) -> list[sr.ManagedService]:
        """The services of a customer the partner administers, with their admin portals (App+User only:
        https://learn.microsoft.com/en-us/partner-center/developer/get-the-managed-services-for-a-customer-by-id)."""
        path = f"/v1/customers/{quote(tenant_id, safe='')}/managedservices"
        items = await self._items(path, token=user_token, what="managed service list")
        return [sr.managed_service(item) for item in items]

    async def subscriptions(self, tenant_id: str) -> list[sr.Subscription]:
        """A customer's subscriptions (app-only or App+User:
        https://learn.microsoft.com/en-us/partner-center/developer/get-all-of-a-customer-s-subscriptions)."""
        path = f"/v1/customers/{quote(tenant_id, safe='')}/subscriptions"
        return [sr.subscription(item) for item in await self._items(path, what="subscription list")]

    async def support_profile(self, user_token: str) -> sr.SupportProfile:
        """The partner's support contact details (App+User)."""
        return sr.support_profile(json_body(await self.request("GET", "/v1/profiles/support", token=user_token)))

    async def _items(
        self, path: str, *, size: int | None = None, token: str | None = None, what: str = "list"
    ) -> list[dict[str, Any]]:
        """Every item of a collection, following MS-ContinuationToken pages."""
        items: list[dict[str, Any]] = []
        params: dict[str, str] | None = {"size": str(size)} if size else None
        headers: dict[str, str] = {}
        for _ in range(MAX_PAGES):
            response = await self.request("GET", path, params=params, headers=headers, token=token)
            body = json_body(response)
            page = body.get("items")
            if not isinstance(page, list):
                # A collection always carries `items`, as in
                # https://learn.microsoft.com/partner-center/developer/get-a-list-of-customers. Read as an empty
                # list, a cut-off or foreign body would make every customer a stranger until the next refresh.
                request_id = response.headers.get("MS-RequestId", "")
                raise PartnerCenterError(
                    f"the {what} answered with a body that is not a collection", request_id=request_id
                )
            items.extend(item for item in page if isinstance(item, dict))
            continuation = _continuation(body)
            if not continuation:
                return items
            params = {"size": str(size), "seekOperation": "Next"} if size else {"seekOperation": "Next"}
            headers = {"MS-ContinuationToken": continuation}
        raise PartnerCenterError(f"{what} did not end after {MAX_PAGES} pages")

    def error_from(self, response: httpx.Response) -> MicrosoftApiError:
        """A PartnerCenterError from the classic body (code, description, errorName, isRetryable) or an RFC 7807
        ProblemDetails body (title, detail, status, traceId); AppUserRequired when an app-only token was refused."""
        body = json_body(response)
        message = str(
            body.get("description") or body.get("detail") or body.get("message") or body.get("title") or ""
        ).strip()
        code = str(body.get("code") or body.get("errorName") or "")
        request_id = response.headers.get("MS-RequestId", "") or str(body.get("traceId") or "")
        refused_app = response.status_code in (401, 403, 500) and any(
            phrase in message.lower() for phrase in APP_ONLY_REFUSALS
        )
        if refused_app:
            message = (
                "this Partner Center API accepts only App+User tokens (a signed-in partner user), not the app's "
                f"own token; sign the user in and repeat the call ({message})"
            )
        error_class = AppUserRequired if refused_app else PartnerCenterError
        error = error_class(
            message or f"HTTP {response.status_code}", status=response.status_code, code=code, request_id=request_id
        )
        error.error_name = str(body.get("errorName") or "")
        retryable = body.get("isRetryable")
        error.retryable = retryable if isinstance(retryable, bool) else None
        return error


def _customer(item: Mapping[str, Any]) -> Customer:
    profile = item.get("companyProfile") or {}
    tenant = str(profile.get("tenantId") or item.get("id") or "").lower()
    domain = str(profile.get("domain") or "").lower()
    return Customer(
        tenant_id=tenant,
        name=str(profile.get("companyName") or domain or tenant),
        domains=(domain,),
        relationship=str(item.get("relationshipToPartner") or ""),
        indirect_reseller=str(item.get("associatedPartnerId") or ""),
    )


def _continuation(body: Mapping[str, Any]) -> str | None:
    next_link = (body.get("links") or {}).get("next") or {}
    for header in next_link.get("headers") or []:
        if str(header.get("key", "")).lower() == "ms-continuationtoken":
            return str(header.get("value"))
    return None
