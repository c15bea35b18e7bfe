"""The token endpoint's user grants: redeeming an authorization code (with PKCE), a refresh token, or an approved
device code, with Entra's error answers (invalid_grant, authorization_pending, expired_token, ...)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from aiohttp import web
from multidict import MultiDictProxy

from emulator import contract
from emulator.grants import Consent
from emulator.state import EmulatorState
from emulator.user_tokens import client_secret, oauth_error, token_response

Form = MultiDictProxy[str | bytes | object]
USER_GRANTS = frozenset(name for name, grant in contract.GRANTS.items() if grant.issues is contract.USER)


async def redeem(state: EmulatorState, request: web.Request, form: Form) -> web.Response:
    """Answer a token request whose grant_type is one of USER_GRANTS."""
    client_id = str(form.get("client_id", ""))
    if client_id not in state.apps:
        return oauth_error(
            400, "unauthorized_client", f"Application with identifier '{client_id}' was not found.", 700016
        )
    secret = client_secret(request, form)
    if secret is None:
        return oauth_error(
            401, "invalid_client", "The request body must contain the following parameter: 'client_secret'.", 7000218
        )
    if not hmac.compare_digest(secret, state.apps[client_id]):
        return oauth_error(401, "invalid_client", "Invalid client secret provided.", 7000215)
    grant = form.get("grant_type")
    if grant == "authorization_code":
        return _authorization_code(state, request, form, client_id)
    if grant == "refresh_token":
        return _refresh_token(state, request, form, client_id)
    return _device_code(state, request, form, client_id)


def _authorization_code(state: EmulatorState, request: web.Request, form: Form, client_id: str) -> web.Response:
    record = state.grants.take_code(str(form.get("code", "")))
    if record is None or record.consent.client_id != client_id:
        return oauth_error(400, "invalid_grant", "The provided value for the 'code' parameter is not valid.", 70000)
    if record.redeemed:
        return oauth_error(
            400,
            "invalid_grant",
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an "
            "existing refresh token.",
            54005,
        )
    if record.expires_at < time.time():
        return oauth_error(400, "invalid_grant", "The provided authorization code or refresh token has expired.", 70008)
    if str(form.get("redirect_uri", "")) != record.redirect_uri:
        return oauth_error(
            400,
            "invalid_grant",
            "The redirect_uri does not match the one the authorization code was issued for.",
            70000,
        )
    if record.code_challenge and not _pkce_ok(record.code_challenge, record.code_challenge_method, form):
        return oauth_error(
            400,
            "invalid_grant",
            "The code_verifier does not match the code_challenge supplied in the authorization request.",
            501481,
        )
    scope = str(form.get("scope") or record.consent.scope)
    consent = Consent(client_id, record.consent.tenant_id, record.consent.user_id, scope, record.consent.nonce)
    return _signed_in(state, request, consent)


def _refresh_token(state: EmulatorState, request: web.Request, form: Form, client_id: str) -> web.Response:
    consent = state.grants.refresh_consent(str(form.get("refresh_token", "")))
    if consent is None or consent.client_id != client_id:
        return oauth_error(400, "invalid_grant", "The provided refresh token is not valid.", 9002313)
    with state.lock:
        revoked = consent.user_id in state.revoked_users
    if revoked:
        state.grants.revoke_user(consent.user_id)
        return oauth_error(
            400,
            "invalid_grant",
            "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might "
            "have changed or reset their password.",
            50173,
        )
    renewed = Consent(client_id, consent.tenant_id, consent.user_id, str(form.get("scope") or consent.scope))
    return token_response(state, request, renewed, state.grants.issue_refresh_token(renewed))


def _device_code(state: EmulatorState, request: web.Request, form: Form, client_id: str) -> web.Response:
    device = state.grants.poll_device(str(form.get("device_code", "")))
    if device is None or device.client_id != client_id or device.redeemed:
        return oauth_error(
            400, "invalid_grant", "The provided value for the input parameter 'device_code' is not valid.", 70000
        )
    if device.expires_at <= time.time():
        return oauth_error(400, "expired_token", "Verification code expired. Have the user retry the sign-in.", 70019)
    if device.declined:
        return oauth_error(400, "authorization_declined", "The user declined the authorization request.", 70000)
    if device.user_id is None:
        return oauth_error(
            400,
            "authorization_pending",
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
            70016,
        )
    scope = str(form.get("scope") or device.scope)
    return _signed_in(state, request, Consent(client_id, device.tenant_id, device.user_id, scope))


def _signed_in(state: EmulatorState, request: web.Request, consent: Consent) -> web.Response:
    # A fresh sign-in is what revocation asks for: tokens from before it stay void, the new ones are good.
    with state.lock:
        was_revoked = consent.user_id in state.revoked_users
        state.revoked_users.discard(consent.user_id)
    if was_revoked:
        state.grants.revoke_user(consent.user_id)
    return token_response(state, request, consent, state.grants.issue_refresh_token(consent))


def _pkce_ok(challenge: str, method: str, form: Form) -> bool:
    verifier = str(form.get("code_verifier", ""))
    if not verifier:
        return False
    if method == "plain":
        return hmac.compare_digest(verifier, challenge)
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii", "replace")).digest()).rstrip(b"=")
    return hmac.compare_digest(digest.decode(), challenge)
