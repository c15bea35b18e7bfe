"""Users signing in to Entra ID: the authorize endpoint (account picker, one-time code, redirect back to the app),
the device-code endpoint with its "Enter code" page, and control routes that let tests act as the user."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from emulator import signin_pages as pages
from emulator.grants import Consent
from emulator.login import PREFIX
from emulator.state import EmulatorState
from emulator.user_tokens import find_tenant, find_user, oauth_error

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
DEVICE_PAGE = PREFIX + "/device"


def redirect_allowed(state: EmulatorState, redirect_uri: str) -> bool:
    """Registered, or an http loopback address on any port (Entra's rule for native apps)."""
    if redirect_uri in state.redirect_uris:
        return True
    parts = urlsplit(redirect_uri)
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def routes(state: EmulatorState) -> list[web.RouteDef]:
    """/login/{tenant}/oauth2/v2.0/authorize, /login/{tenant}/oauth2/v2.0/devicecode and /login/device."""

    async def authorize(request: web.Request) -> web.Response:
        query = request.query
        tenant = find_tenant(state, request.match_info["tenant"])
        client_id, redirect_uri = query.get("client_id", ""), query.get("redirect_uri", "")
        if tenant is None:
            return pages.error_page(f"AADSTS90002: Tenant '{request.match_info['tenant']}' not found.")
        if client_id not in state.apps:
            return pages.error_page(f"AADSTS700016: Application with identifier '{client_id}' was not found.")
        if not redirect_allowed(state, redirect_uri):
            return pages.error_page(
                f"AADSTS50011: The redirect URI '{redirect_uri}' specified in the request does not match the "
                f"redirect URIs configured for the application '{client_id}'."
            )
        challenge = query.get("code_challenge", "")
        method = query.get("code_challenge_method", "plain")
        if query.get("response_type") != "code" or (challenge and method not in ("S256", "plain")):
            return _answer(query, {"error": "invalid_request", "error_description": "AADSTS900144: Invalid request."})
        if request.method == "POST":
            form = await request.post()
            if form.get("cancel"):
                denied = "AADSTS65004: User declined to consent to access the app."
                answer = {"error": "access_denied", "error_subcode": "cancel", "error_description": denied}
                return _answer(query, answer)
            user = find_user(tenant, str(form.get("user", "")))
            if user is None:
                return pages.error_page("AADSTS50034: The user account does not exist in the directory.")
        else:
            hint = query.get("login_hint") or state.auto_sign_in_user or ""
            user = find_user(tenant, hint) if hint else None
            if user is None and query.get("prompt") == "none":
                silent = "AADSTS50058: A silent sign-in request was sent but no user is signed in."
                return _answer(query, {"error": "login_required", "error_description": silent})
            if user is None:
                return pages.account_picker(request.path_qs, tenant, client_id, {})
        consent = Consent(client_id, tenant.tenant_id, user.aad_id, query.get("scope", ""), query.get("nonce", ""))
        code = state.grants.issue_code(consent, redirect_uri, challenge, method if challenge else "")
        answer = {"code": code, "session_state": str(uuid.uuid4())}
        if query.get("client_info") == "1":
            info = json.dumps({"uid": user.aad_id, "utid": tenant.tenant_id}).encode()
            answer["client_info"] = base64.urlsafe_b64encode(info).decode().rstrip("=")
        return _answer(query, answer)

    async def devicecode(request: web.Request) -> web.Response:
        form = await request.post()
        tenant = find_tenant(state, request.match_info["tenant"])
        client_id = str(form.get("client_id", ""))
        if tenant is None:
            return oauth_error(400, "invalid_request", f"Tenant '{request.match_info['tenant']}' not found.", 90002)
        if client_id not in state.apps:
            return oauth_error(
                400, "unauthorized_client", f"Application with identifier '{client_id}' was not found.", 700016
            )
        lifetime = state.device_code_lifetime
        device = state.grants.start_device(client_id, tenant.tenant_id, str(form.get("scope", "")), lifetime)
        page = f"{request.scheme}://{request.host}{DEVICE_PAGE}"
        return web.json_response(
            {
                "user_code": device.user_code,
                "device_code": device.device_code,
                "verification_uri": page,
                "expires_in": lifetime,
                "interval": state.device_interval,
                "message": f"To sign in, use a web browser to open the page {page} and enter the code "
                f"{device.user_code} to authenticate.",
            }
        )

    async def device_page(request: web.Request) -> web.Response:
        if request.method == "GET":
            return pages.device_code_form(DEVICE_PAGE)
        form = await request.post()
        user_code = str(form.get("user_code", ""))
        device = state.grants.device_by_user_code(user_code)
        tenant = find_tenant(state, device.tenant_id) if device else None
        if device is None or tenant is None:
            return pages.device_code_form(DEVICE_PAGE, "That code didn't work. Check the code and try again.", 400)
        if form.get("cancel"):
            state.grants.answer_device(user_code, None)
            return pages.page("Sign-in canceled", "<p>You can close this window.</p>")
        user = find_user(tenant, str(form.get("user", "")))
        if user is None:
            return pages.account_picker(DEVICE_PAGE, tenant, device.client_id, {"user_code": device.user_code})
        state.grants.answer_device(user_code, user.aad_id)
        return pages.page(
            "You're signed in",
            "<p>You have signed in to the application on your device. You may now close this window.</p>",
        )

    return [
        web.get(PREFIX + "/{tenant}/oauth2/v2.0/authorize", authorize),
        web.post(PREFIX + "/{tenant}/oauth2/v2.0/authorize", authorize),
        web.post(PREFIX + "/{tenant}/oauth2/v2.0/devicecode", devicecode),
        web.get(DEVICE_PAGE, device_page),
        web.post(DEVICE_PAGE, device_page),
    ]


def control_routes(state: EmulatorState, control: str) -> list[web.RouteDef]:
    """Tests acting as the user: approve a device code; sign in without the picker."""

    async def approve_device(request: web.Request) -> web.Response:
        body = await request.json()
        device = state.grants.device_by_user_code(str(body.get("user_code", "")))
        tenant = find_tenant(state, device.tenant_id) if device else None
        if device is None or tenant is None:
            return web.json_response({"error": "no pending device sign-in with this user code"}, status=404)
        user = find_user(tenant, str(body.get("aad_id", "")))
        if user is None:
            return web.json_response({"error": f"no such user in tenant {tenant.tenant_id}"}, status=400)
        state.grants.answer_device(device.user_code, user.aad_id)
        return web.json_response({"user_code": device.user_code, "aad_id": user.aad_id})

    async def auto_sign_in(request: web.Request) -> web.Response:
        body = await request.json()
        state.auto_sign_in_user = body.get("aad_id") or None
        return web.json_response({"auto_sign_in_user": state.auto_sign_in_user})

    return [
        web.post(control + "/device/approve", approve_device),
        web.put(control + "/signin/auto", auto_sign_in),
    ]


def _answer(query: Mapping[str, str], params: dict[str, str]) -> web.Response:
    """Send the authorization answer back to the app's redirect URI, with the request's state."""
    if "state" in query:
        params = {**params, "state": query["state"]}
    redirect_uri = query["redirect_uri"]
    mode = query.get("response_mode", "query")
    if mode == "form_post":
        return pages.form_post(redirect_uri, params.items())
    separator = "#" if mode == "fragment" else ("&" if "?" in redirect_uri else "?")
    return web.Response(status=302, headers={"Location": redirect_uri + separator + urlencode(params)})
