"""The readiness checklist's Partner Center, GDAP and consent lines, each checked live (docs/onboarding.md).

Which GDAP roles cover what the desk does, from the Entra built-in roles reference
(https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/permissions-reference): service health
(microsoft.office365.serviceHealth/allEntities/allTasks, or read-only through Global Reader); service requests
(desk/gdap.py SUPPORT_ROLES); the roll-out's Teams app management (Teams Administrator, or Global Administrator)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from desk.customers import Customer
from desk.gdap import SUPPORT_ROLES, AccessState, customer_access, is_active, role_name
from desk.readiness import Line, Status
from msapi.consent import NEEDED, granted_roles, missing
from msapi.errors import ConsentMissing, MicrosoftApiError, TokenError
from msapi.gdap import Relationship
from msapi.graph import GraphClient
from msapi.tokens import TokenProvider

logger = logging.getLogger(__name__)
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
SERVICE_SUPPORT_ADMINISTRATOR = "f023fd81-a637-4b56-95fd-791ac0226033"
HELPDESK_ADMINISTRATOR = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
TEAMS_ADMINISTRATOR = "69091246-20e8-4a56-aa4d-066075b2a7a8"
# What the desk uses, and the roles any one of which covers it; the first is the one to ask for.
ROLE_NEEDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("health", frozenset({GLOBAL_READER, SERVICE_SUPPORT_ADMINISTRATOR, HELPDESK_ADMINISTRATOR, GLOBAL_ADMINISTRATOR})),
    ("support", SUPPORT_ROLES),
    ("teams", frozenset({TEAMS_ADMINISTRATOR, GLOBAL_ADMINISTRATOR})),
)
ASK_FOR = {
    "health": SERVICE_SUPPORT_ADMINISTRATOR,
    "support": SERVICE_SUPPORT_ADMINISTRATOR,
    "teams": TEAMS_ADMINISTRATOR,
}
ENDS_SOON = timedelta(days=30)
# Higher permissions that also allow a needed one's calls, as each call's Learn page lists them
# (docs/onboarding-graph.md, "The calls"): a customer that granted one of these lacks nothing.
ALTERNATIVES: dict[str, frozenset[str]] = {
    "TeamsAppInstallation.ReadWriteSelfForUser.All": frozenset(
        {
            "TeamsAppInstallation.ReadWriteForUser.All",
            "TeamsAppInstallation.ReadWriteAndConsentForUser.All",
            "TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All",
        }
    ),
    "AppCatalog.Read.All": frozenset({"AppCatalog.ReadWrite.All"}),
    "User.Read.All": frozenset({"User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}),
    "GroupMember.Read.All": frozenset({"Group.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"}),
}


def lacking(granted: frozenset[str]) -> list[str]:
    """The needed permissions neither granted nor covered by a higher one granted, in NEEDED's order."""
    return [name for name in missing(granted) if not granted & ALTERNATIVES.get(name, frozenset())]


def partner_center_lines(customer: Customer | None, tenant_id: str) -> list[Line]:
    """Listed in the partner's customers, and how (direct reseller, through an indirect reseller, other)."""
    if customer is None:
        return [Line("partner_center", Status.FAILED, "readiness.pc.missing", {"tenant": tenant_id},
                     "readiness.pc.missing_fix", blocking=True)]  # fmt: skip
    listed = Line("partner_center", Status.OK, "readiness.pc.listed", {"name": customer.name})
    if customer.indirect_reseller:
        how = Line("partner_center", Status.OK, "readiness.pc.indirect", {"reseller": customer.indirect_reseller})
    elif customer.relationship.lower() == "reseller":
        how = Line("partner_center", Status.OK, "readiness.pc.direct")
    else:
        shown = customer.relationship or "unknown"
        how = Line("partner_center", Status.WARNING, "readiness.pc.other", {"relationship": shown},
                   "readiness.pc.other_fix")  # fmt: skip
    return [listed, how]


def gdap_lines(relationships: Sequence[Relationship] | None, tenant_id: str, now: datetime) -> list[Line]:
    """An active relationship (its end, auto-extend) and whether its roles cover health, support and the roll-out;
    `relationships` None: they could not be read."""
    if relationships is None:
        return [Line("gdap", Status.UNKNOWN, "readiness.gdap.unknown", fix="readiness.gdap.unknown_fix")]
    access = customer_access(relationships, tenant_id, now)
    if access.state in (AccessState.NONE, AccessState.ENDED):
        key = "readiness.gdap.none" if access.state is AccessState.NONE else "readiness.gdap.ended"
        return [Line("gdap", Status.FAILED, key, fix="readiness.gdap.none_fix", blocking=True)]
    active = [r for r in access.relationships if is_active(r, now)]
    current = active[0]
    end = current.end.date().isoformat() if current.end else "?"
    if current.auto_extends:
        line = Line("gdap", Status.OK, "readiness.gdap.active_extends", {"name": current.display_name, "end": end})
    elif current.end is not None and current.end - now <= ENDS_SOON:
        line = Line("gdap", Status.WARNING, "readiness.gdap.ends_soon", {"name": current.display_name, "end": end},
                    "readiness.gdap.ends_soon_fix")  # fmt: skip
    else:
        line = Line("gdap", Status.OK, "readiness.gdap.active", {"name": current.display_name, "end": end})
    held = {role for r in active for role in r.role_ids}
    lacking = [need for need, roles in ROLE_NEEDS if not held & roles]
    if not lacking:
        return [line, Line("gdap", Status.OK, "readiness.gdap.roles_ok")]
    names = ", ".join(dict.fromkeys(role_name(ASK_FOR[need]) for need in lacking))
    uses = ", ".join(lacking)
    roles = Line("gdap", Status.WARNING, "readiness.gdap.roles_missing", {"roles": names, "uses": uses},
                 "readiness.gdap.roles_fix")  # fmt: skip
    return [line, roles]


async def consent_lines(tokens: TokenProvider, graph: GraphClient, tenant_id: str, app_id: str) -> list[Line]:
    """The application permissions granted (the token's roles), and a real Graph call with them."""
    consent = {"tenant": tenant_id, "app": app_id}
    try:
        granted = await granted_roles(tokens, tenant_id)
    except TokenError as error:
        logger.info("readiness: no token for %s: %s", tenant_id, error)
        return [Line("consent", Status.FAILED, "readiness.consent.none", consent, "readiness.consent.none_fix",
                     blocking=True)]  # fmt: skip
    try:
        await graph.health_overviews(tenant_id)
    except ConsentMissing as error:
        if error.status == 401 or not granted:
            return [Line("consent", Status.FAILED, "readiness.consent.none", consent, "readiness.consent.none_fix",
                         blocking=True)]  # fmt: skip
        refused = {**consent, "permissions": error.permission}
        call = Line("consent", Status.FAILED, "readiness.consent.call_refused", refused,
                    "readiness.consent.missing_fix")  # fmt: skip
    except MicrosoftApiError as error:
        logger.warning("readiness: service health of %s could not be read: %s", tenant_id, error)
        call = Line("consent", Status.UNKNOWN, "readiness.consent.call_unknown")
    else:
        call = Line("consent", Status.OK, "readiness.consent.call_ok")
    absent = lacking(granted)
    if not absent:
        return [Line("consent", Status.OK, "readiness.consent.granted", {"count": len(NEEDED)}), call]
    listed = ", ".join(f"{name} ({NEEDED[name]})" for name in absent)
    grant = Line("consent", Status.FAILED, "readiness.consent.missing", {**consent, "permissions": listed},
                 "readiness.consent.missing_fix")  # fmt: skip
    return [grant, call]
