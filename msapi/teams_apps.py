"""Microsoft Graph's Teams app calls in a CUSTOMER tenant with the partner's app: the org app catalog (find the
desk's app by its manifest id; publish a package, delegated only) and the apps in a user's personal scope (is the
desk there; install it). Pages and permissions: docs/onboarding-graph.md and emulator/contract.py (ONBOARDING).

- GET /v1.0/appCatalogs/teamsApps?$filter=externalId eq '{manifest id}'
  (https://learn.microsoft.com/en-us/graph/api/appcatalogs-list-teamsapps?view=graph-rest-1.0): application
  AppCatalog.Read.All (or AppCatalog.ReadWrite.All).
- POST /v1.0/appCatalogs/teamsApps, Content-Type application/zip
  (https://learn.microsoft.com/en-us/graph/api/teamsapp-publish?view=graph-rest-1.0): delegated ONLY
  (AppCatalog.Submit, AppCatalog.ReadWrite.All); Application "Not supported." So `publish` takes a signed-in
  technician's token.
- GET/POST /v1.0/users/{id | userPrincipalName}/teamwork/installedApps
  (https://learn.microsoft.com/en-us/graph/api/userteamwork-list-installedapps?view=graph-rest-1.0,
  https://learn.microsoft.com/en-us/graph/api/userteamwork-post-installedapps?view=graph-rest-1.0): application
  TeamsAppInstallation.ReadWriteSelfForUser.All is the least privileged for both (it needs webApplicationInfo in the
  manifest naming the app); the install answers 201 with no body; an app already there answers 409 Conflict.
- Pace: the Teams limits are 30 requests per second per app per tenant for GET and for POST on installedApps and
  appCatalogs (https://learn.microsoft.com/en-us/graph/throttling-limits#microsoft-teams-service-limits):
  TEAMS_LIMITS, for the runtime's shared limiter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from msapi.api import json_body
from msapi.errors import GraphError
from msapi.graph import GraphClient, consent_named
from msapi.limits import Windows

CATALOG = "/v1.0/appCatalogs/teamsApps"
CATALOG_PERMISSION = "AppCatalog.Read.All"
PUBLISH_PERMISSION = "AppCatalog.Submit"  # delegated: the signed-in technician's
INSTALL_PERMISSION = "TeamsAppInstallation.ReadWriteSelfForUser.All"
TEAMS_LIMITS: Windows = ((30, 1.0),)
GRAPH_ROOT = "https://graph.microsoft.com/v1.0"


@dataclass(frozen=True)
class CatalogApp:
    """A teamsApp of the tenant's catalog: `id` is the catalog's, `external_id` the manifest's."""

    id: str
    external_id: str
    display_name: str
    distribution_method: str


@dataclass(frozen=True)
class Installation:
    """The desk's app in a user's personal scope."""

    id: str
    teams_app_id: str
    version: str


def catalog_app(item: dict[str, Any]) -> CatalogApp:
    """A teamsApp from Graph's JSON."""
    return CatalogApp(
        id=str(item.get("id") or ""),
        external_id=str(item.get("externalId") or ""),
        display_name=str(item.get("displayName") or ""),
        distribution_method=str(item.get("distributionMethod") or ""),
    )


class TeamsAppsClient(GraphClient):
    """Catalog and per-user installation calls; 401/403 (and tokens refused for want of consent) become
    ConsentMissing naming the permission the call needs."""

    async def find_in_catalog(self, tenant_id: str, manifest_id: str) -> CatalogApp | None:
        """The tenant's catalog entry for a manifest id (org catalog or store), or None when it is not there."""
        params = {"$filter": f"externalId eq '{_quoted(manifest_id)}'"}
        found = [catalog_app(item) async for item in self._items(tenant_id, CATALOG, params)]
        return next((app for app in found if app.distribution_method == "organization"), found[0] if found else None)

    async def org_catalog(self, tenant_id: str) -> list[CatalogApp]:
        """Every app of the tenant's org catalog."""
        params = {"$filter": "distributionMethod eq 'organization'"}
        return [catalog_app(item) async for item in self._items(tenant_id, CATALOG, params)]

    async def publish(self, tenant_id: str, package: bytes, user_token: str) -> CatalogApp:
        """Upload an app package to the tenant's org catalog with a signed-in user's token (delegated only)."""
        headers = {"Content-Type": "application/zip"}
        response = await self.call("POST", CATALOG, tenant_id, content=package, headers=headers, token=user_token)
        return catalog_app(json_body(response))

    async def installation(self, tenant_id: str, user: str, teams_app_id: str) -> Installation | None:
        """The app's installation in the user's personal scope (user id or UPN), or None."""
        params = {"$expand": "teamsAppDefinition", "$filter": f"teamsApp/id eq '{_quoted(teams_app_id)}'"}
        async for item in self._items(tenant_id, _installed(user), params):
            definition = item.get("teamsAppDefinition")
            definition = definition if isinstance(definition, dict) else {}
            return Installation(str(item.get("id") or ""), teams_app_id, str(definition.get("version") or ""))
        return None

    async def install(self, tenant_id: str, user: str, teams_app_id: str) -> bool:
        """Install the app for the user: True when installed now, False when it was there already (409)."""
        body = {"teamsApp@odata.bind": f"{GRAPH_ROOT}{CATALOG}/{quote(teams_app_id, safe='')}"}
        try:
            await self.call("POST", _installed(user), tenant_id, json=body)
        except GraphError as error:
            if error.status == 409:
                return False
            raise
        return True

    async def call(self, method: str, path: str, tenant_id: str, **kwargs: Any) -> httpx.Response:
        """The call, its refusals named for the permission it needs."""
        if method == "POST" and path == CATALOG:
            permission = PUBLISH_PERMISSION
        else:
            permission = CATALOG_PERMISSION if "/appCatalogs/" in path else INSTALL_PERMISSION
        sent = super(GraphClient, self).call(method, path, tenant_id, **kwargs)
        return await consent_named(sent, tenant_id, permission)


def _installed(user: str) -> str:
    return f"/v1.0/users/{quote(user, safe='@')}/teamwork/installedApps"


def _quoted(value: str) -> str:
    # OData string literals double their single quotes.
    return value.replace("'", "''")
