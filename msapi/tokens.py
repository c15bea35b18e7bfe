"""App-only tokens per tenant: one MSAL confidential client per tenant, its cache reused, its blocking calls
run off the event loop."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import msal
import requests

from msapi.delegated import entra_status, failure
from msapi.errors import TokenError

logger = logging.getLogger(__name__)


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
        self.requests_made = 0  # token-endpoint round trips, for tests and diagnostics

    async def token(self, tenant_id: str, scope: str) -> str:
        """An access token for `scope` in `tenant_id` (served from MSAL's cache while valid)."""
        return await asyncio.to_thread(self._token, tenant_id, scope)

    def _token(self, tenant_id: str, scope: str) -> str:
        try:
            app = self._app(tenant_id)
            result: dict[str, Any] = app.acquire_token_for_client(scopes=[scope])
        except (requests.RequestException, msal.exceptions.MsalServiceError) as error:
            message = f"Entra ID failed or could not be reached: {error}"
            raise TokenError(message, status=entra_status(error), code="network") from error
        if result.get("token_source") == "identity_provider":
            self.requests_made += 1
        if "access_token" in result:
            return str(result["access_token"])
        raise failure(result)

    def _app(self, tenant_id: str) -> msal.ConfidentialClientApplication:
        with self._lock:
            app = self._apps.get(tenant_id)
            if app is None:
                try:
                    app = msal.ConfidentialClientApplication(
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
                self._apps[tenant_id] = app
            return app
