"""Demo support data of the emulator's Partner Center: support topics, each customer's subscriptions and managed
services, and the partner's support profile. Offer ids have the shape of new-commerce ids (product:sku) but are
demo values, as are the admin-portal links (the shapes of today's delegated-admin links)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from emulator import demo

# (id, name, description); ids are numbers on the wire, as in Partner Center's own example (32444667).
SUPPORT_TOPICS: tuple[tuple[int, str, str], ...] = (
    (32444671, "Billing", "Invoices, charges, credits and payment questions for CSP customers"),
    (32444672, "Subscription management", "Upgrades, cancellations, quantity changes and renewals of subscriptions"),
    (32444673, "Licensing and purchase", "Buying licenses, offer availability and purchase errors in Partner Center"),
    (32444681, "Exchange Online", "Mail flow, mailboxes, connectors and Exchange Online configuration"),
    (32444682, "Microsoft Teams", "Meetings, calling, chat, channels and Teams policies"),
    (32444683, "SharePoint Online", "Sites, OneDrive, sharing and SharePoint Online administration"),
    (32444684, "Microsoft Entra ID", "Sign-in, multifactor authentication, conditional access and directory sync"),
    (32444691, "Azure Virtual Machines", "Virtual machines that fail to start, connect or perform"),
    (32444692, "Azure Networking", "Virtual networks, VPN gateways, load balancers and DNS on Azure"),
    (32444695, "Dynamics 365 Sales", "Dynamics 365 Sales apps, data and configuration"),
    (32444699, "Other", "Anything not covered by another topic"),
)

SUPPORT_PROFILE = {
    "email": "support@contosocloud.com",
    "telephone": "+1 425 555 0142",
    "website": "https://support.contosocloud.com",
}


@dataclass(frozen=True)
class DemoSubscription:
    """A subscription a demo customer holds."""

    offer_id: str
    offer_name: str
    quantity: int
    unit_type: str = "Licenses"
    billing_cycle: str = "monthly"
    days_left: int = 200  # until the end of the commitment term
    auto_renew: bool = True


BUSINESS_PREMIUM = DemoSubscription("CFQ7TTC0LCHC:0002", "Microsoft 365 Business Premium", 25, days_left=214)
BUSINESS_STANDARD = DemoSubscription("CFQ7TTC0LDPB:0001", "Microsoft 365 Business Standard", 12, "Licenses", "annual")
BUSINESS_BASIC = DemoSubscription("CFQ7TTC0LH18:0001", "Microsoft 365 Business Basic", 8, days_left=31)
E3 = DemoSubscription("CFQ7TTC0LFLX:0001", "Microsoft 365 E3", 150, "Licenses", "annual", days_left=305)
EXCHANGE_P1 = DemoSubscription("CFQ7TTC0LH16:0001", "Exchange Online (Plan 1)", 5, days_left=120, auto_renew=False)
AZURE_PLAN = DemoSubscription("DZH318Z0BPS6:0001", "Azure plan", 1, "Usage-based", "monthly", days_left=0)
DYNAMICS_SALES = DemoSubscription("CFQ7TTC0LH4X:0001", "Dynamics 365 Sales Enterprise", 20, "Licenses", "annual")

SUBSCRIPTIONS: dict[str, tuple[DemoSubscription, ...]] = {
    demo.FABRIKAM.tenant_id: (BUSINESS_PREMIUM, EXCHANGE_P1, AZURE_PLAN),
    demo.NORTHWIND.tenant_id: (BUSINESS_STANDARD, DemoSubscription(EXCHANGE_P1.offer_id, EXCHANGE_P1.offer_name, 3)),
    demo.ADVENTURE_WORKS.tenant_id: (E3, DYNAMICS_SALES, AZURE_PLAN),
    demo.TAILSPIN.tenant_id: (BUSINESS_BASIC,),
}
SUITES = ("Microsoft 365",)


def subscriptions(tenant: demo.DemoTenant, today: datetime) -> list[dict[str, object]]:
    """A customer's Subscription resources (none for a customer without demo subscriptions)."""
    items: list[dict[str, object]] = []
    for index, held in enumerate(SUBSCRIPTIONS.get(tenant.tenant_id, ())):
        subscription_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant.tenant_id}/{held.offer_id}/{index}"))
        end = (today + timedelta(days=held.days_left)).date() if held.days_left else None
        started = f"{(today - timedelta(days=200 + index)):%Y-%m-%d}"
        # Every field of the documented Subscription example (get-all-of-a-customer-s-subscriptions), plus the
        # offer and billing fields of the Subscription resource.
        items.append(
            {
                "id": subscription_id,
                "entitlementId": str(uuid.uuid5(uuid.NAMESPACE_URL, subscription_id)),
                "offerId": held.offer_id,
                "offerName": held.offer_name,
                "friendlyName": held.offer_name,
                "quantity": held.quantity,
                "unitType": held.unit_type,
                "status": "active",
                "billingCycle": held.billing_cycle,
                "termDuration": "P1M" if held.unit_type == "Usage-based" else "P1Y",
                "creationDate": f"{started}T09:30:00Z",
                "effectiveStartDate": f"{started}T00:00:00Z",
                "commitmentEndDate": f"{end:%Y-%m-%d}T00:00:00Z" if end else "9999-12-14T00:00:00Z",
                "autoRenewEnabled": held.auto_renew,
                "billingType": "usage" if held.unit_type == "Usage-based" else "license",
                "contractType": "subscription",
                "links": {
                    "offer": {"uri": f"/v1/offers/{held.offer_id}", "method": "GET", "headers": []},
                    "self": {
                        "uri": f"/customers/{tenant.tenant_id}/subscriptions/{subscription_id}",
                        "method": "GET",
                        "headers": [],
                    },
                },
                "orderId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"order/{subscription_id}")),
                "attributes": {"etag": subscription_id[:8], "objectType": "Subscription"},
            }
        )
    return items


