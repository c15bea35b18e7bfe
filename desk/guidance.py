"""Per-service guidance: where to escalate a ticket to Microsoft by its product, and what to collect first. Pure
data (rendered by cards/guidance.py); each path cites the Microsoft page it follows.

- Microsoft 365: a Partner Center service request, which this desk files ("Escalate to Microsoft"),
  https://learn.microsoft.com/en-us/partner-center/developer/create-a-service-request.
- Azure: an Azure support request in the customer's own subscription. Creating one needs a technical support plan
  on that subscription and the Support Request Contributor role at subscription scope (the API's prerequisites,
  https://learn.microsoft.com/en-us/rest/api/support); the portal's "new support request" blade
  (https://portal.azure.com/#blade/Microsoft_Azure_Support/HelpAndSupportBlade/newsupportrequest, linked from
  Microsoft's own articles; portal.azure.us for US Government, and `#@<tenant>` opens it in the customer's
  directory). The request asks for the problem's start time, the affected resource, and consent to advanced
  diagnostics (https://learn.microsoft.com/en-us/rest/api/support/support-tickets/create).
- Dynamics 365: the Power Platform admin center's Help + support, "New support request"
  (https://admin.powerplatform.microsoft.com/support, as Dynamics 365 Field Service's "Submit a support request"
  says: https://learn.microsoft.com/en-us/dynamics365/field-service/field-service-get-help); details, the steps to
  reproduce, the error message and screenshots are what finance and operations apps' support form asks for
  (https://learn.microsoft.com/en-us/dynamics365/fin-ops-core/dev-itpro/lifecycle-services/cloud-powered-support-lcs).
"""

from __future__ import annotations

from dataclasses import dataclass

from desk.clouds import CloudEndpoints
from desk.tickets import Product

AZURE_PORTALS = {"public": "https://portal.azure.com", "usgov": "https://portal.azure.us"}
NEW_SUPPORT_REQUEST = "/blade/Microsoft_Azure_Support/HelpAndSupportBlade/newsupportrequest"
POWER_PLATFORM_SUPPORT = "https://admin.powerplatform.microsoft.com/support"

# What to collect before escalating, by path (locale keys guidance.collect.<item>).
COMMON = ("tenant", "users", "started", "errors", "steps", "screenshots", "tried")
COLLECT = {
    "partner_center": COMMON,
    "azure": ("subscription", "resource", "tenant", "started", "errors", "correlation", "steps", "diagnostics"),
    "dynamics": ("environment", "users", "started", "errors", "steps", "screenshots"),
}


@dataclass(frozen=True)
class Guidance:
    """Where a ticket's escalation goes and what to collect first. `path` names the locale keys
    (guidance.<path>.*); `link` opens that path for the customer, when one exists; `files_here` when this desk
    files it itself."""

    path: str
    link: str | None
    collect: tuple[str, ...]
    files_here: bool = False


def azure_support_link(cloud: CloudEndpoints, tenant_id: str) -> str:
    """The Azure portal's new support request blade, in the customer's directory (their subscription's tenant)."""
    portal = AZURE_PORTALS.get(cloud.name, AZURE_PORTALS["public"])
    return f"{portal}/#@{tenant_id}{NEW_SUPPORT_REQUEST}"


def guidance_for(product: Product, cloud: CloudEndpoints, tenant_id: str) -> Guidance | None:
    """The guidance for a ticket about `product` of the customer in `tenant_id`; None for other products."""
    if product is Product.M365:
        return Guidance("partner_center", None, COLLECT["partner_center"], files_here=True)
    if product is Product.AZURE:
        return Guidance("azure", azure_support_link(cloud, tenant_id), COLLECT["azure"])
    if product is Product.DYNAMICS:
        # Power Platform admin center for US Government clouds is not linked: its hosts are not on the pages we
        # could check, and a wrong link is worse than none (the checklist still shows).
        link = POWER_PLATFORM_SUPPORT if cloud.name == "public" else None
        return Guidance("dynamics", link, COLLECT["dynamics"])
    return None
