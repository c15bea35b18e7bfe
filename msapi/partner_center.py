"""Partner Center REST API client (https://api.partnercenter.microsoft.com/v1)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import httpx

from desk.customers import Customer
from msapi.api import ApiClient, json_body
from msapi.errors import MicrosoftApiError, PartnerCenterError

PAGE_SIZE = 100
MAX_PAGES = 200  # 20,000 customers; a bound so a looping continuation token cannot spin forever


class PartnerCenterClient(ApiClient):
    """Partner-level calls, authenticated as the partner's app in the partner tenant."""

    error_type = PartnerCenterError

    def __init__(self, *args: Any, partner_tenant_id: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.partner_tenant_id = partner_tenant_id

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        """A Partner Center call with MS-RequestId (kept across retries) and MS-CorrelationId."""
        request_headers = {"MS-RequestId": str(uuid.uuid4()), "MS-CorrelationId": str(uuid.uuid4())}
        request_headers.update(headers or {})
        return await self.call(
            method, path, self.partner_tenant_id, params=params, json=json, headers=request_headers, token=token
        )

    async def customers(self) -> list[Customer]:
        """Every customer of the partner (all pages)."""
        customers: list[Customer] = []
        params: dict[str, str] | None = {"size": str(PAGE_SIZE)}
        headers: dict[str, str] = {}
        for _ in range(MAX_PAGES):
            body = json_body(await self.request("GET", "/v1/customers", params=params, headers=headers))
            customers.extend(_customer(item) for item in body.get("items", []) if isinstance(item, dict))
            token = _continuation(body)
            if not token:
                return customers
            params = {"size": str(PAGE_SIZE), "seekOperation": "Next"}
            headers = {"MS-ContinuationToken": token}
        raise PartnerCenterError(f"customer list did not end after {MAX_PAGES} pages")

    def error_from(self, response: httpx.Response) -> MicrosoftApiError:
        body = json_body(response)
        message = str(body.get("description") or body.get("message") or f"HTTP {response.status_code}")
        code = str(body.get("code") or body.get("errorName") or "")
        return PartnerCenterError(
            message, status=response.status_code, code=code, request_id=response.headers.get("MS-RequestId", "")
        )


def _customer(item: Mapping[str, Any]) -> Customer:
    profile = item.get("companyProfile") or {}
    tenant = str(profile.get("tenantId") or item.get("id") or "").lower()
    domain = str(profile.get("domain") or "").lower()
    return Customer(tenant_id=tenant, name=str(profile.get("companyName") or domain or tenant), domains=(domain,))


def _continuation(body: Mapping[str, Any]) -> str | None:
    next_link = (body.get("links") or {}).get("next") or {}
    for header in next_link.get("headers") or []:
        if str(header.get("key", "")).lower() == "ms-continuationtoken":
            return str(header.get("value"))
    return None