def managed_services(tenant: demo.DemoTenant) -> list[tuple[str, str, str, str]]:
    """(id, name, group name, admin portal URL) of the services the partner administers for a customer: every
    tenant has the Microsoft 365 admin center and Entra ID; the rest follow its subscriptions."""
    offers = [held.offer_name for held in SUBSCRIPTIONS.get(tenant.tenant_id, ())]
    suite = any(name.startswith(SUITES) for name in offers)
    prefix = tenant.domain.split(".", 1)[0]
    services = [
        (
            "MicrosoftOffice",
            "Microsoft 365 admin center",
            "Office",
            f"https://admin.microsoft.com/Partner/BeginClientSession.aspx?CTID={tenant.tenant_id}&CSDEST=o365admincenter",
        )
    ]
    if suite or any("Exchange" in name for name in offers):
        services.append(
            (
                "Exchange",
                "Exchange admin center",
                "Office",
                f"https://admin.exchange.microsoft.com/?landingpage=homepage&delegatedOrg={tenant.domain}",
            )
        )
    if suite:
        services.append(
            (
                "Teams",
                "Teams admin center",
                "Office",
                f"https://admin.teams.microsoft.com/?delegatedOrg={tenant.domain}",
            )
        )
        services.append(("SharePoint", "SharePoint admin center", "Office", f"https://{prefix}-admin.sharepoint.com/"))
    services.append(
        (
            "AzureActiveDirectory",
            "Microsoft Entra admin center",
            "Azure",
            f"https://entra.microsoft.com/{tenant.domain}",
        )
    )
    if "Azure plan" in offers:
        services.append(("Azure", "Azure portal", "Azure", f"https://portal.azure.com/{tenant.domain}"))
    if any(name.startswith("Dynamics 365") for name in offers):
        services.append(
            ("Dynamics", "Power Platform admin center", "Dynamics", "https://admin.powerplatform.microsoft.com/")
        )
    return services
