"""Entra ID's delegated (App+User) token responses: the authorization-code, refresh-token and device-code grants of
the v2.0 token endpoint, answered as Entra answers them (access token, refresh token, id_token, client_info)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from urllib.parse import unquote_plus

import jwt
from aiohttp import web
from multidict import MultiDictProxy

from emulator import demo
from emulator.grants import Consent
from emulator.state import EmulatorState

RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
GRAPH = "https://graph.microsoft.com"
# What `.default` stands for when a user signs in: the delegated permissions the app was granted.
DEFAULT_PERMISSION = {GRAPH: "User.Read"}


def find_tenant(state: EmulatorState, key: str) -> demo.DemoTenant | None:
    """The partner or a customer tenant, by id or domain."""
    wanted = key.lower()
    return next((t for t in (state.partner, *state.customers) if wanted in (t.tenant_id, t.domain.lower())), None)


def find_user(tenant: demo.DemoTenant, key: str) -> demo.DemoUser | None:
    """A user of the tenant, by object id or sign-in name."""
    wanted = key.lower()
    return next((u for u in tenant.users if wanted in (u.aad_id, u.email.lower())), None)


def oauth_error(
    status: int, error: str, description: str, code: int, headers: dict[str, str] | None = None
) -> web.Response:
    """An error answer in the shape of Entra's token endpoint."""
    return web.json_response(
        {
            "error": error,
            "error_description": f"AADSTS{code}: {description} Trace ID: {uuid.uuid4()}",
            "error_codes": [code],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
            "trace_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
        },
        status=status,
        headers=headers,
    )


def issuer(request: web.Request, tenant_id: str) -> str:
    """The id_token issuer, as the discovery document of this emulator names it."""
    return f"{request.scheme}://{request.host}/{tenant_id}/v2.0"


def audience(scope: str) -> tuple[str, str, str]:
    """(resource, `scp` claim, `scope` of the response) for requested scopes; ValueError for several resources."""
    resources: set[str] = set()
    permissions: list[str] = []
    for item in scope.split():
        if item.lower() in RESERVED_SCOPES:
            continue
        resource, _, permission = item.rpartition("/") if "/" in item else (GRAPH, "", item)
        resources.add(resource)
        if permission == ".default":
            permission = DEFAULT_PERMISSION.get(resource, "user_impersonation")
        permissions.append(permission)
    if len(resources) > 1:
        raise ValueError(scope)
    resource = resources.pop() if resources else GRAPH
    permissions = permissions or ["User.Read"]
    granted = permissions if resource == GRAPH else [f"{resource}/{p}" for p in permissions]
    return resource, " ".join(permissions), " ".join(granted)


def token_response(state: EmulatorState, request: web.Request, consent: Consent, refresh_token: str) -> web.Response:
    """Tokens for a signed-in user, as Entra's v2.0 endpoint returns them."""
    tenant = find_tenant(state, consent.tenant_id)
    user = find_user(tenant, consent.user_id) if tenant else None
    if tenant is None or user is None:
        return oauth_error(400, "invalid_grant", "The user account does not exist in the directory.", 50034)
    try:
        resource, scp, granted = audience(consent.scope)
    except ValueError:
        return oauth_error(
            400,
            "invalid_scope",
            f"Provided value for the input parameter scope '{consent.scope}' is not valid because it contains "
            "more than one resource.",
            28000,
        )
    now = int(time.time())
    life = state.user_token_lifetime
    sub = base64.urlsafe_b64encode(hashlib.sha256(f"{consent.client_id}:{user.aad_id}".encode()).digest())
    person = {"oid": user.aad_id, "tid": tenant.tenant_id, "sub": sub.decode()[:43], "name": user.name}
    access = {
        **person,
        "aud": resource,
        "iss": f"https://sts.windows.net/{tenant.tenant_id}/",
        "iat": now,
        "nbf": now,
        "exp": now + life,
        "upn": user.email,
        "unique_name": user.email,
        "given_name": user.given_name,
        "family_name": user.surname,
        "scp": scp,
        "appid": consent.client_id,
        "appidacr": "1",
        "amr": ["pwd", "mfa"],
        "idtyp": "user",
        "ver": "1.0",
    }
    requested = set(consent.scope.split())
    body: dict[str, object] = {
        "token_type": "Bearer",
        "scope": granted,
        "expires_in": life,
        "ext_expires_in": life,
        "access_token": jwt.encode(access, state.signing_key, algorithm="HS256"),
    }
    if "offline_access" in requested:
        body["refresh_token"] = refresh_token
    if "openid" in requested:
        identity = {**person, "aud": consent.client_id, "iss": issuer(request, tenant.tenant_id), "ver": "2.0"}
        identity |= {"iat": now, "nbf": now, "exp": now + 3600, "preferred_username": user.email}
        if consent.nonce:
            identity["nonce"] = consent.nonce
        body["id_token"] = jwt.encode(identity, state.signing_key, algorithm="HS256")
    state.grants.note_issued(*(str(body[name]) for name in ("access_token", "id_token") if name in body))
    info = json.dumps({"uid": user.aad_id, "utid": tenant.tenant_id}).encode()
    body["client_info"] = base64.urlsafe_b64encode(info).decode().rstrip("=")
    return web.json_response(body)


def client_secret(request: web.Request, form: MultiDictProxy[str | bytes | object]) -> str | None:
    """The secret from the body (client_secret_post) or from HTTP Basic authentication."""
    if form.get("client_secret"):
        return str(form["client_secret"])
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        _, _, secret = base64.b64decode(value).decode().partition(":")
    except ValueError:
        return None
    # MSAL form-encodes the id and secret before joining them, as RFC 6749 section 2.3.1 asks.
    return unquote_plus(secret) or None
