"""Graph's Teams app routes in a customer tenant: the org app catalog (list, publish) and the apps installed in a
user's personal scope (list, install), in Graph's wire format, with each call's permissions from its contract row
and the Teams pace (emulator/teams_book.py). Pages: emulator/contract.py (ONBOARDING) and docs/onboarding-graph.md."""

from __future__ import annotations

import base64
import io
import json
import uuid
import zipfile
from typing import TYPE_CHECKING, Any

from aiohttp import web

from emulator.demo_directory import CatalogApp
from emulator.graph import PREFIX, Refused, _answers_refusals
from emulator.graph_access import authorize, collection, matches
from emulator.teams_book import AlreadyInstalled

if TYPE_CHECKING:
    from emulator.state import EmulatorState

CATALOG = "/v1.0/appCatalogs/teamsApps"
INSTALLED = "/v1.0/users/{user}/teamwork/installedApps"
_CATALOG_FILTERS = frozenset({"id", "externalid", "displayname", "distributionmethod"})
_INSTALLED_FILTERS = frozenset({"teamsapp/id", "teamsapp/externalid", "teamsappdefinition/teamsappid"})


def app_resource(app: CatalogApp) -> dict[str, Any]:
    """A teamsApp (https://learn.microsoft.com/en-us/graph/api/resources/teamsapp?view=graph-rest-1.0)."""
    return {
        "id": app.id,
        "externalId": app.external_id,
        "displayName": app.display_name,
        "distributionMethod": app.distribution_method,
    }


def installation_resource(installation_id: str, app: CatalogApp, expand: str) -> dict[str, Any]:
    """A userScopeTeamsAppInstallation with teamsApp / teamsAppDefinition when $expand names them (the example of
    https://learn.microsoft.com/en-us/graph/api/userteamwork-list-installedapps?view=graph-rest-1.0)."""
    body: dict[str, Any] = {"id": installation_id}
    wanted = {part.strip().lower() for part in expand.split(",")}
    if "teamsapp" in wanted:
        body["teamsApp"] = app_resource(app)
    if "teamsappdefinition" in wanted:
        definition = base64.b64encode(f"{app.id}##{app.version}".encode()).decode()
        body["teamsAppDefinition"] = {
            "id": definition,
            "teamsAppId": app.id,
            "displayName": app.display_name,
            "version": app.version,
        }
    return body


def routes(state: EmulatorState) -> list[web.RouteDef]:
    """The catalog and installedApps routes under /graph."""

    async def catalog(request: web.Request) -> web.Response:
        tenant, _ = authorize(state, request, paced=True)
        with state.teams.lock:
            apps = [app_resource(app) for app in state.teams.catalogs.get(tenant, [])]
        clause = request.query.get("$filter")
        items = [item for item in apps if matches(item, clause, _CATALOG_FILTERS)]
        return collection(request, items, "https://graph.microsoft.com/v1.0/$metadata#appCatalogs/teamsApps", 999)

    async def publish(request: web.Request) -> web.Response:
        tenant, _ = authorize(state, request, paced=True)
        if request.content_type != "application/zip":
            raise Refused(415, "UnsupportedMediaType", "Content-Type must be application/zip.")
        manifest = _manifest(await request.read())
        app = CatalogApp(str(uuid.uuid4()), manifest["id"], manifest["name"], version=manifest["version"])
        try:
            state.teams.publish(tenant, app)
        except AlreadyInstalled:
            # "Each app in the app catalog must have a unique manifest ID" (the publish page); the answer's code is
            # the emulator's choice.
            raise Refused(409, "Conflict", "An app with the same manifest id is already in the catalog.") from None
        return web.json_response(app_resource(app), status=200)

    async def installed(request: web.Request) -> web.Response:
        tenant, _ = authorize(state, request, paced=True)
        user = _user(state, tenant, request.match_info["user"])
        expand = request.query.get("$expand", "")
        clause = request.query.get("$filter")
        mine = state.teams.installations(tenant, user)
        # The filter reads teamsApp and teamsAppDefinition whether or not $expand asks for them.
        full = {iid: installation_resource(iid, app, "teamsApp,teamsAppDefinition") for iid, app in mine}
        items = [
            installation_resource(iid, app, expand)
            for iid, app in mine
            if matches(full[iid], clause, _INSTALLED_FILTERS)
        ]
        context = f"https://graph.microsoft.com/v1.0/$metadata#users('{user}')/teamwork/installedApps"
        return collection(request, items, context, 999)

    async def install(request: web.Request) -> web.Response:
        tenant, _ = authorize(state, request, paced=True)
        user = _user(state, tenant, request.match_info["user"])
        try:
            body = await request.json()
        except ValueError:
            body = None
        bind = body.get("teamsApp@odata.bind") if isinstance(body, dict) else None
        marker = "/appCatalogs/teamsApps/"
        if not isinstance(bind, str) or marker not in bind:
            raise Refused(400, "BadRequest", "teamsApp@odata.bind is required.")
        try:
            state.teams.install(tenant, user, bind.rsplit(marker, 1)[1].strip("/"))
        except KeyError:
            raise Refused(404, "NotFound", "The app was not found in the tenant's app catalog.") from None
        except AlreadyInstalled:
            # Learn names no answer for this; Graph answers 409 Conflict (docs/onboarding-graph.md).
            raise Refused(409, "Conflict", "App is already installed.") from None
        events, person = state.install_events, state.teams.user(tenant, user)
        if events is not None and person is not None:
            events.schedule(tenant, person)  # Teams then tells the bot (emulator/install_events.py)
        return web.Response(status=201)

    return [
        web.get(PREFIX + CATALOG, _answers_refusals(catalog)),
        web.post(PREFIX + CATALOG, _answers_refusals(publish)),
        web.get(PREFIX + INSTALLED, _answers_refusals(installed)),
        web.post(PREFIX + INSTALLED, _answers_refusals(install)),
    ]


def _user(state: EmulatorState, tenant: str, key: str) -> str:
    found = state.teams.user(tenant, key)
    if found is None:
        raise Refused(404, "NotFound", f"User '{key}' was not found.")
    return found.id


def _manifest(package: bytes) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            manifest = json.loads(archive.read("manifest.json"))
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise Refused(400, "BadRequest", "The app package is not a zip with a manifest.json.") from None
    if not isinstance(manifest, dict) or not all(isinstance(manifest.get(k), str) for k in ("id", "version")):
        raise Refused(400, "BadRequest", "The manifest has no id or version.")
    name = manifest.get("name")
    manifest["name"] = name.get("short", "") if isinstance(name, dict) else str(name or "")
    return manifest
