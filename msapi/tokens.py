"""App-only tokens per tenant: one MSAL confidential client per tenant, its cache reused, its blocking calls
run off the event loop, one acquisition per (tenant, scope) in flight."""

from __future__ import annotations

import asyncio
import logging
import threading
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


class TokenProvider:
    """Client-credentials tokens for the partner's app in any tenant (its own or a customer's)."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        login_url: str,
        session: requests.Session,
        validate_authority: bool = True,
    ) -> None:
        self._client_id = client_id
        self._secret = client_secret
        self._login_url = login_url.rstrip("/")
        self._session = session
        self._validate = validate_authority
        self._apps: dict[str, msal.ConfidentialClientApplication] = {}
        self._lock = threading.Lock()
        self._flights: SingleFlight[tuple[str, str], str] = SingleFlight()
        self._threads = ThreadPoolExecutor(TOKEN_THREADS, thread_name_prefix="app-tokens")
        self.requests_made = 0  # token-endpoint round trips, for tests and diagnostics

    def close(self) -> None:
        """Stop the token threads (at shutdown; a fetch under way finishes on its own, no new one starts)."""
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def token(self, tenant_id: str, scope: str) -> str:
        """An access token for `scope` in `tenant_id` (served from MSAL's cache while valid).

        Callers that arrive while an acquisition for the same tenant and scope is under way wait for it instead of
        starting their own: MSAL's cache is filled only when a request comes back, so concurrent first calls (the
        health sweep reads each tenant's overviews and issues at once) would each ask Entra ID for a token.
        """
        tenant = tenant_id.lower()
        acquire = partial(asyncio.get_running_loop().run_in_executor, self._threads, self._token, tenant, scope)
        return await self._flights.run((tenant, scope), acquire)

    def _token(self, tenant_id: str, scope: str) -> str:
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
        if "access_token" in result:
            return str(result["access_token"])
        raise failure(result)

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
