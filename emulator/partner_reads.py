"""Partner Center reads around an escalation: a customer's managed services (App+User only), subscriptions (app or
user tokens) and the partner's support profile (App+User only); emulator/contract.py says which is which."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from emulator import demo_support
from emulator.demo import DemoTenant
from emulator.partner_center import PREFIX, authorize, customer_or_refusal
from emulator.state import EmulatorState


def routes(state: EmulatorState) -> list[web.RouteDef]:
    """Routes for managed services, subscriptions and the support profile."""

    async def managed_services(request: web.Request) -> web.Response:
        customer = _customer(state, request)
        if isinstance(customer, web.Response):
            return customer
        items = [
            {
                "id": service_id,
                "name": name,
                "groupName": group,
                "links": {
                    "adminService": {"uri": uri, "method": "GET", "headers": []},
                    "serviceHealth": {"uri": _session(customer, "ServiceStatus"), "method": "GET", "headers": []},
                    "serviceTicket": {"uri": _session(customer, "Support"), "method": "GET", "headers": []},
                },
                "attributes": {"objectType": "ManagedService"},
            }
            for service_id, name, group, uri in demo_support.managed_services(customer)
        ]
        return _collection(items, f"/customers/{customer.tenant_id}/managedservices")

    async def subscriptions(request: web.Request) -> web.Response:
        customer = _customer(state, request)
        if isinstance(customer, web.Response):
            return customer
        items = demo_support.subscriptions(customer, datetime.now(UTC))
        return _collection(items, f"/customers/{customer.tenant_id}/subscriptions")

    async def support_profile(request: web.Request) -> web.Response:
        _, refused = authorize(state, request)
        if refused is not None:
            return refused
        return web.json_response(
            {
                **demo_support.SUPPORT_PROFILE,
                "profileType": "support_profile",
                "links": {"self": {"uri": "/v1/profiles/support", "method": "GET", "headers": []}},
                "attributes": {"objectType": "PartnerSupportProfile"},  # as the docs' example spells it,
            }
        )

    return [
        web.get(PREFIX + "/v1/customers/{tenant}/managedservices", managed_services),
        web.get(PREFIX + "/v1/customers/{tenant}/subscriptions", subscriptions),
        web.get(PREFIX + "/v1/profiles/support", support_profile),
    ]


def _customer(state: EmulatorState, request: web.Request) -> DemoTenant | web.Response:
    _, refused = authorize(state, request)
    return refused if refused is not None else customer_or_refusal(state, request.match_info["tenant"])


def _session(customer: DemoTenant, destination: str) -> str:
    """A delegated-admin session link into the customer's admin center, as the documented example's
    serviceHealth and serviceTicket links are."""
    return f"https://admin.microsoft.com/Partner/BeginClientSession.aspx?CTID={customer.tenant_id}&CSDEST={destination}"


def _collection(items: list[dict[str, Any]], uri: str) -> web.Response:
    return web.json_response(
        {
            "totalCount": len(items),
            "items": items,
            "links": {"self": {"uri": uri, "method": "GET", "headers": []}},
            "attributes": {"objectType": "Collection"},
        }
    )
