"""The shared shape of a Microsoft API client: base URL, a token per tenant, bounded retries, a hold on a tenant
that answered 429 (msapi.throttle), typed errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from msapi.errors import MicrosoftApiError
from msapi.retry import RetryPolicy, retry_after_seconds, send_with_retries
from msapi.throttle import Held, Key, Throttled, ThrottleGate, throttled_type
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
        gate: ThrottleGate | None = None,
        gate_scope: Callable[[str], str | None] | None = None,
    ) -> None:
        """`gate`: the app's holds on throttled tenants, shared by all its clients (one of its own when None).
        `gate_scope`: what narrower unit than the tenant a request URL is throttled by, if any (Partner Center's
        customer: msapi.throttle.partner_center_customer)."""
        self._http = http
        self._tokens = tokens
        self.base_url = base_url.rstrip("/")
        self._scope = scope
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self.gate = gate or ThrottleGate(sleep=sleep)
        self._gate_scope = gate_scope

    async def call(
        self,
        method: str,
        path: str,
        tenant_id: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        """Send a request (retried per policy); raise `error_type` for an error answer, and a Throttled one (also
        of `error_type`) for a 429 that ended the call or a hold on the tenant longer than the policy's ceiling.

        `path` is relative to the base URL, or an absolute URL (a next-page link). `token` overrides the
        app-only token (a signed-in user's token).
        """
        url = path if path.startswith("https://") or path.startswith("http://") else f"{self.base_url}{path}"
        keys = self._gate_keys(tenant_id, url)
        # One budget for all this call's waits at the gate: each pass takes what is left, not the whole ceiling.
        budget = [self._policy.max_retry_after]
        await self._pass_gate(keys, tenant_id, budget)  # a held tenant fails fast, before even a token is fetched
        bearer = token or await self._tokens.token(tenant_id, self._scope)
        all_headers = {"Authorization": f"Bearer {bearer}", "Accept": "application/json", **(headers or {})}
        slept_through = float("-inf")  # the end of the hold this call set itself and waits out in the retry loop

        async def send() -> httpx.Response:
            await self._pass_gate(keys, tenant_id, budget, slept_through)
            await self.before_request(tenant_id)
            # Pacing may have waited; a 429 that came meanwhile holds this request too.
            await self._pass_gate(keys, tenant_id, budget, slept_through)
            return await self._http.request(method, url, params=params, json=json, content=content, headers=all_headers)

        def throttled(seconds: float) -> None:
            nonlocal slept_through
            slept_through = self.gate.hold(keys[-1], seconds)
            held = "/".join(keys[-1][1:])
            logger.warning("%s throttles %s: nothing goes there for %.1f s", self.error_type.service, held, seconds)

        try:
            response = await send_with_retries(send, self._policy, self._sleep, throttled)
        except httpx.HTTPError as error:
            raise self.error_type(f"could not reach {self.base_url}: {type(error).__name__}") from error
        if response.status_code == 429:
            raise self._throttled(response)
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

    def _gate_keys(self, tenant_id: str, url: str) -> tuple[Key, ...]:
        """The holds a request must pass, broadest first; a 429 sets the last (the narrowest)."""
        api, tenant = self.error_type.service, tenant_id.lower()
        narrower = self._gate_scope(url) if self._gate_scope else None
        return ((api, tenant), (api, tenant, narrower)) if narrower else ((api, tenant),)

    async def _pass_gate(
        self, keys: tuple[Key, ...], tenant_id: str, budget: list[float], slept_through: float = float("-inf")
    ) -> None:
        """Wait at the gate out of what is left of the call's `budget` (updated), or fail with a Throttled error."""
        try:
            budget[0] -= await self.gate.wait(keys, max(0.0, budget[0]), slept_through)
        except Held as held:
            message = f"throttled in tenant {tenant_id} for {held.seconds:.0f} s more, longer than a call waits"
            error = throttled_type(self.error_type)(message, status=429, code="throttled")
            error.retry_after = held.seconds
            raise error from None

    def _throttled(self, response: httpx.Response) -> Throttled:
        """The API's own error for a 429 that ended the call, as a Throttled error carrying its Retry-After."""
        error = self.error_from(response)
        throttled = throttled_type(type(error))(error.args[0] if error.args else "throttled")
        vars(throttled).update(vars(error))  # status, code, request id and whatever else the API's error carries
        throttled.retry_after = retry_after_seconds(response) or 0.0
        return throttled


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
