"""App+User tokens: a partner technician signs in (authorization code with PKCE, or device code) and the app keeps
a per-technician MSAL token cache, refreshing its access token silently until Entra ID asks for a new sign-in."""

from __future__ import annotations

import asyncio
import hashlib
import re
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import msal
import requests

from msapi.errors import TokenError
from msapi.singleflight import SingleFlight

PARTNER_CENTER_USER_SCOPE = "https://api.partnercenter.microsoft.com/user_impersonation"
# Entra's answers that mean the refresh token is no longer good: only a new interactive sign-in helps.
SIGN_IN_AGAIN = frozenset({"invalid_grant", "interaction_required"})
DEVICE_WAITS = 32  # device codes waited on at once (one per technician: a new one stops their previous one)
# Query mode is deliberate: the code is useless without the PKCE verifier and client secret that never leave us.
warnings.filterwarnings("ignore", message="response_mode='form_post' is recommended", category=UserWarning)


class SignInRequired(TokenError):
    """No usable sign-in in the token cache (none, or Entra ID refused the refresh): the technician must sign in."""


@dataclass(frozen=True)
class SignedIn:
    """A completed sign-in: the serialized MSAL token cache holding only this user's tokens, and who they are."""

    cache: str
    username: str
    name: str
    oid: str


# MSAL ships no type information, so its classes are Any and strict mypy refuses a subclass of one (misc).
class _App(msal.ConfidentialClientApplication):  # type: ignore[misc]
    # Entra accepts the device-code grant from a confidential client that presents its secret (its refresh tokens
    # then need the secret too, as auth-code ones do); MSAL Python only exposes the flow on public clients.
    initiate_device_flow = msal.PublicClientApplication.initiate_device_flow
    acquire_token_by_device_flow = msal.PublicClientApplication.acquire_token_by_device_flow
    DEVICE_FLOW_CORRELATION_ID = msal.PublicClientApplication.DEVICE_FLOW_CORRELATION_ID


