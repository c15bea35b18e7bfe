"""The readiness checklist's Teams lines: the desk's app in the customer's org app catalog, how many of the
customer's people have it, how many have talked to the bot.

Counting installs has no Graph call of its own ("who has app X" is not a query Graph offers): the check reads the
directory's first SAMPLE users (one page of GET /users) and asks for the desk's installation in each one's personal
scope (GET /users/{id}/teamwork/installedApps?$filter=teamsApp/id eq '…',
https://learn.microsoft.com/en-us/graph/api/userteamwork-list-installedapps?view=graph-rest-1.0). SAMPLE calls stay
far inside Graph's 30 requests per second per app per tenant; a tenant with more people gets "at least N"."""

from __future__ import annotations

import asyncio
import logging

from desk.readiness import Line, Status
from msapi.directory import DirectoryClient
from msapi.errors import ConsentMissing, MicrosoftApiError
from msapi.teams_apps import CatalogApp, TeamsAppsClient

logger = logging.getLogger(__name__)
SAMPLE = 50  # people whose installation is asked for, at most, per check
AT_ONCE = 5  # of those calls in flight together: the answer comes sooner, and a 429 is waited out by the client


async def catalog_line(teams: TeamsAppsClient, tenant_id: str, manifest_id: str) -> tuple[Line, CatalogApp | None]:
    """The desk's app in the tenant's catalog, by its manifest id (the catalog's externalId). A 403 means "cannot
    tell", not "absent": Learn documents the list as user-context only (docs/onboarding-graph.md)."""
    try:
        app = await teams.find_in_catalog(tenant_id, manifest_id)
    except ConsentMissing as error:
        logger.info("readiness: catalog of %s not readable: %s", tenant_id, error)
        return Line("teams", Status.UNKNOWN, "readiness.teams.catalog_unknown", {"permission": error.permission},
                    "readiness.teams.catalog_unknown_fix"), None  # fmt: skip
    except MicrosoftApiError as error:
        logger.warning("readiness: catalog of %s could not be read: %s", tenant_id, error)
        return Line("teams", Status.UNKNOWN, "readiness.teams.unreachable"), None
    if app is None:
        return Line("teams", Status.FAILED, "readiness.teams.catalog_missing", {"manifest": manifest_id},
                    "readiness.teams.catalog_missing_fix"), None  # fmt: skip
    return Line("teams", Status.OK, "readiness.teams.catalog_ok", {"name": app.display_name or manifest_id}), app


async def installed_line(
    teams: TeamsAppsClient, directory: DirectoryClient, tenant_id: str, app: CatalogApp | None, customer: str
) -> Line:
    """How many of the first SAMPLE people have the desk in their personal scope."""
    if app is None:
        return Line("teams", Status.UNKNOWN, "readiness.teams.installed_no_catalog")
    gate = asyncio.Semaphore(AT_ONCE)

    async def has_it(user_id: str) -> bool:
        async with gate:
            return await teams.installation(tenant_id, user_id, app.id) is not None

    try:
        users, more = await directory.first_users(tenant_id, SAMPLE)
        found = sum(await asyncio.gather(*(has_it(user.id) for user in users if user.account_enabled)))
    except ConsentMissing as error:
        return Line("teams", Status.UNKNOWN, "readiness.teams.installed_refused", {"permission": error.permission},
                    "readiness.teams.installed_refused_fix")  # fmt: skip
    except MicrosoftApiError as error:
        logger.warning("readiness: installations in %s could not be counted: %s", tenant_id, error)
        return Line("teams", Status.UNKNOWN, "readiness.teams.unreachable")
    key = "readiness.teams.installed_at_least" if more else "readiness.teams.installed"
    params: dict[str, str | int] = {"count": found, "checked": len(users), "customer": customer}
    if found == 0:
        return Line("teams", Status.WARNING, key, params, "readiness.teams.installed_fix")
    return Line("teams", Status.OK, key, params)


def talked_line(people: int, customer: str) -> Line:
    """How many of the customer's people have a personal chat with the bot (the desk's own conversations)."""
    if people == 0:
        return Line("teams", Status.WARNING, "readiness.teams.talked", {"count": 0, "customer": customer},
                    "readiness.teams.talked_fix")  # fmt: skip
    return Line("teams", Status.OK, "readiness.teams.talked", {"count": people})
