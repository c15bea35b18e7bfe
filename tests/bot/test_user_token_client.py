"""The SDK's user-token client (its OAuth token service, which the desk does not use: technicians sign in through
bot/features/signin) is built only when something uses it, never on every turn."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botframework.connector.auth import (
    AuthenticateRequestResult,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    UserTokenClient,
)
from botframework.connector.auth._user_token_client_impl import _UserTokenClientImpl

from bot.edge.auth import GuardedAuthentication
from bot.edge.service_urls import ServiceUrlPolicy
from tests.bot import test_authentication
from tests.bot.test_authentication import Production

keys, openid, emulator, production = (
    test_authentication.keys,
    test_authentication.openid,
    test_authentication.emulator,
    test_authentication.production,
)


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The app id of every user-token client the SDK builds."""
    calls: list[str] = []
    original = _UserTokenClientImpl.__init__

    def counting(self: _UserTokenClientImpl, app_id: str, *args: Any, **kwargs: Any) -> None:
        calls.append(app_id)
        original(self, app_id, *args, **kwargs)

    monkeypatch.setattr(_UserTokenClientImpl, "__init__", counting)
    yield calls


async def test_turns_and_sends_build_no_user_token_client(production: Production, built: list[str]) -> None:
    for _ in range(2):
        assert await production.post(production.chat.message("help")) == 201
    await production.desk.delivered()

    assert production.connector.posts(production.chat.conversation_id)
    assert built == []


class RecordingTokenClient(UserTokenClient):
    """The SDK's client as far as the test needs: records each call and answers with its name."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    async def _record(self, name: str, *args: Any) -> str:
        self.calls.append((name, args))
        return name

    async def get_user_token(self, user_id: str, connection_name: str, channel_id: str, magic_code: str) -> Any:
        return await self._record("get_user_token", user_id, connection_name, channel_id, magic_code)

    async def get_sign_in_resource(self, connection_name: str, activity: Any, final_redirect: str) -> Any:
        return await self._record("get_sign_in_resource", connection_name, activity, final_redirect)

    async def sign_out_user(self, user_id: str, connection_name: str, channel_id: str) -> Any:
        return await self._record("sign_out_user", user_id, connection_name, channel_id)

    async def get_token_status(self, user_id: str, channel_id: str, include_filter: str) -> Any:
        return await self._record("get_token_status", user_id, channel_id, include_filter)

    async def get_aad_tokens(self, user_id: str, connection: str, urls: list[str], channel_id: str) -> Any:
        return await self._record("get_aad_tokens", user_id, connection, urls, channel_id)

    async def exchange_token(self, user_id: str, connection_name: str, channel_id: str, exchange_request: Any) -> Any:
        return await self._record("exchange_token", user_id, connection_name, channel_id, exchange_request)


class CountingAuthentication(BotFrameworkAuthentication):
    """Inner authentication that counts the user-token clients it is asked for."""

    def __init__(self) -> None:
        self.identities: list[ClaimsIdentity] = []
        self.client = RecordingTokenClient()

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        self.identities.append(claims_identity)
        return self.client

    async def authenticate_request(self, activity: Any, auth_header: str) -> AuthenticateRequestResult:
        raise NotImplementedError

    async def authenticate_streaming_request(self, auth_header: str, channel_id_header: str) -> Any:
        raise NotImplementedError

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> Any:
        raise NotImplementedError

    def create_bot_framework_client(self) -> Any:
        raise NotImplementedError

    def get_originating_audience(self) -> str:
        return "https://api.botframework.com"

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        raise NotImplementedError


async def test_the_user_token_client_is_built_on_first_use_once_and_does_what_the_sdks_does() -> None:
    inner = CountingAuthentication()
    guarded = GuardedAuthentication(inner, ServiceUrlPolicy(("smba.trafficmanager.net",)), auth_disabled=False)
    identity = ClaimsIdentity({"aud": "bot-app-id"}, True)

    client = await guarded.create_user_token_client(identity)
    assert inner.identities == []

    assert await client.get_user_token("user", "connection", "msteams", "123456") == "get_user_token"
    assert await client.sign_out_user("user", "connection", "msteams") == "sign_out_user"
    assert await client.get_token_status("user", "msteams", "") == "get_token_status"
    assert await client.get_aad_tokens("user", "connection", ["https://graph"], "msteams") == "get_aad_tokens"
    assert await client.exchange_token("user", "connection", "msteams", "request") == "exchange_token"
    assert await client.get_sign_in_resource("connection", "activity", "https://done") == "get_sign_in_resource"

    assert inner.identities == [identity]  # built once, for the turn's identity
    assert [name for name, _ in inner.client.calls] == [
        "get_user_token",
        "sign_out_user",
        "get_token_status",
        "get_aad_tokens",
        "exchange_token",
        "get_sign_in_resource",
    ]
    assert inner.client.calls[0][1] == ("user", "connection", "msteams", "123456")