class UserSignIn:
    """Sign-ins of the partner's users to one confidential client (authority `{login_url}/{tenant_id}`).

    Each call works on its own token cache, so MSAL application objects (each bound to one cache object) are
    pooled: a call borrows an idle one, loads the caller's cache into it, and returns it afterwards.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        login_url: str,
        tenant_id: str,
        session: requests.Session,
        validate_authority: bool = True,
        scopes: Sequence[str] = (PARTNER_CENTER_USER_SCOPE,),
    ) -> None:
        self._client_id = client_id
        self._secret = client_secret
        self._authority = f"{login_url.rstrip('/')}/{tenant_id}"
        self._session = session
        self._validate = validate_authority
        self.scopes = list(scopes)
        self._idle: list[_App] = []
        self._lock = threading.Lock()
        self._device_waits = ThreadPoolExecutor(DEVICE_WAITS, thread_name_prefix="device-sign-in")
        self._refreshes: SingleFlight[str, tuple[str, str | None]] = SingleFlight()

    async def start_auth_code(self, redirect_uri: str) -> dict[str, Any]:
        """Begin an authorization-code sign-in with PKCE; the flow (JSON-serialisable) holds `auth_uri` to open
        and `state` to find it again when the browser comes back."""
        return await asyncio.to_thread(self._start_auth_code, redirect_uri)

    async def finish_auth_code(self, flow: dict[str, Any], query: dict[str, str]) -> SignedIn:
        """Redeem the redirect's query (code, state, ...) for tokens; TokenError when refused or tampered with."""
        return await asyncio.to_thread(self._finish_auth_code, dict(flow), dict(query))

    async def start_device_flow(self) -> dict[str, Any]:
        """Begin a device-code sign-in: user_code, verification_uri, message, expires_in, interval, ..."""
        return await asyncio.to_thread(self._start_device_flow)

    async def finish_device_flow(self, flow: dict[str, Any], stop: threading.Event | None = None) -> SignedIn:
        """Wait (polling every `interval` seconds, until the code expires) for the user to enter the code. Setting
        `stop` (or cancelling) ends the wait with TokenError code "stopped".

        The wait blocks a thread for up to the code's lifetime (15 minutes), so it runs on a pool of its own: on
        asyncio's shared one a few pending codes would hold every thread the app's token calls need."""
        stop = stop or threading.Event()
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._device_waits, self._finish_device_flow, dict(flow), stop)
        except asyncio.CancelledError:
            stop.set()  # the polling thread notices within a second and ends
            raise

    async def token(self, cache: str) -> tuple[str, str | None]:
        """(access token for the scopes, the serialized cache if it changed else None); refreshes when needed.

        Raises SignInRequired when the cache has no account or Entra ID refuses the refresh token, TokenError
        for other failures (Entra unreachable or failing: the sign-in may still be good).
        """
        if not cache:
            raise SignInRequired("no signed-in user in the token cache", code="no_account")
        # Calls holding the same cache at the same moment (a technician's escalation and the SR sync, say) share
        # one MSAL run: each would otherwise redeem the same refresh token. Keyed by the cache itself, so a call
        # that already holds the renewed cache is served from it without waiting.
        key = hashlib.sha256(cache.encode()).hexdigest()
        return await self._refreshes.run(key, lambda: asyncio.to_thread(self._token, cache))

    def _start_auth_code(self, redirect_uri: str) -> dict[str, Any]:
        with self._borrow() as app:
            return dict(app.initiate_auth_code_flow(self.scopes, redirect_uri=redirect_uri))

    def _finish_auth_code(self, flow: dict[str, Any], query: dict[str, str]) -> SignedIn:
        with self._borrow() as app:
            try:
                result = app.acquire_token_by_auth_code_flow(flow, query)
            except ValueError as error:  # state mismatch, neither code nor error in the answer
                message = f"the sign-in answer does not match the sign-in started: {error}"
                raise TokenError(message, code="state") from error
            except RuntimeError as error:  # the id_token's nonce is not ours
                message = f"the sign-in answer was not issued for this sign-in: {error}"
                raise TokenError(message, code="nonce") from error
            return _signed_in(app, result)

    def _start_device_flow(self) -> dict[str, Any]:
        with self._borrow() as app:
            flow = dict(app.initiate_device_flow(self.scopes))
        if "user_code" not in flow:
            raise failure(flow)
        return flow

    def _finish_device_flow(self, flow: dict[str, Any], stop: threading.Event) -> SignedIn:
        # MSAL sleeps `interval` one-second steps between polls and checks the exit condition only between those
        # steps, so an interval of 0 would poll without pause and never notice expiry or cancellation.
        flow["interval"] = max(1, int(flow.get("interval", 5)))
        with self._borrow() as app:
            result = app.acquire_token_by_device_flow(
                flow, exit_condition=lambda f: stop.is_set() or f.get("expires_at", 0) < time.time()
            )
            if result.get("error") in ("authorization_pending", "slow_down"):
                if stop.is_set():
                    raise TokenError("the device-code sign-in was stopped", code="stopped")
                raise TokenError("the device code expired before the user entered it", code="expired_token")
            return _signed_in(app, result)

    def _token(self, cache: str) -> tuple[str, str | None]:
        with self._borrow(cache) as app:
            accounts = app.get_accounts()
            if len(accounts) != 1:
                raise SignInRequired(f"expected one signed-in user in the token cache, found {len(accounts)}")
            result = app.acquire_token_silent_with_error(self.scopes, accounts[0])
            if result is None:
                raise SignInRequired("the token cache holds no refresh token", code="no_refresh_token")
            if "access_token" not in result:
                error = failure(result)
                if result.get("error") in SIGN_IN_AGAIN:
                    raise SignInRequired(error.args[0], code=error.code, request_id=error.request_id)
                raise error
            token_cache = _cache(app)
            return str(result["access_token"]), token_cache.serialize() if token_cache.has_state_changed else None

    @contextmanager
    def _borrow(self, cache: str | None = None) -> Iterator[_App]:
        """An MSAL application holding `cache` (or an empty cache) for this thread only; failures to reach Entra
        become TokenError."""
        with self._lock:
            app = self._idle.pop() if self._idle else None
        try:
            if app is None:
                app = self._new_app()
            try:
                _cache(app).deserialize(cache)
            except ValueError as error:
                raise SignInRequired("the token cache is not readable", code="bad_cache") from error
            yield app
        except (requests.RequestException, msal.exceptions.MsalServiceError) as error:
            status = entra_status(error)
            message = f"Entra ID failed or could not be reached: {error}"
            raise TokenError(message, status=status, code="network") from error
        except ValueError as error:  # MSAL parses the token endpoint's answer with json.loads and lets it raise
            raise TokenError("Entra ID answered with a body that is not JSON", code="malformed") from error
        finally:
            if app is not None:
                _cache(app).deserialize(None)
                with self._lock:
                    self._idle.append(app)

    def _new_app(self) -> _App:
        try:
            return _App(
                client_id=self._client_id,
                client_credential=self._secret,
                authority=self._authority,
                validate_authority=self._validate,
                instance_discovery=self._validate,
                http_client=self._session,
                token_cache=msal.SerializableTokenCache(),
            )
        except ValueError as error:  # discovery failed: unknown tenant or authority
            message = (str(error).splitlines() or ["the authority is not valid"])[0]
            raise TokenError(message, code="authority") from error


def failure(result: dict[str, Any]) -> TokenError:
    """A TokenError from an MSAL error answer (message: the first line of Entra's description)."""
    codes = result.get("error_codes") or []
    return TokenError(
        str(result.get("error_description") or result.get("error") or "no token").splitlines()[0],
        code=f"{result.get('error', 'error')}{' ' + str(codes[0]) if codes else ''}",
        request_id=str(result.get("correlation_id", "")),
    )


def _signed_in(app: _App, result: dict[str, Any]) -> SignedIn:
    if "access_token" not in result:
        raise failure(result)
    claims = result.get("id_token_claims") or {}
    username = str(claims.get("preferred_username") or claims.get("upn") or "")
    return SignedIn(_cache(app).serialize(), username, str(claims.get("name", "")), str(claims.get("oid", "")))


def _cache(app: _App) -> msal.SerializableTokenCache:
    # MSAL is untyped (its token_cache is the base TokenCache to a reader); _new_app always gives a serializable one.
    return cast(msal.SerializableTokenCache, app.token_cache)


def entra_status(error: Exception) -> int | None:
    """The HTTP status of a failed call to Entra ID, when the error carries one (None for transport errors)."""
    # MSAL turns Entra's 5xx answers into MsalServiceError("HTTP Error: 503"), with no attribute for the status.
    response = getattr(error, "response", None)
    if response is not None:
        return int(response.status_code)
    found = re.search(r"HTTP Error: (\d{3})", str(error))
    return int(found.group(1)) if found else None
