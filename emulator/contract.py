"""Which credential kinds Microsoft documents for each endpoint the desk calls, with the Learn page each row comes
from. The emulator's Partner Center and Graph routes look their row up here (by method and route) and refuse the
kind a row does not list; its token endpoint issues, per grant, the kind the row names.

"App+User" is a token issued to the app for a signed-in user (delegated: `idtyp` "user" with a `scp` claim);
"app-only" is the app's own token (client credentials). Each Partner Center page states it under Prerequisites
("supports authentication with App+User credentials only" or "with both standalone App and App+User
credentials"); each Graph page in its Permissions table (Delegated work or school account / Application).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

LEARN = "https://learn.microsoft.com/en-us"
PC_DOCS = f"{LEARN}/partner-center/developer"
GRAPH_DOCS = f"{LEARN}/graph/api"
ENTRA_DOCS = f"{LEARN}/entra/identity-platform"


class Kind(Enum):
    """A credential kind."""

    APP = "app-only"
    USER = "App+User"


APP, USER = Kind.APP, Kind.USER
BOTH = frozenset({APP, USER})
USER_ONLY = frozenset({USER})


@dataclass(frozen=True)
class Endpoint:
    """One endpoint: its method and path (as the emulator routes it, below the API's prefix), the kinds Microsoft
    documents for it, the page that says so, and `note` where that page is missing or says more."""

    api: str  # "partnercenter" or "graph"
    method: str
    path: str
    kinds: frozenset[Kind]
    doc: str
    note: str = ""
    # The permissions the page lists (least and higher privileged); any one of them will do. Empty: the route
    # checks nothing here (older rows name theirs in `note` and check it in their own module).
    app_permissions: frozenset[str] = frozenset()
    user_permissions: frozenset[str] = frozenset()


PARTNER_CENTER: tuple[Endpoint, ...] = (
    Endpoint("partnercenter", "GET", "/v1/customers", BOTH, f"{PC_DOCS}/get-a-list-of-customers"),
    Endpoint(
        "partnercenter",
        "GET",
        "/v1/customers/{tenant}/managedservices",
        USER_ONLY,
        f"{PC_DOCS}/get-the-managed-services-for-a-customer-by-id",
    ),
    Endpoint(
        "partnercenter",
        "GET",
        "/v1/customers/{tenant}/subscriptions",
        BOTH,
        f"{PC_DOCS}/get-all-of-a-customer-s-subscriptions",
    ),
    Endpoint(
        "partnercenter",
        "GET",
        "/v1/customers/{tenant}/servicerequests",
        USER_ONLY,
        f"{PC_DOCS}/get-all-service-requests-for-a-customer",
    ),
    Endpoint(
        "partnercenter", "GET", "/v1/servicerequests/{id}", USER_ONLY, f"{PC_DOCS}/get-service-request-details-by-id"
    ),
    Endpoint("partnercenter", "PATCH", "/v1/servicerequests/{id}", USER_ONLY, f"{PC_DOCS}/update-a-service-request"),
    Endpoint(
        "partnercenter",
        "POST",
        "/v1/servicerequests/{locale}",
        USER_ONLY,
        f"{PC_DOCS}/create-a-service-request",
        note="No current Learn page. The page's last published text (MicrosoftDocs partner-center-sdk source, "
        "develop/create-a-service-request-.md, 2020-07) said App+User only, and that the API would be unsupported "
        "and decommissioned by 2020-08-31 in favour of the Partner Center user interface; the page was removed.",
    ),
    Endpoint(
        "partnercenter",
        "GET",
        "/v1/servicerequests/supporttopics",
        BOTH,
        f"{LEARN}/previous-versions/azure/cloud-solution-provider/integration/provide-support/"
        "get-service-request-support-topics",
        note="No current Partner Center page; the retired CSP page cited names no credential kind. The removed "
        "Partner Center page (develop/get-service-request-support-topics--pending-.md, 2020-07) said App+User only "
        "and announced decommissioning by 2020-08-31. Both kinds are accepted here: the emulator's choice, kept "
        "because the escalation form reads topics before the technician signs in (see the report of issue 11).",
    ),
    Endpoint("partnercenter", "GET", "/v1/profiles/support", USER_ONLY, f"{PC_DOCS}/get-support-profile"),
)

_ANNOUNCEMENTS = "/v1.0/admin/serviceAnnouncement"
GRAPH: tuple[Endpoint, ...] = (
    Endpoint(
        "graph",
        "GET",
        f"{_ANNOUNCEMENTS}/healthOverviews",
        BOTH,
        f"{GRAPH_DOCS}/serviceannouncement-list-healthoverviews",
        note="ServiceHealth.Read.All, delegated (work or school account) or application.",
    ),
    Endpoint(
        "graph",
        "GET",
        f"{_ANNOUNCEMENTS}/issues",
        BOTH,
        f"{GRAPH_DOCS}/serviceannouncement-list-issues",
        note="ServiceHealth.Read.All, delegated (work or school account) or application.",
    ),
    Endpoint(
        "graph",
        "GET",
        f"{_ANNOUNCEMENTS}/issues/{{id}}",
        BOTH,
        f"{GRAPH_DOCS}/servicehealthissue-get",
        note="ServiceHealth.Read.All, delegated (work or school account) or application.",
    ),
    Endpoint(
        "graph",
        "GET",
        f"{_ANNOUNCEMENTS}/messages",
        BOTH,
        f"{GRAPH_DOCS}/serviceannouncement-list-messages",
        note="ServiceMessage.Read.All, delegated (work or school account) or application.",
    ),
)

# GDAP relationships, read in the partner tenant.
GDAP: tuple[Endpoint, ...] = (
    Endpoint(
        "graph",
        "GET",
        "/v1.0/tenantRelationships/delegatedAdminRelationships",
        BOTH,
        f"{GRAPH_DOCS}/tenantrelationship-list-delegatedadminrelationships?view=graph-rest-1.0",
        note="DelegatedAdminRelationship.Read.All, delegated (work or school account) or application.",
    ),
)

# Onboarding a customer (issue 16): the Teams app catalog, per-user app installation and the directory, all read or
# written in the CUSTOMER tenant with the partner's app. Each row's permissions are the page's table (least and
# higher privileged; the Directory.* ones listed "only for backward compatibility" are left out).
_TEAMS_APP_INSTALL = "TeamsAppInstallation.{}ForUser"
_INSTALL_WRITE = ("ReadWriteSelf", "ReadWriteAndConsent", "ReadWriteAndConsentSelf", "ReadWrite", "ReadWriteSelected")
_INSTALLED_APPS = "/v1.0/users/{user}/teamwork/installedApps"
ONBOARDING: tuple[Endpoint, ...] = (
    Endpoint(
        "graph",
        "GET",
        "/v1.0/appCatalogs/teamsApps",
        BOTH,
        f"{GRAPH_DOCS}/appcatalogs-list-teamsapps?view=graph-rest-1.0",
        note="$filter on any teamsApp field (eq, ne, and, or, not), $select, $expand=appDefinitions. The page adds: "
        "'Currently, this API is only supported in the user context and not in the admin view'.",
        app_permissions=frozenset({"AppCatalog.Read.All", "AppCatalog.ReadWrite.All"}),
        user_permissions=frozenset({"AppCatalog.Submit", "AppCatalog.Read.All", "AppCatalog.ReadWrite.All"}),
    ),
    Endpoint(
        "graph",
        "POST",
        "/v1.0/appCatalogs/teamsApps",
        USER_ONLY,
        f"{GRAPH_DOCS}/teamsapp-publish?view=graph-rest-1.0",
        note="Application: 'Not supported.' Body: the app package zip (Content-Type application/zip); every app "
        "in the catalog must have a unique manifest id; 200 OK with the teamsApp.",
        user_permissions=frozenset({"AppCatalog.Submit", "AppCatalog.ReadWrite.All"}),
    ),
    Endpoint(
        "graph",
        "GET",
        _INSTALLED_APPS,
        BOTH,
        f"{GRAPH_DOCS}/userteamwork-list-installedapps?view=graph-rest-1.0",
        note="$filter, $select, $expand (teamsApp, teamsAppDefinition). With ReadWriteSelfForUser.All the app "
        "sees only itself, and only when its manifest's webApplicationInfo.id is the app id of the token.",
        app_permissions=frozenset(
            f"{_TEAMS_APP_INSTALL.format(name)}.All" for name in ("Read", *_INSTALL_WRITE, "ManageSelected")
        ),
        user_permissions=frozenset(_TEAMS_APP_INSTALL.format(name) for name in ("Read", *_INSTALL_WRITE)),
    ),
    Endpoint(
        "graph",
        "POST",
        _INSTALLED_APPS,
        BOTH,
        f"{GRAPH_DOCS}/userteamwork-post-installedapps?view=graph-rest-1.0",
        note='Body {"teamsApp@odata.bind": ".../appCatalogs/teamsApps/{id}"}; 201 Created, no body. The page names '
        "no answer for an app already installed: 409 Conflict is what Graph answers (see docs/onboarding-graph.md).",
        app_permissions=frozenset(f"{_TEAMS_APP_INSTALL.format(name)}.All" for name in _INSTALL_WRITE),
        user_permissions=frozenset(_TEAMS_APP_INSTALL.format(name) for name in _INSTALL_WRITE),
    ),
    Endpoint(
        "graph",
        "GET",
        "/v1.0/users",
        BOTH,
        f"{GRAPH_DOCS}/user-list?view=graph-rest-1.0",
        note="$filter (mail, userPrincipalName eq), $select, $top up to 999 (default 100), pages by @odata.nextLink.",
        app_permissions=frozenset({"User.Read.All", "User.ReadWrite.All", "Directory.Read.All"}),
        user_permissions=frozenset({"User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All"}),
    ),
    Endpoint(
        "graph",
        "GET",
        "/v1.0/groups",
        BOTH,
        f"{GRAPH_DOCS}/group-list?view=graph-rest-1.0",
        note="$filter (displayName eq, startswith), $top up to 999, pages by @odata.nextLink.",
        app_permissions=frozenset(
            {"GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All"}
        ),
        user_permissions=frozenset(
            {"GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All"}
        ),
    ),
    Endpoint(
        "graph",
        "GET",
        "/v1.0/groups/{id}/transitiveMembers/microsoft.graph.user",
        BOTH,
        f"{GRAPH_DOCS}/group-list-transitivemembers?view=graph-rest-1.0",
        note="A flat list of every nested member; the OData cast keeps users only. $top up to 999, @odata.nextLink.",
        app_permissions=frozenset(
            {"GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All"}
        ),
        user_permissions=frozenset(
            {"GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All"}
        ),
    ),
)

ENDPOINTS: tuple[Endpoint, ...] = PARTNER_CENTER + GRAPH + GDAP + ONBOARDING


@dataclass(frozen=True)
class Grant:
    """A grant of Entra ID's v2.0 token endpoint and the kind of token it issues."""

    grant_type: str
    issues: Kind
    doc: str


DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
GRANTS: Mapping[str, Grant] = {
    grant.grant_type: grant
    for grant in (
        Grant("client_credentials", APP, f"{ENTRA_DOCS}/v2-oauth2-client-creds-grant-flow"),
        Grant("authorization_code", USER, f"{ENTRA_DOCS}/v2-oauth2-auth-code-flow"),
        Grant("refresh_token", USER, f"{ENTRA_DOCS}/v2-oauth2-auth-code-flow#refresh-the-access-token"),
        Grant(DEVICE_CODE, USER, f"{ENTRA_DOCS}/v2-oauth2-device-code"),
    )
}


def endpoint(api: str, method: str, path: str) -> Endpoint:
    """The row of a route; KeyError for a route the table lacks (every route must have one)."""
    for row in ENDPOINTS:
        if (row.api, row.method, row.path) == (api, method.upper(), path):
            return row
    raise KeyError(f"no contract row for {method} {api}{path}")


def kind_of(claims: Mapping[str, object]) -> Kind:
    """The credential kind of a token's claims: App+User when issued for a signed-in user with delegated scopes."""
    return USER if claims.get("idtyp") == "user" and claims.get("scp") else APP
