"""App-only tokens per tenant: one MSAL confidential client per tenant, its cache reused, its blocking calls
run off the event loop, one acquisition per (tenant, scope) in flight, and a token MSAL's cache would hand out
unchanged handed out at once."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import msal
import requests

from msapi.delegated import entra_status, failure
from msapi.errors import TokenError
from msapi.singleflight import SingleFlight

logger = logging.getLogger(__name__)
# Threads for MSAL's blocking calls: one per (tenant, scope) acquisition in flight, at most. asyncio's shared pool
# has cores + 4 threads (6 on two cores): a sweep's first tokens for slow tenants would take them all and stall
# every other token, and everything else the process runs in that pool (the bot's own connector credentials).
TOKEN_THREADS = 32
# MSAL's cache treats an access token with less than five minutes left as expired and fetches a new one
# (msal/application.py, _acquire_token_silent_from_cache_and_possibly_refresh_it).
MSAL_EXPIRY_MARGIN = 5 * 60


class TokenProvider:
    """Client-credentials tokens for the partner's app in any tenant (its own or a customer's)."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        login_url: str,
        session: requests.Session,
        validate_authority: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`clock`: seconds since the epoch, as MSAL counts a token's expiry and proactive refresh."""
        self._client_id = client_id
        self._secret = client_secret
        self._login_url = login_url.rstrip("/")
        self._session = session
        self._validate = validate_authority
        self._apps: dict[str, msal.ConfidentialClientApplication] = {}
        self._lock = threading.Lock()
        self._flights: SingleFlight[tuple[str, str], tuple[str, float]] = SingleFlight()
        # (tenant, scope) -> the token MSAL last gave and until when its cache would give the same one.
        self._fresh: dict[tuple[str, str], tuple[str, float]] = {}
        self._clock = clock
        self._threads = ThreadPoolExecutor(TOKEN_THREADS, thread_name_prefix="app-tokens")
        self.requests_made = 0  # token-endpoint round trips, for tests and diagnostics

    def close(self) -> None:
        """Stop the token threads (at shutdown; a fetch under way finishes on its own, no new one starts)."""
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def token(self, tenant_id: str, scope: str) -> str:
        """An access token for `scope` in `tenant_id` (served from MSAL's cache while valid).

        While MSAL's cache would answer with the token it gave last (more than its five minutes of margin left, its
        proactive refresh time not reached), that token is handed out here, without a token thread: every Graph
        request asks for its token, and a thread hop each cost a health sweep more than the lookup itself.
        Callers that arrive while an acquisition for the same tenant and scope is under way wait for it instead of
        starting their own: MSAL's cache is filled only when a request comes back, so concurrent first calls (the
        health sweep reads each tenant's overviews and issues at once) would each ask Entra ID for a token.
        """
        key = (tenant_id.lower(), scope)
        fresh = self._fresh.get(key)
        if fresh is not None and self._clock() < fresh[1]:
            return fresh[0]
        acquire = partial(asyncio.get_running_loop().run_in_executor, self._threads, self._token, *key)
        token, good_until = await self._flights.run(key, acquire)
        self._fresh[key] = (token, good_until)
        return token

    def _token(self, tenant_id: str, scope: str) -> tuple[str, float]:
        """MSAL's token, and until when its cache would hand out the same one."""
        asked_at = self._clock()
        try:
            app = self._app(tenant_id)
            result: dict[str, Any] = app.acquire_token_for_client(scopes=[scope])
        except (requests.RequestException, msal.exceptions.MsalServiceError) as error:
            message = f"Entra ID failed or could not be reached: {error}"
            raise TokenError(message, status=entra_status(error), code="network") from error
        except ValueError as error:  # MSAL parses the token endpoint's answer with json.loads and lets it raise
            raise TokenError("Entra ID answered with a body that is not JSON", code="malformed") from error
        if result.get("token_source") == "identity_provider":
            with self._lock:
                self.requests_made += 1
        if "access_token" not in result:
            raise failure(result)
        good_until = asked_at + _seconds(result.get("expires_in")) - MSAL_EXPIRY_MARGIN
        if result.get("refresh_on") is not None:  # MSAL renews such a token early, from then on
            good_until = min(good_until, _seconds(result["refresh_on"]))
        return str(result["access_token"]), good_until

    def _app(self, tenant_id: str) -> msal.ConfidentialClientApplication:
        with self._lock:
            app = self._apps.get(tenant_id)
        if app is not None:
            return app
        # Made outside the lock: MSAL reads the tenant's OpenID configuration over the network here, and one slow
        # tenant must not hold up every other tenant's first token. Two scopes of one tenant may both make one;
        # the first stored is kept, so they share its token cache from then on.
        try:
            made = msal.ConfidentialClientApplication(
                client_id=self._client_id,
                client_credential=self._secret,
                authority=f"{self._login_url}/{tenant_id}",
                validate_authority=self._validate,
                instance_discovery=self._validate,
                http_client=self._session,
            )
        except ValueError as error:  # discovery failed: unknown tenant or authority
            message = (str(error).splitlines() or ["the authority is not valid"])[0]
            raise TokenError(message, code="authority") from error
        with self._lock:
            return self._apps.setdefault(tenant_id, made)


def _seconds(value: Any) -> float:
    """A number of seconds from MSAL's result (an int, or a string from some token endpoints); 0 when not one."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
