"""The SDK's user-token client (its OAuth token service), built when something first uses it rather than on every
turn: the CloudAdapter puts one in every turn's state for the SDK's OAuth prompts, which the desk does not use
(technicians sign in to Partner Center through bot/features/signin), and building one costs an msrest client."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.schema import Activity, TokenResponse
from botframework.connector.auth import UserTokenClient
from botframework.connector.token_api.models import SignInUrlResponse, TokenExchangeRequest, TokenStatus


class LazyUserTokenClient(UserTokenClient):
    """Builds the SDK's client on the first call (once) and hands every call to it."""

    def __init__(self, build: Callable[[], Awaitable[UserTokenClient]]) -> None:
        self._build = build
        self._client: UserTokenClient | None = None

    async def _inner(self) -> UserTokenClient:
        if self._client is None:
            self._client = await self._build()
        return self._client

    async def get_user_token(
        self, user_id: str, connection_name: str, channel_id: str, magic_code: str
    ) -> TokenResponse:
        return await (await self._inner()).get_user_token(user_id, connection_name, channel_id, magic_code)

    async def get_sign_in_resource(
        self, connection_name: str, activity: Activity, final_redirect: str
    ) -> SignInUrlResponse:
        return await (await self._inner()).get_sign_in_resource(connection_name, activity, final_redirect)

    async def sign_out_user(self, user_id: str, connection_name: str, channel_id: str) -> Any:
        return await (await self._inner()).sign_out_user(user_id, connection_name, channel_id)

    async def get_token_status(self, user_id: str, channel_id: str, include_filter: str) -> list[TokenStatus]:
        return await (await self._inner()).get_token_status(user_id, channel_id, include_filter)

    async def get_aad_tokens(
        self, user_id: str, connection_name: str, resource_urls: list[str], channel_id: str
    ) -> dict[str, TokenResponse]:
        return await (await self._inner()).get_aad_tokens(user_id, connection_name, resource_urls, channel_id)

    async def exchange_token(
        self, user_id: str, connection_name: str, channel_id: str, exchange_request: TokenExchangeRequest
    ) -> TokenResponse:
        return await (await self._inner()).exchange_token(user_id, connection_name, channel_id, exchange_request)
