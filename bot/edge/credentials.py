"""Bot-to-connector credentials that fetch a token once and reuse it until it nears expiry.

The stock SDK builds new credentials (and a new MSAL app with an empty cache) for every turn that sends, and
ignores VALIDATE_AUTHORITY; this factory keeps one credentials object per (scope, login endpoint).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import msal
import requests
from botframework.connector.auth import (
    AppCredentials,
    ManagedIdentityServiceClientCredentialsFactory,
    MicrosoftAppCredentials,
    ServiceClientCredentialsFactory,
)
from msrest.authentication import Authentication

logger = logging.getLogger(__name__)
# MSAL renews a cached token when less than 5 minutes of it are left, or once its `refresh_on` has passed (a blocking
# HTTP call); `warm` fetches it off the event loop this long before either.
RENEW_MARGIN_SECONDS = 600


class BotAppCredentials(AppCredentials):
    """Client-credentials token for the bot, served from MSAL's cache (MSAL renews it shortly before expiry)."""

    def __init__(
        self,
        app_id: str,
        password: str,
        authority: str,
        oauth_scope: str,
        validate_authority: bool,
        http_session: requests.Session,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(app_id=app_id, oauth_scope=oauth_scope)
        self.oauth_endpoint = authority
        self._lock = threading.Lock()
        self._clock = clock
        self._fresh_until = 0.0  # before this (wall-clock seconds, as MSAL counts) MSAL answers from its cache
        self._app = msal.ConfidentialClientApplication(
            client_id=app_id,
            client_credential=password,
            authority=authority,
            validate_authority=validate_authority,
            instance_discovery=validate_authority,
            http_client=http_session,
        )
        scope = oauth_scope if oauth_scope.endswith("/.default") else f"{oauth_scope}/.default"
        self._scopes = [scope]

    def get_access_token(self, force_refresh: bool = False) -> str:
        """A valid access token; the token endpoint is called only when MSAL's cached token is near expiry."""
        with self._lock:
            now = self._clock()
            result: dict[str, Any] = self._app.acquire_token_for_client(scopes=self._scopes)
        if "access_token" in result:
            self._fresh_until = _fresh_until(result, now)
            return str(result["access_token"])
        raise PermissionError(
            f"bot token request failed: {result.get('error', 'unknown')}: {result.get('error_description', '')}"
        )

    async def warm(self) -> None:
        """Make sure a token is cached, fetching it off the event loop (msrest asks for it synchronously) unless MSAL
        will answer from its cache: every turn and send calls this, and a hop to a thread costs more than the rest."""
        if self._clock() < self._fresh_until:
            return
        await asyncio.to_thread(self.get_access_token)


def _fresh_until(result: dict[str, Any], now: float) -> float:
    """Until when MSAL will serve the token in `result` from its cache without a call, less a margin."""
    try:
        until = now + float(result["expires_in"]) - RENEW_MARGIN_SECONDS
        if "refresh_on" in result:
            until = min(until, float(result["refresh_on"]) - RENEW_MARGIN_SECONDS)
    except (KeyError, TypeError, ValueError):
        return 0.0
    return until


class CachingCredentialsFactory(ServiceClientCredentialsFactory):
    """One credentials object per (scope, login endpoint), so the token is reused across turns and sends."""

    def __init__(
        self,
        app_id: str,
        password: str,
        app_type: str,
        tenant_id: str,
        http_session: requests.Session,
    ) -> None:
        self.app_id = app_id
        self._password = password
        self._app_type = app_type.lower()
        self._tenant_id = tenant_id
        self._session = http_session
        self._cache: dict[tuple[str, str, bool], Authentication] = {}
        self._managed = (
            ManagedIdentityServiceClientCredentialsFactory(app_id) if self._app_type == "userassignedmsi" else None
        )

    async def is_valid_app_id(self, app_id: str) -> bool:
        return bool(self.app_id) and app_id == self.app_id

    async def is_authentication_disabled(self) -> bool:
        return not self.app_id

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> Authentication:
        if not self.app_id:
            return MicrosoftAppCredentials.empty()
        if app_id != self.app_id:
            raise PermissionError("credentials requested for another app id")
        key = (oauth_scope, login_endpoint or "", bool(validate_authority))
        credentials = self._cache.get(key)
        if credentials is None:
            credentials = await self._create(oauth_scope, login_endpoint, bool(validate_authority))
            self._cache[key] = credentials
        if isinstance(credentials, BotAppCredentials):
            await credentials.warm()
        return credentials

    async def _create(self, oauth_scope: str, login_endpoint: str, validate_authority: bool) -> Authentication:
        if self._managed is not None:
            return await self._managed.create_credentials(self.app_id, oauth_scope, login_endpoint, validate_authority)
        return BotAppCredentials(
            self.app_id,
            self._password,
            self._authority(login_endpoint),
            oauth_scope,
            validate_authority,
            self._session,
        )

    def _authority(self, login_endpoint: str) -> str:
        """Single-tenant bots sign in at their own tenant; others at the endpoint the SDK names."""
        if self._app_type == "singletenant" and self._tenant_id:
            parsed = urlparse(login_endpoint)
            return f"{parsed.scheme}://{parsed.netloc}/{self._tenant_id}"
        return login_endpoint
