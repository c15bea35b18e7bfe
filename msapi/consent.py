"""Which Graph application permissions the partner's app holds in a customer tenant.

An app-only token lists the application permissions (app roles) granted to the app in the token's tenant in its
`roles` claim (https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference, "roles").
The claim answers "what was granted" without a call per permission; a real call per permission (the readiness
check's job) answers "does it work". Where the app has no service principal in the tenant at all, the token endpoint
refuses (AADSTS700016, msapi.graph.CONSENT_CODES) or Graph answers 401 Authorization_IdentityNotFound."""

from __future__ import annotations

import base64
import binascii
import json

from msapi.tokens import TokenProvider

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
# What the desk needs in a customer tenant, and what for (docs/onboarding-graph.md).
NEEDED: dict[str, str] = {
    "ServiceHealth.Read.All": "service health",
    "ServiceMessage.Read.All": "Message center",
    "TeamsAppInstallation.ReadWriteSelfForUser.All": "installing the desk for people",
    "AppCatalog.Read.All": "finding the desk in the org app catalog",
    "User.Read.All": "finding people by e-mail",
    "GroupMember.Read.All": "finding a group's people",
}


def token_roles(token: str) -> frozenset[str]:
    """The `roles` claim of a JWT access token, unverified (the token came from Entra ID over TLS to us; it is read,
    not trusted for anything else). Empty when the token is not a readable JWT or has no roles."""
    parts = token.split(".")
    if len(parts) != 3:
        return frozenset()
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return frozenset()
    roles = payload.get("roles") if isinstance(payload, dict) else None
    return frozenset(str(role) for role in roles) if isinstance(roles, list) else frozenset()


async def granted_roles(tokens: TokenProvider, tenant_id: str) -> frozenset[str]:
    """The application permissions the app holds in `tenant_id`, from its app-only Graph token (TokenError when
    Entra ID will not issue one: the app is not consented there at all)."""
    return token_roles(await tokens.token(tenant_id, GRAPH_SCOPE))


def missing(roles: frozenset[str]) -> list[str]:
    """The needed permissions not in `roles`, in NEEDED's order."""
    return [name for name in NEEDED if name not in roles]
