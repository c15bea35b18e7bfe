"""Endpoint defaults for each Microsoft cloud the desk can run in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CloudEndpoints:
    """Default endpoints of one cloud; every one can be overridden from the environment."""

    name: str
    login_url: str
    graph_url: str
    partner_center_url: str
    # Value of the SDK's CHANNEL_SERVICE setting; None selects the public Bot Framework cloud.
    channel_service: str | None
    # Hosts of the Teams connector (activity serviceUrl) in this cloud.
    connector_hosts: tuple[str, ...]
    partner_center_portal: str
    admin_center: str


PUBLIC = CloudEndpoints(
    name="public",
    login_url="https://login.microsoftonline.com",
    graph_url="https://graph.microsoft.com",
    partner_center_url="https://api.partnercenter.microsoft.com",
    channel_service=None,
    connector_hosts=(
        "smba.trafficmanager.net",
        "smba.infra.gcc.teams.microsoft.com",
    ),
    partner_center_portal="https://partner.microsoft.com/dashboard",
    admin_center="https://admin.microsoft.com",
)

USGOV = CloudEndpoints(
    name="usgov",
    login_url="https://login.microsoftonline.us",
    graph_url="https://graph.microsoft.us",
    # Partner Center for Microsoft Cloud for US Government uses the same REST endpoint as commercial.
    partner_center_url="https://api.partnercenter.microsoft.com",
    channel_service="https://botframework.azure.us",
    connector_hosts=(
        "smba.infra.gov.teams.microsoft.us",
        "smba.infra.dod.teams.microsoft.us",
    ),
    partner_center_portal="https://partner.microsoft.com/dashboard",
    admin_center="https://portal.office365.us",
)

CLOUDS = {cloud.name: cloud for cloud in (PUBLIC, USGOV)}


def admin_center_for(cloud: CloudEndpoints, tenant_id: str) -> str:
    """The customer's Microsoft 365 admin center, opened through the partner's delegated (GDAP) access."""
    return f"{cloud.admin_center}/Partner/BeginClientSession.aspx?CTID={tenant_id}&CSDEST=o365admincenter"


def partner_center_customer(cloud: CloudEndpoints, tenant_id: str) -> str:
    """The customer's page in Partner Center."""
    return f"{cloud.partner_center_portal}/v2/customers/{tenant_id}/account"
