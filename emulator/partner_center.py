"""Partner Center (api.partnercenter.microsoft.com) routes, with its wire format: PascalCase-free JSON
collections with `totalCount`, `items`, `links.next` and the MS-ContinuationToken paging header."""

from __future__ import annotations

import base64
import math
import re
from typing import Any

from aiohttp import web

from emulator import contract, demo
from emulator.login import read_token
from emulator.state import EmulatorState

PREFIX = "/partnercenter"
RESOURCES = ("https://api.partnercenter.microsoft.com", "https://api.partnercenter.microsoft.us")


def routes(state: EmulatorState) -> list[web.RouteDef]:
    """Routes under /partnercenter."""

    async def customers(request: web.Request) -> web.Response:
        _, refused = authorize(state, request)
        if refused is not None:
            return refused
        size = _int(request.query.get("size"), 200, 1, 500)
        offset: int | None = 0
        if request.query.get("seekOperation", "").lower() == "next":
            offset = _decode(request.headers.get("MS-ContinuationToken", ""))
        if offset is None:
            return pc_error(400, 400, "Invalid continuation token.")
        page = state.customers[offset : offset + size]
        body: dict[str, Any] = {
            "totalCount": len(page),
            "items": [customer_resource(c) for c in page],
            "links": {"self": {"uri": f"/customers?size={size}", "method": "GET", "headers": []}},
            "attributes": {"objectType": "Collection"},
        }
        if offset + size < len(state.customers):
            body["links"]["next"] = {
                "uri": f"/customers?size={size}&seekOperation=Next",
                "method": "GET",
                "headers": [{"key": "MS-ContinuationToken", "value": _encode(offset + size)}],
            }
        return web.json_response(body)

    return [web.get(PREFIX + "/v1/customers", customers)]


# Customers the partner serves through an indirect reseller (tenant -> the reseller's partner id): Partner Center
# sets the Customer's `associatedPartnerId` ("the indirect reseller associated to this customer account",
# https://learn.microsoft.com/en-us/dotnet/api/microsoft.store.partnercenter.models.customers.customer.associatedpartnerid).
INDIRECT_RESELLERS = {demo.NORTHWIND.tenant_id: "5b2c1f0e-3d4a-4e8b-9c7d-6a5f4e3d2c1b"}


def customer_resource(tenant: demo.DemoTenant) -> dict[str, Any]:
    """A Customer resource as Partner Center returns it."""
    extra = (
        {"associatedPartnerId": INDIRECT_RESELLERS[tenant.tenant_id]} if tenant.tenant_id in INDIRECT_RESELLERS else {}
    )
    return extra | {
        "id": tenant.tenant_id,
        "commerceId": f"{tenant.tenant_id[:8]}-commerce",
        "companyProfile": {
            "tenantId": tenant.tenant_id,
            "domain": tenant.domain,
            "companyName": tenant.name,
            "attributes": {"objectType": "CustomerCompanyProfile"},
        },
        "relationshipToPartner": "reseller",
        "allowDelegatedAccess": True,
        "links": {"self": {"uri": f"/customers/{tenant.tenant_id}", "method": "GET", "headers": []}},
        "attributes": {"objectType": "Customer"},
    }


def pc_error(status: int, code: int, description: str) -> web.Response:
    """Partner Center's error body: code (a string), description, data, source
    (https://learn.microsoft.com/en-us/partner-center/developer/error-codes)."""
    return web.json_response(
        {"code": str(code), "description": description, "data": [], "source": "PartnerFD"}, status=status
    )


def pc_throttled(retry_after: str) -> web.Response:
    """Partner Center's throttling answer: 429 with Retry-After and the body its throttling guidance shows."""
    try:
        seconds = f"{math.ceil(float(retry_after))} seconds"
    except ValueError:  # an HTTP date
        seconds = "a while"
    body = {"statusCode": 429, "message": f"Rate limit is exceeded. Try again in {seconds}."}
    return web.json_response(body, status=429, headers={"Retry-After": retry_after})


def authorize(state: EmulatorState, request: web.Request) -> tuple[dict[str, Any], web.Response | None]:
    """The claims of the request's token and None when its credential kind is one the route's contract row lists
    (emulator/contract.py), or Partner Center's refusal: 401 without a Partner Center token, 403 for another
    tenant, 403 for an app-only token on an App+User-only route."""
    claims = read_token(state, request)
    if claims is None or claims.get("aud") not in RESOURCES:
        return {}, web.Response(status=401, text="")
    if claims.get("tid") != state.partner.tenant_id:
        # Partner Center documents no code for a token of another tenant: 600001 is the emulator's choice.
        return claims, pc_error(
            403, 600001, "The partner tenant id in the token does not match a Partner Center account."
        )
    route = request.match_info.route.resource
    row = contract.endpoint("partnercenter", request.method, (route.canonical if route else "").removeprefix(PREFIX))
    if contract.kind_of(claims) not in row.kinds:
        # The text is what Partner Center answers app-only tokens on App+User-only APIs (seen through its SDK and
        # PowerShell module); its maintainers call the status a 403. Microsoft documents no error code for it,
        # so the code (the HTTP status) is the emulator's choice.
        return claims, pc_error(403, 403, "This resource can't be accessed by application credentials.")
    return claims, None


def customer_or_refusal(state: EmulatorState, tenant_id: str) -> demo.DemoTenant | web.Response:
    """The partner's customer with this tenant id, or Partner Center's refusal for a tenant that is not one."""
    customer = state.customer(tenant_id)
    if customer is not None:
        return customer
    partner = state.partner.tenant_id
    return pc_error(
        403, 20002, f"The partner id {partner} has no commerce relationship with the customer id {tenant_id}."
    )


def _int(raw: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(raw))) if raw else default
    except ValueError:
        return default


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _decode(token: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    prefix, _, number = text.partition(":")
    return int(number) if prefix == "offset" and re.fullmatch(r"[0-9]{1,9}", number) else None
