"""What a 429 teaches every caller: after Microsoft answers "too many requests" for a tenant, no request of the
app goes to that tenant (on that API) until the wait it named is over, while other tenants carry on.

Microsoft Graph: once throttled it "limits any further requests from that client app for some time" and names the
wait in Retry-After (https://learn.microsoft.com/graph/throttling); the service communications API counts per app
per tenant (https://learn.microsoft.com/graph/throttling-limits#service-communications-service-limits).
Partner Center: "limits any further requests from that client for a period of time"; some APIs count per partner
tenant, others per partner tenant and customer tenant, so calls for other customers may still succeed
(https://learn.microsoft.com/partner-center/developer/api-throttling-guidance). Hence a hold per (API, tenant), and
for Partner Center a narrower hold per (API, partner, customer) when the throttled call named a customer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import unquote, urlsplit

from msapi.errors import GraphError, MicrosoftApiError, PartnerCenterError

Key = tuple[str, ...]


class Throttled(MicrosoftApiError):
    """The API is throttling the app for this tenant for longer than a call may wait (or the call ran out of
    attempts while throttled). `retry_after`: seconds until the API takes requests again, as far as we know."""

    retry_after: float = 0.0


class GraphThrottled(Throttled, GraphError):
    """Microsoft Graph is throttling the app in this tenant."""


class PartnerCenterThrottled(Throttled, PartnerCenterError):
    """Partner Center is throttling the partner (or the partner for this customer)."""


def throttled_type(base: type[MicrosoftApiError]) -> type[Throttled]:
    """The throttled error of the API whose error is `base`: also that API's error, so callers catching either
    see it."""
    if issubclass(base, GraphError):
        return GraphThrottled
    if issubclass(base, PartnerCenterError):
        return PartnerCenterThrottled
    return Throttled


class Held(Exception):
    """The gate stays shut for longer than the caller may wait (`seconds` more)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"held for {seconds:.0f} s more")
        self.seconds = seconds


class ThrottleGate:
    """Holds per key (an API and a tenant, or an API, a partner and a customer) until a moment on `clock`.

    One gate must be shared by every client of the same app, because Microsoft throttles the app, not a client.
    Only the holds live here (a few floats, expired ones dropped); the pacing that avoids 429s is the shared rate
    limiter's (msapi.limits).
    """

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._until: dict[Key, float] = {}

    def hold(self, key: Key, seconds: float) -> float:
        """Hold requests under `key` for `seconds` from now (a longer hold in place stays); returns when this
        hold ends."""
        now = self._clock()
        for expired in [k for k, until in self._until.items() if until <= now]:
            del self._until[expired]
        ends = now + max(0.0, seconds)
        self._until[key] = max(self._until.get(key, ends), ends)
        return ends

    def remaining(self, keys: Sequence[Key]) -> float:
        """Seconds until none of `keys` is held (0 when none is)."""
        return max(0.0, self._latest(keys) - self._clock())

    async def wait(self, keys: Sequence[Key], ceiling: float, waited_out: float = float("-inf")) -> float:
        """Return, with the seconds waited, once none of `keys` is held: at once when none is; raise Held, without
        waiting, when that would take more than `ceiling` seconds in all (a hold may be extended while we wait). A
        hold ending by `waited_out` is one the caller has already slept through (its own Retry-After) and is not
        waited again."""
        waited = 0.0
        while True:
            latest = self._latest(keys)
            if latest <= waited_out:
                return waited
            remaining = latest - self._clock()
            if remaining <= 0:
                return waited
            if waited + remaining > ceiling:
                raise Held(remaining)
            await self._sleep(remaining)
            waited += remaining
            if self._latest(keys) <= latest:  # not extended meanwhile: over (on whatever clock `sleep` keeps)
                return waited

    def _latest(self, keys: Sequence[Key]) -> float:
        return max((self._until.get(key, float("-inf")) for key in keys), default=float("-inf"))


def partner_center_customer(url: str) -> str | None:
    """The customer tenant a Partner Center request is about (`/v1/customers/{id}/...`), or None for a partner-level
    request (the customer list, service requests, the support profile)."""
    parts = [unquote(part) for part in urlsplit(url).path.split("/") if part]
    for index, part in enumerate(parts[:-1]):
        if part.lower() == "customers" and index > 0 and parts[index - 1].lower() == "v1":
            return parts[index + 1].lower()
    return None
