"""Entra ID (login.microsoftonline.com) as MSAL sees it: OpenID discovery and the v2.0 token endpoint."""

from __future__ import annotations

import time
import uuid

import jwt
from aiohttp import web

from emulator import contract, user_grants
from emulator.state import EmulatorState

PREFIX = "/login"


def routes(state: EmulatorState) -> list[web.RouteDef]:
    """Routes under /login."""

    async def openid_configuration(request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        base = f"{request.scheme}://{request.host}{PREFIX}/{tenant}"
        return web.json_response(
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "issuer": f"{request.scheme}://{request.host}/{tenant}/v2.0",
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
            }
        )

    async def token(request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        form = await request.post()
        # Which kind of token each grant issues is in emulator/contract.py (GRANTS), with its Learn page.
        grant = contract.GRANTS.get(str(form.get("grant_type", "")))
        if grant is None:
            return _error(400, "unsupported_grant_type", "AADSTS70003: grant type not supported.", 70003)
        if grant.issues is contract.USER:
            return await user_grants.redeem(state, request, form)
        client_id = str(form.get("client_id", ""))
        if client_id not in state.apps or form.get("client_secret") != state.apps[client_id]:
            return _error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.", 7000215)
        if tenant != "botframework.com" and not state.known_tenant(tenant):
            return _error(
                400,
                "unauthorized_client",
                f"AADSTS700016: Application with identifier '{client_id}' was not found in the directory "
                f"'{tenant}'. This can happen if the application has not been installed by the administrator "
                "of the tenant or consented to by any user in the tenant.",
                700016,
            )
        scope = str(form.get("scope", ""))
        resource = scope.split(" ")[0].removesuffix("/.default")
        now = int(time.time())
        claims = {
            "aud": resource,
            "iss": f"https://sts.windows.net/{tenant}/",
            "tid": tenant,
            "appid": client_id,
            "idtyp": "app",
            "iat": now,
            "nbf": now,
            "exp": now + state.token_lifetime,
            "oid": str(uuid.uuid4()),
            # App-only tokens carry the application permissions granted in the tenant in `roles`
            # (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference).
            "roles": state.app_roles(tenant),
        }
        access_token = jwt.encode(claims, state.signing_key, algorithm="HS256")
        state.grants.note_issued(access_token)
        return web.json_response(
            {
                "token_type": "Bearer",
                "expires_in": state.token_lifetime,
                "ext_expires_in": state.token_lifetime,
                "access_token": access_token,
            }
        )

    return [
        web.get(PREFIX + "/{tenant}/v2.0/.well-known/openid-configuration", openid_configuration),
        web.post(PREFIX + "/{tenant}/oauth2/v2.0/token", token),
    ]


def read_token(state: EmulatorState, request: web.Request) -> dict[str, object] | None:
    """The claims of the request's bearer token when the emulator issued it and it is unexpired."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value:
        return None
    try:
        return jwt.decode(value, state.signing_key, algorithms=["HS256"], options={"verify_aud": False})
    except jwt.PyJWTError:
        return None


def _error(status: int, error: str, description: str, code: int) -> web.Response:
    return web.json_response(
        {
            "error": error,
            "error_description": description,
            "error_codes": [code],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
            "trace_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
        },
        status=status,
    )
