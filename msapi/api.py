"""The shared shape of a Microsoft API client: base URL, a token per tenant, bounded retries, typed errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from msapi.errors import MicrosoftApiError
from msapi.retry import RetryPolicy, send_with_retries
from msapi.tokens import TokenProvider

logger = logging.getLogger(__name__)


class ApiClient:
    """Calls one Microsoft API; subclasses set `error_type` and may refine `error_from`."""

    error_type: type[MicrosoftApiError] = MicrosoftApiError

    def __init__(
        self,
        http: httpx.AsyncClient,
        tokens: TokenProvider,
        base_url: str,
        scope: str,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._http = http
        self._tokens = tokens
        self.base_url = base_url.rstrip("/")
        self._scope = scope
        self._policy = policy or RetryPolicy()
        self._sleep = sleep

    async def call(
        self,
        method: str,
        path: str,
        tenant_id: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        """Send a request (retried per policy); raise `error_type` for an error answer.

        `path` is relative to the base URL, or an absolute URL (a next-page link). `token` overrides the
        app-only token (a signed-in user's token).
        """
        url = path if path.startswith("https://") or path.startswith("http://") else f"{self.base_url}{path}"
        bearer = token or await self._tokens.token(tenant_id, self._scope)
        all_headers = {"Authorization": f"Bearer {bearer}", "Accept": "application/json", **(headers or {})}

        async def send() -> httpx.Response:
            await self.before_request(tenant_id)
            return await self._http.request(method, url, params=params, json=json, headers=all_headers)

        try:
            response = await send_with_retries(send, self._policy, self._sleep)
        except httpx.HTTPError as error:
            raise self.error_type(f"could not reach {self.base_url}: {type(error).__name__}") from error
        if response.is_error:
            raise self.error_from(response)
        return response

    async def before_request(self, tenant_id: str) -> None:
        """Awaited before every HTTP attempt, retries included (a subclass paces its calls here)."""

    def error_from(self, response: httpx.Response) -> MicrosoftApiError:
        """A typed error for an error answer (Graph's and Partner Center's bodies differ)."""
        return self.error_type(
            f"HTTP {response.status_code}", status=response.status_code, request_id=_request_id(response)
        )


def _request_id(response: httpx.Response) -> str:
    for name in ("request-id", "MS-RequestId", "client-request-id", "MS-CorrelationId"):
        if name in response.headers:
            return response.headers[name]
    return ""


def json_body(response: httpx.Response) -> dict[str, Any]:
    """The JSON object of a response, or an empty dict for a body that is not one."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
