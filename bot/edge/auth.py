"""Inbound authentication that fails closed (401 for every bad token) and outbound connectors that only reach
allowed serviceUrls, around the SDK's own BotFrameworkAuthentication."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.skills import BotFrameworkClient

from bot.edge.connectors import ConnectorClients
from bot.edge.credentials import CachingCredentialsFactory
from bot.edge.service_urls import ServiceUrlPolicy
from bot.edge.token_cache import ValidatedTokens
from bot.edge.user_tokens import LazyUserTokenClient
from desk.settings import Settings

logger = logging.getLogger(__name__)
# The only channel production serves. The Bot Framework signs activities of every channel enabled on the bot's
# registration (Web Chat and Direct Line are on by default) with keys endorsed for that channel, and those clients
# write `from` and `channelData` themselves: an aadObjectId and tenant there prove nothing.
TEAMS_CHANNEL = "msteams"


class ChannelRefused(Exception):
    """An authenticated activity from a channel the desk does not serve (HTTP 403)."""


class GuardedConnectorFactory(ConnectorFactory):
    """Connector clients only for allowed serviceUrls, with the SDK's hidden retries turned off (the outbox owns
    retries, so a send is never repeated behind its back), from the cache every turn and send shares."""

    def __init__(
        self, inner: ConnectorFactory, clients: ConnectorClients, app_id: str | None, default_audience: str
    ) -> None:
        self._inner = inner
        self._clients = clients
        self._app_id = app_id
        self._default_audience = default_audience

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        # The SDK's factory uses its default scope for no audience: one client serves both.
        return await self._clients.get(self._inner, self._app_id, service_url, audience or self._default_audience)


class GuardedAuthentication(BotFrameworkAuthentication):
    """Wraps the SDK authentication: any failure to validate becomes PermissionError (HTTP 401), a missing
    header is refused unless authentication is off (local mode), activities of channels other than Teams are refused
    unless authentication is off (ChannelRefused, HTTP 403: the caller proved who it is, but the desk does not serve
    that channel), and serviceUrls are checked. A token the SDK validated is remembered (bot/edge/token_cache.py)
    for the same channel and serviceUrl only; the channel and allowlist checks here run on every request."""

    def __init__(
        self,
        inner: BotFrameworkAuthentication,
        policy: ServiceUrlPolicy,
        auth_disabled: bool,
        connectors: ConnectorClients | None = None,
        tokens: ValidatedTokens | None = None,
    ) -> None:
        self._inner = inner
        self._policy = policy
        self._auth_disabled = auth_disabled
        self.connectors = connectors or ConnectorClients(policy)
        self.tokens = tokens or ValidatedTokens()

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        if not auth_header and not self._auth_disabled:
            raise PermissionError("missing Authorization header")
        result = self.tokens.get(auth_header, activity.channel_id, activity.service_url) if auth_header else None
        if result is None:
            result = await self._validate(activity, auth_header)
        identity = result.claims_identity
        if not self._auth_disabled and (activity.channel_id or "").lower() != TEAMS_CHANNEL:
            raise ChannelRefused(f"channel {activity.channel_id!r} is not served")
        self._policy.check(activity.service_url)
        result.connector_factory = self._guarded(result.connector_factory, identity)
        return result

    async def _validate(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        """The SDK's validation of the token for this activity (its channel's endorsement, its serviceUrl claim)."""
        try:
            result = await self._inner.authenticate_request(activity, auth_header or None)
        except PermissionError:
            raise
        except Exception as error:  # the SDK raises many types for bad tokens; all mean "not authenticated"
            raise PermissionError(f"token rejected: {type(error).__name__}") from error
        identity = result.claims_identity
        if identity is None or not identity.is_authenticated:
            raise PermissionError("token not authenticated")
        if auth_header:
            self.tokens.put(auth_header, activity.channel_id, activity.service_url, result)
        return result

    async def authenticate_streaming_request(self, auth_header: str, channel_id_header: str) -> Any:
        raise PermissionError("streaming connections are not supported")

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self._guarded(self._inner.create_connector_factory(claims_identity), claims_identity)

    def _guarded(self, inner: ConnectorFactory, identity: ClaimsIdentity) -> GuardedConnectorFactory:
        return GuardedConnectorFactory(inner, self.connectors, app_id_of(identity), self.get_originating_audience())

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        # Every turn gets one and hardly any uses it: built on first use (it costs an msrest client).
        return LazyUserTokenClient(lambda: self._inner.create_user_token_client(claims_identity))

    def create_bot_framework_client(self) -> BotFrameworkClient:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self._inner.get_originating_audience()

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        try:
            return await self._inner.authenticate_channel_request(auth_header)
        except PermissionError:
            raise
        except Exception as error:
            raise PermissionError(f"token rejected: {type(error).__name__}") from error


def app_id_of(identity: ClaimsIdentity) -> str | None:
    """The bot's app id the SDK's connector factory uses for `identity`: the audience claim of a channel's token,
    the app id claim of an emulator's (as the SDK's own _BuiltinBotFrameworkAuthentication.get_app_id reads it)."""
    app_id = identity.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
    if app_id is None:
        app_id = identity.get_claim_value(AuthenticationConstants.APP_ID_CLAIM)
    return str(app_id) if app_id is not None else None


def build_authentication(
    settings: Settings, credentials: CachingCredentialsFactory
) -> tuple[GuardedAuthentication, ServiceUrlPolicy]:
    """The bot's authentication from settings: the SDK endpoint settings pass through unchanged."""
    config = SimpleNamespace(
        APP_ID=settings.bot.app_id,
        APP_PASSWORD=settings.bot.app_password,
        APP_TYPE=settings.bot.app_type,
        APP_TENANTID=settings.bot.app_tenant_id,
    )
    endpoints = dict(settings.bot.sdk_endpoints)
    if settings.cloud.channel_service and "CHANNEL_SERVICE" not in endpoints:
        endpoints["CHANNEL_SERVICE"] = settings.cloud.channel_service
    for name, value in endpoints.items():
        setattr(config, name, value.lower() == "true" if name == "VALIDATE_AUTHORITY" else value)
    inner = ConfigurationBotFrameworkAuthentication(config, credentials_factory=credentials)
    policy = ServiceUrlPolicy(settings.service_url_allowlist)
    return GuardedAuthentication(inner, policy, auth_disabled=settings.local_mode), policy
